"""A person's own settings: time zone, quiet hours, nudges."""

from __future__ import annotations

import re
from datetime import time, timedelta

from core.commands import Command, time_zone, usage, whole_number
from core.context import RequestContext
from core.errors import UsageError
from core.handlers.replies import done
from core.messages import (
    Reply,
)


async def set_timezone(ctx: RequestContext, cmd: Command) -> Reply:
    name = cmd.text.strip()
    time_zone(name)
    ctx.person.timezone = name
    return done(f"Your time zone is now {name}.")


QUIET_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


async def set_quiet_hours(ctx: RequestContext, cmd: Command) -> Reply:
    match = QUIET_HOURS.match(cmd.text.strip())
    if match is None:
        raise UsageError(f"Please give the hours like 21:00-08:00.\nUsage: {usage('quiet')}")
    hour_from, minute_from, hour_until, minute_until = (int(part) for part in match.groups())
    if hour_from > 23 or hour_until > 23 or minute_from > 59 or minute_until > 59:
        raise UsageError(f"Hours run from 00:00 to 23:59.\nUsage: {usage('quiet')}")
    weekends = cmd.options.get("weekends", "on" if ctx.person.weekends_quiet else "off").lower()
    if weekends not in ("on", "off"):
        raise UsageError(f"weekends= takes on or off.\nUsage: {usage('quiet')}")
    ctx.person.quiet_from = time(hour_from, minute_from)
    ctx.person.quiet_until = time(hour_until, minute_until)
    ctx.person.weekends_quiet = weekends == "on"
    also = " and all weekend" if ctx.person.weekends_quiet else ""
    return done(
        f"No DMs will reach you from {ctx.person.quiet_from:%H:%M} to {ctx.person.quiet_until:%H:%M}"
        f"{also}, in your own time; what falls due then waits until after."
    )


async def set_nudges(ctx: RequestContext, cmd: Command) -> Reply:
    word, _, rest = cmd.text.strip().partition(" ")
    match word.lower():
        case "on":
            ctx.person.nudges_enabled, ctx.person.nudges_paused_until = True, None
            return done("Nudges are on.")
        case "off":
            ctx.person.nudges_enabled = False
            return done("Nudges are off. Meeting reminders still reach you.")
        case "pause":
            days = whole_number(rest.strip() or "7", 1, 90, "days")
            ctx.person.nudges_paused_until = ctx.now + timedelta(days=days)
            return done(f"Nudges are paused for {days} days.")
    raise UsageError(f"Usage: {usage('nudges')}")
