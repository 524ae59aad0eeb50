"""Home and status: what a person sees of their circles, meetings and commitments; help."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from core import forms, meeting, membership, views
from core.commands import spec_named
from core.context import RequestContext
from core.formats import get_format
from core.forms import Action
from core.handlers.replies import done, handles
from core.messages import (
    Actions,
    Block,
    Button,
    ButtonStyle,
    Fields,
    Heading,
    Message,
    Reply,
    Text,
    message,
)
from core.models import Circle, Commitment
from core.report import command as report_command
from core.requests import Help, Status
from core.vocabulary import (
    STILL_OPEN,
    MeetingState,
    Phase,
)


@handles(Status)
async def status(ctx: RequestContext, req: Status) -> Reply:
    if req.target.circle or (ctx.where.space and any(c.space_ref == ctx.where.space for c in await ctx.my_circles())):
        circle = await ctx.circle_for(req.target.circle)
        return Reply(await circle_status(ctx, circle))
    circles = await ctx.my_circles()
    ended = await ctx.ended_circles()
    if not circles and not ended:
        return done("You're not in any circle yet. Join one with /circle join NAME.")
    blocks: list[Block] = [Heading("Your circles")]
    for circle in circles:
        current = await ctx.current_meeting(circle)
        state = f"meeting {current.number}: {views.MEETING_WORDS[current.state]}" if current else "no meeting scheduled"
        blocks.append(Text(f"*{circle.name}* ({get_format(circle.format_key).name}, {circle.status.value}; {state})"))
    for circle in ended:
        on = f" on {circle.ended_at:%Y-%m-%d}" if circle.ended_at else ""
        blocks.append(Text(f"*{circle.name}* (ended{on}; its channel stays readable)"))
    blocks.extend(await my_open_commitments(ctx))
    return Reply(Message(tuple(blocks), "Your circles"))


async def home(ctx: RequestContext) -> Reply:
    """The App Home: each circle with its next meeting in the person's own time, the controls the
    person may use today, and their open commitments."""
    circles = await ctx.my_circles()
    led = await report_command.home_summary(ctx)  # programmes this person leads, in figures
    if not circles:
        return Reply(message("You're not in any circle yet. Join one with /circle join NAME.", *led))
    zone = ctx.person.timezone or ctx.workspace.default_timezone
    blocks: list[Block] = [*led, Heading("Your circles")]
    for circle in circles:
        current = await ctx.current_meeting(circle)
        if current is None:
            blocks.append(Text(f"*{circle.name}*: no meeting scheduled."))
            continue
        scene = await ctx.scene(circle, current)
        state = views.MEETING_WORDS[current.state]
        blocks.append(
            Text(f"*{circle.name}*: meeting {current.number} ({state}), {views.when(current.scheduled_start, zone)}")
        )
        buttons = [forms.bid_button(current.id)]
        if current.facilitator_id == ctx.person.id:
            buttons.extend(facilitator_controls(scene))
            if current.state != MeetingState.SCHEDULED:  # who is here: names for the facilitator alone
                blocks.extend(views.facilitator_panel(scene, await meeting.attendance(scene)))
        blocks.append(Actions(tuple(buttons)))
    blocks.extend(await my_open_commitments(ctx))
    return Reply(Message(tuple(blocks), "Your circles"))


def facilitator_controls(scene: meeting.Scene) -> list[Button]:
    """The one next step for today's facilitator, and closing once the meeting is under way."""
    state, round_, ident = scene.meeting.state, scene.current_round, str(scene.meeting.id)
    steps: list[Button] = []
    if state == MeetingState.SCHEDULED:
        steps.append(Button("Open the meeting", Action.OPEN_MEETING, ident, ButtonStyle.PRIMARY))
    elif state == MeetingState.CHECK_IN:
        steps.append(Button("Call for bids", Action.CALL_FOR_BIDS, ident, ButtonStyle.PRIMARY))
    elif round_ is not None and round_.phase != Phase.DONE:
        steps.append(Button("Next phase", Action.NEXT_PHASE, f"{round_.id}:{round_.phase.value}", ButtonStyle.PRIMARY))
    else:
        steps.append(Button("Start the next round", Action.START_ROUND, ident, ButtonStyle.PRIMARY))
    if state != MeetingState.SCHEDULED:
        steps.append(Button("Close the meeting", Action.CLOSE_MEETING, ident, ButtonStyle.DANGER))
    return steps


async def circle_status(ctx: RequestContext, circle: Circle) -> Message:
    current = await ctx.current_meeting(circle)
    fmt = get_format(circle.format_key)
    names = ", ".join(m.person.display_name for m in circle.active_memberships())
    pairs: list[tuple[str, str]] = [
        ("Format", fmt.name),
        ("Mode", circle.mode.value),
        ("Status", circle.status.value),
        ("Members", names),
    ]
    zone = ctx.person.timezone or ctx.workspace.default_timezone
    blocks: list[Block] = [Heading(circle.name)]
    if current is not None:
        scene = await ctx.scene(circle, current)
        pairs.append(("Meeting", f"{current.number}: {views.MEETING_WORDS[current.state]}"))
        pairs.append(("Starts", views.when(current.scheduled_start, zone)))
        if scene.current_round is not None and scene.current_round.phase.value != "done":
            pairs.append(("Round", f"{scene.current_round.number}: {views.PHASE_TITLES[scene.current_round.phase]}"))
        blocks.append(Fields(tuple(pairs)))
        since = membership.seen_since(ctx.membership(circle))  # a late joiner spared the past sees no earlier bids
        blocks.extend(views.bid_quote(scene, b) for b in await meeting.waiting_bids(scene) if b.created_at >= since)
    else:
        blocks.append(Fields(tuple(pairs)))
    blocks.extend(await my_open_commitments(ctx, circle.id))
    return Message(tuple(blocks), f"Status of {circle.name}")


async def my_open_commitments(ctx: RequestContext, circle_id: int | None = None) -> list[Block]:
    if circle_id is None:
        found = await ctx.uow.session.scalars(_OPEN_COMMITMENTS, {"person_id": ctx.person.id})
    else:
        asked = {"person_id": ctx.person.id, "circle_id": circle_id}
        found = await ctx.uow.session.scalars(_OPEN_COMMITMENTS_IN, asked)
    commitments = list(found)
    if not commitments:
        return []
    return [Text("*Your open commitments*"), *(views.report_line(c, ctx.person) for c in commitments)]


@handles(Help)
async def help_command(ctx: RequestContext, req: Help) -> Reply:
    if req.command:
        spec = spec_named(req.command)
        return done(f"{spec.usage}\n{spec.summary}")
    return Reply(views.help_message())


# Built once, as status asks them on every call.
_OPEN_COMMITMENTS = (
    select(Commitment)
    .where(Commitment.person_id == bindparam("person_id"), Commitment.status.in_(STILL_OPEN))
    .order_by(Commitment.id)
)
_OPEN_COMMITMENTS_IN = _OPEN_COMMITMENTS.where(Commitment.circle_id == bindparam("circle_id"))
