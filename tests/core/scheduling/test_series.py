"""A circle's whole series at one weekly slot: the slot chosen across zones (DST included, an
impossible mix answered with who is outside and by how much), `/circle series`, moving one meeting
or the rest, the .ics parsed back, and the planner following the series' dates."""

from __future__ import annotations

import itertools
import time as timer
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from core.clock import ManualClock
from core.db import Database
from core.models import Circle, DueItem, DueKind, DueState, Meeting, Person, Workspace
from core.scheduling.series import WEEKEND_COST, choose_slot
from core.service import CircleService
from tests.fakes.members import Member, cast, welcome
from tests.fakes.recording_port import RecordingPort

WORKSPACE = Workspace(default_timezone="UTC")
TOKYO = ZoneInfo("Asia/Tokyo")


def person(name: str, zone: str | None) -> Person:
    return Person(display_name=name, timezone=zone)


def inside_hours(start: datetime, minutes: int, zone: str) -> bool:
    """The test's own check: a weekday, 09:00–17:00 local, the whole meeting."""
    local, end = start.astimezone(ZoneInfo(zone)), (start + timedelta(minutes=minutes)).astimezone(ZoneInfo(zone))
    return local.weekday() < 5 and local.hour >= 9 and local.date() == end.date() and (end.hour, end.minute) <= (17, 0)


# Choosing the slot -------------------------------------------------------------------------------


def test_a_slot_inside_everyones_hours_across_three_zones_on_every_date() -> None:
    zones = ["Europe/Berlin", "Europe/Berlin", "America/New_York", "Europe/London"]
    people = [person(f"p{i}", z) for i, z in enumerate(zones)]
    earliest = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
    slot = choose_slot(people, WORKSPACE, earliest, 6, 6, 120)
    assert slot.starts[0] >= earliest
    assert all(fit.inside for fit in slot.fits)
    for start in slot.starts:  # January to October: both DST changes, on their different dates
        assert all(inside_hours(start, 120, z) for z in zones), start
    assert slot.zone.key == "Europe/Berlin"  # the zone most of them share keeps the wall-clock time
    assert {s.astimezone(slot.zone).time() for s in slot.starts} == {slot.starts[0].astimezone(slot.zone).time()}
    days = [s.astimezone(slot.zone).date() for s in slot.starts]
    assert [(b - a).days for a, b in itertools.pairwise(days)] == [42] * 5
    assert slot.line(WORKSPACE).endswith("inside 09:00–17:00 on weekdays for all 4.")


def test_a_dst_change_inside_the_series_rules_out_a_slot_that_fits_only_before_it() -> None:
    """Sydney starts summer time on 3 October 2027: Tokyo 14:30 is 15:30–16:30 in Sydney before it,
    16:30–17:30 after. Two meetings before October keep the first slot; six meetings cannot."""
    people = [person("Aki", "Asia/Tokyo"), person("Bo", "Asia/Tokyo"), person("Cal", "Australia/Sydney")]
    earliest = datetime(2027, 5, 3, 14, 30, tzinfo=TOKYO).astimezone(UTC)
    short = choose_slot(people, WORKSPACE, earliest, 2, 6, 60)
    assert short.starts[0].astimezone(TOKYO) == datetime(2027, 5, 3, 14, 30, tzinfo=TOKYO)
    long = choose_slot(people, WORKSPACE, earliest, 6, 6, 60)
    assert long.starts[-1] > datetime(2027, 10, 3, tzinfo=UTC)
    assert long.starts[0] != short.starts[0]
    for start in long.starts:
        assert all(inside_hours(start, 60, z) for z in ("Asia/Tokyo", "Australia/Sydney")), start
    assert long.line(WORKSPACE).startswith("Tuesdays 09:00–10:00 Asia/Tokyo, every 6 weeks from 2027-05-04")


def test_an_impossible_mix_fits_the_most_people_and_says_who_is_outside_by_how_much() -> None:
    people = [person("Lee", "Europe/London"), person("Mo", "Europe/London"), person("Syd", "Australia/Sydney")]
    slot = choose_slot(people, WORKSPACE, datetime(2027, 1, 4, tzinfo=UTC), 6, 6, 120)
    assert [f.person.display_name for f in slot.fits if not f.inside] == ["Syd"]
    syd = next(f for f in slot.fits if f.person.display_name == "Syd")
    assert 0 < syd.outside_minutes < WEEKEND_COST
    assert not syd.weekend
    line = slot.line(WORKSPACE)
    assert "no slot fits everyone" in line
    assert "for 2 of 3" in line
    assert f"Syd (by {syd.outside_minutes // 60} h" in line


