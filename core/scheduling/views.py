"""What the bot says between meetings, in the neutral message model; times in the reader's zone."""

from __future__ import annotations

from datetime import datetime

from core import forms
from core.formats import Format
from core.forms import Action
from core.messages import Actions, Button, Fields, Heading, Message, Quote, Text
from core.models import Circle, Commitment, Meeting, Round
from core.topic_modules import load_module
from core.views import PHASE_TITLES, STATUS_WORDS, at, when
from core.vocabulary import CommitmentStatus


def agenda(circle: Circle, meeting: Meeting, fmt: Format) -> str:
    steps = " → ".join(PHASE_TITLES[spec.phase].lower() for spec in fmt.phases)
    lines = [f"Check-in and report-back, bids for airtime, then rounds ({steps})."]
    if fmt.session_agendas:
        lines.append(fmt.session_agendas[min(meeting.number, len(fmt.session_agendas)) - 1])
    if fmt.uses_module and circle.module_key:
        lines.append(f"Topic module: {load_module(circle.module_key).title}.")
    return " ".join(lines)


def meeting_reminder(circle: Circle, meeting: Meeting, fmt: Format, facilitator: str, zone: str) -> Message:
    start = when(meeting.scheduled_start, zone)
    return Message(
        (
            Heading(f"Meeting {meeting.number} of {circle.name}: {start}"),
            Fields((("When", start), ("Facilitator", facilitator), ("Format", fmt.name))),
            Text(f"*Agenda*: {agenda(circle, meeting, fmt)}"),
            Text("Is something live for you? Bring it as an issue and bid for the circle's time."),
            Actions((forms.bid_button(meeting.id),)),
        ),
        f"Reminder: meeting {meeting.number} of {circle.name} on {start}",
    )


def call_for_bids(circle: Circle, meeting: Meeting, zone: str) -> Message:
    start = at(meeting.scheduled_start)  # posted in the circle's space: each reader's own zone
    return Message(
        (
            Heading(f"Bids are open for meeting {meeting.number}"),
            Text(f"We meet on {start}. Who has a live issue they'd like the circle's time for?"),
            Actions((forms.bid_button(meeting.id),)),
        ),
        f"Bids are open for meeting {meeting.number} of {circle.name}",
    )


def commitment_check_in(circle: Circle, commitment: Commitment, next_start: datetime, zone: str) -> Message:
    due = f" (due {commitment.due_on.isoformat()})" if commitment.due_on else ""
    return Message(
        (
            Text(f"How is your commitment from {circle.name} going? We meet again on {when(next_start, zone)}."),
            Quote("You committed to", f"#{commitment.id} {commitment.text}{due}"),
            Text(f"It is {STATUS_WORDS[commitment.status]} so far. Your answer goes into the next report-back."),
            Actions(forms.commitment_buttons(commitment.id)),
        ),
        f"How is #{commitment.id} going?",
    )


def check_in_nudge(circle: Circle, commitment: Commitment, next_start: datetime, zone: str) -> Message:
    return Message(
        (
            Text(_nudge_words(circle, commitment, when(next_start, zone))),
            Quote("You committed to", commitment.text),
            Actions(forms.commitment_buttons(commitment.id)),
            Text("Rather not be nudged? /circle nudges pause 7 or /circle nudges off."),
        ),
        f"A nudge about #{commitment.id}",
    )


def _nudge_words(circle: Circle, commitment: Commitment, next_start: str) -> str:
    """Someone who answered (stuck, in progress) is asked whether it has moved, never told we haven't heard."""
    if commitment.status != CommitmentStatus.OPEN:
        return (
            f"{circle.name} meets on {next_start}. Last time you said #{commitment.id} was "
            f"{STATUS_WORDS[commitment.status]}: has anything moved? One click is enough."
        )
    return (
        f"A gentle nudge: {circle.name} meets on {next_start} and we haven't heard how "
        f"#{commitment.id} is going. One click is enough."
    )


def phase_nudge(circle: Circle, round_: Round, holder: str, zone: str) -> Message:
    phase = PHASE_TITLES[round_.phase]
    return Message(
        (
            Text(
                f"Round {round_.number} of {circle.name} ({holder}'s issue) is in *{phase}* until "
                f"{when(round_.phase_deadline, zone)}, and your voice is still missing."
            ),
            Actions((Button("Contribute", Action.OPEN_CONTRIBUTE_FORM, str(round_.id)),)),
        ),
        f"{circle.name}: {phase} is waiting for you",
    )


def feedback_request(circle: Circle, meeting: Meeting) -> Message:
    return Message(
        (
            Text(f"How was meeting {meeting.number} of {circle.name}? Two clicks help the circle improve."),
            Actions((forms.feedback_button(meeting.id),)),
        ),
        f"How was meeting {meeting.number} of {circle.name}?",
    )


def undeliverable_notice(circle: Circle, person: str) -> Message:
    return Message(
        (
            Text(
                f"I can't reach {person} by direct message (their DMs are closed, or they left the workspace), "
                f"so they miss reminders and check-ins for {circle.name}. Perhaps a word from you?"
            ),
        ),
        f"{person} can't be reached by DM",
    )


def planning_problem(circle: Circle) -> Message:
    return Message(
        (
            Text(
                f"I could not plan the reminders for {circle.name}: its meeting times look wrong "
                "(a date too far ahead?). Please check them with /circle status and schedule again."
            ),
        ),
        f"Reminders for {circle.name} could not be planned",
    )


def refused_notice(circle: Circle) -> Message:
    return Message(
        (
            Text(
                f"The platform refused a message I tried to post in {circle.name}, so the circle may have "
                "missed something. Please check /circle status there."
            ),
        ),
        f"A message to {circle.name} was refused",
    )


def dms_closed_for_you() -> Message:
    return Message(
        (
            Text(
                "I tried to send you a direct message but couldn't, so you'll miss reminders and check-ins. "
                "Allow direct messages from this app to get them."
            ),
        ),
        "Your direct messages are closed",
    )


def timezone_question(zone: str) -> Message:
    return Message(
        (
            Text(
                f"I don't know your time zone yet, so I send reminders by {zone} time. "
                "Tell me yours with /circle timezone Area/City (for example Europe/Berlin)."
            ),
        ),
        "Which time zone are you in?",
    )
