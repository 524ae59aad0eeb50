"""The meeting state machine: every transition of a meeting and of its rounds, in one place.

    SCHEDULED ──open_meeting──▶ CHECK_IN ──call_for_bids──▶ BIDDING ──start_round──▶ ROUNDS
                                   │                           │                      │
                                   └───────────── close_meeting ──────────────────────┴──▶ CLOSED

    A round:  PRESENT ─▶ CLARIFY ─▶ EXPLORE ─▶ REFLECT ─▶ COMMIT ─▶ DONE   (advance_phase)

    The close-out (the last meeting of a series, `is_close_out`): the same states, but its opening
    says so and holds the report-back on every open commitment, its check-in is the reflection
    round on the whole programme ("what changed for me", every member speaks: `Format.close_out`),
    and closing it ends the circle (`close_meeting` returns True; `core.closing.end_circle`).

Guards, stated once each below: only the facilitator of the day moves a live meeting on (the bot
moves an async one at the phase deadline, or early when everyone has spoken); contributions
follow the phase (clarifying questions only while clarifying, which the holder may answer; the
holder alone presents and reflects); any member may commit to an action at check-in or once a
round reaches reflection; one bid per person per meeting; a round ends only once its issue holder
has committed to an action or passed (passing closes it). Each transition is a function named as a
facilitator would say it. A refused transition raises `CircleError`, changes nothing, and says
what to do instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, func, literal, select, union_all
from sqlalchemy.exc import IntegrityError

from core import views
from core.db import UnitOfWork
from core.effects import (
    PostInThread,
    PostToCircle,
    RefreshThreadHeader,
    ShowCheckIn,
    StartThread,
    TellPrivately,
    WithdrawMeeting,
)
from core.errors import CircleError, NotAllowed
from core.formats import Format, PhaseSpec, Speaker, get_format
from core.messages import message
from core.models import (
    Bid,
    CheckIn,
    Circle,
    Commitment,
    CommitmentUpdate,
    Contribution,
    Meeting,
    MeetingFeedback,
    Membership,
    Person,
    ReportBack,
    Round,
)
from core.vocabulary import (
    STILL_OPEN,
    BidStatus,
    CommitmentStatus,
    ContributionKind,
    Facilitation,
    MeetingState,
    Mode,
    Phase,
    Role,
    Urgency,
)

# Which states each transition may start from: the whole machine at a glance.
ALLOWED_FROM: dict[str, tuple[MeetingState, ...]] = {
    "open_meeting": (MeetingState.SCHEDULED,),
    "check_in": (MeetingState.SCHEDULED, MeetingState.CHECK_IN, MeetingState.BIDDING),
    "extend_timebox": (MeetingState.ROUNDS,),
    "call_for_bids": (MeetingState.CHECK_IN,),
    "place_bid": (MeetingState.SCHEDULED, MeetingState.CHECK_IN, MeetingState.BIDDING, MeetingState.ROUNDS),
    "withdraw_bid": (MeetingState.SCHEDULED, MeetingState.CHECK_IN, MeetingState.BIDDING, MeetingState.ROUNDS),
    "start_round": (MeetingState.BIDDING, MeetingState.ROUNDS),
    "contribute": (MeetingState.ROUNDS,),
    "advance_phase": (MeetingState.ROUNDS,),
    "commit": (MeetingState.CHECK_IN, MeetingState.ROUNDS),
    "pass_commitment": (MeetingState.ROUNDS,),
    "close_meeting": (MeetingState.CHECK_IN, MeetingState.BIDDING, MeetingState.ROUNDS),
    "give_feedback": (MeetingState.CLOSED,),
}

# What to do first, by where the meeting is: every refusal names the next step.
_NEXT_STEP = {
    MeetingState.SCHEDULED: "The meeting hasn't started yet: today's facilitator opens it with /circle start.",
    MeetingState.CHECK_IN: "Open bids first: /circle bids.",
    MeetingState.BIDDING: "Start a round first: /circle round.",
    MeetingState.ROUNDS: "The meeting is already under way.",
    MeetingState.CLOSED: "This meeting has closed. The next one opens with /circle start once it is scheduled.",
}
_NEXT_STEP_FOR = {
    ("call_for_bids", MeetingState.BIDDING): "Bids are already open. Start a round with /circle round.",
    ("call_for_bids", MeetingState.ROUNDS): "Bids are already open, and rounds are under way.",
    ("check_in", MeetingState.ROUNDS): "Check-in is over; rounds are under way. Add a thought with /circle say.",
    ("give_feedback", MeetingState.CHECK_IN): "You can give feedback once the meeting has closed.",
    ("give_feedback", MeetingState.BIDDING): "You can give feedback once the meeting has closed.",
    ("give_feedback", MeetingState.ROUNDS): "You can give feedback once the meeting has closed.",
    ("commit", MeetingState.BIDDING): "You can commit at check-in, or once a round reaches Reflection.",
}
CLOSE_ROUND_FIRST = "Close this round first: *Next phase* or /circle pass."
EXTRA_MINUTES = 2


@dataclass
class Scene:
    """One meeting of one circle, loaded for a single request: what every transition works on."""

    uow: UnitOfWork
    circle: Circle
    meeting: Meeting
    fmt: Format
    now: datetime
    current_round: Round | None

    @property
    def members(self) -> list[Membership]:
        return self.circle.active_memberships()

    def membership(self, person: Person) -> Membership | None:
        return self.membership_of(person.id)

    def membership_of(self, person_id: int) -> Membership | None:
        return next((m for m in self.members if m.person_id == person_id), None)

    def person(self, person_id: int) -> Person:
        for m in self.circle.memberships:
            if m.person_id == person_id:
                return m.person
        raise CircleError("That person is not in this circle.")

    @property
    def is_async(self) -> bool:
        return self.circle.mode == Mode.ASYNC


async def load_scene(uow: UnitOfWork, circle: Circle, meeting: Meeting, fmt: Format, now: datetime) -> Scene:
    current = await uow.session.scalar(
        select(Round).where(Round.meeting_id == meeting.id).order_by(Round.number.desc()).limit(1)
    )
    return Scene(uow, circle, meeting, fmt, now, current)


# Guards ----------------------------------------------------------------------------------------


def _require_state(scene: Scene, transition: str, doing: str) -> None:
    state = scene.meeting.state
    if state not in ALLOWED_FROM[transition]:
        step = _NEXT_STEP_FOR.get((transition, state), _NEXT_STEP[state])
        raise CircleError(f"You can't {doing} just now. {step}")


def _require_member(scene: Scene, person: Person) -> Membership:
    membership = scene.membership(person)
    if membership is None:
        raise NotAllowed(
            "Only members of this circle can do that. Ask its lead to add you, or /circle join NAME while it forms."
        )
    return membership


def _require_facilitator_of_the_day(scene: Scene, actor: Person | None, doing: str) -> None:
    """Live: the facilitator of the day alone. Async: the bot, or that facilitator nudging it on."""
    if actor is None and scene.is_async:
        return
    if actor is not None and actor.id == scene.meeting.facilitator_id:
        return
    name = scene.person(scene.meeting.facilitator_id).display_name if scene.meeting.facilitator_id else "nobody yet"
    raise NotAllowed(f"Only today's facilitator ({name}) can {doing}.")


def _require_active_round(scene: Scene) -> Round:
    round_ = scene.current_round
    if round_ is None or round_.phase == Phase.DONE:
        raise CircleError("No round is under way. Today's facilitator starts one with /circle round.")
    return round_


def _require_round_closed(scene: Scene) -> None:
    if scene.current_round is not None and scene.current_round.phase != Phase.DONE:
        raise CircleError(f"Round {scene.current_round.number} is still going. {CLOSE_ROUND_FIRST}")


def _require_speaker(scene: Scene, round_: Round, person: Person, spec: PhaseSpec) -> None:
    holder = round_.issue_holder_id == person.id
    if spec.speaker == Speaker.HOLDER and not holder:
        name = scene.person(round_.issue_holder_id).display_name
        after = "questions and advice come next" if spec.phase == Phase.PRESENT else "the round moves on next"
        raise NotAllowed(
            f"Not taken: this part belongs to {name} ({views.PHASE_TITLES[spec.phase]}). "
            f"Keep your thought for a moment; {after}."
        )
    if spec.speaker == Speaker.OTHERS and holder and not spec.holder_answers:
        raise NotAllowed(
            f"Not taken: this part is the circle's ({views.PHASE_TITLES[spec.phase]}). "
            "Listen and note what strikes you; you reflect on it after."
        )


def _require_holder_after_questions(scene: Scene, person: Person, transition: str, doing: str) -> Round:
    """Passing is the issue holder's, once the circle's questions are done."""
    _require_member(scene, person)
    _require_state(scene, transition, doing)
    round_ = _require_active_round(scene)
    if round_.issue_holder_id != person.id:
        holder = scene.person(round_.issue_holder_id).display_name
        raise NotAllowed(f"Only {holder}, whose issue this round is, can {doing}.")
    if round_.phase not in (Phase.REFLECT, Phase.COMMIT):
        raise CircleError(f"You can {doing} once the circle's questions are done, from Reflection on.")
    return round_


# Who facilitates -------------------------------------------------------------------------------


def facilitator_for(
    circle: Circle, fmt: Format, number: int, earlier: Sequence[int | None] | None = None
) -> int | None:
    """The facilitator of the day for meeting `number`, by the circle's facilitation model.

    In rotation, members who volunteered come first, and nobody facilitates twice before everyone
    has once: `earlier` is who facilitated meetings 1..number-1 (hand-overs included), and the
    member with the fewest turns among today's members goes next. Without it (a whole series planned
    at once) the rotation is simply taken in turn."""
    members = circle.active_memberships()
    facilitators = [m.person_id for m in members if m.role == Role.FACILITATOR]
    named = facilitators[0] if facilitators else circle.created_by_id
    match circle.facilitation:
        case Facilitation.FACILITATED:
            return named
        case Facilitation.FACILITATED_THEN_ROTATING if number <= fmt.facilitated_meetings and named:
            return named
    rotation = rotation_order(members)
    if not rotation:
        return named
    if earlier is None:
        handed = fmt.facilitated_meetings if circle.facilitation == Facilitation.FACILITATED_THEN_ROTATING else 0
        return rotation[(number - 1 - handed) % len(rotation)]
    turns = Counter(person_id for person_id in earlier if person_id in rotation)
    return min(rotation, key=lambda person_id: (turns[person_id], rotation.index(person_id)))


def rotation_order(members: Sequence[Membership]) -> list[int]:
    """Who takes turns, volunteers first, then in the order they joined; a named facilitator only
    when nobody else is there."""
    rotating = [m for m in members if m.role == Role.MEMBER] or list(members)
    return [m.person_id for m in sorted(rotating, key=lambda m: (not m.volunteer, m.id or 0))]


async def reassign_facilitators(uow: UnitOfWork, circle: Circle) -> list[Meeting]:
    """After the roster changed: every meeting not yet opened gets its facilitator again, counting
    who facilitated the meetings before it. Returns the meetings whose facilitator changed."""
    fmt = get_format(circle.format_key)
    meetings = await uow.session.scalars(select(Meeting).where(Meeting.circle_id == circle.id).order_by(Meeting.number))
    earlier: list[int | None] = []
    changed = []
    for meeting in meetings:
        if meeting.state == MeetingState.SCHEDULED and meeting.opened_at is None:
            chosen = facilitator_for(circle, fmt, meeting.number, earlier)
            if chosen != meeting.facilitator_id:
                meeting.facilitator_id = chosen
                changed.append(meeting)
        earlier.append(meeting.facilitator_id)
    return changed


async def reassign_all(uow: UnitOfWork, circles: Sequence[Circle]) -> None:
    """Someone left every circle at once (erasure, gone from the workspace): each re-reads who is in it."""
    for circle in circles:
        await uow.session.refresh(circle, ["memberships"])
        await reassign_facilitators(uow, circle)


def is_close_out(circle: Circle, meeting: Meeting) -> bool:
    """The last meeting of a series closes the programme for the circle; open-ended circles have none."""
    return circle.meeting_count is not None and meeting.number >= circle.meeting_count


# Transitions -----------------------------------------------------------------------------------


async def open_meeting(scene: Scene, actor: Person | None) -> None:
    """Opens the meeting with its agenda, the report-back on open commitments and a check-in."""
    _require_state(scene, "open_meeting", "open the meeting")
    _require_facilitator_of_the_day(scene, actor, "open the meeting")
    scene.meeting.state = MeetingState.CHECK_IN
    scene.meeting.opened_at = scene.now
    reports = await _take_report_back(scene)
    close_out = is_close_out(scene.circle, scene.meeting)
    scene.uow.emit(PostToCircle(scene.circle.id, views.meeting_opening(scene, reports, close_out=close_out)))


async def check_in(scene: Scene, person: Person, text: str) -> CheckIn:
    _require_member(scene, person)
    _require_state(scene, "check_in", "check in")
    existing = await scene.uow.session.scalar(
        select(CheckIn).where(CheckIn.meeting_id == scene.meeting.id, CheckIn.person_id == person.id)
    )
    entry = existing or CheckIn(meeting_id=scene.meeting.id, person_id=person.id, text=text, created_at=scene.now)
    entry.text = text
    if existing is None:
        scene.uow.session.add(entry)
    await scene.uow.flush()
    if scene.meeting.state != MeetingState.SCHEDULED:
        scene.uow.emit(ShowCheckIn(entry.id))  # checking in again edits the posted check-in
    return entry


async def call_for_bids(scene: Scene, actor: Person | None) -> None:
    _require_state(scene, "call_for_bids", "call for bids")
    _require_facilitator_of_the_day(scene, actor, "call for bids")
    scene.meeting.state = MeetingState.BIDDING
    bids = await waiting_bids(scene)
    present = await attendance(scene)
    checked = (len(present.checked_in), len(present.checked_in) + len(present.not_checked_in))
    scene.uow.emit(PostToCircle(scene.circle.id, views.call_for_bids(scene, bids, checked)))


async def place_bid(scene: Scene, person: Person, topic: str, urgency: Urgency, minutes: int) -> Bid:
    _require_member(scene, person)
    _require_state(scene, "place_bid", "bid")
    if not 1 <= minutes <= scene.fmt.meeting_minutes:
        raise CircleError(f"Please ask for between 1 and {scene.fmt.meeting_minutes} minutes.")
    earlier = await scene.uow.session.scalar(_BID_OF, {"meeting_id": scene.meeting.id, "person_id": person.id})
    if earlier is not None:
        raise CircleError(_second_bid_message(earlier))
    bid = Bid(
        meeting_id=scene.meeting.id,
        person_id=person.id,
        topic=topic,
        urgency=urgency,
        minutes=minutes,
        created_at=scene.now,
    )
    scene.uow.session.add(bid)
    try:
        await scene.uow.flush()
    except IntegrityError:  # the same person's other bid landed a moment before this one
        raise CircleError("You have already bid for this meeting.") from None
    if scene.meeting.state in (MeetingState.BIDDING, MeetingState.ROUNDS):
        scene.uow.emit(PostToCircle(scene.circle.id, views.bid_placed(person, bid)))
    return bid


def _second_bid_message(earlier: Bid) -> str:
    if earlier.status == BidStatus.WITHDRAWN:
        return "You withdrew your bid for this meeting, and it's one bid per person per meeting. Bring it next time."
    return (
        f"You have already bid for this meeting (\u201c{earlier.topic[:80]}\u201d): one bid each per meeting. "
        "To bring something else, withdraw it first with /circle withdraw."
    )


async def waiting_bid_of(scene: Scene, person: Person) -> Bid:
    """The person's bid still waiting for its round: what withdrawing would take back (it asks first)."""
    _require_member(scene, person)
    _require_state(scene, "withdraw_bid", "withdraw a bid")
    bid = await scene.uow.session.scalar(
        select(Bid).where(
            Bid.meeting_id == scene.meeting.id, Bid.person_id == person.id, Bid.status == BidStatus.WAITING
        )
    )
    if bid is None:
        raise CircleError("You have no bid waiting to withdraw. Bid with /circle bid TOPIC.")
    return bid


