"""A circle's whole series of meetings (placeholder: the series branch supplies the real one; the
merger keeps that one and drops this file)."""

from __future__ import annotations

from collections.abc import Sequence

from core.context import RequestContext
from core.models import Circle, Person


async def schedule_series(ctx: RequestContext, circle: Circle, people: Sequence[Person]) -> str:
    """Creates the circle's meetings at a weekly slot inside `people`'s working hours and returns
    one line saying which slot and why."""
    return ""
