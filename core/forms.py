"""The buttons and forms the core offers, by stable id, so both survive a restart.

A button's `value` says what it acts on ("<meeting id>", "<round id>:<phase>", "<commitment id>:<status>");
a form's `context` carries the same. The service checks the actor may act on it before anything.
"""

from __future__ import annotations

from enum import StrEnum

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


def bid_form(meeting_id: int) -> Form:
    return Form(
        FormId.BID,
        "Bring an issue",
        (
            Input("topic", "Your issue", multiline=True, max_length=1000, placeholder="What is live for you?"),
            Input(
                "urgency",
                "How urgent is it?",
                choices=tuple(Choice(u.value.title(), u.value) for u in Urgency),
                initial=Urgency.MEDIUM.value,
            ),
            Input("minutes", "Minutes you'd like", integer_range=(5, 120), initial="20", max_length=3),
        ),
        submit_label="Bid",
        context=str(meeting_id),
    )


def check_in_form(meeting_id: int, intro: str) -> Form:
    return Form(
        FormId.CHECK_IN,
        "Check in",
        (Input("text", "How are you arriving, and how did your actions go?", multiline=True),),
        context=str(meeting_id),
        intro=intro,
    )


def contribute_form(round_id: int, kinds: tuple[ContributionKind, ...]) -> Form:
    return Form(
        FormId.CONTRIBUTE,
        "Contribute",
        (
            Input(
                "kind",
                "Kind",
                choices=tuple(Choice(k.value.replace("_", " ").capitalize(), k.value) for k in kinds),
                initial=kinds[0].value,
            ),
            Input("text", "Your contribution", multiline=True),
        ),
        context=str(round_id),
    )


def commit_form(round_id: int) -> Form:
    return Form(
        FormId.COMMIT,
        "Commit to an action",
        (
            Input("text", "What will you do?", multiline=True, max_length=1000),
            Input("due", "By when? (YYYY-MM-DD)", required=False, max_length=10, placeholder="2026-12-31"),
            Input(
                "to",
                "Who is it for?",
                choices=(Choice("Myself", "me"), Choice("The circle", "circle")),
                initial="me",
                required=False,
            ),
        ),
        submit_label="Commit",
        context=str(round_id),
    )


def feedback_form(meeting_id: int) -> Form:
    return Form(
        FormId.FEEDBACK,
        "How was the meeting?",
        (
            Input("rating", "Rating from 1 (poor) to 5 (great)", integer_range=(1, 5), max_length=1),
            Input("text", "Anything to add?", multiline=True, required=False),
        ),
        context=str(meeting_id),
    )


def commitment_note_form(commitment_id: int) -> Form:
    return Form(
        FormId.COMMITMENT_NOTE,
        "Update your commitment",
        (
            Input(
                "status",
                "Status",
                choices=tuple(
                    Choice(s.value.replace("_", " ").capitalize(), s.value)
                    for s in (
                        CommitmentStatus.IN_PROGRESS,
                        CommitmentStatus.DONE,
                        CommitmentStatus.STUCK,
                        CommitmentStatus.DROPPED,
                    )
                ),
                initial=CommitmentStatus.IN_PROGRESS.value,
            ),
            Input("note", "What happened?", multiline=True, required=False),
        ),
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
        (
            Input("department", "Your department or team", max_length=100, initial=department),
            Input("level", "Your level or grade (1-10)", integer_range=(1, 10), max_length=2, initial=level),
            Input("timezone", "Your time zone", max_length=64, placeholder="Europe/Berlin", initial=timezone),
            Input(
                "topics",
                "Topics you'd like to work on, separated by ;",
                required=False,
                max_length=300,
                placeholder="delegation; feedback",
                initial=topics,
            ),
            Input(
                "facilitator",
                "Would you facilitate a circle?",
                choices=(Choice("No", "no"), Choice("Yes", "yes")),
                initial="yes" if facilitator else "no",
            ),
        ),
        submit_label="Sign up",
        context=str(programme_id),
    )