async def withdraw_bid(scene: Scene, person: Person) -> Bid:
    """Final for this meeting: one bid per person per meeting, so the confirmation says so first."""
    bid = await waiting_bid_of(scene, person)
    bid.status = BidStatus.WITHDRAWN
    return bid


async def waiting_bids(scene: Scene) -> list[Bid]:
    """Most urgent first, then first come, first served."""
    bids = await scene.uow.session.scalars(_WAITING_BIDS, {"meeting_id": scene.meeting.id})
    return sorted(bids, key=lambda b: (-Urgency(b.urgency).weight, b.created_at, b.id))


async def start_round(scene: Scene, actor: Person | None, holder: Person | None = None) -> Round:
    """Gives the floor to the named person, else to the top bid (or, in time-slot circles, the next
    member in rotation)."""
    _require_state(scene, "start_round", "start a round")
    _require_facilitator_of_the_day(scene, actor, "start a round")
    _require_round_closed(scene)
    holder_id, bid, topic = await _choose_issue_holder(scene, holder)
    if bid is not None:
        bid.status = BidStatus.TAKEN
    number = (scene.current_round.number + 1) if scene.current_round else 1
    round_ = Round(
        meeting_id=scene.meeting.id,
        number=number,
        issue_holder_id=holder_id,
        bid_id=bid.id if bid else None,
        topic=topic,
        phase=Phase.PRESENT,
        phase_started_at=scene.now,
        created_at=scene.now,
    )
    if scene.fmt.equal_slots:
        round_.slot_start = scene.now
        round_.slot_end = scene.now + _slot_length(scene)
    round_.phase_deadline = scene.now + phase_length(scene, scene.fmt.phase(Phase.PRESENT))
    scene.uow.session.add(round_)
    scene.meeting.state = MeetingState.ROUNDS
    await scene.uow.flush()
    scene.current_round = round_
    scene.uow.emit(StartThread(round_.id))
    scene.uow.emit(PostInThread(round_.id, views.phase_prompt(scene, round_)))
    return round_