def test_people_without_a_zone_or_with_an_odd_one_count_in_the_workspaces_and_are_named() -> None:
    people = [person("Nia", None), person("Oz", "Mars/Olympus_Mons"), person("Pia", "Europe/Paris")]
    berlin = Workspace(default_timezone="Europe/Berlin")
    slot = choose_slot(people, berlin, datetime(2027, 1, 4, tzinfo=UTC), 4, 4, 90)
    assert all(f.inside for f in slot.fits)
    assert [f.person.display_name for f in slot.fits if not f.zone_known] == ["Nia", "Oz"]
    assert "(Nia, Oz: no known time zone, counted in Europe/Berlin)" in slot.line(berlin)


def test_the_same_people_in_any_order_get_the_same_slot_fast() -> None:
    zones = [
        "Europe/Berlin",
        "America/New_York",
        "Europe/London",
        "Asia/Kolkata",
        "Africa/Lagos",
        "Europe/Helsinki",
        "America/Sao_Paulo",
    ]
    people = [person(f"p{i}", z) for i, z in enumerate(zones)]
    earliest = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    began = timer.perf_counter()
    first = choose_slot(people, WORKSPACE, earliest, 6, 6, 240)
    took = timer.perf_counter() - began
    again = choose_slot(list(reversed(people)), WORKSPACE, earliest, 6, 6, 240)
    assert (first.zone, first.starts) == (again.zone, again.starts)
    assert took < 2.0, took  # about 0.2 s for 7 people in 7 zones, 6 meetings


# The series in chat ------------------------------------------------------------------------------


async def team(service: CircleService, zones: list[str], workspace: str = "T1") -> list[Member]:
    people = cast(service, len(zones), workspace=workspace)
    await people[0].says("/circle new team")
    await welcome(people[0], people[1:])
    for member, zone in zip(people, zones, strict=True):
        await member.says(f"/circle timezone {zone}")
    return people


async def circle_and_meetings(db: Database, name: str = "team") -> tuple[Circle, list[Meeting]]:
    async with db.unit_of_work() as uow:
        circle = await uow.session.scalar(select(Circle).where(Circle.name == name))
        assert circle is not None
        meetings = list(
            await uow.session.scalars(select(Meeting).where(Meeting.circle_id == circle.id).order_by(Meeting.number))
        )
    return circle, meetings


def calendar_sent(port: RecordingPort, user: str) -> Calendar:
    files = [s for s in port.of_kind("files") if s.target == user]
    assert files, f"no calendar for {user}"
    [attachment] = files[-1].files
    assert attachment.filename == "team.ics"
    assert attachment.media_type == "text/calendar"
    return Calendar.from_ical(attachment.content)


async def test_the_lead_schedules_the_whole_series_and_everyone_gets_dates_events_and_the_ics(
    service: CircleService, db: Database, port: RecordingPort, clock: ManualClock
) -> None:
    people = await team(service, ["Europe/Berlin", "Europe/Berlin", "Europe/Lisbon", "Europe/London"])
    port.clear()
    answer = await people[0].says("/circle series")
    assert "every 6 weeks" in answer
    assert "inside 09:00–17:00 on weekdays for all 4" in answer
    circle, meetings = await circle_and_meetings(db)
    assert [m.number for m in meetings] == [1, 2, 3, 4, 5, 6]
    assert meetings[0].scheduled_start is not None
    assert meetings[0].scheduled_start >= clock.now() + timedelta(days=3)
    for meeting in meetings:
        assert meeting.scheduled_start is not None
        assert meeting.state.value == "scheduled"
        for zone in ("Europe/Berlin", "Europe/Lisbon", "Europe/London"):
            assert inside_hours(meeting.scheduled_start, meeting.duration_minutes, zone)
    [post] = [s for s in port.of_kind("post") if "series is scheduled" in s.text]
    assert all(f"Meeting {n}:" in post.text for n in range(1, 7))
    assert "\u27e6t:" in post.message.blocks[0].text  # type: ignore[union-attr]  # each reader's own zone
    assert len(port.of_kind("event")) == 6  # a live circle: one calendar event per meeting
    assert sorted(s.target for s in port.of_kind("files")) == sorted(p.user for p in people)
    event = calendar_sent(port, people[2].user).walk("VEVENT")
    [master] = event
    assert str(master["uid"]) == f"circle-{circle.id}@peer-circles"
    assert master["rrule"]["FREQ"] == ["WEEKLY"]
    assert master["rrule"]["INTERVAL"] == [6]
    assert master["rrule"]["COUNT"] == [6]
    assert master.decoded("dtstart") == meetings[0].scheduled_start
    assert master.decoded("dtstart").tzinfo.key == "Europe/Berlin"  # type: ignore[union-attr]
    assert int(master["sequence"]) == 0
    [zone] = calendar_sent(port, people[2].user).walk("VTIMEZONE")  # the zone's rules, over the series' years
    assert str(zone["tzid"]) == "Europe/Berlin"
    changes = sorted(rule.decoded("dtstart").year for rule in zone.walk() if rule.name in ("STANDARD", "DAYLIGHT"))
    first_year = meetings[0].scheduled_start.year  # type: ignore[union-attr]
    assert first_year - 2 <= changes[0] <= first_year  # from about the series' start, not from 1970

    port.clear()  # the same request again changes nothing
    assert "already has all 6 meetings" in await people[0].says("/circle series")
    assert port.transcript == []
    assert "Only the circle's facilitator or lead" in await people[1].says("/circle series")


