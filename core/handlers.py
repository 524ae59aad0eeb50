"""One handler per `/circle` subcommand, button and form: each turns a request into calls on the
meeting state machine or on the circle, inside the caller's unit of work, and returns what the
actor is told. Workflow rules live in `core.meeting`; here is only who-means-what."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core import forms, meeting, membership, module_catalogue, programmes, views
from core.commands import Command, time_zone, usage, whole_number
from core.context import NOT_YOURS, RequestContext
from core.effects import ArchiveSpace, OpenSpace, PostToCircle, PublishMeeting, RemoveFromSpace
from core.errors import CircleError, NotAllowed, NotFound, UsageError
from core.formats import FORMATS, get_format
from core.forms import Action, FormId
from core.messages import (
    Actions,
    Block,
    Button,
    ButtonStyle,
    Fields,
    Form,
    Heading,
    Message,
    Quote,
    Reply,
    Text,
    message,
)
from core.models import Bid, Circle, Commitment, Meeting, Membership, Person, Round
from core.privacy import erase, export, retention
from core.report import command as report_command
from core.topic_modules import DEFAULT_MODULE, load_module
from core.vocabulary import (
    STILL_OPEN,
    CircleStatus,
    CommitmentStatus,
    ContributionKind,
    Facilitation,
    MeetingState,
    Mode,
    Phase,
    Role,
    Urgency,
)

CIRCLE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")
MAX_MEMBERS = membership.MAX_MEMBERS

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


def done(text: str, form: Form | None = None) -> Reply:
    return Reply(message(text), form)


# Circles ---------------------------------------------------------------------------------------


async def new_circle(ctx: RequestContext, cmd: Command) -> Reply:
    name = cmd.text.strip().lower()
    if not CIRCLE_NAME.match(name):
        raise UsageError(
            f"Circle names are 2-40 lowercase letters, digits, - or _, like `leaders-1`.\nUsage: {usage('new')}"
        )
    fmt = get_format(cmd.options.get("format", "action-learning"))
    mode = _choice(cmd.options.get("mode", "live"), Mode, "mode")
    module_key = cmd.options.get("module")
    if fmt.uses_module:
        module_key = load_module(module_key or DEFAULT_MODULE).key
    elif module_key:
        raise CircleError(f"The {fmt.name} format has no topic module; use format=module.")
    programme_id = await programmes.led_programme(ctx, cmd.options["programme"]) if "programme" in cmd.options else None
    await membership.check_name(ctx, name)
    circle = Circle(
        workspace_id=ctx.workspace.id,
        programme_id=programme_id,
        name=name,
        format_key=fmt.key,
        module_key=module_key,
        mode=mode,
        status=CircleStatus.FORMING,
        facilitation=fmt.facilitation,
        created_by_id=ctx.person.id,
        created_at=ctx.now,
        open=membership.yes_no(cmd.options.get("open", "no"), "open"),
    )
    ctx.uow.session.add(circle)
    await ctx.uow.flush()
    role = Role.MEMBER if fmt.facilitation == Facilitation.ROTATING else Role.FACILITATOR
    ctx.uow.session.add(
        Membership(
            circle_id=circle.id, person_id=ctx.person.id, role=role, joined_at=ctx.now, ground_rules_accepted_at=ctx.now
        )
    )
    await ctx.uow.flush()
    await ctx.uow.session.refresh(circle, ["memberships"])
    ctx.uow.emit(OpenSpace(circle.id))
    return done(
        f"Circle '{name}' is set up ({fmt.name}, {mode.value}). Invite people with /circle add @person"
        + (f", or they can /circle join {name}." if circle.open else "; only people you invite can join.")
    )


async def join(ctx: RequestContext, cmd: Command) -> Reply:
    return await membership.request_to_join(ctx, cmd)


async def leave(ctx: RequestContext, cmd: Command) -> Reply:
    circle = await ctx.circle_for(cmd.circle_name)
    await _remove_member(ctx, circle, ctx.person)
    return done(f"You have left {circle.name}.")


async def add(ctx: RequestContext, cmd: Command) -> Reply:
    return await membership.invite(ctx, cmd)


async def remove(ctx: RequestContext, cmd: Command) -> Reply:
    return await membership.remove(ctx, cmd)


def ctx_member(circle: Circle, person: Person) -> Membership | None:
    return next((m for m in circle.active_memberships() if m.person_id == person.id), None)


async def _remove_member(ctx: RequestContext, circle: Circle, person: Person) -> None:
    membership = ctx_member(circle, person)
    if membership is None:
        raise CircleError(f"{person.display_name} isn't in {circle.name}.")
    membership.left_at = ctx.now
    ctx.uow.emit(RemoveFromSpace(circle.id, person.id))
    ctx.uow.emit(PostToCircle(circle.id, message(f"{person.display_name} has left the circle.")))


async def set_circle_status(ctx: RequestContext, cmd: Command) -> Reply:
    circle = await ctx.circle_for(cmd.circle_name)
    ctx.require_lead(circle, f"{cmd.name} the circle")
    target = {"pause": CircleStatus.PAUSED, "resume": CircleStatus.ACTIVE, "end": CircleStatus.CLOSED}[cmd.name]
    if circle.status == target:
        raise CircleError(f"{circle.name} is already {target.value}.")
    if cmd.name == "resume" and circle.status != CircleStatus.PAUSED:
        raise CircleError(f"{circle.name} isn't paused.")
    circle.status = target
    ctx.uow.emit(PostToCircle(circle.id, message(f"{ctx.person.display_name} set the circle to {target.value}.")))
    if target == CircleStatus.CLOSED:
        circle.ended_at = ctx.now  # retention counts from here
        ctx.uow.emit(ArchiveSpace(circle.id))
    return done(f"{circle.name} is now {target.value}.")


# Meetings --------------------------------------------------------------------------------------


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
                f"Meeting {meeting_.number} is scheduled for {views.at(start)}.",  # each reader's own zone
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


async def _scene(ctx: RequestContext, cmd: Command, create: bool = False) -> meeting.Scene:
    circle = await ctx.circle_for(cmd.circle_name)
    current = await (ctx.next_meeting(circle) if create else ctx.current_meeting(circle))
    if current is None:
        raise CircleError(f"{circle.name} has no meeting open. The facilitator starts one with /circle start.")
    return await ctx.scene(circle, current)


async def start(ctx: RequestContext, cmd: Command) -> Reply:
    return await _open_meeting(ctx, await _scene(ctx, cmd, create=True))


async def _open_meeting(ctx: RequestContext, scene: meeting.Scene) -> Reply:
    """Shared by /circle start and the Home tab's button; a circle's first meeting makes it active."""
    await meeting.open_meeting(scene, ctx.person)
    if scene.circle.status == CircleStatus.FORMING:
        scene.circle.status = CircleStatus.ACTIVE
    return done(f"Meeting {scene.meeting.number} is open for check-in.")


async def check_in(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await _scene(ctx, cmd, create=True)
    await meeting.check_in(scene, ctx.person, cmd.text)
    return done("You're checked in.")


async def call_for_bids(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await _scene(ctx, cmd)
    await meeting.call_for_bids(scene, ctx.person)
    return done("Bids are open.")


async def bid(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await _scene(ctx, cmd, create=True)
    urgency = _choice(cmd.options.get("urgency", "medium"), Urgency, "urgency")
    minutes = whole_number(cmd.options.get("minutes", "20"), 1, 480, "minutes")
    await meeting.place_bid(scene, ctx.person, cmd.text, urgency, minutes)
    return done(f"Your bid is in for meeting {scene.meeting.number}.")


async def withdraw(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await _scene(ctx, cmd)
    return Reply(views.confirm_withdraw(await meeting.waiting_bid_of(scene, ctx.person)))


async def start_round(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await _scene(ctx, cmd)
    holder = await ctx.person_by_external(cmd.mentions[0]) if cmd.mentions else None
    round_ = await meeting.start_round(scene, ctx.person, holder)
    return done(f"Round {round_.number} has started.")


async def next_phase(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await _scene(ctx, cmd)
    round_ = await meeting.advance_phase(scene, ctx.person)
    return await _with_panel(scene, views.moved_on(round_))


async def _with_panel(scene: meeting.Scene, text: str) -> Reply:
    """Today's facilitator's answer carries who has checked in and who hasn't spoken yet (to them alone)."""
    panel = views.facilitator_panel(scene, await meeting.attendance(scene))
    return Reply(Message((Text(text), *panel), text))


