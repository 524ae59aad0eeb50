"""A circle of five with a meeting scheduled, and the scheduler wired to the service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.db import Database
from core.models import DueItem, DueKind, DueState, Person
from core.scheduling.scheduler import Scheduler
from core.service import CircleService
from tests.fakes.members import Member, cast, welcome
from tests.fakes.recording_port import RecordingPort
from tests.fakes.timeline import Timeline
from tests.fakes.wiring import connected

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
        """What the planner keeps (the outbox's rows of requests' own effects left out)."""
        async with self.db.unit_of_work() as uow:
            query = select(DueItem).where(DueItem.kind != DueKind.EFFECT).order_by(DueItem.id)
            if states:
                query = query.where(DueItem.state.in_(states))
            return list(await uow.session.scalars(query))

    async def add_reminders(self, count: int, due: datetime) -> None:
        """`count` more reminders of the planned meeting, spread over the five members."""
        template = next(i for i in await self.items() if i.kind == DueKind.MEETING_REMINDER)
        async with self.db.unit_of_work() as uow:
            for n in range(count):
                uow.session.add(
                    DueItem(
                        key=f"reminder:extra:{n}",
                        kind=DueKind.MEETING_REMINDER,
                        workspace_id=template.workspace_id,
                        person_id=(template.person_id or 0) + n % len(self.people),
                        circle_id=template.circle_id,
                        meeting_id=template.meeting_id,
                        due_at=due,
                        not_before=due - timedelta(seconds=n),
                    )
                )
            await uow.commit()

    async def person(self, member: Member) -> Person:
        async with self.db.unit_of_work() as uow:
            person = await uow.session.scalar(select(Person).where(Person.external_id == member.user))
        assert person is not None
        return person


@pytest.fixture
async def circle(service: CircleService, clock: ManualClock, port: RecordingPort, db: Database) -> Circle:
    people = cast(service, 5)
    scheduler = connected(Scheduler(service, max_inline_wait=0))
    await people[0].says("/circle new team")
    await welcome(people[0], people[1:])
    for person in people:
        await person.says("/circle timezone UTC")
    assert "scheduled" in await people[0].says(f"/circle schedule {MEETING:%Y-%m-%d %H:%M} tz=UTC")
    port.clear()
    return Circle(people, scheduler, Timeline(scheduler, clock, port), db)
