"""A circle's weekly slot: where each meeting of its series falls.

The slot is a wall-clock time in one zone (`Circle.series_zone`), on the weekday of meeting 1
(`Circle.series_start`), repeated every `interval_weeks`; so a DST change keeps the local time.
The series (`core.scheduling.series`) sets it, the calendar (`core.scheduling.calendar`) recurs on it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from core.formats import get_format
from core.models import Circle
from core.scheduling.hours import zone_named


def interval_weeks(circle: Circle) -> int:
    """The series repeats weekly: its cadence in days, to the nearest whole week (at least one)."""
    days = circle.cadence_days or get_format(circle.format_key).cadence_days[0]
    return max(1, round(days / 7))


def on_slot(zone: ZoneInfo, first: datetime, weeks: int) -> datetime:
    """`first`'s wall-clock time in `zone`, `weeks` later (negative: earlier), in UTC."""
    local = first.astimezone(zone)
    day = local.date() + timedelta(weeks=weeks)
    return datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=zone).astimezone(UTC)


def occurrence(circle: Circle, number: int) -> datetime | None:
    """Where meeting `number` falls on the circle's weekly slot; None for a circle without one."""
    if circle.series_start is None or not circle.series_zone:
        return None
    return on_slot(zone_named(circle.series_zone), circle.series_start, (number - 1) * interval_weeks(circle))
