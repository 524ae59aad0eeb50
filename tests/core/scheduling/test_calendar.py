"""The circle's .ics when its meetings were scheduled one at a time (no weekly slot): one event per
dated meeting, each with its own UID; a circle with no dated meeting has no calendar. (A series'
recurrence, overrides and sequence: test_series.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from core.db import Database
from core.errors import NotFound
from core.models import Circle as CircleRow
from core.models import Meeting
from core.scheduling.calendar import circle_calendar
from core.service import CircleService
from tests.core.scheduling.conftest import MEETING, Circle
from tests.fakes.members import cast
from tests.fakes.recording_port import RecordingPort


async def calendar_of(db: Database, name: str) -> bytes:
    async with db.unit_of_work() as uow:
        circle = await uow.session.scalar(select(CircleRow).where(CircleRow.name == name))
        assert circle is not None
        meetings = list(await uow.session.scalars(select(Meeting).where(Meeting.circle_id == circle.id)))
    return circle_calendar(circle, meetings, MEETING)


async def test_a_meeting_scheduled_on_its_own_is_a_single_event(circle: Circle, db: Database) -> None:
    [event] = Calendar.from_ical(await calendar_of(db, "team")).walk("VEVENT")
    assert event.decoded("dtstart") == MEETING
    assert event.decoded("dtend") == MEETING + timedelta(minutes=240)
    assert str(event["summary"]) == "team: meeting 1"
    assert "rrule" not in event
    assert str(event["uid"]).endswith("-meeting-1@peer-circles")


async def test_the_lead_gets_it_when_a_meeting_is_scheduled_on_its_own(
    service: CircleService, db: Database, port: RecordingPort
) -> None:
    lead = cast(service, 1, workspace="T2")[0]
    await lead.says("/circle new coaching format=peer-coaching")
    await lead.says(f"/circle schedule {MEETING:%Y-%m-%d %H:%M} tz=UTC")
    [sent] = port.of_kind("files")
    assert sent.target == lead.user
    [event] = Calendar.from_ical(sent.files[0].content).walk("VEVENT")
    assert event.decoded("dtstart") == MEETING


async def test_a_circle_without_a_dated_meeting_has_no_calendar(service: CircleService, db: Database) -> None:
    lead = cast(service, 1, workspace="T3")[0]
    await lead.says("/circle new loose")
    await lead.says("/circle checkin here early")  # creates meeting 1 without a time
    with pytest.raises(NotFound):
        await calendar_of(db, "loose")
