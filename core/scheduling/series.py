"""A circle's whole series of meetings at one weekly slot inside everyone's working hours.

A programme meets every few weeks, a fixed number of times; people plan around a recurring slot
("Tuesdays 10:00"), not around dates sent one at a time. The slot is a weekday and a wall-clock
time in one zone (the zone most members share), repeated every `interval_weeks`; each meeting is
checked against each person's own working day (09:00–17:00, Monday to Friday, in their zone, else
the workspace's) on its own date, so a DST change that pushes one meeting out of someone's hours
rules the slot out. When no slot fits everyone, the one that fits the most people wins, and the
answer says who is outside their hours and by how much.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core import forms, views
from core.context import RequestContext
from core.effects import PostToCircle, PublishMeeting
from core.errors import CircleError
from core.formats import get_format
from core.meeting import facilitator_for
from core.messages import Actions, message, without_moments
from core.models import Circle, Meeting, Person, Workspace
from core.scheduling.calendar import offer_calendar
from core.scheduling.hours import zone_named
from core.scheduling.slot import interval_weeks, on_slot
from core.vocabulary import MeetingState, Mode

WORK_FROM = time(9, 0)
WORK_UNTIL = time(17, 0)
SATURDAY = 5
LEAD_TIME = timedelta(days=3)  # the first meeting is at least this far ahead: time to accept and plan
STEP_MINUTES = 30  # slots start on the hour or the half hour
WEEKEND_COST = 24 * 60  # a meeting on someone's weekend counts as worse than any hour outside the day
DAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


@dataclass(frozen=True)
class Fit:
    """How one person's working day meets the series, on its worst date."""

    person: Person
    outside_minutes: int
    weekend: bool
    zone_known: bool

    @property
    def inside(self) -> bool:
        return self.outside_minutes == 0 and not self.weekend

    @property
    def cost(self) -> int:
        return self.outside_minutes + (WEEKEND_COST if self.weekend else 0)


@dataclass(frozen=True)
class Slot:
    zone: ZoneInfo
    starts: tuple[datetime, ...]  # UTC, one per meeting to schedule
    minutes: int
    weeks: int
    fits: tuple[Fit, ...]

    @property
    def key(self) -> tuple[int, int, datetime]:
        """Most people inside their hours, then the least time outside, then the earliest start."""
        return (sum(not f.inside for f in self.fits), sum(f.cost for f in self.fits), self.starts[0])

    def line(self, workspace: Workspace) -> str:
        local = self.starts[0].astimezone(self.zone)
        end = local + timedelta(minutes=self.minutes)
        every = "every week" if self.weeks == 1 else f"every {self.weeks} weeks"
        slot = (
            f"{DAY_NAMES[local.weekday()]} {local:%H:%M}–{end:%H:%M} {self.zone.key}, {every} "
            f"from {local:%Y-%m-%d} ({len(self.starts)} meetings)"
        )
        hours = f"{WORK_FROM:%H:%M}–{WORK_UNTIL:%H:%M} on weekdays"
        outside = [f for f in self.fits if not f.inside]
        if not outside:
            why = f"inside {hours} for all {len(self.fits)}"
        else:
            shown = ", ".join(f"{f.person.display_name} ({_how_far(f)})" for f in outside)
            why = (
                f"no slot fits everyone; this one is inside {hours} for {len(self.fits) - len(outside)} "
                f"of {len(self.fits)}, outside for {shown}"
            )
        guessed = [f.person.display_name for f in self.fits if not f.zone_known]
        if guessed:
            why += f" ({', '.join(guessed)}: no known time zone, counted in {workspace.default_timezone})"
        return f"{slot}: {why}."


def _how_far(fit: Fit) -> str:
    if fit.weekend:
        return "on their weekend"
    hours, minutes = divmod(fit.outside_minutes, 60)
    return "by " + " ".join(
        part for part in (f"{hours} h" if hours else "", f"{minutes} min" if minutes else "") if part
    )