async def _choose_issue_holder(scene: Scene, holder: Person | None) -> tuple[int, Bid | None, str]:
    bids = await waiting_bids(scene)
    if holder is not None:
        _require_member(scene, holder)
        bid = next((b for b in bids if b.person_id == holder.id), None)
        return holder.id, bid, bid.topic if bid else "(an issue to be named)"
    if bids:
        return bids[0].person_id, bids[0], bids[0].topic
    if scene.fmt.equal_slots:
        already = set(
            await scene.uow.session.scalars(select(Round.issue_holder_id).where(Round.meeting_id == scene.meeting.id))
        )
        for membership in scene.members:
            if membership.person_id not in already and membership.role == Role.MEMBER:
                return membership.person_id, None, "(their dedicated time slot)"
    raise CircleError(
        "No bids are waiting. Members bid with /circle bid TOPIC, or you name someone: /circle round @person."
    )


def _slot_length(scene: Scene) -> timedelta:
    speakers = [m for m in scene.members if m.role == Role.MEMBER] or scene.members
    return timedelta(minutes=scene.fmt.meeting_minutes / max(1, len(speakers)))


def phase_length(scene: Scene, spec: PhaseSpec) -> timedelta:
    """Async phases run for hours; live ones for their timebox, scaled to the slot in time-slot circles."""
    if scene.is_async:
        return timedelta(hours=spec.async_hours)
    minutes: float = spec.live_minutes
    if scene.fmt.equal_slots:
        minutes = spec.live_minutes * _slot_length(scene).total_seconds() / 60 / scene.fmt.round_minutes
    return timedelta(minutes=minutes)


