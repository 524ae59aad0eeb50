"""What the circle sees: domain state rendered into the neutral message model.

Every adapter escapes the text it is given and sends it so that it notifies nobody; these
functions only decide what is said.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from core import forms
from core.commands import help_lines
from core.forms import Action
from core.messages import (
    Actions,
    Block,
    Button,
    ButtonStyle,
    Fields,
    Heading,
    Message,
    MomentStyle,
    Quote,
    Text,
    message,
    moment_token,
)
from core.models import Bid, Circle, Commitment, Contribution, Meeting, Person, Round
from core.topic_modules import load_module
from core.vocabulary import CommitmentStatus, MeetingState, Mode, Phase

if TYPE_CHECKING:
    from core.meeting import Attendance, Scene

PHASE_TITLES = {
    Phase.PRESENT: "Present",
    Phase.CLARIFY: "Clarifying questions",
    Phase.EXPLORE: "Questions, feedback and advice",
    Phase.REFLECT: "Reflection",
    Phase.COMMIT: "Commitments",
    Phase.DONE: "Finished",
}

MEETING_WORDS = {
    MeetingState.SCHEDULED: "not started yet",
    MeetingState.CHECK_IN: "checking in",
    MeetingState.BIDDING: "taking bids",
    MeetingState.ROUNDS: "working on issues",
    MeetingState.CLOSED: "closed",
}

STATUS_WORDS = {
    CommitmentStatus.OPEN: "open",
    CommitmentStatus.IN_PROGRESS: "in progress",
    CommitmentStatus.DONE: "done",
    CommitmentStatus.STUCK: "stuck",
    CommitmentStatus.DROPPED: "dropped",
    CommitmentStatus.CARRIED_OVER: "carried over",
}


def plain(text: str) -> Message:
    return message(text)


def files_unavailable(message_: Message) -> Message:
    """Where a platform cannot carry files, the person still gets the explanation, and is told why."""
    return Message(
        (*message_.blocks, Text("This platform could not attach the files here; please ask again in another place.")),
        message_.summary,
    )


def when(moment: datetime | None, zone: str = "UTC") -> str:
    if moment is None:
        return "not scheduled"
    local = moment.astimezone(ZoneInfo(zone))
    return local.strftime("%a %d %b %Y, %H:%M ") + (local.tzname() or zone)


def at(moment: datetime | None) -> str:
    """A time in a post many people read: each reader's platform shows it in their own zone."""
    return moment_token(moment) if moment is not None else "not scheduled"


def until(moment: datetime) -> str:
    """How long is left, as each reader's platform says it ("in 5 minutes")."""
    return moment_token(moment, MomentStyle.RELATIVE)


MODE_WORDS = {Mode.LIVE: "live, on a call", Mode.ASYNC: "in threads, at your own pace"}


def meeting_opening(scene: Scene, reports: Sequence[tuple[Commitment, Person]], *, close_out: bool = False) -> Message:
    """`close_out`: the series' last meeting, whose check-in is the reflection round on the whole programme."""
    meeting, circle, fmt = scene.meeting, scene.circle, scene.fmt
    facilitator = scene.person(meeting.facilitator_id).display_name if meeting.facilitator_id else "nobody"
    last = ", the close-out" if close_out else ""
    blocks: list[Block] = [
        Heading(f"Meeting {meeting.number} of {circle.name} is open{last}"),
        Fields((("Format", fmt.name), ("Facilitator today", facilitator), ("How we meet", MODE_WORDS[circle.mode]))),
    ]
    if close_out:
        blocks.append(Text(fmt.close_out.opening))
    if meeting.number == 1 and fmt.first_meeting_opening:
        blocks.append(Text(fmt.first_meeting_opening))
    if fmt.break_after_minutes and meeting.duration_minutes > fmt.break_after_minutes:
        blocks.append(Text(f"A long meeting: we'll take a break after about {fmt.break_after_minutes} minutes."))
    if fmt.session_agendas:
        blocks.append(Text(fmt.session_agendas[min(meeting.number, len(fmt.session_agendas)) - 1]))
    if fmt.uses_module and circle.module_key:
        blocks.extend(module_blocks(circle.module_key))
    if reports:
        blocks.append(Text("*Report-back* on the actions members committed to:"))
        blocks.extend(report_line(c, p) for c, p in reports)
    if close_out:
        blocks.append(Text(fmt.close_out.reflection))
    else:
        blocks.append(Text("*Check-in*: how are you arriving, and how did your actions go?"))
        blocks.append(Text("Something you'll do before next time? Commit to it with /circle commit ACTION."))
    blocks.append(Actions((forms.check_in_button(meeting.id), forms.bid_button(meeting.id))))
    quoting = tuple(dict.fromkeys(c.person_id for c, _ in reports))
    return Message(tuple(blocks), f"Meeting {meeting.number} of {circle.name} is open: time to check in.", quoting)


