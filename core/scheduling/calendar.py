"""One .ics per circle: its whole series, for members' own calendars.

A series on its weekly slot is one event that recurs (RRULE, COUNT = the series' meetings) in the
slot's zone, so a DST change keeps the wall-clock time. A meeting moved off the slot is an override
of its occurrence (same UID, RECURRENCE-ID); a meeting that closed without ever having a date is
excluded (EXDATE). A circle with no slot (meetings scheduled one at a time) gets one event per dated
meeting. The UID is the circle's, and SEQUENCE (`Circle.calendar_sequence`) rises whenever a date
moves, so a calendar that imports the file again updates the events instead of adding copies.

The file travels only through `SendFiles`, to one member at a time: no address serves it, so
nobody outside the circle can fetch it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from icalendar import Calendar, Event, vRecur
from sqlalchemy import select

from core.db import UnitOfWork
from core.effects import SendFiles
from core.errors import NotFound
from core.formats import get_format
from core.messages import Attachment, message
from core.models import Circle, Meeting
from core.scheduling.hours import zone_named
from core.scheduling.slot import interval_weeks, occurrence
from core.scheduling.views import agenda

PRODUCT = "-//Peer Circles//Meetings//EN"
MEDIA_TYPE = "text/calendar"


ZONE_MARGIN = timedelta(days=366)


def circle_uid(circle: Circle) -> str:
    return f"circle-{circle.id}@peer-circles"


def circle_calendar(circle: Circle, meetings: Sequence[Meeting], stamp: datetime) -> bytes:
    """The circle's .ics from its meetings (all of them, in any order)."""
    fmt = get_format(circle.format_key)
    ordered = sorted(meetings, key=lambda m: m.number)
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    count = circle.meeting_count or 0
    base = occurrence(circle, 1)
    in_series = [m for m in ordered if m.number <= count] if base is not None else []
    if base is not None and in_series:
        zone = zone_named(circle.series_zone)
        minutes = in_series[0].duration_minutes
        master = _event(circle, circle_uid(circle), f"{circle.name}: peer circle meeting", stamp)
        master.add("dtstart", base.astimezone(zone))
        master.add("dtend", (base + timedelta(minutes=minutes)).astimezone(zone))
        master.add("rrule", vRecur({"FREQ": "WEEKLY", "INTERVAL": interval_weeks(circle), "COUNT": count}))
        master.add("description", f"{fmt.name}: {count} meetings. {agenda(circle, in_series[0], fmt)}")
        excluded = []
        overrides = []
        for meeting in in_series:
            expected = occurrence(circle, meeting.number)
            assert expected is not None
            if meeting.scheduled_start is None:
                excluded.append(expected.astimezone(zone))
            elif meeting.scheduled_start != expected or meeting.duration_minutes != minutes:
                override = _meeting_event(circle, circle_uid(circle), meeting, stamp, fmt.name)
                override.add("recurrence-id", expected.astimezone(zone))
                overrides.append(override)
        if excluded:
            master.add("exdate", excluded)
        calendar.add_component(master)
        for override in overrides:
            calendar.add_component(override)
    alone = [m for m in ordered if m not in in_series and m.scheduled_start is not None]
    for meeting in alone:
        uid = f"circle-{circle.id}-meeting-{meeting.number}@peer-circles"
        calendar.add_component(_meeting_event(circle, uid, meeting, stamp, fmt.name))
    if not calendar.walk("VEVENT"):
        raise NotFound(f"{circle.name} has no meetings scheduled yet.")
    _add_zones(calendar, circle, ordered)
    return bytes(calendar.to_ical())


def _add_zones(calendar: Calendar, circle: Circle, meetings: Sequence[Meeting]) -> None:
    """The zones' definitions over the series' own years, not icalendar's default 1970-2038: a tenth of
    the file and of the time, which every accepted invitation pays."""
    moments = [m.scheduled_start for m in meetings if m.scheduled_start is not None]
    moments += [moment for moment in (occurrence(circle, 1), occurrence(circle, circle.meeting_count or 1)) if moment]
    calendar.add_missing_timezones((min(moments) - ZONE_MARGIN).date(), (max(moments) + ZONE_MARGIN).date())


def _event(circle: Circle, uid: str, summary: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("sequence", circle.calendar_sequence)
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    return event


def _meeting_event(circle: Circle, uid: str, meeting: Meeting, stamp: datetime, format_name: str) -> Event:
    assert meeting.scheduled_start is not None
    event = _event(circle, uid, f"{circle.name}: meeting {meeting.number}", stamp)
    event.add("dtstart", meeting.scheduled_start)
    event.add("dtend", meeting.scheduled_start + timedelta(minutes=meeting.duration_minutes))
    event.add("description", f"{format_name}: meeting {meeting.number}.")
    return event


async def meetings_of(uow: UnitOfWork, circle: Circle) -> list[Meeting]:
    return list(
        await uow.session.scalars(select(Meeting).where(Meeting.circle_id == circle.id).order_by(Meeting.number))
    )


def calendar_file(circle: Circle, meetings: Sequence[Meeting], stamp: datetime) -> Attachment:
    return Attachment(
        f"{circle.name}.ics", circle_calendar(circle, meetings, stamp), MEDIA_TYPE, f"{circle.name}'s meetings"
    )


async def offer_calendar(uow: UnitOfWork, circle: Circle, person_ids: Iterable[int], why: str, stamp: datetime) -> None:
    """Sends the circle's .ics to each of these people (members: the caller checks) in their DM;
    nothing when the circle has no dated meeting yet."""
    meetings = await meetings_of(uow, circle)
    if not any(m.scheduled_start is not None for m in meetings):
        return
    attachment = calendar_file(circle, meetings, stamp)
    explained = message(
        f"{why} Open {attachment.filename} to add the meetings of {circle.name} to your calendar; "
        "if the dates change I'll send it again, and your calendar updates.",
        summary=f"{circle.name}: calendar",
    )
    for person_id in dict.fromkeys(person_ids):
        uow.emit(SendFiles(person_id, explained, (attachment,)))
