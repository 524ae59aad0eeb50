"""Two delivery rules the Discord adapter relies on: a refused DM is told once, and a live meeting's
time reaches ports that publish calendar events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.clock import ManualClock
from core.db import Database
from core.models import Person
from core.service import CircleService
from tests.fakes.members import cast
from tests.fakes.recording_port import RecordingPort


async def person_id(db: Database, user: str) -> int:
    async with db.unit_of_work() as uow:
        found = await uow.session.scalar(select(Person.id).where(Person.external_id == user))
    assert found is not None
    return found


async def test_scheduling_a_live_meeting_publishes_it_and_an_async_one_does_not(
    service: CircleService, port: RecordingPort, clock: ManualClock
) -> None:
    lead = cast(service, 1)[0]
    day = (clock.now() + timedelta(days=1)).strftime("%Y-%m-%d")
    await lead.says("/circle new live-one")
    await lead.says(f"/circle schedule {day} 10:00 tz=UTC minutes=90 in=live-one")
    events = port.of_kind("event")
    assert len(events) == 1
    assert events[0].target.endswith(f":Meeting 1 of live-one:{day}T10:00:00+00:00:{day}T11:30:00+00:00")
    await lead.says("/circle new slow-one mode=async")
    await lead.says(f"/circle schedule {day} 10:00 in=slow-one")
    assert len(port.of_kind("event")) == 1