def module_blocks(module_key: str) -> list[Block]:
    module = load_module(module_key)
    blocks: list[Block] = [Heading(module.title), Text(module.summary)]
    blocks.extend(Text("• " + paragraph) for paragraph in module.material)
    blocks.append(Text("*Try this*: " + " ".join(module.exercises)))
    blocks.append(Text("*Reflect*: " + " ".join(module.reflection_questions)))
    return blocks


def report_line(commitment: Commitment, person: Person) -> Quote:
    due = f", due {commitment.due_on.isoformat()}" if commitment.due_on else ""
    owed = ", to the circle" if commitment.to_circle else ""
    status = STATUS_WORDS[commitment.status]
    return Quote(person.display_name, f"#{commitment.id} {commitment.text} ({status}{owed}{due})")


def checked_in(person: Person, text: str) -> Message:
    return Message((Quote(person.display_name, text),), f"{person.display_name} checked in", (person.id,))


def call_for_bids(scene: Scene, bids: Sequence[Bid], checked: tuple[int, int] | None = None) -> Message:
    """`checked`: how many of how many have checked in, a count for the circle (names go to the facilitator)."""
    lines: list[Block] = [Heading("Bids are open"), Text("Who has a live issue they'd like the circle's time for?")]
    if checked is not None:
        lines.append(Text(f"{checked[0]} of {checked[1]} have checked in."))
    lines.extend(bid_quote(scene, bid) for bid in bids)
    quoting = tuple(dict.fromkeys(b.person_id for b in bids))
    return Message((*lines, Actions((forms.bid_button(scene.meeting.id),))), "Bids are open", quoting)


def bid_quote(scene: Scene, bid: Bid) -> Quote:
    return Quote(scene.person(bid.person_id).display_name, f"{bid.topic} ({bid.urgency}, {bid.minutes} min)")


def bid_placed(person: Person, bid: Bid) -> Message:
    return Message(
        (Quote(person.display_name, f"bids: {bid.topic} ({bid.urgency}, {bid.minutes} min)"),),
        f"{person.display_name} placed a bid",
        (person.id,),
    )


def round_header(scene: Scene, round_: Round) -> Message:
    holder = scene.person(round_.issue_holder_id).display_name
    phase = PHASE_TITLES[round_.phase]
    fields = [("Issue holder", holder), ("Phase", phase)]
    if round_.phase_deadline is not None:
        fields.append(("Until", at(round_.phase_deadline)))
    if round_.slot_end is not None:
        fields.append(("Slot ends", at(round_.slot_end)))
    blocks: list[Block] = [
        Heading(f"Round {round_.number}: {holder}"),
        Quote(holder, round_.topic),
        Fields(tuple(fields)),
    ]
    if round_.phase != Phase.DONE:
        buttons = [Button("Contribute", Action.OPEN_CONTRIBUTE_FORM, str(round_.id))]
        if round_.phase in (Phase.REFLECT, Phase.COMMIT):
            buttons.append(Button("Commit to an action", Action.OPEN_COMMIT_FORM, str(round_.id)))
        buttons.append(
            Button("Next phase", Action.NEXT_PHASE, f"{round_.id}:{round_.phase.value}", ButtonStyle.PRIMARY)
        )
        blocks.append(Actions(tuple(buttons)))
    return Message(tuple(blocks), f"Round {round_.number}: {holder} ({phase})", (round_.issue_holder_id,))


def phase_prompt(scene: Scene, round_: Round, spoken: tuple[int, int] | None = None) -> Message:
    spec = scene.fmt.phase(round_.phase)
    holder = scene.person(round_.issue_holder_id).display_name
    prompt = spec.prompt.format(holder=holder)
    if spec.holder_answers:
        prompt += f" {holder} may answer them here."
    if round_.phase in (Phase.REFLECT, Phase.COMMIT):
        prompt += " Anyone may commit to an action of their own too: /circle commit ACTION."
    if scene.circle.mode == Mode.ASYNC and round_.phase_deadline is not None:
        prompt += f" Reply in this thread until {at(round_.phase_deadline)}."
    blocks: list[Block] = [Text(f"*{PHASE_TITLES[round_.phase]}*. {prompt}")]
    if spoken is not None and spoken[1]:
        blocks.append(Text(f"So far {spoken[0]} of {spoken[1]} have spoken in this round."))
    return Message(tuple(blocks), f"{PHASE_TITLES[round_.phase]}: {spec.prompt.format(holder=holder)}")


