"""A circle's score and the one-line reason it fits, in the programme lead's words.

The score is the same objective the search optimises (see `circle_kernel`), split into parts so
a lead can see what each circle trades: department mix, level closeness, shared topics, repeats.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from core.formation.rules import Weights
from core.formation.signups import SignUp
from core.formation.zones import circular_spread


@dataclass(frozen=True)
class CircleScore:
    size: int
    departments: int
    same_department_pairs: int
    level_low: int | None
    level_high: int | None
    level_gap_squares: float
    shared_topics: tuple[str, ...]
    topic_pairs: int
    repeat_pairs: int
    timezone_spread: float
    utc_low: float
    utc_high: float
    weights: Weights

    def parts(self) -> dict[str, float]:
        w = self.weights
        return {
            "department": -w.department * self.same_department_pairs,
            "level": -w.level * self.level_gap_squares,
            "topics": w.topic * self.topic_pairs,
            "repeats": -w.repeat * self.repeat_pairs,
        }

    @property
    def total(self) -> float:
        return sum(self.parts().values())

    @property
    def breakdown(self) -> str:
        return "  ".join(f"{name} {value:+.1f}" for name, value in self.parts().items()) + (f"  = {self.total:+.1f}")

    @property
    def explanation(self) -> str:
        pieces = [f"{self.departments} department{'s' if self.departments != 1 else ''} among {self.size}"]
        if self.level_low is not None:
            same = self.level_low == self.level_high
            pieces.append(f"level {self.level_low}" if same else f"levels {self.level_low}–{self.level_high}")
        pieces.append(
            f"{_utc(self.utc_low)}…{_utc(self.utc_high)} ({self.timezone_spread:g} h apart)"
            if self.timezone_spread
            else f"all at {_utc(self.utc_low)}"
        )
        if self.shared_topics:
            pieces.append("share " + ", ".join(self.shared_topics[:3]))
        pieces.append(
            "nobody has sat together before"
            if not self.repeat_pairs
            else f"{self.repeat_pairs} pair{'s' if self.repeat_pairs > 1 else ''} met before"
        )
        return "; ".join(pieces)


def _utc(offset: float) -> str:
    hours = int(offset)
    minutes = round(abs(offset - hours) * 60)
    if not minutes:
        return f"UTC{offset:+.0f}"
    return f"UTC{'+' if offset >= 0 else '-'}{abs(hours)}:{minutes:02d}"


def score_circle(members: Sequence[SignUp], weights: Weights) -> CircleScore:
    departments = Counter(m.department for m in members)
    levels = [m.level for m in members if m.level is not None]
    topics = Counter(t for m in members for t in m.topics)
    offsets = [m.utc_offset for m in members]
    return CircleScore(
        size=len(members),
        departments=len(departments),
        same_department_pairs=sum(c * (c - 1) // 2 for c in departments.values()),
        level_low=min(levels) if levels else None,
        level_high=max(levels) if levels else None,
        level_gap_squares=float(sum((a - b) ** 2 for a, b in combinations(levels, 2))),
        shared_topics=tuple(sorted(t for t, c in topics.items() if c > 1)),
        topic_pairs=sum(c * (c - 1) // 2 for c in topics.values()),
        repeat_pairs=sum(1 for a, b in combinations(members, 2) if a.past_circles & b.past_circles),
        timezone_spread=circular_spread(offsets),
        utc_low=min(offsets),
        utc_high=max(offsets),
        weights=weights,
    )
