"""Every meeting as an .ics event people can add to their own calendar.

When the format meets at a fixed cadence in whole weeks (Action Learning: every 6 weeks), the
event recurs for the meetings still to come; otherwise it is a single event, re-sent when the
next meeting is scheduled.
"""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar, Event, vRecur
from sqlalchemy import func, select

from core.db import Database
from core.errors import NotFound
from core.formats import Format, get_format
from core.models import Circle, Meeting
from core.scheduling.views import agenda

PRODUCT = "-//Peer Circles//Meetings//EN"


def recurrence(fmt: Format, remaining: int) -> vRecur | None:
    shortest, longest = fmt.cadence_days
    if shortest != longest or shortest % 7 or remaining < 2:
        return None
    return vRecur({"FREQ": "WEEKLY", "INTERVAL": shortest // 7, "COUNT": remaining})


def meeting_event(circle: Circle, meeting: Meeting, meetings_held: int = 0) -> bytes:
    """The meeting's .ics; `meetings_held` (closed before it) sizes the recurrence."""
    if meeting.scheduled_start is None:
        raise NotFound(f"Meeting {meeting.number} of {circle.name} isn't scheduled yet.")
    fmt = get_format(circle.format_key)
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@peer-circles")
    event.add("summary", f"{circle.name}: meeting {meeting.number}")
    event.add("dtstart", meeting.scheduled_start)
    event.add("dtend", meeting.scheduled_start + timedelta(minutes=meeting.duration_minutes))
    event.add("dtstamp", meeting.created_at)
    event.add("description", f"{fmt.name}. {agenda(circle, meeting, fmt)}")
    rule = recurrence(fmt, fmt.meetings[1] - meetings_held)
    if rule is not None:
        event.add("rrule", rule)
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add_component(event)
    return bytes(calendar.to_ical())


async def meeting_calendar(db: Database, meeting_id: int) -> bytes:
    """For adapters and the playground: serve as text/calendar (`meeting-<id>.ics`) to members of
    the circle only; the caller checks who asks, as for any circle content."""
    async with db.unit_of_work() as uow:
        meeting = await uow.session.get(Meeting, meeting_id)
        circle = await uow.session.get(Circle, meeting.circle_id) if meeting is not None else None
        if meeting is None or circle is None:
            raise NotFound("There is no such meeting.")
        held = await uow.session.scalar(
            select(func.count(Meeting.id)).where(Meeting.circle_id == circle.id, Meeting.number < meeting.number)
        )
    return meeting_event(circle, meeting, int(held or 0))
