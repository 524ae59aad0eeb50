"""Form circles from a roster of sign-ups. Hard rules — the size bounds, every circle's time-zone
window, never with one's manager or a named person, and (when the lead asks) no pair who sat
together in the last programmes — are broken only when no partition the search finds keeps them;
department mix, level closeness, shared topics and fresh pairs are weighed in the score.

How: (1) sizes: relax only when the roster cannot be split at all, and then try each of the
equally small relaxations; (2) cut the roster into time-zone windows (`zones.tied_zone_plans`),
each a whole number of circles, widening only the circles that must be widened, by the least that
works; (3) deal facilitators round-robin and everyone else in level order; (4) a short probe of
the search on each way of counting circles per window, keeping the one that breaks fewest rules;
(5) anneal swaps and moves between people within reach (`circle_kernel.anneal`), broken rules
weighing far more than any soft gain, for the step count or until the time budget runs out (the
anytime part: more time, slower cooling, better circles); (6) a greedy repair of what still
breaks a rule; (7) report each rule still broken as a relaxation naming the circle and people.
Nothing here is n×n.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.errors import CircleError
from core.formation import circle_kernel, runs
from core.formation.rules import FormationRules, circle_count_range
from core.formation.scoring import CircleScore, score_circle
from core.formation.signups import SignUp
from core.formation.zones import WindowPlan, circular_spread, tied_zone_plans

ProgressCallback = Callable[[float], None]
IntArray = NDArray[np.int64]

DEFAULT_TIME_BUDGET = 3.0


@dataclass(frozen=True)
class Relaxation:
    """A rule that could not hold as asked, why (naming the people), and what was done instead."""

    rule: str
    problem: str
    instead: str
    circle: int | None = None  # the circle it concerns, when it concerns one
    people: tuple[str, ...] = field(default=())  # ids of the people it names

    def __str__(self) -> str:
        return f"{self.rule}: {self.problem} Instead: {self.instead}"


@dataclass(frozen=True)
class Circle:
    number: int
    members: tuple[SignUp, ...]
    score: CircleScore
    window: int  # the time-zone window it was formed in
    allowance: float = 0.0  # the time-zone spread it was held to (the asked one unless relaxed)

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
    timezone_spread: float  # the widest spread any circle was allowed
    steps: int = 0  # search steps taken (the same for a seed and `max_steps`)
    size_bounds: tuple[int, int] = (0, 0)  # the bounds as applied: the asked ones unless relaxed

    @property
    def total(self) -> float:
        return sum(circle.score.total for circle in self.circles)

    @property
    def relaxed_circles(self) -> int:
        """Circles held to a wider time-zone window than asked."""
        return sum(1 for r in self.relaxations if r.rule == "time-zone spread")

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
    time_budget: float = DEFAULT_TIME_BUDGET,
    max_steps: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> FormationResult:
    started, ok = time.perf_counter(), False
    try:
        result = _form(signups, rules, seed, time_budget, max_steps, on_progress)
        ok = True
        return result
    finally:
        runs.ran(time.perf_counter() - started, ok)


def _form(
    signups: Sequence[SignUp],
    rules: FormationRules | None,
    seed: int,
    time_budget: float,
    max_steps: int | None,
    on_progress: ProgressCallback | None,
) -> FormationResult:
    """Partition `signups` into circles.

    With `max_steps` the search takes that many steps and the result depends on the seed alone
    (the budget only stops a run that overruns it). Without, small rosters take a fixed number of
    steps that fits well inside the budget (so they repeat for a seed too), and larger ones search
    until the budget is spent, cooling more slowly the more time there is."""
    started = time.perf_counter()
    deadline = started + time_budget
    rules = rules or FormationRules()
    if len(signups) < 2:
        raise CircleError(
            f"A circle needs at least two people; the roster has {'nobody' if not signups else 'only one person'}."
        )
    n = len(signups)
    features = _Features.build(signups, rules)
    offsets, spread = features.offsets, rules.max_timezone_spread
    sizes = _size_options(n, rules)
    plans = [
        (low, high, plan)
        for low, high in sizes
        for fewest in (True, False)
        for plan in tied_zone_plans(offsets, low, high, spread, features.clash, fewest_windows=fewest)
    ]
    least = min(_zone_key(plan, rules) for _, _, plan in plans)
    kinds = {(low, high, str(plan.windows)): plan for low, high, plan in plans if _zone_key(plan, rules) == least}
    candidates = [
        (low, high, plan, counts) for (low, high, _), plan in kinds.items() for counts in _count_choices(plan, rules)
    ]
    probe_steps = min(_PROBE_STEPS_PER_PERSON * n + _PROBE_STEPS_MIN, _PROBE_STEPS_MAX)
    if max_steps is not None:
        probe_steps = min(probe_steps, max_steps)
    if max_steps is None and _STEPS_PER_PERSON * n * _SLOW_STEP_SECONDS <= time_budget / 2:
        max_steps = _STEPS_PER_PERSON * n

    def in_time() -> bool:
        """Runs by the clock give the probes half the budget at most; runs by steps probe all."""
        return max_steps is not None or time.perf_counter() < started + time_budget / 2

    rng = np.random.default_rng(seed)
    best: _Search | None = None
    for low, high, plan, counts in candidates:
        search = _Search.start(features, plan, counts, low, high, rules)
        search.anneal(probe_steps, _TEMPERATURE, 0.0, int(rng.integers(2**31 - 1)))
        search.repair()
        for _ in range(_UNTANGLE_TRIES):
            if any(search.broken()) and in_time():
                search.untangle(probe_steps, int(rng.integers(2**31 - 1)))
        if any(search.broken()) and in_time():
            search.stretch(probe_steps, int(rng.integers(2**31 - 1)))
        if best is None or search.key() < best.key():
            best = search
        if not any(best.broken()) or not in_time():
            break
    assert best is not None
    main_seed = int(rng.integers(2**31 - 1))
    steps = best.run(max_steps, deadline - n * _FINISH_SECONDS_PER_PERSON, main_seed, on_progress)
    best.repair()
    result_circles = best.circles()
    relaxations = _size_relaxations(n, rules, best.low, best.high)
    relaxations += _zone_relaxations(result_circles, signups, rules)
    relaxations += _broken_pairs(result_circles, rules)
    return FormationResult(
        result_circles,
        tuple(relaxations),
        rules,
        seed,
        time.perf_counter() - started,
        best.swaps,
        max(c.allowance for c in result_circles),
        steps,
        (best.low, best.high),
    )


def _size_options(people: int, rules: FormationRules) -> list[tuple[int, int]]:
    """The asked bounds, or every one of the least relaxations that split `people` at all
    (raising the largest size before lowering the smallest comes first, as a bigger circle still
    meets well and a tiny one does not; the others are tried when that one breaks more rules)."""
    low, high = rules.min_size, rules.max_size
    if circle_count_range(people, low, high):
        return [(low, high)]
    options = sorted(
        (abs(low - new_low) + abs(new_high - high), -new_high, new_low, new_high)
        for new_low in range(min(low, people), 1, -1)
        for new_high in range(max(high, new_low), max(high, people) + 1)
        if circle_count_range(people, new_low, new_high)
    )
    least = options[0][0]
    return [(new_low, new_high) for cost, _, new_low, new_high in options if cost == least]


def _zone_key(plan: WindowPlan, rules: FormationRules) -> tuple[int, float]:
    """The time-zone rule comes first: fewest circles widened, then the widest of them."""
    widened = [w for w in plan.widths if w > rules.max_timezone_spread + 1e-9]
    return plan.relaxed_circles, max(widened, default=0.0)


def _size_relaxations(people: int, rules: FormationRules, low: int, high: int) -> list[Relaxation]:
    if (low, high) == (rules.min_size, rules.max_size):
        return []
    return [
        Relaxation(
            "circle size",
            f"{people} people cannot be split into circles of {rules.min_size}–{rules.max_size}.",
            f"one circle of all {people}." if people <= high and people < low * 2 else f"circles of {low}–{high}.",
        )
    ]


def _count_choices(plan: WindowPlan, rules: FormationRules) -> list[list[int]]:
    """Circles per window: nearest the target size first, then the most (smaller circles hold
    fewer pairs that may clash), then the fewest. A widened window keeps the fewest circles, as
    every circle in it is widened."""
    wide = [width > rules.max_timezone_spread + 1e-9 for width in plan.widths]
    nearest = [
        counts[0] if widened else min(counts, key=lambda m: (abs(len(window) / m - rules.target_size), m))
        for window, counts, widened in zip(plan.windows, plan.counts, wide, strict=True)
    ]
    most = [counts[0] if widened else counts[-1] for counts, widened in zip(plan.counts, wide, strict=True)]
    choices: list[list[int]] = [nearest]
    for counts in (most, [c[0] for c in plan.counts]):
        if counts not in choices:
            choices.append(counts)
    return choices


def _zone_relaxations(circles: Sequence[Circle], signups: Sequence[SignUp], rules: FormationRules) -> list[Relaxation]:
    """One per widened circle, naming who could not be placed within the asked spread."""
    spread = rules.max_timezone_spread
    relaxations = []
    per_offset = Counter(s.utc_offset for s in signups)
    for circle in circles:
        width = circular_spread([m.utc_offset for m in circle.members])
        if width <= spread + 1e-9:
            continue
        far = _far_members(circle.members, spread, per_offset, rules.min_size)
        names = _names(far)
        relaxations.append(
            Relaxation(
                "time-zone spread",
                f"circle {circle.number} spans {width:g} hours: {names} "
                f"{'has' if len(far) == 1 else 'have'} too few others within {spread:g} hours "
                "for a circle of their own.",
                f"circle {circle.number} allowed {width:g} hours, the least that works; every other circle "
                f"keeps {spread:g}.",
                circle.number,
                tuple(m.id for m in far),
            )
        )
    return relaxations


def _far_members(members: Sequence[SignUp], spread: float, per_offset: Counter[float], low: int) -> list[SignUp]:
    """The members stranded in the roster (fewer than a circle's worth within reach), else those
    outside the arc of `spread` hours that holds most of the circle."""
    stranded = [
        m
        for m in members
        if sum(c for o, c in per_offset.items() if circular_spread([m.utc_offset, o]) <= spread) < low
    ]
    if stranded:
        return stranded
    best_arc: list[SignUp] = []
    for first in members:
        arc = [m for m in members if (m.utc_offset - first.utc_offset) % 24 <= spread + 1e-9]
        if len(arc) > len(best_arc):
            best_arc = arc
    return [m for m in members if m not in best_arc]


def _names(people: Sequence[SignUp]) -> str:
    shown = ", ".join(f"{s.name} ({s.timezone})" for s in people[:5])
    return shown + (f" and {len(people) - 5} more" if len(people) > 5 else "")


def _broken_pairs(circles: Sequence[Circle], rules: FormationRules) -> list[Relaxation]:
    broken = []
    for circle in circles:
        by_id = {member.id: member for member in circle.members}
        for member in circle.members:
            boss = by_id.get(member.manager_id or "")
            if boss is not None and boss is not member:
                broken.append(
                    Relaxation(
                        "never with one's manager",
                        f"{member.name} and their manager {boss.name} share circle {circle.number}: no "
                        "partition the search found keeps them apart within the other rules.",
                        "kept together; move one of them by hand.",
                        circle.number,
                        (member.id, boss.id),
                    )
                )
            for other in sorted(member.avoid & set(by_id) - {member.id}):
                broken.append(
                    Relaxation(
                        "named person",
                        f"{member.name} asked not to be with {by_id[other].name}, who is in circle "
                        f"{circle.number} too: no partition the search found keeps them apart.",
                        "kept together; move one of them by hand.",
                        circle.number,
                        (member.id, other),
                    )
                )
        if rules.no_repeats:
            for a, b in combinations(circle.members, 2):
                if a.past_circles & b.past_circles:
                    broken.append(
                        Relaxation(
                            "no repeats",
                            f"{a.name} and {b.name} sat together before and share circle {circle.number}: "
                            "no partition the search found keeps every earlier pair apart.",
                            "kept together; move one of them by hand.",
                            circle.number,
                            (a.id, b.id),
                        )
                    )
    return broken


@dataclass(frozen=True)
class _Features:
    """What the search reads about people, built once for every plan tried."""

    signups: Sequence[SignUp]
    offsets: list[float]
    arrays: dict[str, NDArray[Any]]
    forbidden: list[list[int]]
    met: list[list[int]]
    no_repeats: bool

    @classmethod
    def build(cls, signups: Sequence[SignUp], rules: FormationRules) -> _Features:
        index = {s.id: i for i, s in enumerate(signups)}
        met = _met_lists(signups)
        forbidden = _forbidden_lists(signups, index)
        levels = _levels(signups)
        arrays = _feature_arrays(signups, levels, met, forbidden)
        return cls(signups, [s.utc_offset for s in signups], arrays, forbidden, met, rules.no_repeats)

    def clash(self, people: list[int]) -> int:
        """Hard-rule pairs among `people` (for windows that must be one circle)."""
        inside = set(people)
        pairs = sum(1 for p in people for q in self.forbidden[p] if q in inside and p < q)
        if self.no_repeats:
            pairs += sum(1 for p in people for q in set(self.met[p]) if q in inside and p < q)
        return pairs


@dataclass
class _Search:
    """One plan's circles as the arrays the compiled search works on."""

    features: _Features
    plan: WindowPlan
    low: int
    high: int
    circle_of: IntArray
    window_of_circle: list[int]
    allowance: NDArray[np.float64]
    members: IntArray
    slot: IntArray
    near: tuple[IntArray, IntArray, IntArray]
    line: NDArray[np.float64]
    counts: dict[str, NDArray[Any]]
    weights: NDArray[np.float64]
    rules: FormationRules
    swaps: int = 0

    @classmethod
    def start(
        cls, features: _Features, plan: WindowPlan, counts: list[int], low: int, high: int, rules: FormationRules
    ) -> _Search:
        signups = features.signups
        n = len(signups)
        circle_of = np.full(n, -1, dtype=np.int64)
        levels = features.arrays["level"]
        window_of_circle: list[int] = []
        allowance: list[float] = []
        for number, window in enumerate(plan.windows):
            sizes = _circle_sizes(len(window), counts[number])
            _deal(window, sizes, len(window_of_circle), signups, levels, circle_of)
            window_of_circle.extend([number] * len(sizes))
            allowance.extend([max(rules.max_timezone_spread, plan.widths[number])] * len(sizes))
        circles = len(window_of_circle)
        capacity = max(high, 1)
        members = np.full((circles, capacity), -1, dtype=np.int64)
        slot = np.zeros(n, dtype=np.int64)
        fill = np.zeros(circles, dtype=np.int64)
        for person in range(n):
            c = int(circle_of[person])
            members[c, fill[c]] = person
            slot[person] = fill[c]
            fill[c] += 1
        line = np.array(plan.line, dtype=np.float64)
        reach = max(allowance)
        order = np.argsort(line, kind="stable").astype(np.int64)
        ordered = line[order]
        near_lo = np.searchsorted(ordered, line - reach - 1e-9, side="left").astype(np.int64)
        near_hi = np.searchsorted(ordered, line + reach + 1e-9, side="right").astype(np.int64)
        return cls(
            features,
            plan,
            low,
            high,
            circle_of,
            window_of_circle,
            np.array(allowance, dtype=np.float64),
            members,
            slot,
            (order, near_lo, near_hi),
            line,
            _circle_counts(circle_of, circles, features.arrays),
            _penalties(rules, features.arrays["level"], high),
            rules,
        )

    def _arguments(self) -> tuple[Any, ...]:
        a, c = self.features.arrays, self.counts
        order, near_lo, near_hi = self.near
        return (
            self.circle_of, a["dept"], a["level"], a["facilitator"], self.line, a["topic_ptr"], a["topic_idx"],
            a["met_ptr"], a["met_idx"], a["forbid_ptr"], a["forbid_idx"], order, near_lo, near_hi, self.members,
            self.slot, self.allowance, self.low, self.high, c["dept"], c["topic"], c["size"], c["level_sum"],
            c["level_sq"], self.weights,
        )  # fmt: skip

    def anneal(self, steps: int, hot: float, cold: float, seed: int) -> None:
        search: Callable[..., int] = circle_kernel.anneal
        self.swaps += search(*self._arguments(), steps, hot, cold, _MOVE_SHARE, seed)

    def untangle(self, steps: int, seed: int) -> None:
        """A walk over the rules alone, score ignored: steps that leave the count of broken pairs
        as it is are always taken, so the walk crosses the plateaus where one swap cannot mend a
        pair but two can (a manager moved out after a neutral swap makes room). Kept only if it
        leaves fewer broken pairs; then the score is polished again without breaking any."""
        before = self.broken()
        saved = self._state()
        scored = self.weights
        self.weights = np.array([0.0, 0.0, 0.0, 1.0 if self.features.no_repeats else 0.0, 1.5], dtype=np.float64)
        self.anneal(steps, 1.0, 0.0, seed)
        self.weights = scored
        self.repair()
        if self.broken() >= before:
            self._restore(saved)
            return
        self.anneal(steps, _TEMPERATURE / 3, 0.0, seed + 1)
        self.repair()

    def stretch(self, steps: int, seed: int) -> None:
        """Let every widened circle reach as wide as the widest one: the time-zone rule counts
        the circles widened and the widest of them, so this costs it nothing, and it lets people
        trade places across the windows the plan cut (a manager pair the plan forced into one wide
        circle can part when a narrower wide circle takes one of them). Kept only if it leaves
        fewer broken pairs; each circle then reports the spread it actually has."""
        spread = self.rules.max_timezone_spread
        wide = self.allowance > spread + 1e-9
        if wide.sum() < 2 or np.all(self.allowance[wide] == self.allowance.max()):
            return
        before = self.broken()
        saved, planned = self._state(), self.allowance.copy()
        self.allowance[wide] = self.allowance.max()
        self.repair()
        for _ in range(_UNTANGLE_TRIES):
            if any(self.broken()):
                self.untangle(steps, seed)
                seed += 2
        if self.broken() >= before:
            self._restore(saved)
            self.allowance[...] = planned
            return
        self.allowance[wide] = np.maximum(planned[wide], self._line_spans()[wide])

    def _line_spans(self) -> NDArray[np.float64]:
        """Each circle's spread on the plan's line, as the search measures it."""
        circles = len(self.window_of_circle)
        high = np.full(circles, -np.inf)
        low = np.full(circles, np.inf)
        np.maximum.at(high, self.circle_of, self.line)
        np.minimum.at(low, self.circle_of, self.line)
        return np.asarray(high - low, dtype=np.float64)

    def _state(self) -> list[NDArray[Any]]:
        return [a.copy() for a in (self.circle_of, self.members, self.slot, *self.counts.values())]

    def _restore(self, saved: list[NDArray[Any]]) -> None:
        for ours, kept in zip((self.circle_of, self.members, self.slot, *self.counts.values()), saved, strict=True):
            ours[...] = kept

    def repair(self) -> None:
        if any(self.broken()):
            mend: Callable[..., int] = circle_kernel.repair
            facilitators = np.bincount(
                self.circle_of[self.features.arrays["facilitator"]], minlength=len(self.window_of_circle)
            ).astype(np.int64)
            windows = np.array(self.window_of_circle, dtype=np.int64)
            self.swaps += mend(*self._arguments(), self.features.no_repeats, facilitators, windows)

    def run(self, max_steps: int | None, deadline: float, seed: int, on_progress: ProgressCallback | None) -> int:
        """Anneal from hot to cold: over `max_steps` steps in fixed chunks (so the seed decides
        everything), or over the time left, looking at the clock between chunks."""
        rng = np.random.default_rng(seed)
        began = time.perf_counter()
        if max_steps is None and began >= deadline:
            return 0  # the probes used the budget up; a hot chunk with no time to cool would only lose
        span = max(deadline - began, 1e-3)
        taken = 0
        progress = 0.0
        while progress < 1.0:
            if max_steps is not None:
                chunk = min(_CHUNK, max_steps - taken)
                after = (taken + chunk) / max(max_steps, 1)
            else:
                chunk = _CHUNK
                rate = (time.perf_counter() - began) / taken if taken else 0.0
                after = min(1.0, progress + (chunk * rate) / span) if taken else 0.0
            if chunk <= 0:
                break
            self.anneal(chunk, _TEMPERATURE * (1 - progress), _TEMPERATURE * (1 - after), int(rng.integers(2**31 - 1)))
            taken += chunk
            now = time.perf_counter()
            progress = after if max_steps is not None else min(1.0, (now - began) / span)
            if on_progress is not None:
                on_progress(progress)
            if now >= deadline:
                break
        return taken

    def broken(self) -> tuple[int, int]:
        """Pairs left inside circles that break a rule: (manager or named person, repeats under
        `no_repeats`), compared in that order."""
        circle_of = self.circle_of
        forbidden = sum(
            1
            for p, others in enumerate(self.features.forbidden)
            for q in others
            if p < q and circle_of[p] == circle_of[q]
        )
        repeats = 0
        if self.features.no_repeats:
            repeats = sum(
                1
                for p, others in enumerate(self.features.met)
                for q in set(others)
                if p < q and circle_of[p] == circle_of[q]
            )
        return forbidden, repeats

    def score(self) -> float:
        c, w = self.counts, self.weights
        same_department = float((c["dept"] * (c["dept"] - 1) / 2).sum())
        levels = float((c["size"] * c["level_sq"] - c["level_sum"] ** 2).sum())
        topics = float((c["topic"] * (c["topic"] - 1) / 2).sum())
        return float(-w[0] * same_department - w[1] * levels + w[2] * topics)

    def key(self) -> tuple[tuple[int, int], float]:
        """Among plans equal on the time-zone rule: fewest pairs breaking a rule, then score."""
        return self.broken(), -self.score()

    def circles(self) -> tuple[Circle, ...]:
        signups = self.features.signups
        groups: list[list[SignUp]] = [[] for _ in self.window_of_circle]
        for index, circle in enumerate(self.circle_of):
            groups[int(circle)].append(signups[index])
        return tuple(
            Circle(
                number,
                tuple(sorted(group, key=lambda s: (not s.facilitator, s.name))),
                score_circle(group, self.rules.weights),
                self.window_of_circle[number - 1],
                float(self.allowance[number - 1]),
            )
            for number, group in enumerate(groups, start=1)
        )


# Start of annealing, in score points. Measured on the synthetic 2,000-person roster at 400 steps a
# person: 1.5 → total 747, 0.6 → 926, 0.3 → 992, 0.1 → 967 (hotter wastes the few steps there are).
_TEMPERATURE = 0.3
# Steps per person when the whole search fits well inside the budget: the run then takes exactly
# this many, so small rosters repeat for a seed without a step count. `_SLOW_STEP_SECONDS` is a
# step's cost on a busy machine (~0.35 µs unloaded), used only to decide that it fits.
_STEPS_PER_PERSON = 5_000
_SLOW_STEP_SECONDS = 1e-6
# The probe of each way of counting circles: enough steps for the search to settle who clashes.
_PROBE_STEPS_PER_PERSON = 60
_PROBE_STEPS_MIN = 20_000
_PROBE_STEPS_MAX = 400_000
_UNTANGLE_TRIES = 3  # walks over the rules alone, each from where the last left off
_FINISH_SECONDS_PER_PERSON = 2e-5  # kept back from the budget to score and explain the circles
_CHUNK = 50_000  # steps between looks at the clock (~20 ms)
_MOVE_SHARE = 0.2  # share of steps that move one person rather than swap two


def _penalties(rules: FormationRules, levels: NDArray[np.float64], high: int) -> NDArray[np.float64]:
    """The search's weights: the soft ones as asked, and hard-rule pairs weighing more than the
    most any one step can change the soft score (so no trade ever buys a broken rule), a
    forbidden pair more than all the repeats one step can make (managers first)."""
    w = rules.weights
    level_range = float(levels.max() - levels.min()) if levels.size else 0.0
    soft_step = 4.0 * high * (w.department + w.level * level_range**2 * high + w.topic * 10 + w.repeat) + 1.0
    repeat_hard = 10.0 * soft_step if rules.no_repeats else 0.0
    forbidden = max(w.forbidden, 10.0 * (soft_step + repeat_hard * 4 * high))
    return np.array([w.department, w.level, w.topic, w.repeat + repeat_hard, forbidden], dtype=np.float64)


def _levels(signups: Sequence[SignUp]) -> NDArray[np.float64]:
    """Missing levels count as the median level, so they neither attract nor repel anyone."""
    known = [s.level for s in signups if s.level is not None]
    middle = float(np.median(known)) if known else 0.0
    return np.array([middle if s.level is None else float(s.level) for s in signups])


def _circle_sizes(people: int, count: int) -> list[int]:
    """`count` near-equal sizes adding up to `people`."""
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
    signups: Sequence[SignUp], levels: NDArray[np.float64], met: list[list[int]], forbidden: list[list[int]]
) -> dict[str, NDArray[Any]]:
    departments = {d: k for k, d in enumerate(sorted({s.department for s in signups}))}
    topics = {t: k for k, t in enumerate(sorted({t for s in signups for t in s.topics}))}
    topic_ptr, topic_idx = _csr([sorted(topics[t] for t in s.topics) for s in signups])
    met_ptr, met_idx = _csr(met)
    forbid_ptr, forbid_idx = _csr(forbidden)
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