async def contribute(
    scene: Scene, person: Person, text: str, kind: ContributionKind | None = None, *, quote: bool = True
) -> Contribution:
    """`quote=False` for words the member typed in the round's thread: they are there already, once."""
    _require_member(scene, person)
    _require_state(scene, "contribute", "contribute")
    round_ = _require_active_round(scene)
    spec = scene.fmt.phase(round_.phase)
    if not spec.kinds:
        raise CircleError(
            "Not taken: this part is for commitments. Commit with /circle commit ACTION; the issue holder may "
            "also /circle pass."
        )
    _require_speaker(scene, round_, person, spec)
    answering = spec.holder_answers and round_.issue_holder_id == person.id
    allowed = (ContributionKind.ANSWER,) if answering else spec.kinds
    kind = kind or allowed[0]
    if kind not in allowed:
        words = ", ".join(k.value.replace("_", " ") for k in allowed)
        raise CircleError(
            f"Not taken: in {views.PHASE_TITLES[spec.phase]} it's {words}, not {kind.value.replace('_', ' ')} yet."
        )
    entry = Contribution(
        round_id=round_.id, person_id=person.id, phase=round_.phase, kind=kind, text=text, created_at=scene.now
    )
    scene.uow.session.add(entry)
    await scene.uow.flush()
    if quote:
        scene.uow.emit(PostInThread(round_.id, views.contribution(person, entry)))
    if scene.is_async and await everyone_has_spoken(scene, round_):
        await advance_phase(scene, None)
    return entry


