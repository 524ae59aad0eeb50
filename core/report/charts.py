"""The report's charts, drawn from a `Report`'s rows only (so from what the privacy rules let
through): attendance per meeting, follow-through, airtime balance and ratings.

matplotlib's object API with the Agg canvas: no display, no pyplot global state, so two reports
can be drawn at once in different threads. Each chart keeps the rows it drew, which is what the
tests compare with the figures.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from core.report.figures import OUTCOMES
from core.report.privacy import ALL_CIRCLES, Report, Row

WIDTH_PX, HEIGHT_PX, DPI = 800, 480, 100
OUTCOME_COLOURS = {
    "done": "#2e7d32",
    "in_progress": "#66bb6a",
    "stuck": "#ffa726",
    "dropped": "#e53935",
    "carried_over": "#90a4ae",
}
RATING_COLOURS = ("#d32f2f", "#f57c00", "#fbc02d", "#7cb342", "#388e3c")


@dataclass(frozen=True)
class Chart:
    filename: str
    title: str
    png: bytes
    rows: tuple[Row, ...]  # the data behind it


def draw_all(report: Report) -> list[Chart]:
    return [attendance(report), follow_through(report), airtime(report), ratings(report)]


def _figure() -> Figure:
    """Margins fixed by hand: a layout engine would draw each chart several times to fit them."""
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    figure.subplots_adjust(left=0.08, right=0.92, top=0.92, bottom=0.14)
    return figure


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, pil_kwargs={"compress_level": 3})
    return out.getvalue()


def _shown(report: Report, section: str, measure: str, *, per_meeting: bool) -> list[Row]:
    return [
        r
        for r in report.rows
        if r.section == section
        and r.measure == measure
        and r.value is not None
        and (r.meeting is not None) == per_meeting
    ]


def _lines(report: Report, rows: list[Row], title: str, ylabel: str, filename: str, top: float) -> Chart:
    figure = _figure()
    axes = figure.add_subplot()
    by_circle: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_circle[row.circle].append(row)
    for label in (*report.circles, ALL_CIRCLES):
        series = sorted(by_circle.get(label, []), key=lambda r: r.meeting or 0)
        if series:
            wide = label == ALL_CIRCLES
            axes.plot(
                [r.meeting or 0 for r in series],
                [r.value or 0.0 for r in series],
                marker="o",
                linewidth=3 if wide else 1.2,
                color="black" if wide else None,
                label=label,
            )
    axes.set_title(title)
    axes.set_xlabel("meeting")
    axes.set_ylabel(ylabel)
    axes.set_ylim(0, top)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if by_circle:
        axes.legend(fontsize="small", ncols=2 if len(by_circle) > 8 else 1, loc="lower left")
    else:
        axes.text(0.5, 0.5, "nothing to show yet", ha="center", transform=axes.transAxes)
    return Chart(filename, title, _png(figure), tuple(rows))


def attendance(report: Report) -> Chart:
    rows = _shown(report, "attendance", "attendance_rate", per_meeting=True)
    return _lines(report, rows, "Attendance: members checked in (%)", "% of members", "attendance.png", 105)


def airtime(report: Report) -> Chart:
    rows = _shown(report, "airtime", "balance", per_meeting=True)
    return _lines(report, rows, "Airtime balance (1 − Gini; 1 = evenly shared)", "balance", "airtime.png", 1.05)


def follow_through(report: Report) -> Chart:
    """One stacked bar per circle: what its commitments came to by the next meeting's report-back."""
    rows = [r for outcome in OUTCOMES for r in _shown(report, "follow_through", f"{outcome}_share", per_meeting=False)]
    labels = [label for label in (*report.circles, ALL_CIRCLES) if any(r.circle == label for r in rows)]
    figure = _figure()
    axes = figure.add_subplot()
    bottoms = [0.0] * len(labels)
    for outcome in OUTCOMES:
        values = [
            next((r.value or 0.0 for r in rows if r.circle == label and r.measure == f"{outcome}_share"), 0.0)
            for label in labels
        ]
        axes.bar(labels, values, bottom=bottoms, color=OUTCOME_COLOURS[outcome], label=outcome.replace("_", " "))
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    axes.set_title("Follow-through: commitments by the next report-back (%)")
    axes.set_ylim(0, 105)
    axes.tick_params(axis="x", labelrotation=45 if len(labels) > 6 else 0, labelsize="small")
    axes.legend(fontsize="small", loc="upper right")
    return Chart("follow_through.png", "Follow-through", _png(figure), tuple(rows))


def ratings(report: Report) -> Chart:
    """Stacked counts of each rating per meeting (the whole programme, or the one circle), and the mean."""
    scope = ALL_CIRCLES if any(r.circle == ALL_CIRCLES for r in report.rows) else report.circles[0]
    rows = [
        r
        for measure in (*(f"rating_{n}" for n in range(1, 6)), "mean")
        for r in _shown(report, "ratings", measure, per_meeting=True)
        if r.circle == scope
    ]
    numbers = sorted({r.meeting for r in rows if r.meeting is not None})
    figure = _figure()
    axes = figure.add_subplot()
    bottoms = [0.0] * len(numbers)
    for rating in range(1, 6):
        values = [
            next((r.value or 0.0 for r in rows if r.meeting == n and r.measure == f"rating_{rating}"), 0.0)
            for n in numbers
        ]
        axes.bar(numbers, values, bottom=bottoms, color=RATING_COLOURS[rating - 1], label=f"{rating}")
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    axes.set_title("Meeting ratings (1–5) and their mean")
    axes.set_xlabel("meeting")
    axes.set_ylabel("ratings given")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    means = [
        (r.meeting, r.value) for r in rows if r.measure == "mean" and r.meeting is not None and r.value is not None
    ]
    if means:
        trend = axes.twinx()
        trend.plot([m for m, _ in means], [v for _, v in means], color="black", marker="o", label="mean")
        trend.set_ylim(0, 5.2)
        trend.set_ylabel("mean rating")
    axes.legend(title="rating", fontsize="small", loc="upper left")
    return Chart("ratings.png", "Ratings", _png(figure), tuple(rows))
