"""Meetings and rounds: schedule, open, check in, bid, rounds and their phases, contributions,
commitments made in a round, close and feedback, hand-over; and a reply typed in a round's thread."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from core import closing, meeting, views
from core.commands import SPECS, Param, read_value, time_zone
from core.context import NOT_YOURS, RequestContext, ended
from core.effects import PostToCircle
from core.errors import CircleError, NotAllowed, NotFound
from core.handlers.circles import ctx_member
from core.handlers.replies import done, handles
from core.messages import Message, Reply, Text, message
from core.models import Bid, Meeting, Round
from core.requests import (
    CallForBids,
    CheckIn,
    CloseMeeting,
    Commit,
    Contribute,
    ExtendTimebox,
    GiveFeedback,
    HandOver,
    NextPhase,
    OpenMeeting,
    PassRound,
    PlaceBid,
    Schedule,
    ScheduleSeries,
    StartRound,
    Target,
    Withdraw,
    WithdrawBid,
)
from core.scheduling import series
from core.vocabulary import CircleStatus, Phase


@handles(Schedule)
async def schedule(ctx: RequestContext, req: Schedule) -> Reply:
    """Sets the next meeting's start, or moves meeting N (and with rest=yes every later one): the
    circle's lead, or that meeting's facilitator."""
    circle = await ctx.circle_for(req.target.circle)
    if req.meeting is not None:
        meeting_: Meeting | None = await series.meeting_numbered(ctx, circle, req.meeting)
    else:
        meeting_ = await ctx.current_meeting(circle)
    if not ctx.is_lead(circle) and (meeting_ is None or meeting_.facilitator_id != ctx.person.id):
        ctx.require_lead(circle, "schedule meetings")
    zone_name = req.tz or ctx.person.timezone or ctx.workspace.default_timezone
    start = datetime.combine(req.day, req.at, tzinfo=time_zone(zone_name)).astimezone(UTC)
    if start <= ctx.now:
        raise CircleError("That time is in the past. Please pick a time still to come.")
    if meeting_ is None:
        meeting_ = await ctx.next_meeting(circle)
    return done(await series.move(ctx, circle, meeting_, start, req.rest, req.minutes, zone_name))


@handles(ScheduleSeries)
async def schedule_whole_series(ctx: RequestContext, req: ScheduleSeries) -> Reply:
    circle = await ctx.circle_for(req.target.circle)
    ctx.require_lead(circle, "schedule the series")
    return done(await series.schedule_series(ctx, circle, [m.person for m in circle.active_memberships()]))


async def scene_for(ctx: RequestContext, target: Target, create: bool = False) -> meeting.Scene:
    """The meeting a request means: a button's or form's round or meeting, else the named circle's
    current one (or, with `create`, its next)."""
    if target.round is not None:
        return (await round_scene(ctx, target.round))[0]
    if target.meeting is not None:
        return await meeting_scene(ctx, target.meeting)
    circle = await ctx.circle_for(target.circle)
    current = await (ctx.next_meeting(circle) if create else ctx.current_meeting(circle))
    if current is None:
        raise CircleError(f"{circle.name} has no meeting open. The facilitator starts one with /circle start.")
    return await ctx.scene(circle, current)


@handles(OpenMeeting)
async def open_meeting(ctx: RequestContext, req: OpenMeeting) -> Reply:
    """/circle start and the Home tab's button; a circle's first meeting makes it active."""
    scene = await scene_for(ctx, req.target, create=True)
    await meeting.open_meeting(scene, ctx.person)
    if scene.circle.status == CircleStatus.FORMING:
        scene.circle.status = CircleStatus.ACTIVE
    return done(f"Meeting {scene.meeting.number} is open for check-in.")


@handles(CheckIn)
async def check_in(ctx: RequestContext, req: CheckIn) -> Reply:
    scene = await scene_for(ctx, req.target, create=True)
    await meeting.check_in(scene, ctx.person, req.text)
    return done("You're checked in.")


@handles(CallForBids)
async def call_for_bids(ctx: RequestContext, req: CallForBids) -> Reply:
    scene = await scene_for(ctx, req.target)
    await meeting.call_for_bids(scene, ctx.person)
    return done("Bids are open.")


@handles(PlaceBid)
async def bid(ctx: RequestContext, req: PlaceBid) -> Reply:
    scene = await scene_for(ctx, req.target, create=True)
    await meeting.place_bid(scene, ctx.person, req.topic, req.urgency, req.minutes)
    return done(f"Your bid is in for meeting {scene.meeting.number}.")


@handles(Withdraw)
async def withdraw(ctx: RequestContext, req: Withdraw) -> Reply:
    """Asks first (a withdrawn bid cannot be placed again this meeting): the *Withdraw* button does it."""
    scene = await scene_for(ctx, req.target)
    return Reply(views.confirm_withdraw(await meeting.waiting_bid_of(scene, ctx.person)))


@handles(WithdrawBid)
async def withdraw_bid(ctx: RequestContext, req: WithdrawBid) -> Reply:
    bid = await ctx.uow.session.get(Bid, req.bid)
    if bid is None or bid.person_id != ctx.person.id:
        raise NotFound(NOT_YOURS)
    await meeting.withdraw_bid(await meeting_scene(ctx, bid.meeting_id), ctx.person)
    return done("Your bid is withdrawn.")


@handles(StartRound)
async def start_round(ctx: RequestContext, req: StartRound) -> Reply:
    scene = await scene_for(ctx, req.target)
    holder = await ctx.person_by_external(req.person.external_id, req.person.name) if req.person else None
    round_ = await meeting.start_round(scene, ctx.person, holder)
    return done(f"Round {round_.number} has started.")


@handles(NextPhase)
async def next_phase(ctx: RequestContext, req: NextPhase) -> Reply:
    scene = await scene_for(ctx, req.target)
    before = scene.current_round.phase if scene.current_round else None
    round_ = await meeting.advance_phase(scene, ctx.person, req.expected)
    if req.expected is not None and round_.phase == before:
        return done("The round had already moved on.")
    return await with_panel(scene, views.moved_on(round_))


@handles(ExtendTimebox)
async def extend_timebox(ctx: RequestContext, req: ExtendTimebox) -> Reply:
    scene = await scene_for(ctx, req.target)
    round_ = scene.current_round
    if round_ is None or round_.phase != req.expected:
        return done("The round had already moved on.")
    await meeting.extend_timebox(scene, ctx.person, round_.id)
    return await with_panel(scene, f"Two more minutes for {views.PHASE_TITLES[round_.phase]}.")


async def with_panel(scene: meeting.Scene, text: str) -> Reply:
    """Today's facilitator's answer carries who has checked in and who hasn't spoken yet (to them alone)."""
    panel = views.facilitator_panel(scene, await meeting.attendance(scene))
    return Reply(Message((Text(text), *panel), text))


