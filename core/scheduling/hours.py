"""A person's own day: their time zone, quiet hours and weekends, as pure functions.

Quiet hours may wrap midnight (21:00–08:00, the default) or not (12:00–13:00); equal ends mean
no quiet hours. Everything is computed on local wall-clock time through zoneinfo, so a DST change
moves the UTC instant, never the local hour a person is reached at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.models import Person, Workspace

SATURDAY = 5


@dataclass(frozen=True)
class Hours:
    zone: ZoneInfo
    quiet_from: time = time(21, 0)
    quiet_until: time = time(8, 0)
    weekends_quiet: bool = False

    def is_quiet(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        if self.weekends_quiet and local.weekday() >= SATURDAY:
            return True
        return _in_quiet_span(local.time().replace(tzinfo=None), self.quiet_from, self.quiet_until)

    def next_allowed_moment(self, moment: datetime) -> datetime:
        """`moment` itself when a DM may be sent then, else the first moment after the quiet time."""
        candidate = moment
        for _ in range(4):  # a quiet night, then at most a quiet Saturday and Sunday
            if not self.is_quiet(candidate):
                return candidate
            candidate = self._end_of_quiet(candidate)
        return candidate

    def held_until(self, moment: datetime) -> datetime | None:
        """When a DM sent at `moment` reaches them, if not at once."""
        return self.next_allowed_moment(moment) if self.is_quiet(moment) else None

    def _end_of_quiet(self, moment: datetime) -> datetime:
        local = moment.astimezone(self.zone)
        clock = local.time().replace(tzinfo=None)
        if _in_quiet_span(clock, self.quiet_from, self.quiet_until):
            day = local.date()
            if clock >= self.quiet_until:  # before midnight: the quiet time ends tomorrow
                day += timedelta(days=1)
            return _wall_clock(day, self.quiet_until, self.zone)
        return _wall_clock(local.date() + timedelta(days=7 - local.weekday()), self.quiet_until, self.zone)


def _in_quiet_span(clock: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def _wall_clock(day: date, at: time, zone: ZoneInfo) -> datetime:
    """That local time on that day, in UTC. A repeated hour (autumn) gives its first occurrence; a
    skipped one (spring) lands an hour later, safely past the quiet time."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def zone_named(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def hours_of(person: Person, workspace: Workspace) -> Hours:
    """The person's hours; with no known time zone, the workspace's (they are asked once for theirs)."""
    return Hours(
        zone_named(person.timezone, workspace.default_timezone),
        person.quiet_from,
        person.quiet_until,
        person.weekends_quiet,
    )
