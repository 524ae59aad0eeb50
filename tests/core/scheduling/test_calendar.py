"""Meetings as .ics events, recurring where the format's cadence is a fixed number of weeks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from core.db import Database
from core.errors import NotFound
from core.models import Meeting
from core.scheduling.calendar import meeting_calendar
from core.service import CircleService
from tests.core.scheduling.conftest import MEETING, Circle
from tests.fakes.members import cast


async def only_meeting(db: Database, circle_name: str) -> int:
    async with db.unit_of_work() as uow:
        from core.models import Circle as CircleRow

        meeting_id = await uow.session.scalar(
            select(Meeting.id).join(CircleRow, CircleRow.id == Meeting.circle_id).where(CircleRow.name == circle_name)
        )
    assert meeting_id is not None
    return meeting_id


async def test_an_action_learning_meeting_recurs_every_six_weeks(circle: Circle, db: Database) -> None:
    event = Calendar.from_ical(await meeting_calendar(db, await only_meeting(db, "team"))).walk("VEVENT")[0]
    assert event.decoded("dtstart") == MEETING
    assert event.decoded("dtend") == MEETING + timedelta(minutes=240)
    assert str(event["summary"]) == "team: meeting 1"
    assert "Check-in and report-back" in str(event["description"])
    rule = event["rrule"]
    assert rule["FREQ"] == ["WEEKLY"]
    assert rule["INTERVAL"] == [6]
    assert rule["COUNT"] == [6]


async def test_a_peer_coaching_meeting_is_a_single_event(service: CircleService, db: Database) -> None:
    lead = cast(service, 1, workspace="T2")[0]
    await lead.says("/circle new coaching format=peer-coaching")
    await lead.says(f"/circle schedule {MEETING:%Y-%m-%d %H:%M} tz=UTC")
    event = Calendar.from_ical(await meeting_calendar(db, await only_meeting(db, "coaching"))).walk("VEVENT")[0]
    assert "rrule" not in event
    assert event.decoded("dtstart") == MEETING


async def test_unscheduled_and_unknown_meetings_have_no_event(service: CircleService, db: Database) -> None:
    lead = cast(service, 1, workspace="T3")[0]
    await lead.says("/circle new loose")
    await lead.says("/circle checkin here early")  # creates meeting 1 without a time
    with pytest.raises(NotFound):
        await meeting_calendar(db, await only_meeting(db, "loose"))
    with pytest.raises(NotFound):
        await meeting_calendar(db, 999_999)
