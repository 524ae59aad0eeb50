"""The typed requests a member can make, whatever the surface.

A slash command, a button and a form that mean the same thing become the same request here (a
`PlaceBid` whether typed as `/circle bid …`, chosen from Discord's options or sent from the *Bring
an issue* form), already checked against the one spec in `core.commands`; one handler in
`core.handlers` answers it. Values are typed and within their limits by the time a request exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from core.vocabulary import CircleStatus, CommitmentStatus, ContributionKind, Mode, Phase, Role, Urgency


@dataclass(frozen=True)
class Target:
    """Which circle a request is about: by name (`in=NAME`), by the meeting or round a button or form
    carries, or (all None) the circle of the space it came from, else the person's only one."""

    circle: str | None = None
    meeting: int | None = None
    round: int | None = None


@dataclass(frozen=True)
class PersonRef:
    """Someone named in a request: their platform id and, when the platform said, their display name."""

    external_id: str
    name: str = ""


@dataclass(frozen=True)
class Help:
    command: str = ""


@dataclass(frozen=True)
class NewCircle:
    name: str
    format: str = ""  # the programme's format, else action-learning
    mode: Mode = Mode.LIVE
    module: str = ""
    programme: str = ""
    open: bool = False  # anyone may join without asking


@dataclass(frozen=True)
class Join:
    name: str


@dataclass(frozen=True)
class Leave:
    target: Target = Target()


@dataclass(frozen=True)
class Status:
    target: Target = Target()


@dataclass(frozen=True)
class Schedule:
    day: date
    at: time
    target: Target = Target()
    tz: str = ""
    minutes: int | None = None
    meeting: int | None = None  # which meeting of the series moves (default: the next one)
    rest: bool = False  # that meeting and every one after it, at the same weekly slot


@dataclass(frozen=True)
class ScheduleSeries:
    """The circle's whole series at a weekly slot inside its members' working hours."""

    target: Target = Target()


@dataclass(frozen=True)
class OpenMeeting:
    target: Target = Target()


@dataclass(frozen=True)
class CheckIn:
    text: str
    target: Target = Target()


@dataclass(frozen=True)
class CallForBids:
    target: Target = Target()


@dataclass(frozen=True)
class PlaceBid:
    topic: str
    urgency: Urgency = Urgency.MEDIUM
    minutes: int = 20
    target: Target = Target()


@dataclass(frozen=True)
class Withdraw:
    target: Target = Target()


@dataclass(frozen=True)
class StartRound:
    person: PersonRef | None = None
    target: Target = Target()


@dataclass(frozen=True)
class NextPhase:
    target: Target = Target()
    expected: Phase | None = None  # a button says which phase it was pressed in


@dataclass(frozen=True)
class Contribute:
    text: str
    kind: ContributionKind | None = None
    target: Target = Target()


@dataclass(frozen=True)
class Commit:
    action: str
    due: date | None = None
    to_circle: bool = False  # a commitment for the circle rather than oneself
    target: Target = Target()


@dataclass(frozen=True)
class PassRound:
    target: Target = Target()


@dataclass(frozen=True)
class SetCommitmentStatus:
    number: int
    status: CommitmentStatus
    note: str = ""


@dataclass(frozen=True)
class SettleCommitment:
    """The owner's word on a commitment of a circle that has ended: done, dropped, or kept going alone."""

    number: int
    status: CommitmentStatus


@dataclass(frozen=True)
class CloseMeeting:
    target: Target = Target()


@dataclass(frozen=True)
class GiveFeedback:
    rating: int
    text: str = ""
    target: Target = Target()


@dataclass(frozen=True)
class AddPeople:
    people: tuple[PersonRef, ...]
    role: Role = Role.MEMBER
    history: bool | None = None  # whether they see what was said before; None: as the circle's past says
    target: Target = Target()


@dataclass(frozen=True)
class RemovePerson:
    person: PersonRef
    target: Target = Target()


@dataclass(frozen=True)
class HandOver:
    person: PersonRef
    target: Target = Target()


@dataclass(frozen=True)
class SetCircleStatus:
    status: CircleStatus
    target: Target = Target()


@dataclass(frozen=True)
class NewProgramme:
    name: str
    format: str = "action-learning"
    meetings: int | None = None
    every: int | None = None


@dataclass(frozen=True)
class FormCircles:
    """`/circle form PROGRAMME`: show the programme's proposed circles (with `seed`, another
    arrangement), or move one person of the standing proposal to another of its circles
    (`move=@person to=N`).
    The *Another arrangement* button names the programme by id."""

    programme: str = ""
    seed: int | None = None
    move: PersonRef | None = None
    to: int | None = None
    programme_id: int | None = None


@dataclass(frozen=True)
class ConfirmCircles:
    """*Create these circles* under a proposal: the revision it showed, so only what was seen is created."""

    proposal: int
    revision: int


@dataclass(frozen=True)
class OpenSignUp:
    programme: str


@dataclass(frozen=True)
class ListSignUps:
    programme: str


@dataclass(frozen=True)
class SignUp:
    programme_id: int
    department: str
    level: int
    timezone: str
    topics: str = ""
    facilitator: str = "no"


@dataclass(frozen=True)
class SetTimezone:
    zone: str


@dataclass(frozen=True)
class SetQuietHours:
    hours: tuple[time, time]
    weekends: str = ""  # "on", "off", or as before


@dataclass(frozen=True)
class SetNudges:
    setting: str
    days: int = 7


@dataclass(frozen=True)
class OpenForm:
    """A button that opens a form about a meeting, a round, a commitment or a programme."""

    form: str
    target: Target = Target()
    commitment: int | None = None
    programme: int | None = None


@dataclass(frozen=True)
class WithdrawBid:
    """The *Withdraw* button under the confirmation `/circle withdraw` answers with."""

    bid: int


@dataclass(frozen=True)
class ExtendTimebox:
    """*Two more minutes* when a phase's time is up; the button says which phase it was pressed in."""

    target: Target
    expected: Phase | None = None


@dataclass(frozen=True)
class AnswerMembership:
    """Accept or decline an invitation, confirm held-back invitations, approve or refuse a join request."""

    action: str
    ident: int


@dataclass(frozen=True)
class Report:
    programme: str = ""
    monthly: str = ""  # "on", "off", or as before
    target: Target = Target()


@dataclass(frozen=True)
class Evaluate:
    programme: str


@dataclass(frozen=True)
class Evaluation:
    """The closing-questions form about a programme."""

    programme_id: int
    usefulness: int
    recommend: str
    applied: str
    text: str = ""
    share: str = "no"


@dataclass(frozen=True)
class MyData:
    pass


@dataclass(frozen=True)
class ForgetMe:
    pass


@dataclass(frozen=True)
class ConfirmErase:
    person_id: int


@dataclass(frozen=True)
class SetRetention:
    days: int


@dataclass(frozen=True)
class BrowseModules:
    wanted: str = ""  # a category or a module's key; empty: the whole catalogue
