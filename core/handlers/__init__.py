"""One handler per typed request (`core.requests`), in modules by area: circles and membership,
meetings and rounds, commitments, preferences, home and status, and the buttons that open forms.

Every surface is translated into those requests here, once: a typed line through the grammar
(`core.commands`), Discord's structured options through the same spec, and buttons and forms
through the two small tables below. Workflow rules live in `core.meeting`; here is only
who-means-what.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from core import forming, membership, module_catalogue, programmes
from core.closing import SETTLEMENTS
from core.commands import EVALUATION, MAX_ID, SIGN_UP, SPECS, Refused, Spec, read, read_line, spec_named, whole_number
from core.context import NOT_YOURS, RequestContext
from core.errors import NotFound, UsageError
from core.forms import Action, FormId
from core.handlers import circles, commitments, home, meetings, opening, preferences
from core.handlers.home import home as home_page
from core.handlers.meetings import reply_in_thread
from core.handlers.replies import HANDLERS, answer, handles
from core.messages import Reply
from core.privacy import erase, export, retention
from core.report import command as report_command
from core.requests import (
    AnswerMembership,
    BrowseModules,
    CallForBids,
    CloseMeeting,
    ConfirmCircles,
    ConfirmErase,
    Evaluate,
    Evaluation,
    ExtendTimebox,
    ForgetMe,
    FormCircles,
    ListSignUps,
    MyData,
    NewProgramme,
    NextPhase,
    OpenForm,
    OpenMeeting,
    OpenSignUp,
    Report,
    SetRetention,
    SettleCommitment,
    SignUp,
    StartRound,
    Target,
    WithdrawBid,
)
from core.vocabulary import CommitmentStatus, Phase

handles(NewProgramme)(programmes.new_programme)
handles(OpenSignUp)(programmes.sign_up)
handles(ListSignUps)(programmes.list_sign_ups)
handles(SignUp)(programmes.submit_sign_up)
handles(Report)(report_command.report)
handles(Evaluate)(report_command.evaluate)
handles(Evaluation)(report_command.submit_evaluation)
handles(MyData)(export.my_data)
handles(ForgetMe)(erase.forget_me)
handles(SetRetention)(retention.set_retention)
handles(BrowseModules)(module_catalogue.browse)
handles(FormCircles)(forming.form)
handles(ConfirmCircles)(forming.confirm)


@handles(ConfirmErase)
async def _confirm_erase(ctx: RequestContext, req: ConfirmErase) -> Reply:
    return await erase.confirmed(ctx, req.person_id)


@handles(AnswerMembership)
async def _answer_membership(ctx: RequestContext, req: AnswerMembership) -> Reply:
    return await membership.press(ctx, req.action, req.ident)


AREAS = (circles, commitments, home, meetings, opening, preferences)  # imported for their handlers


def _phase(detail: str) -> Phase | None:
    return Phase(detail) if detail in Phase._value2member_map_ else None


def _settlement(detail: str) -> CommitmentStatus:
    """Only the three words the end-of-circle message offers; anything else was not a button of ours."""
    if detail not in {status.value for status in SETTLEMENTS}:
        raise UsageError("not offered")
    return CommitmentStatus(detail)


def _membership(action: str) -> Callable[[int, str, date], object]:
    return lambda ident, _, __: AnswerMembership(action, ident)


# A button's value is "<id>" or "<id>:<detail>"; each action says what the id is and what it asks.
BUTTONS: dict[str, Callable[[int, str, date], object]] = {
    Action.OPEN_BID_FORM: lambda ident, _, __: OpenForm(FormId.BID, Target(meeting=ident)),
    Action.OPEN_CHECK_IN_FORM: lambda ident, _, __: OpenForm(FormId.CHECK_IN, Target(meeting=ident)),
    Action.OPEN_FEEDBACK_FORM: lambda ident, _, __: OpenForm(FormId.FEEDBACK, Target(meeting=ident)),
    Action.OPEN_CONTRIBUTE_FORM: lambda ident, _, __: OpenForm(FormId.CONTRIBUTE, Target(round=ident)),
    Action.OPEN_COMMIT_FORM: lambda ident, _, __: OpenForm(FormId.COMMIT, Target(round=ident)),
    Action.OPEN_COMMITMENT_NOTE_FORM: lambda ident, _, __: OpenForm(FormId.COMMITMENT_NOTE, commitment=ident),
    Action.NEXT_PHASE: lambda ident, detail, _: NextPhase(Target(round=ident), _phase(detail)),
    Action.START_ROUND: lambda ident, _, __: StartRound(target=Target(meeting=ident)),
    Action.OPEN_MEETING: lambda ident, _, __: OpenMeeting(Target(meeting=ident)),
    Action.CALL_FOR_BIDS: lambda ident, _, __: CallForBids(Target(meeting=ident)),
    Action.CLOSE_MEETING: lambda ident, _, __: CloseMeeting(Target(meeting=ident)),
    Action.WITHDRAW_BID: lambda ident, _, __: WithdrawBid(ident),
    Action.EXTEND_TIMEBOX: lambda ident, detail, _: ExtendTimebox(Target(round=ident), _phase(detail)),
    erase.CONFIRM_ERASE: lambda ident, _, __: ConfirmErase(ident),
    forming.FormingAction.CONFIRM: lambda ident, detail, _: forming.confirm_request(ident, detail),
    forming.FormingAction.RERUN: lambda ident, detail, _: forming.rerun_request(ident, detail),
    **{action.value: _membership(action) for action in membership.MembershipAction},
    # only the statuses the buttons offer: the spec of /circle update says which
    Action.SETTLE_COMMITMENT: lambda ident, detail, _: SettleCommitment(ident, _settlement(detail)),
    Action.OPEN_EVALUATION_FORM: lambda ident, _, __: OpenForm(report_command.EVALUATION_FORM, programme=ident),
    Action.SET_COMMITMENT_STATUS: lambda ident, detail, today: read(
        SPECS["update"], {"number": str(ident), "status": detail}, today, with_usage=False
    ),
}


def button_request(action: str, value: str, today: date) -> object:
    """The request a button press makes; a value that was tampered with is answered as not yours."""
    make = BUTTONS.get(action)
    if make is None:
        raise NotFound("That button is no longer in use.")
    ident, _, detail = value.partition(":")
    try:
        return make(whole_number(ident, 1, MAX_ID, "id"), detail, today)
    except UsageError:
        raise NotFound(NOT_YOURS) from None


# A form asks some of a spec's parameters; its context says what it is about.
FORMS: dict[str, tuple[Spec, tuple[str, ...], Callable[[int], Mapping[str, Any]]]] = {
    FormId.BID: (SPECS["bid"], ("topic", "urgency", "minutes"), lambda c: {"target": Target(meeting=c)}),
    FormId.CHECK_IN: (SPECS["checkin"], ("text",), lambda c: {"target": Target(meeting=c)}),
    FormId.CONTRIBUTE: (SPECS["say"], ("kind", "text"), lambda c: {"target": Target(round=c)}),
    FormId.COMMIT: (SPECS["commit"], ("action", "due", "to"), lambda c: {"target": Target(round=c)}),
    FormId.FEEDBACK: (SPECS["feedback"], ("rating", "text"), lambda c: {"target": Target(meeting=c)}),
    FormId.COMMITMENT_NOTE: (SPECS["update"], ("status", "note"), lambda c: {"number": c}),
    FormId.SIGN_UP: (SIGN_UP, tuple(p.name for p in SIGN_UP.params), lambda c: {"programme_id": c}),
    report_command.EVALUATION_FORM: (
        EVALUATION,
        tuple(p.name for p in EVALUATION.params),
        lambda c: {"programme_id": c},
    ),
}


def form_request(form_id: str, context: str, values: Mapping[str, str], today: date) -> object:
    """The request a submitted form makes; `Refused` carries an error per field."""
    entry = FORMS.get(form_id)
    if entry is None:
        raise NotFound("That form is no longer in use.")
    spec, names, about = entry
    try:
        ident = whole_number(context, 1, MAX_ID, "id")
    except UsageError:
        raise NotFound("That form is no longer in use.") from None
    raw: dict[str, Any] = {name: values.get(name) for name in names}
    if form_id == FormId.COMMITMENT_NOTE:
        raw["number"] = str(ident)
    request = read(spec, raw, today, with_usage=False, extra={k: v for k, v in about(ident).items() if k != "number"})
    if form_id == FormId.SIGN_UP and (errors := programmes.sign_up_errors(dict(values))):
        raise Refused(errors)
    return request


def field_label(form_id: str, name: str) -> str:
    """What a form calls one of its fields, for surfaces that list errors outside the form."""
    entry = FORMS.get(form_id)
    param = entry[0].param(name) if entry else None
    return param.label if param else "This"


def options_request(command: str, options: Mapping[str, Any], today: date) -> object:
    """Structured options (Discord's), read by the same spec as a typed line, never re-joined into one."""
    return read(spec_named(command), options, today)


__all__ = [
    "BUTTONS",
    "FORMS",
    "HANDLERS",
    "answer",
    "button_request",
    "field_label",
    "form_request",
    "home_page",
    "options_request",
    "read_line",
    "reply_in_thread",
]
