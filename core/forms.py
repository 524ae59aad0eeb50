"""The buttons and forms the core offers, by stable id, so both survive a restart.

A button's `value` says what it acts on ("<meeting id>", "<round id>:<phase>", "<commitment id>:<status>");
a form's `context` carries the same. The service checks the actor may act on it before anything.
A form's inputs are parameters of the one spec (`core.commands`), so its limits are the command's,
and what it sends back is read by the same code (`core.handlers.FORMS`).
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import Any

from core.commands import SIGN_UP, SPECS, Kind, Param, Spec
from core.messages import Button, ButtonStyle, Choice, Form, Input
from core.vocabulary import CommitmentStatus, ContributionKind, Urgency


class Action(StrEnum):
    OPEN_BID_FORM = "bid.open"
    OPEN_CHECK_IN_FORM = "checkin.open"
    OPEN_CONTRIBUTE_FORM = "contribute.open"
    OPEN_COMMIT_FORM = "commit.open"
    NEXT_PHASE = "phase.next"
    START_ROUND = "round.start"
    OPEN_MEETING = "meeting.open"
    CALL_FOR_BIDS = "meeting.bids"
    CLOSE_MEETING = "meeting.close"
    OPEN_FEEDBACK_FORM = "feedback.open"
    SET_COMMITMENT_STATUS = "commitment.status"
    OPEN_COMMITMENT_NOTE_FORM = "commitment.note"
    WITHDRAW_BID = "bid.withdraw"
    EXTEND_TIMEBOX = "phase.extend"
    SETTLE_COMMITMENT = "commitment.settle"  # at the end of a circle: done, drop, or keep going alone
    OPEN_EVALUATION_FORM = "evaluation.open"


class FormId(StrEnum):
    BID = "bid"
    CHECK_IN = "checkin"
    CONTRIBUTE = "contribute"
    COMMIT = "commit"
    FEEDBACK = "feedback"
    COMMITMENT_NOTE = "commitment_note"
    SIGN_UP = "signup"


def bid_button(meeting_id: int) -> Button:
    return Button("Bring an issue", Action.OPEN_BID_FORM, str(meeting_id), ButtonStyle.PRIMARY)


def check_in_button(meeting_id: int) -> Button:
    return Button("Check in", Action.OPEN_CHECK_IN_FORM, str(meeting_id), ButtonStyle.PRIMARY)


def feedback_button(meeting_id: int) -> Button:
    return Button("Give feedback", Action.OPEN_FEEDBACK_FORM, str(meeting_id))


def commitment_buttons(commitment_id: int) -> tuple[Button, ...]:
    def status(label: str, value: CommitmentStatus, style: ButtonStyle = ButtonStyle.DEFAULT) -> Button:
        return Button(label, Action.SET_COMMITMENT_STATUS, f"{commitment_id}:{value.value}", style)

    return (
        status("Done", CommitmentStatus.DONE, ButtonStyle.PRIMARY),
        status("In progress", CommitmentStatus.IN_PROGRESS),
        status("Stuck — ask the circle", CommitmentStatus.STUCK),
        status("Drop", CommitmentStatus.DROPPED, ButtonStyle.DANGER),
        Button("Write an update", Action.OPEN_COMMITMENT_NOTE_FORM, str(commitment_id)),
    )


def _inputs(spec: Spec, *names: str, **overrides: dict[str, Any]) -> tuple[Input, ...]:
    """A form's inputs are the spec's parameters, so a form, a command and Discord's options state
    the same limits once."""
    return tuple(as_input(_param(spec, name), **overrides.get(name, {})) for name in names)


def _param(spec: Spec, name: str) -> Param:
    param = spec.param(name)
    assert param is not None, name
    return param


def as_input(param: Param, **overrides: Any) -> Input:
    choices = tuple(Choice(c.replace("_", " ").capitalize(), c) for c in param.choices)
    built = Input(
        param.name,
        param.label,
        multiline=param.kind == Kind.TEXT and param.limit > 100,
        required=param.required,
        max_length=param.limit,
        choices=choices,
        integer_range=(param.low, param.high) if param.kind == Kind.NUMBER else None,
    )
    return replace(built, **overrides)


def bid_form(meeting_id: int) -> Form:
    return Form(
        FormId.BID,
        "Bring an issue",
        _inputs(
            SPECS["bid"],
            "topic",
            "urgency",
            "minutes",
            topic={"placeholder": "What is live for you?"},
            urgency={
                "initial": Urgency.MEDIUM.value,
                "choices": tuple(Choice(u.value.title(), u.value) for u in Urgency),
            },
            minutes={"initial": "20", "max_length": 3},
        ),
        submit_label="Bid",
        context=str(meeting_id),
    )


def check_in_form(meeting_id: int, intro: str) -> Form:
    return Form(
        FormId.CHECK_IN,
        "Check in",
        _inputs(SPECS["checkin"], "text"),
        context=str(meeting_id),
        intro=intro,
    )


def contribute_form(round_id: int, kinds: tuple[ContributionKind, ...]) -> Form:
    return Form(
        FormId.CONTRIBUTE,
        "Contribute",
        _inputs(
            SPECS["say"],
            "kind",
            "text",
            kind={
                "required": True,
                "choices": tuple(Choice(k.value.replace("_", " ").capitalize(), k.value) for k in kinds),
                "initial": kinds[0].value,
            },
        ),
        context=str(round_id),
    )


def commit_form(round_id: int) -> Form:
    return Form(
        FormId.COMMIT,
        "Commit to an action",
        _inputs(
            SPECS["commit"],
            "action",
            "due",
            "to",
            due={"placeholder": "2026-12-31"},
            to={"choices": (Choice("Myself", "me"), Choice("The circle", "circle")), "initial": "me"},
        ),
        submit_label="Commit",
        context=str(round_id),
    )


def feedback_form(meeting_id: int) -> Form:
    return Form(
        FormId.FEEDBACK,
        "How was the meeting?",
        _inputs(SPECS["feedback"], "rating", "text", rating={"max_length": 1}),
        context=str(meeting_id),
    )


def commitment_note_form(commitment_id: int) -> Form:
    return Form(
        FormId.COMMITMENT_NOTE,
        "Update your commitment",
        _inputs(SPECS["update"], "status", "note", status={"initial": CommitmentStatus.IN_PROGRESS.value}),
        context=str(commitment_id),
    )


def sign_up_form(
    programme_id: int,
    *,
    department: str = "",
    level: str = "",
    timezone: str = "",
    topics: str = "",
    facilitator: bool = False,
) -> Form:
    """The *Join the programme* form: what circle formation weighs (see `core.formation`). Five
    inputs and no intro, as a Discord modal holds five components in all."""
    return Form(
        FormId.SIGN_UP,
        "Join the programme",
        _inputs(
            SIGN_UP,
            "department",
            "level",
            "timezone",
            "topics",
            "facilitator",
            department={"initial": department},
            level={"initial": level, "max_length": 2},
            timezone={"initial": timezone, "placeholder": "Europe/Berlin"},
            topics={"initial": topics, "placeholder": "delegation; feedback", "multiline": False},
            facilitator={"initial": "yes" if facilitator else "no"},
        ),
        submit_label="Sign up",
        context=str(programme_id),
    )