async def test_series_for_a_legacy_circle_takes_its_formats_and_refuses_a_circle_nobody_is_in(
    service: CircleService, db: Database
) -> None:
    [lead] = await team(service, ["Europe/Berlin"])
    async with db.unit_of_work() as uow:
        circle = await uow.session.scalar(select(Circle).where(Circle.name == "team"))
        assert circle is not None
        circle.meeting_count, circle.cadence_days = None, None
        await uow.commit()
    assert "(6 meetings)" in await lead.says("/circle series")
    circle, meetings = await circle_and_meetings(db)
    assert (circle.meeting_count, circle.cadence_days, len(meetings)) == (6, 42, 6)


async def test_moving_one_meeting_overrides_its_occurrence_and_raises_the_sequence(
    service: CircleService, db: Database, port: RecordingPort
) -> None:
    people = await team(service, ["UTC", "UTC", "UTC"])
    await people[0].says("/circle series")
    _, before = await circle_and_meetings(db)
    third = before[2].scheduled_start
    assert third is not None
    moved = third + timedelta(days=1)
    port.clear()
    answer = await people[0].says(f"/circle schedule {moved:%Y-%m-%d %H:%M} meeting=3 tz=UTC")
    assert "Meeting 3 of team is scheduled for" in answer
    circle, after = await circle_and_meetings(db)
    assert after[2].scheduled_start == moved
    assert [m.scheduled_start for m in after if m.number != 3] == [m.scheduled_start for m in before if m.number != 3]
    assert circle.calendar_sequence == 1
    assert any("Meeting 3 moves to" in t for t in port.texts("post"))
    assert len(port.of_kind("event")) == 1
    master, override = calendar_sent(port, people[1].user).walk("VEVENT")
    assert str(master["uid"]) == str(override["uid"])
    assert master["rrule"]["COUNT"] == [6]
    assert override.decoded("recurrence-id") == third
    assert override.decoded("dtstart") == moved
    assert int(master["sequence"]) == int(override["sequence"]) == 1

    port.clear()  # the same move again: nothing changes, nothing is sent, the sequence stays
    assert "nothing changed" in await people[0].says(f"/circle schedule {moved:%Y-%m-%d %H:%M} meeting=3 tz=UTC")
    assert port.transcript == []
    assert (await circle_and_meetings(db))[0].calendar_sequence == 1


async def test_moving_the_rest_keeps_the_rhythm_from_the_new_time(
    service: CircleService, db: Database, port: RecordingPort
) -> None:
    people = await team(service, ["UTC", "UTC"])
    await people[0].says("/circle series")
    _, before = await circle_and_meetings(db)
    assert before[1].scheduled_start is not None
    new = before[1].scheduled_start + timedelta(days=1, hours=1)
    port.clear()
    answer = await people[0].says(f"/circle schedule {new:%Y-%m-%d %H:%M} meeting=2 rest=yes tz=UTC")
    assert "meetings 3–6 follow" in answer
    circle, after = await circle_and_meetings(db)
    assert after[0].scheduled_start == before[0].scheduled_start
    assert [m.scheduled_start for m in after[1:]] == [new + timedelta(weeks=6 * k) for k in range(5)]
    assert len(port.of_kind("event")) == 5
    master, override = calendar_sent(port, people[1].user).walk("VEVENT")
    assert master.decoded("dtstart") == new - timedelta(weeks=6)  # the slot now recurs from the new time
    assert override.decoded("dtstart") == before[0].scheduled_start  # meeting 1 kept its own date
    assert circle.calendar_sequence == 1