async def everyone_has_spoken(scene: Scene, round_: Round) -> bool:
    spec = scene.fmt.phase(round_.phase)
    if spec.phase == Phase.COMMIT:
        return round_.holder_passed or await _holder_committed(scene, round_)
    expected = (
        {round_.issue_holder_id}
        if spec.speaker == Speaker.HOLDER
        else {m.person_id for m in scene.members if m.person_id != round_.issue_holder_id}
    )
    spoken = set(
        await scene.uow.session.scalars(
            select(Contribution.person_id).where(Contribution.round_id == round_.id, Contribution.phase == round_.phase)
        )
    )
    return expected <= spoken


async def advance_phase(scene: Scene, actor: Person | None, expected: Phase | None = None) -> Round:
    """Moves the round on one phase. `expected` makes a double-clicked *Next phase* a no-op."""
    _require_state(scene, "advance_phase", "move the round on")
    _require_facilitator_of_the_day(scene, actor, "move the round on")
    round_ = _require_active_round(scene)
    if expected is not None and round_.phase != expected:
        return round_
    silent = False
    if round_.phase == Phase.COMMIT and not round_.holder_passed and not await _holder_committed(scene, round_):
        if actor is not None or not scene.is_async:
            holder = scene.person(round_.issue_holder_id).display_name
            raise CircleError(
                f"{holder} hasn't committed to an action or passed yet. They commit with *Commit to an action* "
                "or /circle commit ACTION, or pass with /circle pass."
            )
        round_.holder_passed = silent = True  # an async deadline passed in silence: the round closes
    spoken = await spoken_count(scene, round_)
    await _move_to(scene, round_, scene.fmt.next_phase(round_.phase), spoken, in_silence=silent)
    return round_


