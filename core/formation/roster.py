"""Form circles from a roster of sign-ups: size bounds, time-zone windows, forbidden pairs and
facilitator spread are hard rules; department mix, level closeness, shared topics and fresh pairs
are weighed in the score.

How: (1) relax what cannot hold at all (too few people for the size bounds, a time-zone spread no
split can meet) and say so; (2) cut the roster into time-zone windows (`zones`), each a whole
number of circles; (3) in each window deal facilitators round-robin and everyone else in level
order; (4) improve with swaps inside windows between people of the same facilitator flag
(`circle_kernel.anneal`), which cannot break sizes, windows or facilitator spread; (5) check every
hard rule again and report what still fails as a relaxation. Nothing here is n×n.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.errors import CircleError
from core.formation import circle_kernel
from core.formation.rules import FormationRules, circle_count_range
from core.formation.scoring import CircleScore, score_circle
from core.formation.signups import SignUp
from core.formation.zones import circular_spread, plan_windows, smallest_workable_spread

ProgressCallback = Callable[[float], None]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Relaxation:
    """A rule that could not hold as asked, why, and what was done instead."""

    rule: str
    problem: str
    instead: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.problem} Instead: {self.instead}"


@dataclass(frozen=True)
class Circle:
    number: int
    members: tuple[SignUp, ...]
    score: CircleScore
    window: int  # the time-zone window it was formed in

    @property
    def facilitators(self) -> tuple[SignUp, ...]:
        return tuple(member for member in self.members if member.facilitator)

    @property
    def explanation(self) -> str:
        return self.score.explanation


@dataclass(frozen=True)
class FormationResult:
    circles: tuple[Circle, ...]
    relaxations: tuple[Relaxation, ...]
    rules: FormationRules
    seed: int
    seconds: float
    swaps: int
    timezone_spread: float  # the rule as applied: the asked spread, or its relaxation

    @property
    def total(self) -> float:
        return sum(circle.score.total for circle in self.circles)

    def parts(self) -> dict[str, float]:
        """Score parts summed over circles, for the benchmark and the summary line."""
        totals: dict[str, float] = defaultdict(float)
        for circle in self.circles:
            for name, value in circle.score.parts().items():
                totals[name] += value
        return dict(totals)


def form_circles(
    signups: Sequence[SignUp],
    rules: FormationRules | None = None,
    *,
    seed: int = 1,
    time_budget: float = 30.0,
    on_progress: ProgressCallback | None = None,
) -> FormationResult:
    """Partition `signups` into circles. Deterministic for a seed when the search finishes within
    `time_budget` (it is sized to, even at 10,000 people); the budget stops it early otherwise."""
    started = time.perf_counter()
    rules = rules or FormationRules()
    if len(signups) < 2:
        raise CircleError(
            f"A circle needs at least two people; the roster has {'nobody' if not signups else 'only one person'}."
        )
    relaxations: list[Relaxation] = []
    low, high = _workable_sizes(len(signups), rules, relaxations)
    windows, spread = _windows(signups, low, high, rules, relaxations)
    roster = _Roster.build(signups, windows, low, high, rules)
    swaps = roster.improve(seed, started + time_budget, on_progress)
    swaps += roster.repair_forbidden(spread, started + time_budget)
    circles = tuple(
        Circle(number, members, score_circle(members, rules.weights), roster.window_of_circle[number - 1])
        for number, members in enumerate(roster.circles(), start=1)
    )
    relaxations.extend(_broken_pairs(circles))
    return FormationResult(circles, tuple(relaxations), rules, seed, time.perf_counter() - started, swaps, spread)


def _workable_sizes(people: int, rules: FormationRules, relaxations: list[Relaxation]) -> tuple[int, int]:
    """The asked bounds, or the nearest ones that split `people` at all (raising the largest size
    before lowering the smallest, as a bigger circle still meets well and a tiny one does not)."""
    low, high = rules.min_size, rules.max_size
    if circle_count_range(people, low, high):
        return low, high
    options = [
        (abs(low - new_low) + abs(new_high - high), -new_high, new_low, new_high)
        for new_low in range(min(low, people), 1, -1)
        for new_high in range(max(high, new_low), max(high, people) + 1)
        if circle_count_range(people, new_low, new_high)
    ]
    _, _, new_low, new_high = min(options)
    relaxations.append(
        Relaxation(
            "circle size",
            f"{people} people cannot be split into circles of {low}–{high}.",
            f"one circle of all {people}."
            if people <= new_high and people < low * 2
            else f"circles of {new_low}–{new_high}.",
        )
    )
    return new_low, new_high


def _windows(
    signups: Sequence[SignUp], low: int, high: int, rules: FormationRules, relaxations: list[Relaxation]
) -> tuple[list[list[int]], float]:
    """Time-zone windows and the spread they keep (the asked one unless it had to be relaxed)."""
    offsets = [signup.utc_offset for signup in signups]
    windows = plan_windows(offsets, low, high, rules.max_timezone_spread)
    if windows is not None:
        return windows, rules.max_timezone_spread
    spread = smallest_workable_spread(offsets, low, high)
    assert spread is not None  # one window of everybody always works once sizes do
    relaxations.append(
        Relaxation(
            "time-zone spread",
            f"no split into whole circles of {low}–{high} keeps every circle within "
            f"{rules.max_timezone_spread:g} hours{_stranded(signups, low, rules.max_timezone_spread)}.",
            f"allowed up to {spread:g} hours, the least that works.",
        )
    )
    windows = plan_windows(offsets, low, high, spread)
    assert windows is not None
    return windows, spread


def _stranded(signups: Sequence[SignUp], low: int, spread: float) -> str:
    """Name the people who have too few others within reach, the usual cause (counted per
    distinct offset, so a large roster costs a few dozen × a few dozen comparisons)."""
    per_offset = Counter(signup.utc_offset for signup in signups)
    short = {
        offset
        for offset in per_offset
        if sum(count for other, count in per_offset.items() if circular_spread([offset, other]) <= spread) < low
    }
    alone = [signup for signup in signups if signup.utc_offset in short]
    if not alone:
        return ""
    names = ", ".join(f"{s.name} ({s.timezone})" for s in alone[:5])
    more = f" and {len(alone) - 5} more" if len(alone) > 5 else ""
    return f" ({names}{more} have fewer than {low - 1} others within reach)"


def _broken_pairs(circles: Sequence[Circle]) -> list[Relaxation]:
    broken = []
    for circle in circles:
        ids = {member.id for member in circle.members}
        for member in circle.members:
            if member.manager_id in ids and member.manager_id != member.id:
                broken.append(
                    Relaxation(
                        "never with one's manager",
                        f"{member.name} and their manager share circle {circle.number}: the time-zone "
                        "window and sizes left no other place.",
                        "kept together; move one of them by hand.",
                    )
                )
            for other in sorted(member.avoid & ids - {member.id}):
                broken.append(
                    Relaxation(
                        "named person",
                        f"{member.name} asked not to be with {other}, who is in circle {circle.number} "
                        "too: no other place in their window.",
                        "kept together; move one of them by hand.",
                    )
                )
    return broken


@dataclass
class _Roster:
    """The arrays the compiled search works on, plus what is needed to read the answer back."""

    signups: Sequence[SignUp]
    circle_of: IntArray
    circle_count: int
    arrays: dict[str, NDArray[Any]]
    weights: NDArray[np.float64]
    window_of_circle: list[int]
    counts: dict[str, NDArray[Any]] | None = None

    @classmethod
    def build(
        cls, signups: Sequence[SignUp], windows: list[list[int]], low: int, high: int, rules: FormationRules
    ) -> _Roster:
        n = len(signups)
        circle_of = np.full(n, -1, dtype=np.int64)
        bucket_of = np.zeros(n, dtype=np.int64)
        levels = _levels(signups)
        next_circle = 0
        window_of_circle: list[int] = []
        for bucket, window in enumerate(windows):
            bucket_of[window] = bucket
            sizes = _circle_sizes(len(window), low, high, rules.target_size)
            _deal(window, sizes, next_circle, signups, levels, circle_of)
            next_circle += len(sizes)
            window_of_circle.extend([bucket] * len(sizes))
        arrays = _feature_arrays(signups, levels, windows, bucket_of)
        w = rules.weights
        weights = np.array([w.department, w.level, w.topic, w.repeat, w.forbidden], dtype=np.float64)
        return cls(signups, circle_of, next_circle, arrays, weights, window_of_circle)

    def improve(self, seed: int, deadline: float, on_progress: ProgressCallback | None) -> int:
        """Anneal in chunks so the clock and the progress bar are looked at between them."""
        a = self.arrays
        n = self.circle_of.size
        counts = self.counts = _circle_counts(self.circle_of, self.circle_count, a)
        total_steps = int(min(max(_STEPS_PER_PERSON * n, 20_000), _MAX_STEPS))
        chunks = 20
        rng = np.random.default_rng(seed)
        swaps = 0
        for chunk in range(chunks):
            if time.perf_counter() > deadline:
                break
            temperature_from = _TEMPERATURE * (1 - chunk / chunks)
            temperature_to = _TEMPERATURE * (1 - (chunk + 1) / chunks)
            swaps += circle_kernel.anneal(
                self.circle_of,
                a["dept"],
                a["level"],
                a["facilitator"],
                a["topic_ptr"],
                a["topic_idx"],
                a["met_ptr"],
                a["met_idx"],
                a["forbid_ptr"],
                a["forbid_idx"],
                a["bucket_of"],
                a["bucket_ptr"],
                a["bucket_members"],
                counts["dept"],
                counts["topic"],
                counts["size"],
                counts["level_sum"],
                counts["level_sq"],
                self.weights,
                total_steps // chunks,
                temperature_from,
                temperature_to,
                int(rng.integers(2**31 - 1)),
            )
            if on_progress is not None:
                on_progress((chunk + 1) / chunks)
        return swaps

    def repair_forbidden(self, max_spread: float, deadline: float) -> int:
        """A forbidden pair left inside a window (typically one of a single circle) may still be
        split by a swap with someone in another window whose circles stay within the time-zone
        spread; try the best such swap for each pair. Returns the swaps made."""
        a = self.arrays
        counts = self.counts or _circle_counts(self.circle_of, self.circle_count, a)
        offsets = [s.utc_offset for s in self.signups]
        made = 0
        for p, partner in self._forbidden_together():
            if time.perf_counter() > deadline:
                break
            if self.circle_of[p] != self.circle_of[partner]:
                continue  # an earlier repair already split them
            best = self._best_repair(p, offsets, counts, max_spread)
            if best is not None:
                circle_kernel.apply_swap(
                    p,
                    best,
                    self.circle_of,
                    a["dept"],
                    a["level"],
                    a["topic_ptr"],
                    a["topic_idx"],
                    counts["dept"],
                    counts["topic"],
                    counts["level_sum"],
                    counts["level_sq"],
                )
                made += 1
        return made

    def _forbidden_together(self) -> list[tuple[int, int]]:
        ptr, idx = self.arrays["forbid_ptr"], self.arrays["forbid_idx"]
        return [
            (p, int(idx[k]))
            for p in range(self.circle_of.size)
            for k in range(ptr[p], ptr[p + 1])
            if p < idx[k] and self.circle_of[p] == self.circle_of[idx[k]]
        ]

    def _best_repair(
        self, p: int, offsets: list[float], counts: dict[str, NDArray[Any]], max_spread: float
    ) -> int | None:
        a = self.arrays
        members: dict[int, list[int]] = defaultdict(list)
        for person, circle in enumerate(self.circle_of):
            members[int(circle)].append(person)
        home = int(self.circle_of[p])
        stay = [offsets[i] for i in members[home] if i != p]
        best, best_gain = None, -np.inf
        for circle, people in members.items():
            if circle == home or circular_spread([offsets[i] for i in people] + [offsets[p]]) > max_spread:
                continue  # (a cheap test that passes over a few swaps that would just fit)
            for q in people:
                if a["facilitator"][q] != a["facilitator"][p]:
                    continue
                there = [offsets[i] for i in people if i != q] + [offsets[p]]
                if circular_spread([*stay, offsets[q]]) > max_spread or circular_spread(there) > max_spread:
                    continue
                gain = circle_kernel.swap_gain(
                    p,
                    q,
                    self.circle_of,
                    a["dept"],
                    a["level"],
                    a["topic_ptr"],
                    a["topic_idx"],
                    a["met_ptr"],
                    a["met_idx"],
                    a["forbid_ptr"],
                    a["forbid_idx"],
                    counts["dept"],
                    counts["topic"],
                    counts["size"],
                    counts["level_sum"],
                    counts["level_sq"],
                    self.weights,
                )
                if gain > best_gain and gain > -self.weights[4] / 2:
                    best, best_gain = q, gain
        return best

    def circles(self) -> list[tuple[SignUp, ...]]:
        members: list[list[SignUp]] = [[] for _ in range(self.circle_count)]
        for index, circle in enumerate(self.circle_of):
            members[int(circle)].append(self.signups[index])
        return [tuple(sorted(group, key=lambda s: (not s.facilitator, s.name))) for group in members]


# Start of annealing, in score points. Measured on the synthetic 2,000-person roster at 400 steps a
# person: 1.5 → total 747, 0.6 → 926, 0.3 → 992, 0.1 → 967 (hotter wastes the few steps there are).
_TEMPERATURE = 0.3
# Swap attempts per person (~0.35 µs each). On that roster 400 → 992, 1,200 → 1,163, mostly shared
# topics; taking the best of 3 or 6 random partners per step did no better at equal cost.
_STEPS_PER_PERSON = 800
_MAX_STEPS = 5_000_000  # ~1.7 s of CPU: 10,000 people stay inside 5 s even on a busy machine


def _levels(signups: Sequence[SignUp]) -> NDArray[np.float64]:
    """Missing levels count as the median level, so they neither attract nor repel anyone."""
    known = [s.level for s in signups if s.level is not None]
    middle = float(np.median(known)) if known else 0.0
    return np.array([middle if s.level is None else float(s.level) for s in signups])


def _circle_sizes(people: int, low: int, high: int, target: float) -> list[int]:
    """Near-equal sizes, with the count of circles closest to people / target."""
    counts = circle_count_range(people, low, high)
    count = min(counts, key=lambda m: (abs(people / m - target), m))
    base, extra = divmod(people, count)
    return [base + 1] * extra + [base] * (count - extra)


def _deal(
    window: list[int],
    sizes: list[int],
    first_circle: int,
    signups: Sequence[SignUp],
    levels: NDArray[np.float64],
    circle_of: IntArray,
) -> None:
    """Facilitators round-robin (so each circle gets ⌊F/C⌋ or ⌈F/C⌉), then the rest in level
    order, which starts the search with level-similar circles."""
    free = list(sizes)
    facilitators = [i for i in window if signups[i].facilitator]
    others = sorted((i for i in window if not signups[i].facilitator), key=lambda i: (levels[i], i))
    for turn, person in enumerate(facilitators):
        circle = turn % len(sizes)
        circle_of[person] = first_circle + circle
        free[circle] -= 1
    circle = 0
    for person in others:
        while free[circle] == 0:
            circle += 1
        circle_of[person] = first_circle + circle
        free[circle] -= 1


def _feature_arrays(
    signups: Sequence[SignUp], levels: NDArray[np.float64], windows: list[list[int]], bucket_of: IntArray
) -> dict[str, NDArray[Any]]:
    index = {s.id: i for i, s in enumerate(signups)}
    departments = {d: k for k, d in enumerate(sorted({s.department for s in signups}))}
    topics = {t: k for k, t in enumerate(sorted({t for s in signups for t in s.topics}))}
    topic_ptr, topic_idx = _csr([sorted(topics[t] for t in s.topics) for s in signups])
    met_ptr, met_idx = _csr(_met_lists(signups))
    forbid_ptr, forbid_idx = _csr(_forbidden_lists(signups, index))
    bucket_ptr = np.cumsum([0] + [len(w) for w in windows]).astype(np.int64)
    return {
        "dept": np.array([departments[s.department] for s in signups], dtype=np.int64),
        "level": levels,
        "facilitator": np.array([s.facilitator for s in signups], dtype=np.bool_),
        "topic_ptr": topic_ptr,
        "topic_idx": topic_idx,
        "topic_kinds": np.array([len(topics)]),
        "dept_kinds": np.array([len(departments)]),
        "met_ptr": met_ptr,
        "met_idx": met_idx,
        "forbid_ptr": forbid_ptr,
        "forbid_idx": forbid_idx,
        "bucket_of": bucket_of,
        "bucket_ptr": bucket_ptr,
        "bucket_members": np.array([i for w in windows for i in w], dtype=np.int64),
    }


def _met_lists(signups: Sequence[SignUp]) -> list[list[int]]:
    """For each person, everyone who shared an earlier circle with them (once per circle)."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(signups):
        for label in s.past_circles:
            by_label[label].append(i)
    met: list[list[int]] = [[] for _ in signups]
    for members in by_label.values():
        for i in members:
            met[i].extend(j for j in members if j != i)
    return met