def hand_made_relaxations(
    arranged: Sequence[Sequence[SignUp]], signups: Sequence[SignUp], rules: FormationRules
) -> tuple[Relaxation, ...]:
    """The hard rules a partition arranged by hand breaks (a lead moved someone after a run), each
    naming its circle and people, so the lead sees what a move costs before confirming it."""
    low, high, spread = rules.min_size, rules.max_size, rules.max_timezone_spread
    per_offset = Counter(s.utc_offset for s in signups)
    found: list[Relaxation] = []
    for number, members in enumerate(arranged, start=1):
        if not low <= len(members) <= high:
            found.append(
                Relaxation(
                    "circle size",
                    f"circle {number} has {len(members)} people; circles should have {low}–{high}.",
                    "kept as you arranged it.",
                    number,
                    tuple(m.id for m in members),
                )
            )
        width = circular_spread([m.utc_offset for m in members])
        if width > spread + 1e-9:
            far = _far_members(members, spread, per_offset, low)
            found.append(
                Relaxation(
                    "time-zone spread",
                    f"circle {number} spans {width:g} hours, more than {spread:g}: {_names(far)} "
                    f"{'is' if len(far) == 1 else 'are'} far from the others.",
                    "kept as you arranged it.",
                    number,
                    tuple(m.id for m in far),
                )
            )
        by_id = {m.id: m for m in members}
        for member in members:
            pairs = [(other, "named person") for other in sorted(member.avoid & set(by_id) - {member.id})]
            boss = member.manager_id
            if boss is not None and boss in by_id and boss != member.id:
                pairs.insert(0, (boss, "never with one's manager"))
            found.extend(
                Relaxation(
                    rule,
                    f"{member.name} and {by_id[other].name} share circle {number}.",
                    "kept as you arranged it.",
                    number,
                    (member.id, other),
                )
                for other, rule in pairs
            )
    return tuple(found)