async def test_moves_that_cannot_be_are_refused_and_change_nothing(
    service: CircleService, db: Database, port: RecordingPort
) -> None:
    people = await team(service, ["UTC", "UTC", "UTC"])
    await people[0].says("/circle series")
    _, meetings = await circle_and_meetings(db)
    starts = [m.scheduled_start for m in meetings]
    assert all(starts)
    fourth = starts[3]
    assert fourth is not None
    port.clear()
    lead, member = people[0], people[1]
    after_fourth = fourth + timedelta(days=1)
    assert "can't end after meeting 4 starts" in await lead.says(
        f"/circle schedule {after_fourth:%Y-%m-%d %H:%M} meeting=3 tz=UTC"
    )
    assert "can't start before meeting 3 ends" in await lead.says(
        f"/circle schedule {starts[1]:%Y-%m-%d %H:%M} meeting=4 tz=UTC"
    )
    assert "in the past" in await lead.says("/circle schedule 2026-11-30 10:00 meeting=2 tz=UTC")
    assert "has no meeting 9 (its series has 6)" in await lead.says("/circle schedule 2027-06-01 10:00 meeting=9")
    assert "whole number from 1 to 100" in await lead.says("/circle schedule 2027-06-01 10:00 meeting=0")
    assert "Only the circle's facilitator or lead" in await member.says(
        "/circle schedule 2027-06-01 10:00 meeting=2 tz=UTC"
    )
    refused = await lead.says("/circle schedule 2027-06-01 10:00 rest=maybe")
    assert "later meeting with it: please choose yes or no" in refused
    outsider = cast(service, 1, workspace="T9")[0]
    assert "not in any circle" in await outsider.says("/circle schedule 2027-06-01 10:00 meeting=2")
    await lead.says("/circle start")  # meeting 1 is under way now: it can't move
    assert "already under way" in await lead.says("/circle schedule 2027-06-01 10:00 meeting=1 tz=UTC")
    await lead.says("/circle close")
    assert "already taken place" in await lead.says("/circle schedule 2027-06-01 10:00 meeting=1 tz=UTC")
    circle, unchanged = await circle_and_meetings(db)
    assert [m.scheduled_start for m in unchanged] == starts
    assert circle.calendar_sequence == 0
    assert port.of_kind("files") == []
    assert port.of_kind("event") == []


async def test_todays_facilitator_may_move_their_own_meeting(
    service: CircleService, db: Database, port: RecordingPort
) -> None:
    lead, member = cast(service, 2)
    await lead.says("/circle new rota format=peer-coaching")  # rotating: members facilitate in turn
    await welcome(lead, [member])
    await lead.says("/circle series")
    _, meetings = await circle_and_meetings(db, "rota")
    theirs = next(m for m in meetings if m.facilitator_id is not None and m.number > 1)
    async with db.unit_of_work() as uow:
        facilitator = await uow.session.get(Person, theirs.facilitator_id)
    assert facilitator is not None
    mover = lead if facilitator.external_id == lead.user else member
    assert theirs.scheduled_start is not None
    new = theirs.scheduled_start + timedelta(hours=1)
    assert "is scheduled for" in await mover.says(f"/circle schedule {new:%Y-%m-%d %H:%M} meeting={theirs.number}")


async def test_someone_who_accepts_later_gets_the_calendar(
    service: CircleService, db: Database, port: RecordingPort
) -> None:
    people = await team(service, ["UTC", "UTC"])
    await people[0].says("/circle series")
    late = cast(service, 3)[2]
    port.clear()
    await welcome(people[0], [late], "history=yes")
    [sent] = port.of_kind("files")
    assert sent.target == late.user
    assert calendar_sent(port, late.user).walk("VEVENT")[0]["rrule"]["COUNT"] == [6]


