"""The report as words: the private reply, the message beside the files and the monthly digest.

Reads a `Report` only (see `core.report.privacy`); the shared free-text answers are the one thing
the digest leaves out, so a forwarded digest carries no one's words.
"""

from __future__ import annotations

from core.messages import Block, Fields, Heading, Message, Quote, Text
from core.report.privacy import ALL_CIRCLES, TOO_FEW, Report, Row

MAX_QUOTED = 30  # a Slack message holds 50 blocks; the figures take the rest

OUTCOME_WORDS = {
    "done": "done",
    "in_progress": "in progress",
    "stuck": "stuck",
    "dropped": "dropped",
    "carried_over": "carried over",
}


def summary(report: Report, *, with_answers: bool = True) -> Message:
    scope = ALL_CIRCLES if any(r.circle == ALL_CIRCLES for r in report.rows) else report.circles[0]
    blocks: list[Block] = [Heading(report.title)]
    if scope == ALL_CIRCLES:
        blocks.append(Text(f"{len(report.circles)} circles: {', '.join(report.circles) or 'none yet'}."))
    meetings = sorted({r.meeting for r in report.rows if r.meeting is not None and r.circle == scope})
    blocks.append(Fields(tuple(_overview(report, scope, meetings))))
    if scope != ALL_CIRCLES or report.circles:
        blocks.append(Text(_follow_through_line(report, scope)))
    if scope == ALL_CIRCLES:
        blocks.append(Text(_evaluation_line(report)))
        if with_answers:
            if report.shared_answers:
                blocks.append(Text("*Free-text answers shared anonymously with you*"))
                blocks.extend(Quote("A member", text) for text in report.shared_answers[:MAX_QUOTED])
                if len(report.shared_answers) > MAX_QUOTED:
                    more = len(report.shared_answers) - MAX_QUOTED
                    blocks.append(Text(f"… and {more} more answers, not shown: a message holds {MAX_QUOTED}."))
            elif report.shared_note:
                blocks.append(Text(report.shared_note))
    blocks.append(Text(f"A figure about fewer than 3 people reads \u201c{TOO_FEW}\u201d. No one's words are in it."))
    return Message(tuple(blocks), report.title)


def home_line(report: Report) -> str:
    """One line for the lead's App Home: circles, the latest attendance, follow-through, ratings."""
    numbers = sorted({r.meeting for r in report.rows if r.circle == ALL_CIRCLES and r.meeting is not None})
    latest = numbers[-1] if numbers else None
    attendance = _value(report, "attendance", ALL_CIRCLES, latest, "attendance_rate") if latest else "none yet"
    done = report.find("follow_through", ALL_CIRCLES, None, "done_share")
    return (
        f"{len(report.circles)} circles; attendance at meeting {latest or '–'}: {attendance}"
        f"{'%' if attendance[0].isdigit() else ''}; commitments done by the next meeting: {_percent(done)}; "
        f"mean rating {_value(report, 'ratings', ALL_CIRCLES, None, 'mean')}."
    )


def _value(report: Report, section: str, circle: str, meeting: int | None, measure: str) -> str:
    row = report.find(section, circle, meeting, measure)
    return row.shown if row is not None else "none yet"


def _overview(report: Report, scope: str, meetings: list[int]) -> list[tuple[str, str]]:
    pairs = [("Meetings held", str(len(meetings)) if meetings else "none yet")]
    for number in meetings:
        attendance = _value(report, "attendance", scope, number, "attendance_rate")
        balance = _value(report, "airtime", scope, number, "balance")
        rating = _value(report, "ratings", scope, number, "mean")
        pairs.append(
            (
                f"Meeting {number}",
                f"attendance {attendance}{'%' if attendance[0].isdigit() else ''}, "
                f"airtime balance {balance}, mean rating {rating}",
            )
        )
    return pairs


def _follow_through_line(report: Report, scope: str) -> str:
    made = report.find("follow_through", scope, None, "made")
    if made is None or made.value is None:
        return f"Follow-through: {TOO_FEW}."
    parts = [
        f"{_percent(report.find('follow_through', scope, None, f'{outcome}_share'))} {word}"
        for outcome, word in OUTCOME_WORDS.items()
    ]
    waiting = _value(report, "follow_through", scope, None, "awaiting_report_back")
    return (
        f"Follow-through: {made.shown} commitments made; by the next report-back {', '.join(parts)} "
        f"({waiting} not reported back yet)."
    )


def _percent(row: Row | None) -> str:
    return "?" if row is None else row.shown + ("%" if row.value is not None else "")


def _evaluation_line(report: Report) -> str:
    respondents = report.find("evaluation", ALL_CIRCLES, None, "respondents")
    if respondents is None or respondents.value is None:
        return f"Programme evaluation: {TOO_FEW}."
    useful = ", ".join(
        f"{n}: {_value(report, 'evaluation', ALL_CIRCLES, None, f'usefulness_{n}')}" for n in range(1, 6)
    )
    yes = _value(report, "evaluation", ALL_CIRCLES, None, "recommend_yes")
    applied = ", ".join(
        f"{a} {_value(report, 'evaluation', ALL_CIRCLES, None, f'applied_{a}')}"
        for a in ("none", "some", "most", "all")
    )
    return (
        f"Programme evaluation ({respondents.shown} answers): usefulness {useful}; "
        f"{yes} would recommend it; applied what they committed to: {applied}."
    )