@handles(Contribute)
async def say(ctx: RequestContext, req: Contribute) -> Reply:
    scene = await scene_for(ctx, req.target)
    await meeting.contribute(scene, ctx.person, req.text, req.kind)
    return done("Thanks, it's in the round's thread.")


@handles(Commit)
async def commit(ctx: RequestContext, req: Commit) -> Reply:
    scene = await scene_for(ctx, req.target)
    entry = await meeting.commit(scene, ctx.person, req.action, req.due, to_circle=req.to_circle)
    return done(f"Commitment #{entry.id} noted. We'll check in with you before the next meeting.")


@handles(PassRound)
async def pass_round(ctx: RequestContext, req: PassRound) -> Reply:
    scene = await scene_for(ctx, req.target)
    round_ = await meeting.pass_commitment(scene, ctx.person)
    return done(f"Noted: no commitment from you this time. Round {round_.number} is closed.")


@handles(CloseMeeting)
async def close(ctx: RequestContext, req: CloseMeeting) -> Reply:
    scene = await scene_for(ctx, req.target)
    if await meeting.close_meeting(scene, ctx.person):
        await closing.end_circle(ctx.uow, scene.circle, ctx.now)
        return done(f"Meeting {scene.meeting.number}, the close-out, is closed, and {scene.circle.name} has ended.")
    return done(f"Meeting {scene.meeting.number} is closed.")


