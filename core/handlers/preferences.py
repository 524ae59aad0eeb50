"""A person's own settings: time zone, quiet hours, nudges."""

from __future__ import annotations

from datetime import timedelta

from core.context import RequestContext
from core.handlers.replies import done, handles
from core.messages import Reply
from core.requests import SetNudges, SetQuietHours, SetTimezone


@handles(SetTimezone)
async def set_timezone(ctx: RequestContext, req: SetTimezone) -> Reply:
    ctx.person.timezone = req.zone
    return done(f"Your time zone is now {req.zone}.")


@handles(SetQuietHours)
async def set_quiet_hours(ctx: RequestContext, req: SetQuietHours) -> Reply:
    ctx.person.quiet_from, ctx.person.quiet_until = req.hours
    if req.weekends:
        ctx.person.weekends_quiet = req.weekends == "on"
    also = " and all weekend" if ctx.person.weekends_quiet else ""
    return done(
        f"No DMs will reach you from {ctx.person.quiet_from:%H:%M} to {ctx.person.quiet_until:%H:%M}"
        f"{also}, in your own time; what falls due then waits until after."
    )


@handles(SetNudges)
async def set_nudges(ctx: RequestContext, req: SetNudges) -> Reply:
    match req.setting:
        case "on":
            ctx.person.nudges_enabled, ctx.person.nudges_paused_until = True, None
            return done("Nudges are on.")
        case "off":
            ctx.person.nudges_enabled = False
            return done("Nudges are off. Meeting reminders still reach you.")
    ctx.person.nudges_paused_until = ctx.now + timedelta(days=req.days)
    return done(f"Nudges are paused for {req.days} days.")
