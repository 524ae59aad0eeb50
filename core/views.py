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
from core.messages import Actions, Block, Button, ButtonStyle, Fields, Heading, Message, Quote, Text, message
from core.models import Bid, Commitment, Contribution, Person, Round
from core.topic_modules import load_module
from core.vocabulary import CommitmentStatus, Mode, Phase

if TYPE_CHECKING:
    from core.meeting import Scene

PHASE_TITLES = {
    Phase.PRESENT: "Present",
    Phase.CLARIFY: "Clarifying questions",
    Phase.EXPLORE: "Questions, feedback and advice",
    Phase.REFLECT: "Reflection",
    Phase.COMMIT: "Commitments",
    Phase.DONE: "Finished",
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


def meeting_opening(scene: Scene, reports: Sequence[tuple[Commitment, Person]]) -> Message:
    meeting, circle, fmt = scene.meeting, scene.circle, scene.fmt
    facilitator = scene.person(meeting.facilitator_id).display_name if meeting.facilitator_id else "nobody"
    blocks: list[Block] = [
        Heading(f"Meeting {meeting.number} of {circle.name} is open"),
        Fields((("Format", fmt.name), ("Facilitator today", facilitator), ("Mode", circle.mode.value))),
    ]
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
    blocks.append(Text("*Check-in*: how are you arriving, and how did your actions go?"))
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
    return Quote(person.display_name, f"#{commitment.id} {commitment.text} ({STATUS_WORDS[commitment.status]}{due})")


def checked_in(person: Person, text: str) -> Message:
    return Message((Quote(person.display_name, text),), f"{person.display_name} checked in", (person.id,))


def call_for_bids(scene: Scene, bids: Sequence[Bid]) -> Message:
    lines: list[Block] = [Heading("Bids are open"), Text("Who has a live issue they'd like the circle's time for?")]
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
        fields.append(("Until", when(round_.phase_deadline)))
    if round_.slot_end is not None:
        fields.append(("Slot ends", when(round_.slot_end)))
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


def phase_prompt(scene: Scene, round_: Round) -> Message:
    spec = scene.fmt.phase(round_.phase)
    holder = scene.person(round_.issue_holder_id).display_name
    prompt = spec.prompt.format(holder=holder)
    if scene.circle.mode == Mode.ASYNC:
        prompt += f" Reply in this thread until {when(round_.phase_deadline)}."
    return Message((Text(f"*{PHASE_TITLES[round_.phase]}*. {prompt}"),), f"{PHASE_TITLES[round_.phase]}: {prompt}")


def contribution(person: Person, entry: Contribution) -> Message:
    kind = entry.kind.value.replace("_", " ")
    return Message(
        (Quote(f"{person.display_name} ({kind})", entry.text),), f"{person.display_name} contributed", (person.id,)
    )


def committed(person: Person, entry: Commitment) -> Message:
    due = f" by {entry.due_on.isoformat()}" if entry.due_on else ""
    return Message(
        (Quote(person.display_name, f"commits to: {entry.text}{due} (#{entry.id})"),),
        f"{person.display_name} made a commitment",
        (person.id,),
    )


def passed(person: Person) -> Message:
    return plain(f"{person.display_name} passes: no commitment from this round.")


def round_finished(scene: Scene, round_: Round, commitments: Sequence[Commitment]) -> Message:
    holder = scene.person(round_.issue_holder_id).display_name
    blocks: list[Block] = [Text(f"*Round {round_.number} is finished.*")]
    if commitments:
        blocks.extend(Quote(holder, f"#{c.id} {c.text}") for c in commitments)
    else:
        blocks.append(Text(f"{holder} passed on committing this time."))
    return Message(tuple(blocks), f"Round {round_.number} is finished", (round_.issue_holder_id,))


def between_rounds(scene: Scene, bids: Sequence[Bid]) -> Message:
    if not bids:
        return plain("No more bids are waiting. The facilitator can start another round or close the meeting.")
    blocks: list[Block] = [Text("Waiting bids:")]
    blocks.extend(bid_quote(scene, bid) for bid in bids)
    blocks.append(
        Actions((Button("Start the next round", Action.START_ROUND, str(scene.meeting.id), ButtonStyle.PRIMARY),))
    )
    return Message(tuple(blocks), "Waiting bids", tuple(dict.fromkeys(b.person_id for b in bids)))


def meeting_closed(scene: Scene) -> Message:
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