@handles(GiveFeedback)
async def feedback(ctx: RequestContext, req: GiveFeedback) -> Reply:
    if req.target.meeting is not None:
        scene = await meeting_scene(ctx, req.target.meeting, ended_ok=True)
    else:
        circle = await ctx.circle_for(req.target.circle)
        scene = await ctx.scene(circle, await ctx.last_closed_meeting(circle))
    await meeting.give_feedback(scene, ctx.person, req.rating, req.text)
    return done("Thank you for your feedback.")


@handles(HandOver)
async def hand_over(ctx: RequestContext, req: HandOver) -> Reply:
    scene = await scene_for(ctx, req.target, create=True)
    if not (ctx.is_lead(scene.circle) or scene.meeting.facilitator_id == ctx.person.id):
        raise NotAllowed("Only today's facilitator or the circle's lead can hand over facilitation.")
    person = await ctx.person_by_external(req.person.external_id, req.person.name)
    if ctx_member(scene.circle, person) is None:
        raise CircleError(f"{person.display_name} isn't in {scene.circle.name}.")
    scene.meeting.facilitator_id = person.id
    ctx.uow.emit(
        PostToCircle(scene.circle.id, message(f"{person.display_name} facilitates meeting {scene.meeting.number}."))
    )
    return done(f"{person.display_name} is today's facilitator.")


async def meeting_scene(ctx: RequestContext, meeting_id: int, *, ended_ok: bool = False) -> meeting.Scene:
    """`ended_ok`: feedback on a circle's last meeting is still taken once the circle has ended;
    every other button of an ended circle is refused, kindly."""
    meeting_ = await ctx.uow.session.get(Meeting, meeting_id)
    if meeting_ is None:
        raise NotFound(NOT_YOURS)
    circle = await ctx.circle_by_id(meeting_.circle_id)
    if circle.status == CircleStatus.CLOSED and not ended_ok:
        raise NotAllowed(ended(circle))
    return await ctx.scene(circle, meeting_)


async def round_scene(ctx: RequestContext, round_id: int) -> tuple[meeting.Scene, Round]:
    round_ = await ctx.uow.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(NOT_YOURS)
    scene = await meeting_scene(ctx, round_.meeting_id)
    if scene.current_round is None or scene.current_round.id != round_.id or round_.phase == Phase.DONE:
        raise CircleError("That round has finished.")
    return scene, round_


async def reply_in_thread(ctx: RequestContext, thread: str, text: str) -> Reply | None:
    """A message in a round's thread is a contribution (the holder's, in the commit phase, a commitment).
    Messages in threads that are not rounds are none of our business: None. The text is checked
    as a contribution typed with /circle say would be."""
    round_ = await ctx.uow.session.scalar(select(Round).where(Round.thread_ref == thread))
    if round_ is None:
        return None
    scene, round_ = await round_scene(ctx, round_.id)
    if round_.phase == Phase.COMMIT and round_.issue_holder_id == ctx.person.id:
        action = read_value(_param("commit", "action"), text, ctx.now.date())
        entry = await meeting.commit(scene, ctx.person, action, quote=False)
        return done(f"Commitment #{entry.id} noted.")
    contribution = read_value(_param("say", "text"), text, ctx.now.date())
    await meeting.contribute(scene, ctx.person, contribution, quote=False)  # already in the thread, in their words
    return None


def _param(command: str, name: str) -> Param:
    param = SPECS[command].param(name)
    assert param is not None
    return param
