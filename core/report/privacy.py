"""The privacy rules of every report, in one place. Nothing leaves `core.report` except a `Report`
made here: the reply, the charts, the CSV, the monthly digest and the playground's page all read it.

1. No text anyone wrote, ever: figures are counts (see `core.report.figures`, which selects no text
   column), so no topic, check-in, contribution, commitment or comment can appear.
2. A figure about fewer than three people is not shown: it reads "too few to show".
3. The programme lead sees circles as "Circle A", "Circle B", … unless they run that circle.
   A circle's facilitator sees only their own circle.
4. The only words that can reach the lead are the free-text answers to the closing questions of
   members who ticked "share anonymously with the programme lead", unattributed and in no
   particular order, and only once at least three have ticked it. They go in the reply, never in
   a chart, the CSV or the digest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Circle, Programme, ProgrammeEvaluation
from core.report.figures import (
    OUTCOMES,
    CircleFigures,
    EvaluationFigures,
    Figures,
    MeetingFigures,
    circle_figures,
    gini,
    programme_figures,
)

MIN_PEOPLE = 3
TOO_FEW = "too few to show"
ALL_CIRCLES = "All circles"
ATTENDANCE_BANDS = ("none", "under half", "half or more", "three quarters or more", "all")


@dataclass(frozen=True)
class Row:
    """One published figure. `value` is None when it is about too few people to show."""

    section: str
    circle: str
    meeting: int | None  # the meeting's number; None for the whole run of meetings
    measure: str
    value: float | None

    @property
    def shown(self) -> str:
        if self.value is None:
            return TOO_FEW
        return f"{self.value:g}"


@dataclass(frozen=True)
class Report:
    title: str
    circles: tuple[str, ...]  # labels, as this viewer may see them
    rows: tuple[Row, ...]
    shared_answers: tuple[str, ...] = ()
    shared_note: str = ""

    def find(self, section: str, circle: str, meeting: int | None, measure: str) -> Row | None:
        return next(
            (
                r
                for r in self.rows
                if (r.section, r.circle, r.meeting, r.measure) == (section, circle, meeting, measure)
            ),
            None,
        )


def circle_label(index: int) -> str:
    """A, B, … Z, AA, AB, …: as many as a programme has circles."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"Circle {letters}"


async def programme_report(session: AsyncSession, programme: Programme, viewer_id: int) -> Report:
    """For the programme's lead only (the caller checks): every circle, the programme as a whole,
    and the closing questions."""
    figures = await programme_figures(session, programme.id)
    labels = [c.name if viewer_id in c.leads else circle_label(i) for i, c in enumerate(figures.circles)]
    rows = [row for circle, label in zip(figures.circles, labels, strict=True) for row in _circle_rows(circle, label)]
    rows.extend(_programme_rows(figures))
    rows.extend(_evaluation_rows(figures.evaluation))
    answers, note = await _shared_answers(session, programme.id, figures.evaluation)
    return Report(f"Programme {programme.name}", tuple(labels), tuple(rows), answers, note)


async def circle_report(session: AsyncSession, circle: Circle) -> Report:
    """For those who run the circle (the caller checks): this circle only, under its own name."""
    figures = await circle_figures(session, circle)
    return Report(f"Circle {circle.name}", (circle.name,), tuple(_circle_rows(figures.circles[0], circle.name)))


def _figure(people: int, value: float | None) -> float | None:
    return value if people >= MIN_PEOPLE else None


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _circle_rows(circle: CircleFigures, label: str) -> Iterable[Row]:
    members = circle.members
    for m in circle.meetings:
        yield Row("attendance", label, m.number, "checked_in", _figure(members, m.checked_in))
        yield Row("attendance", label, m.number, "attendance_rate", _figure(members, _pct(m.checked_in, members)))
    yield from _attendance_bands(label, circle.attended, len(circle.meetings))
    for m in circle.meetings:
        yield from _follow_through(label, m.number, m.committers, [m])
    yield from _follow_through(label, None, circle.committers, circle.meetings)
    for m in circle.meetings:
        participants = len(m.contributions)
        total = sum(m.contributions)
        balance = round(1 - gini(m.contributions), 3) if total else None
        yield Row("airtime", label, m.number, "balance", _figure(participants, balance))
        for place, count in enumerate(m.contributions, start=1):
            yield Row("airtime", label, m.number, f"share_{place}", _figure(participants, _pct(count, total)))
    for held in sorted(set(circle.rounds_held)):
        count = sum(1 for n in circle.rounds_held if n == held)
        yield Row("rounds", label, None, f"members_holding_{held}_rounds", _figure(members, count))
    for m in circle.meetings:
        yield from _ratings(label, m.number, [m])


def _attendance_bands(label: str, attended: list[int], held: int) -> Iterable[Row]:
    """The share of meetings each member attended, as how many members fall in each band: never by name."""
    counts = dict.fromkeys(ATTENDANCE_BANDS, 0)
    for times in attended:
        counts[_band(times, held)] += 1
    for band, count in counts.items():
        yield Row(
            "attendance", label, None, f"members_attending_{band.replace(' ', '_')}", _figure(len(attended), count)
        )


def _band(times: int, held: int) -> str:
    if held == 0 or times == 0:
        return "none"
    if times >= held:
        return "all"
    share = times / held
    return "three quarters or more" if share >= 0.75 else "half or more" if share >= 0.5 else "under half"