def _forbidden_lists(signups: Sequence[SignUp], index: dict[str, int]) -> list[list[int]]:
    """Manager and named-person pairs, both ways round, each pair once; unknown ids are ignored
    (the person simply did not sign up)."""
    pairs: set[tuple[int, int]] = set()
    for i, s in enumerate(signups):
        others = set(s.avoid) | ({s.manager_id} if s.manager_id else set())
        for other in others:
            j = index.get(other)
            if j is not None and j != i:
                pairs.add((min(i, j), max(i, j)))
    lists: list[list[int]] = [[] for _ in signups]
    for i, j in sorted(pairs):
        lists[i].append(j)
        lists[j].append(i)
    return lists


def _csr(lists: list[list[int]]) -> tuple[IntArray, IntArray]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(items) for items in lists])
    idx = np.array([item for items in lists for item in items], dtype=np.int64)
    return ptr, idx


def _circle_counts(circle_of: IntArray, circles: int, a: dict[str, NDArray[Any]]) -> dict[str, NDArray[Any]]:
    dept = np.zeros((circles, int(a["dept_kinds"][0])), dtype=np.int64)
    np.add.at(dept, (circle_of, a["dept"]), 1)
    topic = np.zeros((circles, max(1, int(a["topic_kinds"][0]))), dtype=np.int64)
    owners = np.repeat(circle_of, np.diff(a["topic_ptr"]))
    np.add.at(topic, (owners, a["topic_idx"]), 1)
    level = a["level"].astype(np.float64)
    return {
        "dept": dept,
        "topic": topic,
        "size": np.bincount(circle_of, minlength=circles).astype(np.float64),
        "level_sum": np.bincount(circle_of, weights=level, minlength=circles),
        "level_sq": np.bincount(circle_of, weights=level * level, minlength=circles),
    }