async def say(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await _scene(ctx, cmd)
    kind = None
    if "kind" in cmd.options:
        kind = KIND_WORDS.get(cmd.options["kind"].lower())
        if kind is None:
            raise UsageError(f"I don't know the kind '{cmd.options['kind'][:40]}'.\nUsage: {usage('say')}")
    await meeting.contribute(scene, ctx.person, cmd.text, kind)
    return done("Thanks, it's in the round's thread.")


async def commit(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await _scene(ctx, cmd)
    due = parse_due(cmd.options.get("due", ""))
    to = cmd.options.get("to", "me").lower()
    if to not in ("me", "circle"):
        raise UsageError(f"to= takes me or circle.\nUsage: {usage('commit')}")
    entry = await meeting.commit(scene, ctx.person, cmd.text, due, to_circle=to == "circle")
    return done(f"Commitment #{entry.id} noted. We'll check in with you before the next meeting.")


def parse_due(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError("Please give the due date as YYYY-MM-DD, like 2026-12-31.") from None


async def pass_round(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await _scene(ctx, cmd)
    round_ = await meeting.pass_commitment(scene, ctx.person)
    return done(f"Noted: no commitment from you this time. Round {round_.number} is closed.")


async def close(ctx: RequestContext, cmd: Command) -> Reply:
    scene = await _scene(ctx, cmd)
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
    scene = await _scene(ctx, cmd, create=True)
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


# Commitments and people ------------------------------------------------------------------------


async def my_commitment(ctx: RequestContext, commitment_id: int) -> Commitment:
    commitment = await ctx.uow.session.get(Commitment, commitment_id)
    if commitment is None or commitment.person_id != ctx.person.id:
        raise NotFound(f"You have no commitment #{commitment_id}.")
    return commitment


async def update_commitment(ctx: RequestContext, commitment_id: int, status: CommitmentStatus, note: str) -> Reply:
    commitment = await my_commitment(ctx, commitment_id)
    circle = await ctx.circle_by_id(commitment.circle_id)
    changed = meeting.set_commitment_status(ctx.uow, commitment, ctx.person.id, status, note, ctx.now)
    if changed and status == CommitmentStatus.STUCK:
        ctx.uow.emit(
            PostToCircle(
                circle.id,
                message(
                    f"*{ctx.person.display_name} is stuck* on #{commitment.id} and would welcome the circle's help:",
                    Quote(ctx.person.display_name, commitment.text + (f"\n{note}" if note else "")),
                ),
            )
        )
    return done(f"#{commitment.id} is {views.STATUS_WORDS[status]}.")


async def done_command(ctx: RequestContext, cmd: Command) -> Reply:
    number, _, note = cmd.text.partition(" ")
    return await update_commitment(ctx, _commitment_number(number, "done"), CommitmentStatus.DONE, note.strip())


async def update_command(ctx: RequestContext, cmd: Command) -> Reply:
    parts = cmd.text.split(" ", 2)
    if len(parts) < 2:
        raise UsageError(f"Something is missing.\nUsage: {usage('update')}")
    statuses = {
        s.value: s
        for s in (CommitmentStatus.IN_PROGRESS, CommitmentStatus.STUCK, CommitmentStatus.DROPPED, CommitmentStatus.DONE)
    }
    status = statuses.get(parts[1].lower().replace("-", "_"))
    if status is None:
        raise UsageError(f"Status must be in_progress, stuck, dropped or done.\nUsage: {usage('update')}")
    note = parts[2].strip() if len(parts) > 2 else ""
    return await update_commitment(ctx, _commitment_number(parts[0], "update"), status, note)


def _commitment_number(text: str, command: str) -> int:
    digits = text.lstrip("#")
    if not digits.isdigit():
        raise UsageError(f"Please give the commitment's number, like 12.\nUsage: {usage(command)}")
    return int(digits)


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


async def status(ctx: RequestContext, cmd: Command) -> Reply:
    if cmd.circle_name or (ctx.where.space and any(c.space_ref == ctx.where.space for c in await ctx.my_circles())):
        circle = await ctx.circle_for(cmd.circle_name)
        return Reply(await circle_status(ctx, circle))
    circles = await ctx.my_circles()
    if not circles:
        return done("You're not in any circle yet. Join one with /circle join NAME.")
    blocks: list[Block] = [Heading("Your circles")]
    for circle in circles:
        current = await ctx.current_meeting(circle)
        state = f"meeting {current.number}: {views.MEETING_WORDS[current.state]}" if current else "no meeting scheduled"
        blocks.append(Text(f"*{circle.name}* ({get_format(circle.format_key).name}, {circle.status.value}; {state})"))
    blocks.extend(await _my_open_commitments(ctx))
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
    blocks.extend(await _my_open_commitments(ctx))
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
    blocks.extend(await _my_open_commitments(ctx, circle.id))
    return Message(tuple(blocks), f"Status of {circle.name}")


async def _my_open_commitments(ctx: RequestContext, circle_id: int | None = None) -> list[Block]:
    query = select(Commitment).where(Commitment.person_id == ctx.person.id, Commitment.status.in_(STILL_OPEN))
    if circle_id is not None:
        query = query.where(Commitment.circle_id == circle_id)
    commitments = list(await ctx.uow.session.scalars(query.order_by(Commitment.id)))
    if not commitments:
        return []
    return [Text("*Your open commitments*"), *(views.report_line(c, ctx.person) for c in commitments)]


async def help_command(ctx: RequestContext, cmd: Command) -> Reply:
    if cmd.text:
        from core.commands import SPECS

        spec = SPECS.get(cmd.text.strip().lower())
        if spec is None:
            raise UsageError(f"I don't know the command '{cmd.text[:40]}'. Try /circle help.")
        return done(f"{spec.usage}\n{spec.summary}")
    return Reply(views.help_message())


COMMANDS: dict[str, Callable[[RequestContext, Command], Awaitable[Reply]]] = {
    "help": help_command,
    "new": new_circle,
    "join": join,
    "leave": leave,
    "status": status,
    "schedule": schedule,
    "start": start,
    "checkin": check_in,
    "bids": call_for_bids,
    "bid": bid,
    "withdraw": withdraw,
    "round": start_round,
    "next": next_phase,
    "say": say,
    "commit": commit,
    "pass": pass_round,
    "done": done_command,
    "update": update_command,
    "close": close,
    "feedback": feedback,
    "add": add,
    "remove": remove,
    "facilitator": hand_over,
    "pause": set_circle_status,
    "resume": set_circle_status,
    "end": set_circle_status,
    "programme": programmes.new_programme,
    "signup": programmes.sign_up,
    "signups": programmes.list_sign_ups,
    "report": report_command.report,
    "evaluate": report_command.evaluate,
    "timezone": set_timezone,
    "quiet": set_quiet_hours,
    "nudges": set_nudges,
    "my-data": export.my_data,
    "forget-me": erase.forget_me,
    "retention": retention.set_retention,
    "modules": module_catalogue.browse,
}


# Buttons and forms -----------------------------------------------------------------------------


async def _meeting_scene(ctx: RequestContext, meeting_id: int) -> meeting.Scene:
    meeting_ = await ctx.uow.session.get(Meeting, meeting_id)
    if meeting_ is None:
        raise NotFound(NOT_YOURS)
    circle = await ctx.circle_by_id(meeting_.circle_id)
    return await ctx.scene(circle, meeting_)


async def _round_scene(ctx: RequestContext, round_id: int) -> tuple[meeting.Scene, Round]:
    round_ = await ctx.uow.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(NOT_YOURS)
    scene = await _meeting_scene(ctx, round_.meeting_id)
    if scene.current_round is None or scene.current_round.id != round_.id:
        raise CircleError("That round has finished.")
    return scene, round_


async def press(ctx: RequestContext, action: str, value: str) -> Reply:
    target, _, detail = value.partition(":")
    if not target.isdigit():
        raise NotFound(NOT_YOURS)
    ident = int(target)
    if action in membership.MembershipAction._value2member_map_:
        return await membership.press(ctx, action, ident)
    if action == erase.CONFIRM_ERASE:
        return await erase.confirmed(ctx, ident)
    match action:
        case Action.OPEN_BID_FORM:
            scene = await _meeting_scene(ctx, ident)
            return Reply(message("Opening the bid form."), forms.bid_form(scene.meeting.id))
        case Action.OPEN_CHECK_IN_FORM:
            scene = await _meeting_scene(ctx, ident)
            intro = views.form_intro(await _my_open_commitments(ctx, scene.circle.id))
            return Reply(message("Opening the check-in form."), forms.check_in_form(scene.meeting.id, intro))
        case Action.OPEN_CONTRIBUTE_FORM:
            scene, round_ = await _round_scene(ctx, ident)
            kinds = scene.fmt.phase(round_.phase).kinds
            if not kinds:
                raise CircleError("This phase is for the issue holder's commitments.")
            return Reply(message("Opening the form."), forms.contribute_form(round_.id, kinds))
        case Action.OPEN_COMMIT_FORM:
            scene, round_ = await _round_scene(ctx, ident)
            meeting.commitment_round(scene, ctx.person)
            return Reply(message("Opening the form."), forms.commit_form(round_.id))
        case Action.NEXT_PHASE:
            scene, round_ = await _round_scene(ctx, ident)
            expected = Phase(detail) if detail in Phase._value2member_map_ else None
            before = round_.phase
            await meeting.advance_phase(scene, ctx.person, expected)
            if round_.phase == before:
                return done("The round had already moved on.")
            return await _with_panel(scene, views.moved_on(round_))
        case Action.EXTEND_TIMEBOX:
            scene, round_ = await _round_scene(ctx, ident)
            if detail != round_.phase.value:
                return done("The round had already moved on.")
            await meeting.extend_timebox(scene, ctx.person, round_.id)
            return await _with_panel(scene, f"Two more minutes for {views.PHASE_TITLES[round_.phase]}.")
        case Action.WITHDRAW_BID:
            bid = await ctx.uow.session.get(Bid, ident)
            if bid is None or bid.person_id != ctx.person.id:
                raise NotFound(NOT_YOURS)
            await meeting.withdraw_bid(await _meeting_scene(ctx, bid.meeting_id), ctx.person)
            return done("Your bid is withdrawn.")
        case Action.START_ROUND:
            scene = await _meeting_scene(ctx, ident)
            round_ = await meeting.start_round(scene, ctx.person)
            return done(f"Round {round_.number} has started.")
        case Action.OPEN_MEETING:
            return await _open_meeting(ctx, await _meeting_scene(ctx, ident))
        case Action.CALL_FOR_BIDS:
            scene = await _meeting_scene(ctx, ident)
            await meeting.call_for_bids(scene, ctx.person)
            return done("Bids are open.")
        case Action.CLOSE_MEETING:
            scene = await _meeting_scene(ctx, ident)
            await meeting.close_meeting(scene, ctx.person)
            return done(f"Meeting {scene.meeting.number} is closed.")
        case Action.OPEN_FEEDBACK_FORM:
            await _meeting_scene(ctx, ident)
            return Reply(message("Opening the feedback form."), forms.feedback_form(ident))
        case Action.SET_COMMITMENT_STATUS:
            if detail not in CommitmentStatus._value2member_map_:
                raise NotFound(NOT_YOURS)
            return await update_commitment(ctx, ident, CommitmentStatus(detail), "")
        case Action.OPEN_COMMITMENT_NOTE_FORM:
            await my_commitment(ctx, ident)
            return Reply(message("Opening the form."), forms.commitment_note_form(ident))
    raise NotFound("That button is no longer in use.")


FORM_BUILDERS: dict[str, Callable[[int], Form]] = {
    FormId.BID: forms.bid_form,
    FormId.CHECK_IN: lambda meeting_id: forms.check_in_form(meeting_id, ""),
    FormId.CONTRIBUTE: lambda round_id: forms.contribute_form(round_id, tuple(ContributionKind)),
    FormId.COMMIT: forms.commit_form,
    FormId.FEEDBACK: forms.feedback_form,
    FormId.COMMITMENT_NOTE: forms.commitment_note_form,
    FormId.SIGN_UP: forms.sign_up_form,
    report_command.EVALUATION_FORM: report_command.evaluation_form,
}


def form_errors(form_id: str, context: str, values: dict[str, str]) -> dict[str, str]:
    builder = FORM_BUILDERS.get(form_id)
    if builder is None or not context.isdigit():
        raise NotFound("That form is no longer in use.")
    errors = builder(int(context)).validate(values)
    if form_id == FormId.SIGN_UP:
        errors = programmes.sign_up_errors(values) | errors
    return errors


async def submit(ctx: RequestContext, form_id: str, context: str, values: dict[str, str]) -> Reply:
    ident = int(context)
    text = (values.get("text") or "").strip()
    match form_id:
        case FormId.BID:
            scene = await _meeting_scene(ctx, ident)
            await meeting.place_bid(
                scene, ctx.person, values["topic"].strip(), Urgency(values["urgency"]), int(values["minutes"])
            )
            return done(f"Your bid is in for meeting {scene.meeting.number}.")
        case FormId.CHECK_IN:
            scene = await _meeting_scene(ctx, ident)
            await meeting.check_in(scene, ctx.person, text)
            return done("You're checked in.")
        case FormId.CONTRIBUTE:
            scene, _ = await _round_scene(ctx, ident)
            await meeting.contribute(scene, ctx.person, text, ContributionKind(values["kind"]))
            return done("Thanks, it's in the round's thread.")
        case FormId.COMMIT:
            scene, _ = await _round_scene(ctx, ident)
            entry = await meeting.commit(
                scene, ctx.person, text, parse_due(values.get("due") or ""), to_circle=values.get("to") == "circle"
            )
            return done(f"Commitment #{entry.id} noted.")
        case FormId.FEEDBACK:
            scene = await _meeting_scene(ctx, ident)
            await meeting.give_feedback(scene, ctx.person, int(values["rating"]), text)
            return done("Thank you for your feedback.")
        case FormId.COMMITMENT_NOTE:
            return await update_commitment(
                ctx, ident, CommitmentStatus(values["status"]), (values.get("note") or "").strip()
            )
        case FormId.SIGN_UP:
            return await programmes.submit_sign_up(ctx, ident, values)
        case report_command.EVALUATION_FORM:
            return await report_command.submit_evaluation(ctx, ident, values)
    raise NotFound("That form is no longer in use.")


async def reply_in_thread(ctx: RequestContext, thread: str, text: str) -> Reply | None:
    """A message in a round's thread is a contribution (the holder's, in the commit phase, a commitment).
    Messages in threads that are not rounds are none of our business: None."""
    round_ = await ctx.uow.session.scalar(select(Round).where(Round.thread_ref == thread))
    if round_ is None:
        return None
    scene, round_ = await _round_scene(ctx, round_.id)
    if round_.phase == Phase.COMMIT and round_.issue_holder_id == ctx.person.id:
        entry = await meeting.commit(scene, ctx.person, text, quote=False)
        return done(f"Commitment #{entry.id} noted.")
    await meeting.contribute(scene, ctx.person, text, quote=False)  # already in the thread, in their words
    return None


E = TypeVar("E", Mode, Role, Urgency)


def _choice(text: str, kind: type[E], what: str) -> E:
    try:
        return kind(text.lower())
    except ValueError:
        allowed = "|".join(k.value for k in kind)
        raise UsageError(f"{what} must be one of {allowed}, not '{text[:30]}'.") from None


__all__ = ["COMMANDS", "FORMATS", "form_errors", "press", "reply_in_thread", "submit"]
