"""A playground on the test database with the demo programme seeded, served on a free port."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from bots.playground import demo
from bots.playground.demo import CIRCLES, seed_demo
from bots.playground.port import PlaygroundPort
from bots.playground.server import playground_of, start_site
from bots.playground.workspace import Playground
from core.clock import ManualClock
from core.db import Database
from core.models import Base, Circle
from core.scheduling.scheduler import Scheduler
from core.service import CircleService
from tests.conftest import START, DatabaseTemplate, copy_or_empty
from tests.fakes.programme import Seeded, seed_programme
from tests.fakes.wiring import connected


@dataclass(frozen=True)
class SeededOnce:
    """A playground seeded once: its database (copied for each test), its channels, the clock where the
    seeding left it, and what the seeding returned."""

    template: DatabaseTemplate
    port: PlaygroundPort
    now: datetime
    result: Any


def seed_once(
    folder: Path,
    pg_admin_url: str | None,
    seed: Callable[[CircleService, ManualClock], Awaitable[Any]],
    connect_scheduler: bool = True,
) -> SeededOnce | None:
    """Seeds a playground into a template database; None where PostgreSQL refuses CREATE DATABASE (each
    test then seeds its own)."""
    try:
        template = DatabaseTemplate(folder, pg_admin_url)
    except DBAPIError:
        return None

    async def build() -> SeededOnce:
        database = Database(template.url)
        try:
            async with database.engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
            clock = ManualClock(START)
            port = PlaygroundPort(clock)
            service = CircleService(database, clock, lambda _workspace: port)
            scheduler = Scheduler(service)
            playground_of(service, port, clock, connected(scheduler) if connect_scheduler else scheduler)
            result = await seed(service, clock)
        finally:
            await database.dispose()
        port.listener = None
        return SeededOnce(template, port, clock.now(), result)

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(build())
    finally:
        loop.close()


async def seeds_the_demo(service: CircleService, _clock: ManualClock) -> None:
    assert await seed_demo(service)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, pg_admin_url: str | None) -> Iterator[SeededOnce | None]:
    """The demo programme seeded once per session (asserting it seeds) into a database each playground
    test gets a copy of, with a copy of the channels the seeding wrote: seeding is dozens of requests,
    and a test only needs the result."""
    seeded = seed_once(tmp_path_factory.mktemp("demo"), pg_admin_url, seeds_the_demo)
    yield seeded
    if seeded is not None:
        seeded.template.drop()


async def seeds_a_programme(service: CircleService, clock: ManualClock) -> Seeded:
    return await seed_programme(service, clock, workspace=demo.WORKSPACE)


@pytest.fixture(scope="session")
def programme_template(
    tmp_path_factory: pytest.TempPathFactory, pg_admin_url: str | None
) -> Iterator[SeededOnce | None]:
    """The report tests' programme (tests/fakes/programme.py) seeded once per session into a playground
    with no demo (hundreds of requests), copied for each test like the demo."""
    seeded = seed_once(tmp_path_factory.mktemp("programme"), pg_admin_url, seeds_a_programme, connect_scheduler=False)
    yield seeded
    if seeded is not None:
        seeded.template.drop()


def channels_of(seeded: PlaygroundPort, clock: ManualClock) -> PlaygroundPort:
    """A fresh port showing what the seeding wrote, for a test on a copy of its database."""
    port = PlaygroundPort(clock)
    port.messages = copy.deepcopy(seeded.messages)
    port.timeline = copy.deepcopy(seeded.timeline)
    port.topics = dict(seeded.topics)
    port.archived = set(seeded.archived)
    port.forms = copy.deepcopy(seeded.forms)
    port.last_seq = seeded.last_seq
    return port


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, pg_admin_url: str | None) -> Iterator[str]:
    """A copy of the seeded demo's (or programme's) database for a test of that playground, else an empty one."""
    seeded = None
    if "playground" in request.fixturenames:
        seeded = request.getfixturevalue("demo_template")
    elif "programme_playground" in request.fixturenames:
        seeded = request.getfixturevalue("programme_template")
    yield from copy_or_empty(seeded.template if seeded is not None else None, tmp_path, pg_admin_url)


@pytest.fixture
async def playground(request: pytest.FixtureRequest, db: Database, clock: ManualClock) -> Playground:
    seeded: SeededOnce | None = request.getfixturevalue("demo_template")
    if seeded is not None:
        clock.set(seeded.now)
        port = channels_of(seeded.port, clock)
    else:
        port = PlaygroundPort(clock)
    service = CircleService(db, clock, lambda _workspace: port)
    made = playground_of(service, port, clock, connected(Scheduler(service)))
    if seeded is None:
        assert await seed_demo(service)
    return made


@pytest.fixture
async def site(playground: Playground) -> AsyncIterator[str]:
    runner, bound = await start_site(playground, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{bound}"
    await runner.cleanup()


@pytest.fixture
async def spaces(playground: Playground) -> dict[str, str]:
    """Each demo circle's channel id, by circle name."""
    async with playground.service.db.unit_of_work() as uow:
        rows = (await uow.session.execute(select(Circle.name, Circle.space_ref))).all()
    found = {name: space for name, space in rows if space}
    assert len(found) == len(CIRCLES)
    return found
