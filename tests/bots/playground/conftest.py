"""A playground on the test database with the demo programme seeded, served on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bots.playground.demo import CIRCLES, seed_demo
from bots.playground.port import PlaygroundPort
from bots.playground.server import playground_of, start_site
from bots.playground.workspace import Playground
from core.clock import ManualClock
from core.db import Database
from core.models import Circle
from core.scheduling.scheduler import Scheduler
from core.service import CircleService
from tests.fakes.wiring import connected


@pytest.fixture
async def playground(db: Database, clock: ManualClock) -> Playground:
    port = PlaygroundPort(clock)
    service = CircleService(db, clock, lambda _workspace: port)
    made = playground_of(service, port, clock, connected(Scheduler(service)))
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
