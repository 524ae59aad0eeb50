"""The raw figures of a programme's (or one circle's) health, counted by the database.

Every number here is a SQL aggregate grouped by meeting, circle or (ids only) member; no text column
is ever selected, so nothing anyone wrote can reach a report by this road. These figures are raw:
they still hold small groups and real circle names. Nothing may show them to anyone before
`core.report.privacy` has turned them into a `Report`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.models import (
    Applied,
    CheckIn,
    Circle,
    Commitment,
    Contribution,
    Meeting,
    MeetingFeedback,
    Membership,
    ProgrammeEvaluation,
    ReportBack,
    Round,
)
from core.vocabulary import CommitmentStatus, Role

# Follow-through: what a commitment came to by the next meeting's report-back. A commitment still open
# with no news at that report-back is carried over to the meeting after.
OUTCOMES = ("done", "in_progress", "stuck", "dropped", "carried_over")
_OUTCOME_OF = {
    CommitmentStatus.DONE: "done",
    CommitmentStatus.IN_PROGRESS: "in_progress",
    CommitmentStatus.STUCK: "stuck",
    CommitmentStatus.DROPPED: "dropped",
    CommitmentStatus.OPEN: "carried_over",
    CommitmentStatus.CARRIED_OVER: "carried_over",
}


@dataclass
class MeetingFigures:
    number: int
    checked_in: int = 0
    commitments_made: int = 0
    committers: int = 0  # distinct people who made them
    outcomes: dict[str, int] = field(default_factory=dict)  # by the next meeting's report-back
    contributions: list[int] = field(default_factory=list)  # per participant (checked in or spoke), high first
    ratings: dict[int, int] = field(default_factory=dict)  # rating 1-5 -> how many gave it

    @property
    def reported(self) -> int:
        return sum(self.outcomes.values())

    @property
    def raters(self) -> int:
        return sum(self.ratings.values())


@dataclass
class CircleFigures:
    circle_id: int
    name: str
    leads: frozenset[int]  # who runs the circle: its facilitators, and whoever set it up while still in it
    members: int
    meetings: list[MeetingFigures]
    attended: list[int]  # per current member: meetings they checked in to
    rounds_held: list[int]  # per current member: rounds in which they were the issue holder
    committers: int  # distinct people who made commitments at any of its meetings


@dataclass
class EvaluationFigures:
    respondents: int = 0
    usefulness: dict[int, int] = field(default_factory=dict)
    recommend: dict[bool, int] = field(default_factory=dict)
    applied: dict[str, int] = field(default_factory=dict)
    sharing: int = 0  # respondents who ticked "share anonymously with the programme lead"


@dataclass
class Figures:
    circles: list[CircleFigures]
    evaluation: EvaluationFigures


def gini(counts: Sequence[int]) -> float:
    """0 when everyone contributed equally, towards 1 when one person did all of it."""
    n, total = len(counts), sum(counts)
    if n == 0 or total == 0:
        return 0.0
    ordered = sorted(counts)
    weighted = sum((2 * (i + 1) - n - 1) * x for i, x in enumerate(ordered))
    return weighted / (n * total)


async def programme_figures(session: AsyncSession, programme_id: int) -> Figures:
    circles = list(
        await session.execute(
            select(Circle.id, Circle.name, Circle.created_by_id)
            .where(Circle.programme_id == programme_id)
            .order_by(Circle.id)
        )
    )
    figures = await _circle_figures(session, [(c.id, c.name, c.created_by_id) for c in circles])
    return Figures(figures, await _evaluation(session, programme_id))


async def circle_figures(session: AsyncSession, circle: Circle) -> Figures:
    return Figures(
        await _circle_figures(session, [(circle.id, circle.name, circle.created_by_id)]), EvaluationFigures()
    )


async def _circle_figures(session: AsyncSession, circles: list[tuple[int, str, int | None]]) -> list[CircleFigures]:
    ids = [c[0] for c in circles]
    if not ids:
        return []
    members: dict[int, list[int]] = defaultdict(list)
    leads: dict[int, set[int]] = defaultdict(set)
    for circle_id, person_id, role in await session.execute(
        select(Membership.circle_id, Membership.person_id, Membership.role)
        .where(Membership.circle_id.in_(ids), Membership.left_at.is_(None))
        .order_by(Membership.id)
    ):
        members[circle_id].append(person_id)
        if role == Role.FACILITATOR:
            leads[circle_id].add(person_id)
    meetings: dict[int, dict[int, MeetingFigures]] = defaultdict(dict)
    meeting_circle: dict[int, int] = {}
    for meeting_id, circle_id, number in await session.execute(
        select(Meeting.id, Meeting.circle_id, Meeting.number)
        .where(Meeting.circle_id.in_(ids), Meeting.opened_at.is_not(None))
        .order_by(Meeting.number)
    ):
        meetings[circle_id][meeting_id] = MeetingFigures(number)
        meeting_circle[meeting_id] = circle_id
    held = list(meeting_circle)

    def at(meeting_id: int) -> MeetingFigures:
        return meetings[meeting_circle[meeting_id]][meeting_id]

    for meeting_id, count in await session.execute(
        select(CheckIn.meeting_id, func.count(CheckIn.id))
        .where(CheckIn.meeting_id.in_(held))
        .group_by(CheckIn.meeting_id)
    ):
        at(meeting_id).checked_in = count
    attended: dict[tuple[int, int], int] = {}
    for circle_id, person_id, count in await session.execute(
        select(Meeting.circle_id, CheckIn.person_id, func.count(CheckIn.id))
        .join(Meeting, Meeting.id == CheckIn.meeting_id)
        .where(CheckIn.meeting_id.in_(held))
        .group_by(Meeting.circle_id, CheckIn.person_id)
    ):
        attended[circle_id, person_id] = count
    # Who took part in a meeting: checked in, or spoke (a late arrival who never checked in counts too).
    took_part = union(
        select(CheckIn.meeting_id.label("meeting_id"), CheckIn.person_id.label("person_id")).where(
            CheckIn.meeting_id.in_(held)
        ),
        select(Round.meeting_id, Contribution.person_id)
        .join(Round, Round.id == Contribution.round_id)
        .where(Round.meeting_id.in_(held)),
    ).subquery()
    participants: dict[int, int] = {
        meeting_id: count
        for meeting_id, count in await session.execute(
            select(took_part.c.meeting_id, func.count()).group_by(took_part.c.meeting_id)
        )
    }
    for meeting_id, made, committers in await session.execute(
        select(Commitment.meeting_id, func.count(Commitment.id), func.count(Commitment.person_id.distinct()))
        .where(Commitment.meeting_id.in_(held))
        .group_by(Commitment.meeting_id)
    ):
        at(meeting_id).commitments_made, at(meeting_id).committers = made, committers
    people_committing: dict[int, int] = {}
    for circle_id, count in await session.execute(
        select(Commitment.circle_id, func.count(Commitment.person_id.distinct()))
        .where(Commitment.meeting_id.in_(held))
        .group_by(Commitment.circle_id)
    ):
        people_committing[circle_id] = count
    made_at, next_meeting = aliased(Meeting), aliased(Meeting)
    for meeting_id, status, count in await session.execute(
        select(Commitment.meeting_id, ReportBack.status, func.count(ReportBack.id))
        .join(made_at, made_at.id == Commitment.meeting_id)
        .join(
            next_meeting,
            and_(next_meeting.circle_id == made_at.circle_id, next_meeting.number == made_at.number + 1),
        )
        .join(ReportBack, and_(ReportBack.meeting_id == next_meeting.id, ReportBack.commitment_id == Commitment.id))
        .where(Commitment.meeting_id.in_(held))
        .group_by(Commitment.meeting_id, ReportBack.status)
    ):
        outcome = _OUTCOME_OF[CommitmentStatus(status)]
        at(meeting_id).outcomes[outcome] = at(meeting_id).outcomes.get(outcome, 0) + count
    spoken: dict[int, dict[int, int]] = defaultdict(dict)
    for meeting_id, person_id, count in await session.execute(
        select(Round.meeting_id, Contribution.person_id, func.count(Contribution.id))
        .join(Round, Round.id == Contribution.round_id)
        .where(Round.meeting_id.in_(held))
        .group_by(Round.meeting_id, Contribution.person_id)
    ):
        spoken[meeting_id][person_id] = count
    for meeting_id in held:
        counts = sorted(spoken[meeting_id].values(), reverse=True)
        silent = participants.get(meeting_id, 0) - len(counts)
        at(meeting_id).contributions = counts + [0] * silent
    for meeting_id, rating, count in await session.execute(
        select(MeetingFeedback.meeting_id, MeetingFeedback.rating, func.count(MeetingFeedback.id))
        .where(MeetingFeedback.meeting_id.in_(held))
        .group_by(MeetingFeedback.meeting_id, MeetingFeedback.rating)
    ):
        at(meeting_id).ratings[rating] = count
    rounds: dict[tuple[int, int], int] = {}
    for circle_id, person_id, count in await session.execute(
        select(Meeting.circle_id, Round.issue_holder_id, func.count(Round.id))
        .join(Meeting, Meeting.id == Round.meeting_id)
        .where(Meeting.circle_id.in_(ids))
        .group_by(Meeting.circle_id, Round.issue_holder_id)
    ):
        rounds[circle_id, person_id] = count
    return [
        CircleFigures(
            circle_id=circle_id,
            name=name,
            leads=frozenset(leads[circle_id] | ({created_by} if created_by in members[circle_id] else set())),
            members=len(members[circle_id]),
            meetings=sorted(meetings[circle_id].values(), key=lambda m: m.number),
            attended=[attended.get((circle_id, p), 0) for p in members[circle_id]],
            rounds_held=[rounds.get((circle_id, p), 0) for p in members[circle_id]],
            committers=people_committing.get(circle_id, 0),
        )
        for circle_id, name, created_by in circles
    ]


async def _evaluation(session: AsyncSession, programme_id: int) -> EvaluationFigures:
    figures = EvaluationFigures()
    of_programme = ProgrammeEvaluation.programme_id == programme_id
    for usefulness, count in await session.execute(
        select(ProgrammeEvaluation.usefulness, func.count())
        .where(of_programme)
        .group_by(ProgrammeEvaluation.usefulness)
    ):
        figures.usefulness[usefulness] = count
        figures.respondents += count
    for recommend, count in await session.execute(
        select(ProgrammeEvaluation.would_recommend, func.count())
        .where(of_programme)
        .group_by(ProgrammeEvaluation.would_recommend)
    ):
        figures.recommend[bool(recommend)] = count
    for applied, count in await session.execute(
        select(ProgrammeEvaluation.applied, func.count()).where(of_programme).group_by(ProgrammeEvaluation.applied)
    ):
        figures.applied[Applied(applied).value] = count
    sharing = await session.scalar(
        select(func.count()).where(of_programme, ProgrammeEvaluation.share_with_lead.is_(True))
    )
    figures.sharing = int(sharing or 0)
    return figures
