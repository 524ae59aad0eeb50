"""The five circle formats, as data.

A format says which phases a round goes through, how long each lasts on a call (minutes) or in a
thread (hours), how often the circle meets and who facilitates. The meeting state machine reads
these tables; it never branches on a format's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from core.errors import CircleError
from core.vocabulary import ContributionKind as K
from core.vocabulary import Facilitation, Phase


class Speaker(StrEnum):
    HOLDER = "holder"  # only the issue holder speaks in this phase
    OTHERS = "others"  # everyone but the issue holder


@dataclass(frozen=True)
class PhaseSpec:
    phase: Phase
    live_minutes: int
    async_hours: int
    speaker: Speaker
    kinds: tuple[K, ...]
    prompt: str
    holder_answers: bool = False  # the issue holder may answer the circle's questions in this phase


@dataclass(frozen=True)
class CloseOut:
    """The last meeting of a series: what its opening says, the reflection round every member
    speaks in (the close-out's check-in), and what the circle hears when it ends."""

    opening: str
    reflection: str
    closing: str


CLOSE_OUT = CloseOut(
    opening=(
        "This is our last meeting: the close-out. We hear back on every commitment still open, each of us "
        "reflects on the whole programme, and we close with the programme's feedback."
    ),
    reflection=(
        "*Reflection round on the whole programme*: what changed for me? Every member speaks, once, "
        "with /circle checkin TEXT (or *Check in*)."
    ),
    closing=(
        "This circle has ended. Thank you all. The channel stays here to read, but nobody writes in it any "
        "more. Each of you gets a private message about your open commitments: done, dropped, or carried "
        "on on your own."
    ),
)

# What the first member to facilitate a set that ran facilitated is told, a few lines before their turn.
HANDOVER_NOTE = (
    "From now on the set runs itself, and you facilitate the next meeting. What the facilitator does:",
    "• open the meeting with /circle start, and keep time (you get a private *Time's up* at each phase's end);",
    "• open bids with /circle bids, start each round with /circle round, and move it on with /circle next;",
    "• guard the process, not the content: questions before advice, the issue holder owns their actions;",
    "• close with /circle close. Others take their turn after you.",
)


@dataclass(frozen=True)
class Format:
    key: str
    name: str
    summary: str
    facilitation: Facilitation
    cadence_days: tuple[int, int]  # shortest and longest gap between meetings
    meetings: tuple[int, int]  # fewest and most meetings in a programme
    meeting_minutes: int
    phases: tuple[PhaseSpec, ...]
    facilitated_meetings: int = 0  # FACILITATED_THEN_ROTATING: meetings the facilitator runs
    break_after_minutes: int | None = None  # a live call this long gets a break, offered at this point
    break_minutes: int = 10
    equal_slots: bool = False  # every member gets the same block of time
    slots_by_rotation: bool = False  # slot order by rotation instead of bids
    uses_module: bool = False
    first_meeting_opening: str = ""
    session_agendas: tuple[str, ...] = field(default_factory=tuple)
    close_out: CloseOut = CLOSE_OUT
    handover_note: tuple[str, ...] = ()  # FACILITATED_THEN_ROTATING: to the first member who facilitates

    def phase(self, phase: Phase) -> PhaseSpec:
        for spec in self.phases:
            if spec.phase == phase:
                return spec
        raise KeyError(phase)

    def next_phase(self, phase: Phase) -> Phase:
        order = [spec.phase for spec in self.phases]
        index = order.index(phase)
        return order[index + 1] if index + 1 < len(order) else Phase.DONE

    @property
    def round_minutes(self) -> int:
        return sum(spec.live_minutes for spec in self.phases)


GROUND_RULES = (
    "What is said in the circle stays in the circle. We listen more than we speak, ask before we "
    "advise, and each of us owns our own actions."
)

COACHING_PRIMER = (
    "A short primer. *Coaching* a peer means asking open questions that help them think, not "
    "solving their problem for them. *Being coached* means bringing a live issue you own, "
    "answering honestly, and choosing your own next step. Ground rules: " + GROUND_RULES
)

_PRESENT = "{holder}, please present your issue: what is happening, what you have tried, what you want."
_CLARIFY = "Clarifying questions only: facts the circle needs. No advice yet."
_EXPLORE = "Open questions, feedback, challenge, suggestions and advice for {holder}."
_REFLECT = "{holder}, what are you taking away? Reflect on what you heard."
_COMMIT = "{holder}, commit to one or more concrete actions (or pass, if none fits yet)."

EXPLORE_KINDS = (K.QUESTION, K.FEEDBACK, K.CHALLENGE, K.SUGGESTION, K.ADVICE)


def _round(present: int, clarify: int, explore: int, reflect: int, commit: int) -> tuple[PhaseSpec, ...]:
    """The classic round; live minutes as given, async hours scaled from them (a working day each)."""
    return (
        PhaseSpec(Phase.PRESENT, present, 24, Speaker.HOLDER, (K.PRESENTATION,), _PRESENT),
        PhaseSpec(Phase.CLARIFY, clarify, 24, Speaker.OTHERS, (K.CLARIFYING_QUESTION,), _CLARIFY, True),
        PhaseSpec(Phase.EXPLORE, explore, 48, Speaker.OTHERS, EXPLORE_KINDS, _EXPLORE),
        PhaseSpec(Phase.REFLECT, reflect, 24, Speaker.HOLDER, (K.REFLECTION,), _REFLECT),
        PhaseSpec(Phase.COMMIT, commit, 24, Speaker.HOLDER, (), _COMMIT),
    )


FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format(
            key="action-learning",
            name="Action Learning, facilitated",
            summary="A facilitator and about six members; rounds of about an hour; every 6 weeks.",
            facilitation=Facilitation.FACILITATED,
            cadence_days=(42, 42),
            meetings=(4, 6),
            meeting_minutes=240,
            phases=_round(5, 10, 35, 5, 5),
            break_after_minutes=120,
            first_meeting_opening="Ground rules: " + GROUND_RULES,
        ),
        Format(
            key="peer-coaching",
            name="Peer coaching circle, self-facilitated",
            summary="The facilitator of the day rotates among members; every 3-4 weeks, at most 2 hours.",
            facilitation=Facilitation.ROTATING,
            cadence_days=(21, 28),
            meetings=(4, 6),
            meeting_minutes=120,
            phases=_round(5, 5, 20, 5, 5),
            first_meeting_opening=COACHING_PRIMER,
        ),
        Format(
            key="action-learning-handover",
            name="Action Learning set, facilitated then self-run",
            summary="The facilitator runs the first meetings, then the members take turns.",
            facilitation=Facilitation.FACILITATED_THEN_ROTATING,
            cadence_days=(28, 42),
            meetings=(4, 6),
            meeting_minutes=180,
            phases=_round(5, 10, 35, 5, 5),
            facilitated_meetings=2,
            handover_note=HANDOVER_NOTE,
            break_after_minutes=120,
            first_meeting_opening="Ground rules: " + GROUND_RULES,
        ),
        Format(
            key="module",
            name="Module-based two-session circle",
            summary="A topic module; session 1 learn and plan, session 2 a month later report back.",
            facilitation=Facilitation.ROTATING,
            cadence_days=(28, 35),
            meetings=(2, 2),
            meeting_minutes=90,
            phases=(
                PhaseSpec(
                    Phase.PRESENT,
                    5,
                    24,
                    Speaker.HOLDER,
                    (K.PRESENTATION,),
                    "{holder}, share your story about this module's topic.",
                ),
                PhaseSpec(Phase.CLARIFY, 5, 24, Speaker.OTHERS, (K.CLARIFYING_QUESTION,), _CLARIFY, True),
                PhaseSpec(
                    Phase.EXPLORE,
                    15,
                    48,
                    Speaker.OTHERS,
                    EXPLORE_KINDS,
                    "Discuss {holder}'s story in the light of the module's material.",
                ),
                PhaseSpec(Phase.REFLECT, 5, 24, Speaker.HOLDER, (K.REFLECTION,), _REFLECT),
                PhaseSpec(
                    Phase.COMMIT,
                    5,
                    24,
                    Speaker.HOLDER,
                    (),
                    "{holder}, plan how you will apply the module: commit to an action.",
                ),
            ),
            uses_module=True,
            session_agendas=(
                "Session 1, learn and plan: share stories, discuss, study the material, plan how to apply it.",
                "Session 2, report back: what did you try, what happened, what will you adjust?",
            ),
        ),
        Format(
            key="time-slot",
            name="Time-slot circle",
            summary="Every member gets an equal dedicated block, in the order set by bids.",
            facilitation=Facilitation.ROTATING,
            cadence_days=(21, 35),
            meetings=(4, 6),
            meeting_minutes=120,
            phases=_round(3, 3, 8, 2, 2),
            equal_slots=True,
        ),
    )
}

DEFAULT_FORMAT = "action-learning"


def get_format(key: str) -> Format:
    try:
        return FORMATS[key]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise CircleError(f"There is no format called '{key}'. Formats: {known}.") from None
