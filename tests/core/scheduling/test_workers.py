"""Two workers on one PostgreSQL database, started at the same moment, each with its own engine:
every item is sent exactly once. (SQLite assumes a single process, so this runs on PostgreSQL.)"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import ManualClock
from core.db import Database
from core.models import DueItem, DueKind, DueState
from core.scheduling.dispatcher import Dispatcher
from core.scheduling.planner import Planner
from core.service import CircleService
from tests.core.scheduling.conftest import MEETING, Circle
from tests.fakes.recording_port import RecordingPort

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_only(pg_admin_url: str | None) -> None:
    if pg_admin_url is None:
        pytest.skip("needs PostgreSQL (CIRCLES_TEST_DATABASE=postgresql://...): SQLite assumes one process")


@pytest.mark.usefixtures("postgres_only")
async def test_two_workers_send_each_item_exactly_once(
    circle: Circle, database_url: str, clock: ManualClock, port: RecordingPort, db: Database
) -> None:
    await Planner(db, clock).plan()
    await circle.add_reminders(600, MEETING - timedelta(hours=24))
    clock.set(MEETING - timedelta(hours=24))
    engines = [Database(database_url), Database(database_url)]
    try:
        workers = [
            Dispatcher(CircleService(engine, clock, lambda _w: port), worker=f"w{n}", batch_size=40)
            for n, engine in enumerate(engines)
        ]
        counts = await asyncio.gather(*(w.tick() for w in workers))
        again = await asyncio.gather(*(w.tick() for w in workers))
    finally:
        for engine in engines:
            await engine.dispose()

    assert sum(counts) == 606  # 600 + five planned reminders + the call for bids
    assert again == [0, 0]
    assert len(port.of_kind("dm")) == 605
    assert len(port.of_kind("post")) == 1
    async with db.unit_of_work() as uow:
        planned = DueItem.kind != DueKind.EFFECT  # the requests' own effects were sent by their fast path
        by_state = dict(
            (
                await uow.session.execute(select(DueItem.state, func.count()).where(planned).group_by(DueItem.state))
            ).all()
        )
        by_worker = dict(
            (
                await uow.session.execute(
                    select(DueItem.claimed_by, func.count())
                    .where(DueItem.state == DueState.SENT, planned)
                    .group_by(DueItem.claimed_by)
                )
            ).all()
        )
        attempts = set(
            await uow.session.scalars(select(DueItem.attempts).where(DueItem.state == DueState.SENT, planned))
        )
    assert by_state[DueState.SENT] == 606
    assert sum(by_worker.values()) == 606
    assert set(by_worker) <= {"w0", "w1"}
    assert attempts == {1}  # no item was claimed twice


@pytest.mark.usefixtures("postgres_only")
async def test_two_workers_planning_the_same_circle_agree(
    circle: Circle, database_url: str, clock: ManualClock
) -> None:
    engines = [Database(database_url), Database(database_url)]
    try:
        await asyncio.gather(*(Planner(engine, clock).plan() for engine in engines))
    finally:
        for engine in engines:
            await engine.dispose()
    items = await circle.items()
    assert len(items) == 11
    assert {i.state for i in items} == {DueState.PENDING}