KIND_WORDS = {"answer": "answers"}


def contribution(person: Person, entry: Contribution) -> Message:
    kind = KIND_WORDS.get(entry.kind.value, entry.kind.value.replace("_", " "))
    return Message(
        (Quote(f"{person.display_name} ({kind})", entry.text),), f"{person.display_name} contributed", (person.id,)
    )


def committed(person: Person, entry: Commitment) -> Message:
    due = f" by {entry.due_on.isoformat()}" if entry.due_on else ""
    to = "commits to the circle" if entry.to_circle else "commits"
    return Message(
        (Quote(person.display_name, f"{to}: {entry.text}{due} (#{entry.id})"),),
        f"{person.display_name} made a commitment",
        (person.id,),
    )


def passed(person: Person) -> Message:
    return plain(f"{person.display_name} passes: no commitment from this round.")


def round_finished(
    scene: Scene, round_: Round, commitments: Sequence[Commitment], *, in_silence: bool = False
) -> Message:
    """`in_silence`: an async round whose time ran out with no word from its holder, who never passed."""
    holder = scene.person(round_.issue_holder_id).display_name
    blocks: list[Block] = [Text(f"*Round {round_.number} is finished.*")]
    blocks.extend(Quote(scene.person(c.person_id).display_name, f"#{c.id} {c.text}") for c in commitments)
    if not any(c.person_id == round_.issue_holder_id for c in commitments):
        if in_silence:
            blocks.append(Text(f"The time for commitments ran out before {holder} named one."))
        elif round_.holder_passed:
            blocks.append(Text(f"{holder} passed on committing this time."))
    quoting = tuple(dict.fromkeys([round_.issue_holder_id, *(c.person_id for c in commitments)]))
    return Message(tuple(blocks), f"Round {round_.number} is finished", quoting)


def moved_on(round_: Round) -> str:
    """What today's facilitator is told after *Next phase*."""
    if round_.phase == Phase.DONE:
        return f"Round {round_.number} is finished."
    return f"Round {round_.number} moved on to {PHASE_TITLES[round_.phase]}."


def between_rounds(scene: Scene, bids: Sequence[Bid]) -> Message:
    close = Button("Close the meeting", Action.CLOSE_MEETING, str(scene.meeting.id), ButtonStyle.DANGER)
    if not bids:
        return Message(
            (
                Text(
                    "No more bids are waiting. Today's facilitator can start another round with "
                    "/circle round @person, or close the meeting."
                ),
                Actions((close,)),
            ),
            "No more bids are waiting",
        )
    blocks: list[Block] = [Text("Waiting bids:")]
    blocks.extend(bid_quote(scene, bid) for bid in bids)
    start = Button("Start the next round", Action.START_ROUND, str(scene.meeting.id), ButtonStyle.PRIMARY)
    blocks.append(Actions((start, close)))
    return Message(tuple(blocks), "Waiting bids", tuple(dict.fromkeys(b.person_id for b in bids)))


def confirm_withdraw(bid: Bid) -> Message:
    """Withdrawing is final for the meeting (one bid each), so it is asked once."""
    return Message(
        (
            Text(
                f"Withdraw your bid \u201c{bid.topic[:80]}\u201d? You can't bid again for this meeting "
                "(one bid each per meeting)."
            ),
            Actions((Button("Yes, withdraw my bid", Action.WITHDRAW_BID, str(bid.id), ButtonStyle.DANGER),)),
        ),
        "Withdraw your bid?",
    )


def facilitator_panel(scene: Scene, present: Attendance) -> list[Block]:
    """Names for today's facilitator alone: who has checked in, who hasn't spoken this round."""
    lines = [f"Checked in: {len(present.checked_in)} of {len(present.checked_in) + len(present.not_checked_in)}"]
    if present.not_checked_in:
        lines[0] += f" (not yet: {', '.join(present.not_checked_in)})"
    round_ = scene.current_round
    if round_ is not None and round_.phase != Phase.DONE:
        total = len(present.spoken) + len(present.not_spoken)
        line = f"Spoken in round {round_.number}: {len(present.spoken)} of {total}"
        if present.not_spoken:
            line += f" (not yet: {', '.join(present.not_spoken)})"
        lines.append(line)
    return [Text("\n".join(lines))]