async def _move_to(
    scene: Scene, round_: Round, phase: Phase, spoken: tuple[int, int] | None = None, *, in_silence: bool = False
) -> None:
    """The round enters `phase` (DONE closes it); `spoken` is how many have spoken of how many, for the circle."""
    round_.phase = phase
    round_.phase_started_at = scene.now
    round_.phase_deadline = (
        None if round_.phase == Phase.DONE else scene.now + phase_length(scene, scene.fmt.phase(round_.phase))
    )
    scene.uow.emit(RefreshThreadHeader(round_.id))
    if round_.phase == Phase.DONE:
        commitments = await _round_commitments(scene, round_)
        finished = views.round_finished(scene, round_, commitments, in_silence=in_silence)
        scene.uow.emit(PostInThread(round_.id, finished))
        bids = await waiting_bids(scene)
        scene.uow.emit(PostToCircle(scene.circle.id, views.between_rounds(scene, bids)))
    else:
        scene.uow.emit(PostInThread(round_.id, views.phase_prompt(scene, round_, spoken)))


def commitment_round(scene: Scene, person: Person) -> Round | None:
    """Where a member may commit now: at check-in (no round), or in a round from Reflection on.
    Every member acts between meetings, not only the issue holder."""
    _require_member(scene, person)
    _require_state(scene, "commit", "commit to an action")
    if scene.meeting.state == MeetingState.CHECK_IN:
        return None
    round_ = scene.current_round
    if round_ is None or round_.phase not in (Phase.REFLECT, Phase.COMMIT):
        raise CircleError(
            "You can commit to an action at check-in, or once a round reaches Reflection. "
            "Until then, note it for yourself."
        )
    return round_


async def commit(
    scene: Scene, person: Person, text: str, due_on: date | None = None, *, to_circle: bool = False, quote: bool = True
) -> Commitment:
    """`quote=False` for a commitment typed in the round's thread: it is there already, in their words."""
    round_ = commitment_round(scene, person)
    if due_on is not None and due_on < scene.now.date():
        raise CircleError("That due date is in the past. Pick a day still to come, like the next meeting's.")
    entry = Commitment(
        circle_id=scene.circle.id,
        meeting_id=scene.meeting.id,
        round_id=round_.id if round_ is not None else None,
        person_id=person.id,
        text=text,
        due_on=due_on,
        to_circle=to_circle,
        status=CommitmentStatus.OPEN,
        created_at=scene.now,
        updated_at=scene.now,
    )
    scene.uow.session.add(entry)
    await scene.uow.flush()
    if round_ is not None:
        if quote:
            scene.uow.emit(PostInThread(round_.id, views.committed(person, entry)))
    else:
        scene.uow.emit(PostToCircle(scene.circle.id, views.committed(person, entry)))
    holder = round_ is not None and round_.issue_holder_id == person.id
    if round_ is not None and holder and scene.is_async and round_.phase == Phase.COMMIT:
        await advance_phase(scene, None)
    return entry


async def pass_commitment(scene: Scene, person: Person) -> Round:
    """The issue holder passes: no commitment from this round, and the round closes."""
    round_ = _require_holder_after_questions(scene, person, "pass_commitment", "pass")
    round_.holder_passed = True
    scene.uow.emit(PostInThread(round_.id, views.passed(person)))
    await _move_to(scene, round_, Phase.DONE)
    return round_