def person_zone(person: Person, workspace: Workspace) -> tuple[ZoneInfo, bool]:
    """The person's zone, and whether it is theirs (an unknown or odd name falls back to the workspace's)."""
    zone = zone_named(person.timezone, workspace.default_timezone)
    return zone, bool(person.timezone) and zone.key == person.timezone


def anchor_zone(zones: Sequence[ZoneInfo], workspace: Workspace) -> ZoneInfo:
    """The zone whose wall clock the slot keeps: the one most people share (ties: the workspace's, then by name)."""
    counts = Counter(z.key for z in zones)
    top = max(counts.values())
    tied = sorted(key for key, n in counts.items() if n == top)
    return zone_named(workspace.default_timezone if workspace.default_timezone in tied else tied[0])


def _outside(start: datetime, minutes: int, zone: ZoneInfo) -> tuple[int, bool]:
    """Minutes of the meeting outside the working day in `zone`, and whether it falls on a weekend."""
    local = start.astimezone(zone)
    day_from = datetime.combine(local.date(), WORK_FROM, tzinfo=zone)
    day_until = datetime.combine(local.date(), WORK_UNTIL, tzinfo=zone)
    end = start + timedelta(minutes=minutes)
    early = max(timedelta(0), day_from - start)
    late = max(timedelta(0), end - day_until)
    return int((early + late).total_seconds() // 60), local.weekday() >= SATURDAY


def choose_slot(
    people: Sequence[Person], workspace: Workspace, earliest: datetime, count: int, weeks: int, minutes: int
) -> Slot:
    """The best weekly slot for `count` meetings from `earliest` on (pure, deterministic: the same
    people and the same moment give the same slot). Every half hour of every weekday is tried."""
    zoned = [(p, *person_zone(p, workspace)) for p in people]
    anchor = anchor_zone([z for _, z, _ in zoned], workspace)
    crowd = Counter(z.key for _, z, _ in zoned)
    zones = sorted(crowd, key=lambda key: (-crowd[key], key))  # the most people first: a miss there prunes soonest
    first_day = earliest.astimezone(anchor).date()
    best: Slot | None = None
    for offset in range(7):
        for step in range(0, 24 * 60, STEP_MINUTES):
            at = time(step // 60, step % 60)
            first = datetime.combine(first_day + timedelta(days=offset), at, tzinfo=anchor).astimezone(UTC)
            if first < earliest:
                first = on_slot(anchor, first, 1)
            starts = tuple(on_slot(anchor, first, n * weeks) for n in range(count))
            missed = _zones_missed(starts, minutes, zones, crowd, best.key[0] if best is not None else None)
            if missed is None:
                continue  # more people outside than the best slot so far: not worth measuring by how much
            worst = {key: _worst(starts, minutes, ZoneInfo(key)) if key in missed else (0, False) for key in zones}
            fits = tuple(Fit(p, *worst[z.key], known) for p, z, known in zoned)
            slot = Slot(anchor, starts, minutes, weeks, fits)
            if best is None or slot.key < best.key:
                best = slot
    assert best is not None
    return best


def _zones_missed(
    starts: Sequence[datetime], minutes: int, zones: Sequence[str], crowd: Counter[str], limit: int | None
) -> set[str] | None:
    """The zones where some meeting falls outside working hours (each found at its first miss);
    None as soon as they hold more than `limit` people."""
    missed: set[str] = set()
    people = 0
    for key in zones:
        zone = ZoneInfo(key)
        if any(_outside(start, minutes, zone) != (0, False) for start in starts):
            missed.add(key)
            people += crowd[key]
            if limit is not None and people > limit:
                return None
    return missed


def _worst(starts: Sequence[datetime], minutes: int, zone: ZoneInfo) -> tuple[int, bool]:
    outside, weekend = 0, False
    for start in starts:
        late, on_weekend = _outside(start, minutes, zone)
        outside, weekend = max(outside, late), weekend or on_weekend
    return outside, weekend


async def schedule_series(ctx: RequestContext, circle: Circle, people: Sequence[Person]) -> str:
    """Creates the circle's meetings 1..meeting_count that are missing (or have no date yet) at the
    best weekly slot for `people`, tells the circle (each reader sees the dates in their own zone),
    publishes calendar events for a live circle and sends members the circle's .ics. Returns the
    line that says which slot and why. Calling it again once every meeting has a date changes nothing."""
    fmt = get_format(circle.format_key)
    if circle.meeting_count is None:  # a circle from before series: it takes its format's
        circle.meeting_count, circle.cadence_days = fmt.meetings[1], fmt.cadence_days[0]
    count = circle.meeting_count
    meetings = {
        m.number: m
        for m in await ctx.uow.session.scalars(
            select(Meeting).where(Meeting.circle_id == circle.id).order_by(Meeting.number)
        )
    }
    fixed = [m for m in meetings.values() if m.scheduled_start is not None or m.state != MeetingState.SCHEDULED]
    first = 1 + max((m.number for m in fixed), default=0)
    if first > count:
        return f"{circle.name} already has all {count} meetings of its series scheduled."
    if not people:
        raise CircleError(f"{circle.name} has nobody to find a time for yet: invite its members first.")
    weeks = interval_weeks(circle)
    earliest = ctx.now + LEAD_TIME
    before = max(fixed, key=lambda m: m.number, default=None)
    if before is not None:
        since = before.scheduled_start or before.opened_at or before.closed_at or ctx.now
        # a cadence after the meeting before, give or take the days it takes to reach the slot's weekday
        earliest = max(earliest, since + timedelta(weeks=weeks) - LEAD_TIME)
    minutes = next((m.duration_minutes for m in meetings.values() if m.number >= first), fmt.meeting_minutes)
    slot = choose_slot(people, ctx.workspace, earliest, count - first + 1, weeks, minutes)
    circle.series_zone = slot.zone.key
    circle.series_start = on_slot(slot.zone, slot.starts[0], -(first - 1) * weeks)
    if fixed:
        circle.calendar_sequence += 1  # a calendar already sent changes
    scheduled = []
    for number, start in zip(range(first, count + 1), slot.starts, strict=True):
        meeting = meetings.get(number)
        if meeting is None:
            meeting = Meeting(circle_id=circle.id, number=number, duration_minutes=minutes, created_at=ctx.now)
            ctx.uow.session.add(meeting)
        meeting.scheduled_start = start
        meeting.facilitator_id = facilitator_for(circle, fmt, number)
        scheduled.append(meeting)
    await ctx.uow.flush()
    if circle.mode == Mode.LIVE:
        for meeting in scheduled:
            ctx.uow.emit(PublishMeeting(meeting.id))
    line = slot.line(ctx.workspace)
    dates = "\n".join(f"Meeting {m.number}: {views.at(m.scheduled_start)}" for m in scheduled)
    ctx.uow.emit(
        PostToCircle(circle.id, message(f"The series is scheduled: {line}\n{dates}", summary=f"{circle.name}'s series"))
    )
    await offer_calendar(
        ctx.uow,
        circle,
        [m.person_id for m in circle.active_memberships()],
        "The circle's meetings, for your calendar.",
        ctx.now,
    )
    return line


# Moving meetings -------------------------------------------------------------------------------


async def meeting_numbered(ctx: RequestContext, circle: Circle, number: int) -> Meeting:
    meeting = await ctx.uow.session.scalar(
        select(Meeting).where(Meeting.circle_id == circle.id, Meeting.number == number)
    )
    if meeting is None:
        has = f"its series has {circle.meeting_count}" if circle.meeting_count else "it hasn't got that far"
        raise CircleError(f"{circle.name} has no meeting {number} ({has}).")
    return meeting


def _ends(meeting: Meeting) -> datetime | None:
    """When a meeting is over: as it happened once it closed (early or late), else as planned."""
    if meeting.closed_at is not None:
        return meeting.closed_at
    start = meeting.scheduled_start or meeting.opened_at
    return start + timedelta(minutes=meeting.duration_minutes) if start is not None else None


async def move(
    ctx: RequestContext, circle: Circle, meeting: Meeting, start: datetime, rest: bool, minutes: int | None, zone: str
) -> str:
    """Sets or moves one meeting, or (with `rest`) it and every later one, which keep the series'
    weekly rhythm from the new time. Members are told, calendar events move and members get the
    updated .ics. Moving a meeting to where it already is changes nothing."""
    number = meeting.number
    if meeting.state == MeetingState.CLOSED:
        raise CircleError(f"Meeting {number} has already taken place; it can't move.")
    if meeting.state != MeetingState.SCHEDULED:
        raise CircleError(f"Meeting {number} is already under way; close it before scheduling the next.")
    if start <= ctx.now:
        raise CircleError("That time is in the past. Please pick a time still to come.")
    meetings = {
        m.number: m
        for m in await ctx.uow.session.scalars(
            select(Meeting).where(Meeting.circle_id == circle.id).order_by(Meeting.number)
        )
    }
    length = minutes or meeting.duration_minutes
    earlier = meetings.get(number - 1)
    ends = _ends(earlier) if earlier is not None else None
    if ends is not None and start < ends:
        raise CircleError(f"Meeting {number} can't start before meeting {number - 1} ends ({views.when(ends, zone)}).")
    later = meetings.get(number + 1)
    follows = later.scheduled_start if later is not None and not rest else None
    if follows is not None and start + timedelta(minutes=length) > follows:
        raise CircleError(
            f"Meeting {number} can't end after meeting {number + 1} starts "
            f"({views.when(follows, zone)}). Add rest=yes to move the rest of the series too."
        )
    slot_zone = zone_named(circle.series_zone or zone)
    weeks = interval_weeks(circle)
    moving = [m for n, m in sorted(meetings.items()) if n == number or (rest and n > number)]
    wanted = {m.number: on_slot(slot_zone, start, (m.number - number) * weeks) for m in moving}
    if all(m.scheduled_start == wanted[m.number] for m in moving) and (
        minutes is None or minutes == meeting.duration_minutes
    ):
        return f"Meeting {number} of {circle.name} is already at {views.when(start, zone)}; nothing changed."
    before = meeting.scheduled_start
    for m in moving:
        m.scheduled_start = wanted[m.number]
        if minutes is not None:
            m.duration_minutes = minutes
    if rest:
        circle.series_zone = slot_zone.key
        circle.series_start = on_slot(slot_zone, start, -(number - 1) * weeks)
    circle.calendar_sequence += 1
    if circle.mode == Mode.LIVE:
        for m in moving:
            ctx.uow.emit(PublishMeeting(m.id))
    verb = "is scheduled for" if before is None else "moves to"
    lines = [f"Meeting {number} {verb} {views.at(start)}."]
    if len(moving) > 1:
        lines.append(f"The rest of the series moves with it, every {weeks} week(s):")
        lines.extend(f"Meeting {m.number}: {views.at(m.scheduled_start)}" for m in moving[1:])
    ctx.uow.emit(
        PostToCircle(
            circle.id,
            message(*lines, Actions((forms.bid_button(meeting.id),)), summary=without_moments(lines[0])),
        )
    )
    await offer_calendar(
        ctx.uow, circle, [m.person_id for m in circle.active_memberships()], "The circle's dates changed.", ctx.now
    )
    also = f", and meetings {number + 1}–{moving[-1].number} follow" if len(moving) > 1 else ""
    return f"Meeting {number} of {circle.name} is scheduled for {views.when(start, zone)}{also}."