# The planner follows the series -------------------------------------------------------------------


async def test_reminders_follow_the_series_and_a_closed_circle_gets_none(
    service: CircleService, db: Database, clock: ManualClock
) -> None:
    from core.scheduling.planner import Planner

    people = await team(service, ["UTC", "UTC"])
    await people[0].says("/circle series")
    _, meetings = await circle_and_meetings(db)
    first = meetings[0].scheduled_start
    assert first is not None
    planner = Planner(db, clock)
    await planner.plan()
    async with db.unit_of_work() as uow:
        reminders = list(
            await uow.session.scalars(
                select(DueItem).where(DueItem.kind == DueKind.MEETING_REMINDER, DueItem.state == DueState.PENDING)
            )
        )
    assert reminders
    assert {r.meeting_id for r in reminders} == {meetings[0].id}
    assert {r.due_at for r in reminders} == {first - timedelta(hours=24), first - timedelta(hours=1)}
    await people[0].says("/circle end")
    await planner.plan([meetings[0].circle_id])
    async with db.unit_of_work() as uow:
        pending = list(
            await uow.session.scalars(
                select(DueItem).where(DueItem.state == DueState.PENDING, DueItem.kind != DueKind.EFFECT)
            )
        )
    assert [p for p in pending if p.circle_id == meetings[0].circle_id] == []


async def test_after_the_last_meeting_no_check_in_is_planned_before_a_meeting_that_never_comes(
    service: CircleService, db: Database, clock: ManualClock
) -> None:
    from core.scheduling.planner import Planner

    people = await team(service, ["UTC", "UTC"])
    await people[0].says("/circle series")
    await people[0].says("/circle start")
    await people[1].says("/circle commit call the supplier")
    await people[0].says("/circle close")
    circle, _ = await circle_and_meetings(db)
    async with db.unit_of_work() as uow:  # as if meetings 2..6 had all been held
        for meeting in await uow.session.scalars(select(Meeting).where(Meeting.circle_id == circle.id)):
            if meeting.number > 1:
                await uow.session.delete(meeting)
        stored = await uow.session.get(Circle, circle.id)
        assert stored is not None
        stored.meeting_count = 1
        await uow.commit()
    await Planner(db, clock).plan([circle.id])
    async with db.unit_of_work() as uow:
        kinds = set(
            await uow.session.scalars(
                select(DueItem.kind).where(DueItem.circle_id == circle.id, DueItem.state == DueState.PENDING)
            )
        )
    assert DueKind.COMMITMENT_CHECK_IN not in kinds
    assert DueKind.CHECK_IN_NUDGE not in kinds
    assert DueKind.FEEDBACK_REQUEST in kinds


async def test_called_as_the_form_confirmation_does_it_needs_people_and_creates_only_what_is_missing(
    service: CircleService, db: Database, clock: ManualClock, port: RecordingPort
) -> None:
    """`schedule_series(ctx, circle, people)` as `/circle form`'s confirm calls it: with nobody to
    find a time for it refuses; after a meeting scheduled by hand it adds meetings 2..6 after it."""
    from core.context import RequestContext, Where
    from core.errors import CircleError
    from core.scheduling.series import schedule_series

    [lead] = await team(service, ["UTC"])
    by_hand = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    await lead.says(f"/circle schedule {by_hand:%Y-%m-%d %H:%M} tz=UTC")
    async with db.unit_of_work() as uow:
        ctx = await RequestContext.load(uow, lead.actor, clock.now(), Where())
        [circle] = await ctx.my_circles()
        with pytest.raises(CircleError, match="nobody to find a time for"):
            await schedule_series(ctx, circle, [])
    async with db.unit_of_work() as uow:
        ctx = await RequestContext.load(uow, lead.actor, clock.now(), Where())
        [circle] = await ctx.my_circles()
        line = await schedule_series(ctx, circle, [ctx.person])
        await uow.commit()
    assert "(5 meetings)" in line
    circle, meetings = await circle_and_meetings(db)
    assert [m.number for m in meetings] == [1, 2, 3, 4, 5, 6]
    assert meetings[0].scheduled_start == by_hand
    second = meetings[1].scheduled_start
    assert second is not None
    assert second >= by_hand + timedelta(weeks=6) - timedelta(days=3)
    assert [m.scheduled_start for m in meetings[1:]] == [second + timedelta(weeks=6 * k) for k in range(5)]
