"""A circle of five with a meeting scheduled, and the scheduler wired to the service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.db import Database
from core.models import DueItem, DueState, Person
from core.scheduling.scheduler import Scheduler
from core.service import CircleService
from tests.fakes.members import Member, cast
from tests.fakes.recording_port import RecordingPort
from tests.fakes.timeline import Timeline

MEETING = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


@dataclass
class Circle:
    people: list[Member]
    scheduler: Scheduler
    timeline: Timeline
    db: Database

    @property
    def lead(self) -> Member:
        return self.people[0]

    async def items(self, *states: DueState) -> list[DueItem]:
        async with self.db.unit_of_work() as uow:
            query = select(DueItem).order_by(DueItem.id)
            if states:
                query = query.where(DueItem.state.in_(states))
            return list(await uow.session.scalars(query))

    async def person(self, member: Member) -> Person:
        async with self.db.unit_of_work() as uow:
            person = await uow.session.scalar(select(Person).where(Person.external_id == member.user))
        assert person is not None
        return person


@pytest.fixture
async def circle(service: CircleService, clock: ManualClock, port: RecordingPort, db: Database) -> Circle:
    people = cast(service, 5)
    scheduler = Scheduler(service, max_inline_wait=0)
    await people[0].says("/circle new team")
    await people[0].says("/circle add " + " ".join(p.mention for p in people[1:]))
    for person in people:
        await person.says("/circle timezone UTC")
    assert "scheduled" in await people[0].says(f"/circle schedule {MEETING:%Y-%m-%d %H:%M} tz=UTC")
    port.clear()
    return Circle(people, scheduler, Timeline(scheduler, clock, port), db)