async def extend_timebox(scene: Scene, actor: Person | None, round_id: int, minutes: int = EXTRA_MINUTES) -> Round:
    """*Two more minutes*: the facilitator keeps the phase going a little; a stale press does nothing."""
    _require_state(scene, "extend_timebox", "extend the time")
    _require_facilitator_of_the_day(scene, actor, "extend the time")
    round_ = _require_active_round(scene)
    if round_.id != round_id:
        return round_
    round_.phase_deadline = max(round_.phase_deadline or scene.now, scene.now) + timedelta(minutes=minutes)
    scene.uow.emit(RefreshThreadHeader(round_.id))
    return round_


async def close_meeting(scene: Scene, actor: Person | None) -> bool:
    """Ends the meeting; earlier commitments still open carry over, and members are asked for feedback.
    True when it was the close-out: the series is over and the caller ends the circle
    (`core.closing.end_circle`). Closing the last facilitated meeting of a set that then rotates
    hands over to the first member who facilitates."""
    _require_state(scene, "close_meeting", "close the meeting")
    _require_facilitator_of_the_day(scene, actor, "close the meeting")
    _require_round_closed(scene)
    scene.meeting.state = MeetingState.CLOSED
    scene.meeting.closed_at = scene.now
    carried = await scene.uow.session.scalars(
        select(Commitment).where(
            Commitment.circle_id == scene.circle.id,
            Commitment.meeting_id != scene.meeting.id,
            Commitment.status == CommitmentStatus.OPEN,
        )
    )
    for commitment in carried:
        set_commitment_status(
            scene.uow,
            commitment,
            commitment.person_id,
            CommitmentStatus.CARRIED_OVER,
            f"carried over at the close of meeting {scene.meeting.number}",
            scene.now,
        )
    close_out = is_close_out(scene.circle, scene.meeting)
    scene.uow.emit(PostToCircle(scene.circle.id, views.meeting_closed(scene, close_out=close_out)))
    scene.uow.emit(WithdrawMeeting(scene.meeting.id))
    if not close_out and scene.fmt.handover_note and scene.meeting.number == scene.fmt.facilitated_meetings:
        await _hand_over_to_members(scene)
    return close_out


async def _hand_over_to_members(scene: Scene) -> None:
    """The facilitated part is over: the first member to facilitate hears what the role asks, once."""
    number = scene.meeting.number + 1
    meetings = list(
        await scene.uow.session.scalars(
            select(Meeting).where(Meeting.circle_id == scene.circle.id).order_by(Meeting.number)
        )
    )
    planned = next((m for m in meetings if m.number == number), None)
    earlier = [m.facilitator_id for m in meetings if m.number < number]
    person_id = planned.facilitator_id if planned else facilitator_for(scene.circle, scene.fmt, number, earlier)
    if person_id is None or scene.membership_of(person_id) is None:
        return
    name = scene.person(person_id).display_name
    scene.uow.emit(TellPrivately(person_id, views.handover_note(scene.circle, scene.fmt.handover_note, number)))
    scene.uow.emit(
        PostToCircle(
            scene.circle.id,
            message(f"From meeting {number} the set runs itself: {name} facilitates first, then each of you in turn."),
        )
    )


async def give_feedback(scene: Scene, person: Person, rating: int, text: str) -> MeetingFeedback:
    _require_member(scene, person)
    _require_state(scene, "give_feedback", "give feedback")
    if not 1 <= rating <= 5:
        raise CircleError("Please rate the meeting from 1 (poor) to 5 (great).")
    entry = await scene.uow.session.scalar(
        select(MeetingFeedback).where(
            MeetingFeedback.meeting_id == scene.meeting.id, MeetingFeedback.person_id == person.id
        )
    )
    if entry is None:
        entry = MeetingFeedback(
            meeting_id=scene.meeting.id, person_id=person.id, rating=rating, text=text, created_at=scene.now
        )
        scene.uow.session.add(entry)
    else:
        entry.rating, entry.text = rating, text
    return entry


# Commitments between meetings ------------------------------------------------------------------


def set_commitment_status(
    uow: UnitOfWork, commitment: Commitment, person_id: int, status: CommitmentStatus, note: str, now: datetime
) -> bool:
    """Records a status change in the commitment's history; the same status again is a no-op."""
    if commitment.status == status and not note:
        return False
    commitment.status = status
    commitment.updated_at = now
    uow.session.add(
        CommitmentUpdate(commitment_id=commitment.id, person_id=person_id, status=status, note=note, created_at=now)
    )
    return True


