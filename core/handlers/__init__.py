"""One handler per `/circle` subcommand, button and form: each turns a request into calls on the
meeting state machine or on the circle, inside the caller's unit of work, and returns what the
actor is told. Workflow rules live in `core.meeting`; here is only who-means-what.

The handlers live by area (circles, meetings, commitments, preferences, home); this module holds
the tables that route a command, a button or a form to them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core import forms, meeting, programmes, views
from core.commands import Command
from core.context import NOT_YOURS, RequestContext
from core.errors import CircleError, NotAllowed, NotFound
from core.forms import Action, FormId
from core.handlers.circles import add, join, leave, new_circle, remove, set_circle_status
from core.handlers.commitments import done_command, my_commitment, update_command, update_commitment
from core.handlers.home import help_command, home, my_open_commitments, status
from core.handlers.meetings import (
    bid,
    call_for_bids,
    check_in,
    close,
    commit,
    feedback,
    hand_over,
    meeting_scene,
    next_phase,
    open_meeting,
    parse_due,
    pass_round,
    reply_in_thread,
    round_scene,
    say,
    schedule,
    start,
    start_round,
    withdraw,
)
from core.handlers.preferences import set_nudges, set_quiet_hours, set_timezone
from core.handlers.replies import done
from core.messages import (
    Form,
    Quote,
    Reply,
    Text,
    message,
)
from core.vocabulary import (
    CommitmentStatus,
    ContributionKind,
    Phase,
    Urgency,
)

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
    "timezone": set_timezone,
    "quiet": set_quiet_hours,
    "nudges": set_nudges,
}


async def press(ctx: RequestContext, action: str, value: str) -> Reply:
    target, _, detail = value.partition(":")
    if not target.isdigit():
        raise NotFound(NOT_YOURS)
    ident = int(target)
    match action:
        case Action.OPEN_BID_FORM:
            scene = await meeting_scene(ctx, ident)
            return Reply(message("Opening the bid form."), forms.bid_form(scene.meeting.id))
        case Action.OPEN_CHECK_IN_FORM:
            scene = await meeting_scene(ctx, ident)
            intro = "\n".join(
                b.text for b in await my_open_commitments(ctx, scene.circle.id) if isinstance(b, Text | Quote)
            )
            return Reply(message("Opening the check-in form."), forms.check_in_form(scene.meeting.id, intro))
        case Action.OPEN_CONTRIBUTE_FORM:
            scene, round_ = await round_scene(ctx, ident)
            kinds = scene.fmt.phase(round_.phase).kinds
            if not kinds:
                raise CircleError("This phase is for the issue holder's commitments.")
            return Reply(message("Opening the form."), forms.contribute_form(round_.id, kinds))
        case Action.OPEN_COMMIT_FORM:
            scene, round_ = await round_scene(ctx, ident)
            if round_.issue_holder_id != ctx.person.id:
                raise NotAllowed("Only this round's issue holder can commit to actions.")
            return Reply(message("Opening the form."), forms.commit_form(round_.id))
        case Action.NEXT_PHASE:
            scene, round_ = await round_scene(ctx, ident)
            expected = Phase(detail) if detail in Phase._value2member_map_ else None
            before = round_.phase
            await meeting.advance_phase(scene, ctx.person, expected)
            if round_.phase == before:
                return done("The round had already moved on.")
            return done(f"Moved on to {views.PHASE_TITLES[round_.phase]}.")
        case Action.START_ROUND:
            scene = await meeting_scene(ctx, ident)
            round_ = await meeting.start_round(scene, ctx.person)
            return done(f"Round {round_.number} has started.")
        case Action.OPEN_MEETING:
            return await open_meeting(ctx, await meeting_scene(ctx, ident))
        case Action.CALL_FOR_BIDS:
            scene = await meeting_scene(ctx, ident)
            await meeting.call_for_bids(scene, ctx.person)
            return done("Bids are open.")
        case Action.CLOSE_MEETING:
            scene = await meeting_scene(ctx, ident)
            await meeting.close_meeting(scene, ctx.person)
            return done(f"Meeting {scene.meeting.number} is closed.")
        case Action.OPEN_FEEDBACK_FORM:
            await meeting_scene(ctx, ident)
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
            scene = await meeting_scene(ctx, ident)
            await meeting.place_bid(
                scene, ctx.person, values["topic"].strip(), Urgency(values["urgency"]), int(values["minutes"])
            )
            return done(f"Your bid is in for meeting {scene.meeting.number}.")
        case FormId.CHECK_IN:
            scene = await meeting_scene(ctx, ident)
            await meeting.check_in(scene, ctx.person, text)
            return done("You're checked in.")
        case FormId.CONTRIBUTE:
            scene, _ = await round_scene(ctx, ident)
            await meeting.contribute(scene, ctx.person, text, ContributionKind(values["kind"]))
            return done("Thanks, it's in the round's thread.")
        case FormId.COMMIT:
            scene, _ = await round_scene(ctx, ident)
            entry = await meeting.commit(scene, ctx.person, text, parse_due(values.get("due") or ""))
            return done(f"Commitment #{entry.id} noted.")
        case FormId.FEEDBACK:
            scene = await meeting_scene(ctx, ident)
            await meeting.give_feedback(scene, ctx.person, int(values["rating"]), text)
            return done("Thank you for your feedback.")
        case FormId.COMMITMENT_NOTE:
            return await update_commitment(
                ctx, ident, CommitmentStatus(values["status"]), (values.get("note") or "").strip()
            )
        case FormId.SIGN_UP:
            return await programmes.submit_sign_up(ctx, ident, values)
    raise NotFound("That form is no longer in use.")


__all__ = ["COMMANDS", "form_errors", "home", "press", "reply_in_thread", "submit"]
