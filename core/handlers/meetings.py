"""Meetings and rounds: schedule, open, check in, bid, rounds and their phases, contributions,
commitments made in a round, close and feedback, hand-over; and a reply typed in a round's thread."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core import forms, meeting, views
from core.commands import Command, time_zone, usage, whole_number
from core.context import NOT_YOURS, RequestContext
from core.effects import PostToCircle, PublishMeeting
from core.errors import CircleError, NotAllowed, NotFound, UsageError
from core.handlers.circles import ctx_member
from core.handlers.replies import choice, done
from core.messages import (
    Actions,
    Reply,
    message,
)
from core.models import Meeting, Round
from core.vocabulary import (
    CircleStatus,
    ContributionKind,
    MeetingState,
    Mode,
    Phase,
    Urgency,
)

KIND_WORDS = {
    "present": ContributionKind.PRESENTATION,
    "presentation": ContributionKind.PRESENTATION,
    "clarify": ContributionKind.CLARIFYING_QUESTION,
    "clarifying": ContributionKind.CLARIFYING_QUESTION,
    "question": ContributionKind.QUESTION,
    "feedback": ContributionKind.FEEDBACK,
    "challenge": ContributionKind.CHALLENGE,
    "suggestion": ContributionKind.SUGGESTION,
    "advice": ContributionKind.ADVICE,
    "reflection": ContributionKind.REFLECTION,
    "reflect": ContributionKind.REFLECTION,
}


async def schedule(ctx: RequestContext, cmd: Command) -> Reply:
    circle = await ctx.circle_for(cmd.circle_name)
    ctx.require_lead(circle, "schedule meetings")
    zone_name = cmd.options.get("tz") or ctx.person.timezone or ctx.workspace.default_timezone
    start = parse_local_time(cmd.text, zone_name, ctx.now)
    meeting_ = await ctx.next_meeting(circle)
    if meeting_.state != MeetingState.SCHEDULED:
        raise CircleError(f"Meeting {meeting_.number} is already under way; close it before scheduling the next.")
    meeting_.scheduled_start = start
    if "minutes" in cmd.options:
        meeting_.duration_minutes = whole_number(cmd.options["minutes"], 15, 480, "minutes")
    if circle.mode == Mode.LIVE:
        ctx.uow.emit(PublishMeeting(meeting_.id))
    ctx.uow.emit(
        PostToCircle(
            circle.id,
            message(
                f"Meeting {meeting_.number} is scheduled for {views.when(start, zone_name)}.",
                Actions((forms.bid_button(meeting_.id),)),
            ),
        )
    )
    return done(f"Meeting {meeting_.number} of {circle.name} is scheduled for {views.when(start, zone_name)}.")


def parse_local_time(text: str, zone_name: str, now: datetime) -> datetime:
    zone = time_zone(zone_name)
    try:
        local = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=zone)
    except ValueError:
        raise UsageError(f"I couldn't read that date and time.\nUsage: {usage('schedule')}") from None
    if local <= now:
        raise CircleError("That time is in the past. Please pick a time still to come.")
    return local.astimezone(ZoneInfo("UTC"))


async def scene_for(ctx: RequestContext, cmd: Command, create: bool = False) -> meeting.Scene:
    circle = await ctx.circle_for(cmd.circle_name)
    current = await (ctx.next_meeting(circle) if create else ctx.current_meeting(circle))
    if current is None:
        raise CircleError(f"{circle.name} has no meeting open. The facilitator starts one with /circle start.")
    return await ctx.scene(circle, current)


async def start(ctx: RequestContext, cmd: Command) -> Reply:
    return await open_meeting(ctx, await scene_for(ctx, cmd, create=True))


async def open_meeting(ctx: RequestContext, scene: meeting.Scene) -> Reply:
    """Shared by /circle start and the Home tab's button; a circle's first meeting makes it active."""
    await meeting.open_meeting(scene, ctx.person)
    if scene.circle.status == CircleStatus.FORMING:
        scene.circle.status = CircleStatus.ACTIVE
    return done(f"Meeting {scene.meeting.number} is open for check-in.")


async def check_in(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await scene_for(ctx, cmd, create=True)
    await meeting.check_in(scene, ctx.person, cmd.text)
    return done("You're checked in.")


async def call_for_bids(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await scene_for(ctx, cmd)
    await meeting.call_for_bids(scene, ctx.person)
    return done("Bids are open.")


async def bid(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await scene_for(ctx, cmd, create=True)
    urgency = choice(cmd.options.get("urgency", "medium"), Urgency, "urgency")
    minutes = whole_number(cmd.options.get("minutes", "20"), 1, 480, "minutes")
    await meeting.place_bid(scene, ctx.person, cmd.text, urgency, minutes)
    return done(f"Your bid is in for meeting {scene.meeting.number}.")


async def withdraw(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await scene_for(ctx, cmd)
    await meeting.withdraw_bid(scene, ctx.person)
    return done("Your bid is withdrawn.")


async def start_round(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await scene_for(ctx, cmd)
    holder = await ctx.person_by_external(cmd.mentions[0]) if cmd.mentions else None
    round_ = await meeting.start_round(scene, ctx.person, holder)
    return done(f"Round {round_.number} has started.")


async def next_phase(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await scene_for(ctx, cmd)
    round_ = await meeting.advance_phase(scene, ctx.person)
    return done(f"Round {round_.number}: {views.PHASE_TITLES[round_.phase]}.")


async def say(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await scene_for(ctx, cmd)
    kind = None
    if "kind" in cmd.options:
        kind = KIND_WORDS.get(cmd.options["kind"].lower())
        if kind is None:
            raise UsageError(f"I don't know the kind '{cmd.options['kind'][:40]}'.\nUsage: {usage('say')}")
    await meeting.contribute(scene, ctx.person, cmd.text, kind)
    return done("Thanks, it's in the round's thread.")


async def commit(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await scene_for(ctx, cmd)
    due = parse_due(cmd.options.get("due", ""))
    entry = await meeting.commit(scene, ctx.person, cmd.text, due)
    return done(f"Commitment #{entry.id} noted. We'll check in with you before the next meeting.")


def parse_due(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError("Please give the due date as YYYY-MM-DD, like 2026-12-31.") from None


async def pass_round(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await scene_for(ctx, cmd)
    await meeting.pass_commitment(scene, ctx.person)
    return done("Noted: no commitment this round.")


async def close(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await scene_for(ctx, cmd)
    await meeting.close_meeting(scene, ctx.person)
    return done(f"Meeting {scene.meeting.number} is closed.")


async def feedback(ctx: RequestContext, cmd: Command) -> Reply:
    circle = await ctx.circle_for(cmd.circle_name)
    rating_text, _, text = cmd.text.partition(" ")
    rating = whole_number(rating_text, 1, 5, "rating")
    scene = await ctx.scene(circle, await ctx.last_closed_meeting(circle))
    await meeting.give_feedback(scene, ctx.person, rating, text.strip())
    return done("Thank you for your feedback.")


async def hand_over(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await scene_for(ctx, cmd, create=True)
    if not (ctx.is_lead(scene.circle) or scene.meeting.facilitator_id == ctx.person.id):
        raise NotAllowed("Only today's facilitator or the circle's lead can hand over facilitation.")
    person = await ctx.person_by_external(cmd.mentions[0])
    if ctx_member(scene.circle, person) is None:
        raise CircleError(f"{person.display_name} isn't in {scene.circle.name}.")
    scene.meeting.facilitator_id = person.id
    ctx.uow.emit(
        PostToCircle(scene.circle.id, message(f"{person.display_name} facilitates meeting {scene.meeting.number}."))
    )
    return done(f"{person.display_name} is today's facilitator.")


async def meeting_scene(ctx: RequestContext, meeting_id: int) -> meeting.Scene:
    meeting_ = await ctx.uow.session.get(Meeting, meeting_id)
    if meeting_ is None:
        raise NotFound(NOT_YOURS)
    circle = await ctx.circle_by_id(meeting_.circle_id)
    return await ctx.scene(circle, meeting_)


async def round_scene(ctx: RequestContext, round_id: int) -> tuple[meeting.Scene, Round]:
    round_ = await ctx.uow.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(NOT_YOURS)
    scene = await meeting_scene(ctx, round_.meeting_id)
    if scene.current_round is None or scene.current_round.id != round_.id:
        raise CircleError("That round has finished.")
    return scene, round_


async def reply_in_thread(ctx: RequestContext, thread: str, text: str) -> Reply | None:
    """A message in a round's thread is a contribution (the holder's, in the commit phase, a commitment).
    Messages in threads that are not rounds are none of our business: None."""
    round_ = await ctx.uow.session.scalar(select(Round).where(Round.thread_ref == thread))
    if round_ is None:
        return None
    scene, round_ = await round_scene(ctx, round_.id)
    if round_.phase == Phase.COMMIT and round_.issue_holder_id == ctx.person.id:
        entry = await meeting.commit(scene, ctx.person, text)
        return done(f"Commitment #{entry.id} noted.")
    await meeting.contribute(scene, ctx.person, text)
    return None