def _follow_through(label: str, number: int | None, people: int, meetings: Sequence[MeetingFigures]) -> Iterable[Row]:
    made = sum(m.commitments_made for m in meetings)
    reported = sum(m.reported for m in meetings)
    yield Row("follow_through", label, number, "made", _figure(people, made))
    yield Row("follow_through", label, number, "awaiting_report_back", _figure(people, made - reported))
    for outcome in OUTCOMES:
        count = sum(m.outcomes.get(outcome, 0) for m in meetings)
        yield Row("follow_through", label, number, f"{outcome}_share", _figure(people, _pct(count, reported)))


def _ratings(label: str, number: int | None, meetings: Sequence[MeetingFigures]) -> Iterable[Row]:
    counts = {r: sum(m.ratings.get(r, 0) for m in meetings) for r in range(1, 6)}
    raters = sum(counts.values())
    for rating, count in counts.items():
        yield Row("ratings", label, number, f"rating_{rating}", _figure(raters, count))
    mean = round(sum(r * c for r, c in counts.items()) / raters, 2) if raters else None
    yield Row("ratings", label, number, "mean", _figure(raters, mean))


def _programme_rows(figures: Figures) -> Iterable[Row]:
    """The programme as a whole, meeting by meeting (meeting 1 of every circle together, and so on).
    A total adds up only parts that are shown themselves, so no hidden figure can be had by subtracting
    the circles' figures from the programme's."""
    by_number: dict[int, list[tuple[CircleFigures, MeetingFigures]]] = {}
    for circle in figures.circles:
        for m in circle.meetings:
            by_number.setdefault(m.number, []).append((circle, m))
    for number, pairs in sorted(by_number.items()):
        shown = [(c, m) for c, m in pairs if c.members >= MIN_PEOPLE]
        members = sum(c.members for c, _ in shown)
        checked_in = sum(m.checked_in for _, m in shown)
        yield Row("attendance", ALL_CIRCLES, number, "checked_in", _figure(members, checked_in))
        yield Row("attendance", ALL_CIRCLES, number, "attendance_rate", _figure(members, _pct(checked_in, members)))
    banded = [
        ATTENDANCE_BANDS.index(_band(times, len(c.meetings)))
        for c in figures.circles
        if c.members >= MIN_PEOPLE
        for times in c.attended
    ]
    for i, band in enumerate(ATTENDANCE_BANDS):
        count = sum(1 for b in banded if b == i)
        measure = f"members_attending_{band.replace(' ', '_')}"
        yield Row("attendance", ALL_CIRCLES, None, measure, _figure(len(banded), count))
    committing = [c for c in figures.circles if c.committers >= MIN_PEOPLE]
    yield from _follow_through(
        ALL_CIRCLES, None, sum(c.committers for c in committing), [m for c in committing for m in c.meetings]
    )
    for number, pairs in sorted(by_number.items()):
        spoken = [m.contributions for _, m in pairs if len(m.contributions) >= MIN_PEOPLE and sum(m.contributions) > 0]
        mean = round(sum(1 - gini(counts) for counts in spoken) / len(spoken), 3) if spoken else None
        yield Row("airtime", ALL_CIRCLES, number, "balance", _figure(sum(len(c) for c in spoken), mean))
    rated: list[MeetingFigures] = []
    for number, pairs in sorted(by_number.items()):
        meetings = [m for _, m in pairs if m.raters >= MIN_PEOPLE]
        rated.extend(meetings)
        yield from _ratings(ALL_CIRCLES, number, meetings)
    yield from _ratings(ALL_CIRCLES, None, rated)


def _evaluation_rows(evaluation: EvaluationFigures) -> Iterable[Row]:
    people = evaluation.respondents
    yield Row("evaluation", ALL_CIRCLES, None, "respondents", _figure(people, people))
    for score in range(1, 6):
        yield Row(
            "evaluation", ALL_CIRCLES, None, f"usefulness_{score}", _figure(people, evaluation.usefulness.get(score, 0))
        )
    yield Row("evaluation", ALL_CIRCLES, None, "recommend_yes", _figure(people, evaluation.recommend.get(True, 0)))
    yield Row("evaluation", ALL_CIRCLES, None, "recommend_no", _figure(people, evaluation.recommend.get(False, 0)))
    for amount in ("none", "some", "most", "all"):
        yield Row(
            "evaluation", ALL_CIRCLES, None, f"applied_{amount}", _figure(people, evaluation.applied.get(amount, 0))
        )


async def _shared_answers(
    session: AsyncSession, programme_id: int, evaluation: EvaluationFigures
) -> tuple[tuple[str, ...], str]:
    """Rule 4: free text only from those who ticked sharing, only once three have; sorted, so the
    order says nothing about who wrote what."""
    if evaluation.sharing < MIN_PEOPLE:
        return (), f"Free-text answers: {TOO_FEW} (fewer than {MIN_PEOPLE} chose to share)."
    texts = await session.scalars(
        select(ProgrammeEvaluation.text).where(
            ProgrammeEvaluation.programme_id == programme_id,
            ProgrammeEvaluation.share_with_lead.is_(True),
            ProgrammeEvaluation.text != "",
        )
    )
    return tuple(sorted(texts)), ""