async def _take_report_back(scene: Scene) -> list[tuple[Commitment, Person]]:
    """Snapshots every commitment the circle still owes, or settled since the last meeting."""
    previous = await scene.uow.session.scalar(
        select(Meeting)
        .where(Meeting.circle_id == scene.circle.id, Meeting.number < scene.meeting.number)
        .order_by(Meeting.number.desc())
        .limit(1)
    )
    if previous is None:
        return []
    since = previous.closed_at or previous.opened_at or scene.now
    rows = await scene.uow.session.execute(
        select(Commitment, Person)
        .join(Person, Person.id == Commitment.person_id)
        .where(Commitment.circle_id == scene.circle.id, Commitment.meeting_id != scene.meeting.id)
        .where(Commitment.status.in_(STILL_OPEN) | (Commitment.updated_at >= since))
        .order_by(Person.display_name, Commitment.id)
    )
    reports = [(c, p) for c, p in rows]
    for commitment, person in reports:
        note = commitment.updates[-1].note if commitment.updates else ""
        scene.uow.session.add(
            ReportBack(
                meeting_id=scene.meeting.id,
                person_id=person.id,
                commitment_id=commitment.id,
                status=commitment.status,
                text=note,
                created_at=scene.now,
            )
        )
    return reports


async def _holder_committed(scene: Scene, round_: Round) -> bool:
    """Others may commit in a round too; the round waits only for its issue holder."""
    count = await scene.uow.session.scalar(
        select(func.count(Commitment.id)).where(
            Commitment.round_id == round_.id, Commitment.person_id == round_.issue_holder_id
        )
    )
    return bool(count)


# Who is here, and who has spoken -------------------------------------------------------------


@dataclass(frozen=True)
class Attendance:
    """For today's facilitator (names) and, as counts, for the circle."""

    checked_in: list[str]
    not_checked_in: list[str]
    spoken: list[str]  # this round, anyone but the issue holder
    not_spoken: list[str]


async def attendance(scene: Scene) -> Attendance:
    """Check-ins and this round's speakers come in one statement: `next` reads this twice (the count in
    the phase prompt, then the facilitator's panel), and each read is on the hot path."""
    names = {m.person_id: m.person.display_name for m in scene.members}
    round_ = scene.current_round
    speakers = set(names)
    if round_ is not None:
        speakers.discard(round_.issue_holder_id)
        asked = {"meeting_id": scene.meeting.id, "round_id": round_.id}
        rows = (await scene.uow.session.execute(_CHECKED_IN_AND_SPOKEN, asked)).all()
    else:
        rows = (await scene.uow.session.execute(_CHECKED_IN, {"meeting_id": scene.meeting.id})).all()
    checked = {person_id for spoke_, person_id in rows if not spoke_}
    spoken = {person_id for spoke_, person_id in rows if spoke_}
    return Attendance(
        checked_in=sorted(names[i] for i in names if i in checked),
        not_checked_in=sorted(names[i] for i in names if i not in checked),
        spoken=sorted(names[i] for i in speakers if i in spoken),
        not_spoken=sorted(names[i] for i in speakers if i not in spoken),
    )


async def spoken_count(scene: Scene, round_: Round) -> tuple[int, int]:
    """How many of the circle (the issue holder aside) have spoken in this round so far, of how many."""
    present = await attendance(scene)
    return len(present.spoken), len(present.spoken) + len(present.not_spoken)


async def _round_commitments(scene: Scene, round_: Round) -> list[Commitment]:
    return list(
        await scene.uow.session.scalars(
            select(Commitment).where(Commitment.round_id == round_.id).order_by(Commitment.id)
        )
    )


# Statements of the commonest commands, built once: building one anew costs a request more than running it.
_BID_OF = select(Bid).where(Bid.meeting_id == bindparam("meeting_id"), Bid.person_id == bindparam("person_id"))
_WAITING_BIDS = (
    select(Bid).where(Bid.meeting_id == bindparam("meeting_id"), Bid.status == BidStatus.WAITING).order_by(Bid.id)
)
_CHECKED_IN = select(literal(False).label("spoke"), CheckIn.person_id).where(
    CheckIn.meeting_id == bindparam("meeting_id")
)
_CHECKED_IN_AND_SPOKEN = union_all(
    _CHECKED_IN,
    select(literal(True).label("spoke"), Contribution.person_id).where(Contribution.round_id == bindparam("round_id")),
)