def time_up(scene: Scene, round_: Round, present: Attendance) -> Message:
    """Private to today's facilitator when a live phase's timebox ends."""
    phase = PHASE_TITLES[round_.phase]
    buttons = (
        Button("Next phase", Action.NEXT_PHASE, f"{round_.id}:{round_.phase.value}", ButtonStyle.PRIMARY),
        Button("Two more minutes", Action.EXTEND_TIMEBOX, f"{round_.id}:{round_.phase.value}"),
    )
    return Message(
        (
            Text(f"Time's up for {phase} in round {round_.number}."),
            *facilitator_panel(scene, present),
            Actions(buttons),
        ),
        f"Time's up for {phase}",
    )


def break_offer(meeting: Meeting, minutes_in: int, break_minutes: int) -> Message:
    return Message(
        (Text(f"We've been at it for {minutes_in} minutes: time for a {break_minutes}-minute break?"),),
        "Time for a break?",
    )


def form_intro(blocks: Sequence[Block]) -> str:
    """Text for the top of a form, where no platform shows our *emphasis*: plain words only."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Text | Heading):
            lines.append(block.text.replace("*", ""))
        elif isinstance(block, Quote):
            lines.append(block.text)
    return "\n".join(lines)


def meeting_closed(scene: Scene, *, close_out: bool = False) -> Message:
    if close_out:
        return Message(
            (
                Heading(f"Meeting {scene.meeting.number}, the close-out, is closed"),
                Text("Thank you all: that was the last meeting of the series."),
            ),
            f"Meeting {scene.meeting.number}, the close-out, is closed",
        )
    return Message(
        (
            Heading(f"Meeting {scene.meeting.number} is closed"),
            Text("Thank you all. Act on your commitments; we'll hear how they went next time."),
            Actions((forms.feedback_button(scene.meeting.id),)),
        ),
        f"Meeting {scene.meeting.number} is closed",
    )


def help_message() -> Message:
    return Message((Heading("Peer Circles"), Text("\n".join(help_lines()))), "Peer Circles: commands")


def usage_message(text: str) -> Message:
    return plain(text)


# The end of a circle --------------------------------------------------------------------------


def circle_ended(circle: Circle, text: str, by: Person | None) -> Message:
    who = f" {by.display_name} ended it." if by is not None else ""
    return Message((Heading(f"{circle.name} has ended"), Text(text + who)), f"{circle.name} has ended")


SETTLE_CHOICES = (
    ("Done", CommitmentStatus.DONE, ButtonStyle.PRIMARY),
    ("Drop", CommitmentStatus.DROPPED, ButtonStyle.DANGER),
    ("Keep going on my own", CommitmentStatus.IN_PROGRESS, ButtonStyle.DEFAULT),
)


def commitments_at_the_end(circle: Circle, commitments: Sequence[Commitment]) -> Message:
    """To one owner: what they still had open when the circle ended, each with its three choices."""
    blocks: list[Block] = [
        Heading(f"{circle.name} has ended: your open commitments"),
        Text("For each one, say how it stands. Nobody will ask about them again."),
    ]
    for commitment in commitments:
        blocks.append(Text(f"#{commitment.id} {commitment.text}"))
        blocks.append(
            Actions(
                tuple(
                    Button(label, Action.SETTLE_COMMITMENT, f"{commitment.id}:{status.value}", style)
                    for label, status, style in SETTLE_CHOICES
                )
            )
        )
    return Message(tuple(blocks), f"{circle.name} has ended: your open commitments")


def settled_words(status: CommitmentStatus) -> str:
    return {
        CommitmentStatus.DONE: "done",
        CommitmentStatus.DROPPED: "dropped",
        CommitmentStatus.IN_PROGRESS: "yours to keep going with on your own",
    }.get(status, STATUS_WORDS[status])


def closing_feedback(circle: Circle, meeting: Meeting, programme_name: str | None, programme_id: int | None) -> Message:
    """Offered to each member at the close-out: the programme's closing questions, or, for a circle
    with no programme, the meeting's feedback."""
    if programme_id is not None:
        text = f"{circle.name} has held its last meeting. A few closing questions about '{programme_name}':"
        button = Button("Give closing feedback", Action.OPEN_EVALUATION_FORM, str(programme_id), ButtonStyle.PRIMARY)
    else:
        text = f"{circle.name} has held its last meeting. How was it for you?"
        button = forms.feedback_button(meeting.id)
    return Message((Text(text), Actions((button,))), text)


def handover_note(circle: Circle, note: Sequence[str], number: int) -> Message:
    text = f"*{circle.name}*, meeting {number}: " + note[0]
    return Message((Text(text), *(Text(line) for line in note[1:])), f"{circle.name}: you facilitate meeting {number}")
