"""Time-zone windows: split the roster into groups of people whose UTC offsets lie close enough
that one live meeting fits everyone's working hours; circles are then formed inside a window.

Offsets live on a 24-hour clock: UTC+12 and UTC-11 are one hour apart in wall-clock terms (their
working days overlap, a calendar day apart), so spreads are measured around the circle and the
roster is cut open at a gap (the widest first) before the windows are laid out along it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from core.formation.rules import circle_count_range


def circular_spread(offsets: Sequence[float]) -> float:
    """Smallest arc of the 24-hour clock holding all offsets, in hours."""
    points = sorted({round(offset % 24, 4) for offset in offsets})
    if len(points) <= 1:
        return 0.0
    gaps = [later - earlier for earlier, later in pairwise(points)]
    gaps.append(points[0] + 24 - points[-1])
    return round(24 - max(gaps), 4)


@dataclass(frozen=True)
class WindowPlan:
    """Time-zone windows along one cut of the clock: each window holds whole circles, and every
    window spans at most the asked spread except the few that cannot (`widths` says by how much).

    `line` is each person's position in hours from the cut, the coordinate the search measures a
    circle's spread on (never less than the spread around the clock, so a circle kept within its
    allowance on the line is within it on the clock too)."""

    windows: list[list[int]]
    widths: list[float]
    line: list[float]
    counts: list[range]  # the numbers of circles each window can be cut into
    relaxed_circles: int


Clash = Callable[[list[int]], int]


def plan_zone_windows(
    offsets: Sequence[float],
    min_size: int,
    max_size: int,
    max_spread: float,
    clash: Clash | None = None,
    *,
    fewest_windows: bool = True,
) -> WindowPlan:
    """Windows that keep the rule everywhere when any split does, else widen as few circles as
    possible by the least that works (lexicographically: circles widened, widest of them, rule
    breaks forced on single-circle windows by `clash`, then fewest windows so each is as mixed as
    possible). Circles may interleave inside a window, but any split into circles can be sorted
    into consecutive runs along the line without widening one, so cutting the line is exact up to
    where the clock is cut; every cut is tried when the first does not keep every rule. With
    `fewest_windows` false the last tie-break goes the other way: more, smaller windows, whose
    circles the search can sort out when people at one offset were cut unluckily."""
    return tied_zone_plans(offsets, min_size, max_size, max_spread, clash, fewest_windows=fewest_windows)[0]


def tied_zone_plans(
    offsets: Sequence[float],
    min_size: int,
    max_size: int,
    max_spread: float,
    clash: Clash | None = None,
    *,
    fewest_windows: bool = True,
) -> list[WindowPlan]:
    """The best plan (as `plan_zone_windows`) first, then up to `_TIED_PLANS` - 1 others from other
    cuts of the clock that widen as few circles by as little. `clash` counts only the pairs a
    single-circle window holds as the line happens to order a crowd at one offset, so a plan it
    ranks lower may be the one whose circles the search can untangle (a circle that must wrap
    where the first cut opened the clock exists only on another cut)."""
    step = 1 if fewest_windows else -1
    cuts = _cut_points(offsets)
    if len(offsets) > 240:
        cuts = cuts[:3]  # each cut costs a DP over a thousand positions; the widest gaps are the ones that matter
    found: list[tuple[tuple[float, ...], int, WindowPlan]] = []
    for relax in (False, True):
        for number, start in enumerate(cuts):
            along = _plan_along(offsets, start, min_size, max_size, max_spread, clash, relax, step)
            if along is not None:
                found.append((along[0], len(found), along[1]))
            if relax and len(offsets) <= _NESTED_UP_TO and (number < 3 or len(offsets) <= 20):
                nested = _plan_nested(offsets, start, min_size, max_size, max_spread, clash, step)
                if nested is not None and clash is not None:
                    nested = _with_clashes(nested, clash, max_spread)
                if nested is not None:
                    found.append((nested[0], len(found), nested[1]))
            if found and min(found)[0][:3] == (0, 0, 0) and number == 0:
                return [min(found)[2]]
        if found:
            found.sort(key=lambda f: (f[0], f[1]))
            least = found[0][0][:2]
            plans: list[WindowPlan] = []
            for cost, _, plan in found:
                if cost[:2] == least and all(plan.windows != kept.windows for kept in plans):
                    plans.append(plan)
            return plans[:_TIED_PLANS]
    raise AssertionError("one window of everybody always works once the sizes do")


_TIED_PLANS = 4  # the first cuts tied on the time-zone rule; each costs a probe only while a pair stays broken


def _cut_points(offsets: Sequence[float]) -> list[float]:
    """Where to open the clock: after the widest gap first, then after every other gap (widest
    first), few dozen at most as offsets are whole or half hours."""
    points = sorted({round(offset % 24, 4) for offset in offsets})
    gaps = [
        ((points[(k + 1) % len(points)] - points[k]) % 24 or 24, points[(k + 1) % len(points)])
        for k in range(len(points))
    ]
    return [start for _, start in sorted(gaps, key=lambda g: (-g[0], g[1]))]


def _plan_along(
    offsets: Sequence[float],
    start: float,
    low: int,
    high: int,
    spread: float,
    clash: Clash | None,
    relax: bool,
    step: int,
) -> tuple[tuple[float, ...], WindowPlan] | None:
    line = [round((offset - start) % 24, 4) for offset in offsets]
    order = sorted(range(len(line)), key=lambda i: (line[i], i))
    values = [line[i] for i in order]
    n = len(order)
    cut_at = _cut_positions(values, high)
    best: dict[int, tuple[Cost, int]] = {0: ((0, 0.0, 0, 0), -1)}
    for end in cut_at[1:]:
        for begin in reversed(cut_at):
            if begin >= end:
                continue
            width = values[end - 1] - values[begin]
            if not relax and width > spread + 1e-9:
                break
            counts = circle_count_range(end - begin, low, high)
            if begin not in best or not counts:
                continue
            before = best[begin][0]
            wide = width > spread + 1e-9
            single = counts[0] == 1 and (len(counts) == 1 or wide)  # a widened window keeps its fewest circles
            forced = clash(order[begin:end]) if clash is not None and single else 0
            cost = (
                before[0] + (counts[0] if wide else 0),
                max(before[1], width if wide else 0.0),
                before[2] + forced,
                before[3] + step,
            )
            if end not in best or cost < best[end][0]:
                best[end] = (cost, begin)
    if n not in best:
        return None
    windows: list[list[int]] = []
    end = n
    while end > 0:
        begin = best[end][1]
        windows.append(order[begin:end])
        end = begin
    windows.reverse()
    widths = [line[w[-1]] - line[w[0]] for w in windows]
    cost = best[n][0]
    plan = WindowPlan(
        windows=windows,
        widths=[round(w, 4) for w in widths],
        line=line,
        counts=[circle_count_range(len(w), low, high) for w in windows],
        relaxed_circles=int(cost[0]),
    )
    return cost, plan


def _cut_positions(values: list[float], high: int) -> list[int]:
    """Where a window may end in the sorted roster: everywhere on small rosters; on large ones at
    every change of offset and within two circles of one (a cut deep inside a crowd of people at
    one offset is never needed there: the crowd fills whole circles on either side)."""
    n = len(values)
    if n <= 240:
        return list(range(n + 1))
    changes = [0] + [k for k in range(1, n) if values[k] != values[k - 1]] + [n]
    near = {min(n, max(0, c + d)) for c in changes for d in range(-2 * high, 2 * high + 1)}
    return sorted(near)


_NESTED_UP_TO = 60
Cost = tuple[float, float, float, float]
State = tuple[int, int, int]  # position, where the open wide circle began (-1: none), its size so far


def _plan_nested(
    offsets: Sequence[float], start: float, low: int, high: int, spread: float, clash: Clash | None, step: int
) -> tuple[Cost, WindowPlan] | None:
    """Like `_plan_along` with relaxation, but a widened circle may also reach over windows kept
    within the spread (a straggler at each end of a crowd: one wide circle of the two stragglers
    rather than two half-wide ones), which the cut into consecutive runs cannot express. At most
    one wide circle is open at a time; small rosters only, where stragglers are the usual case."""
    line = [round((offset - start) % 24, 4) for offset in offsets]
    order = sorted(range(len(line)), key=lambda i: (line[i], i))
    values = [line[i] for i in order]
    n = len(order)
    best: dict[State, tuple[Cost, State | None, tuple[int, int, int]]] = {(0, -1, 0): ((0, 0.0, 0, 0), None, (0, 0, 0))}
    reached: list[set[State]] = [set() for _ in range(n + 1)]
    reached[0].add((0, -1, 0))

    def offer(state: State, cost: Cost, came: State, step: tuple[int, int, int]) -> None:
        if state not in best or cost < best[state][0]:
            best[state] = (cost, came, step)
            reached[state[0]].add(state)

    for pos in range(n + 1):
        for here in sorted(reached[pos]):
            _, opened, size = here
            cost = best[here][0]
            for end in range(pos + 1, n + 1):
                width = values[end - 1] - values[pos]
                if width > spread + 1e-9:
                    break
                counts = circle_count_range(end - pos, low, high)
                if counts:
                    single = clash is not None and len(counts) == 1 and counts[0] == 1
                    forced = clash(order[pos:end]) if single and clash is not None else 0
                    offer(
                        (end, opened, size), (cost[0], cost[1], cost[2] + forced, cost[3] + step), here, (0, pos, end)
                    )
            if pos == n:
                continue
            if opened < 0:
                offer((pos + 1, pos, 1), cost, here, (1, pos, pos + 1))
                continue
            if size + 1 <= high:
                offer((pos + 1, opened, size + 1), cost, here, (1, pos, pos + 1))
            if low <= size + 1 <= high:
                width = values[pos] - values[opened]
                wide = width > spread + 1e-9
                closed = (cost[0] + (1 if wide else 0), max(cost[1], width if wide else 0.0), cost[2], cost[3] + step)
                offer((pos + 1, -1, 0), closed, here, (2, pos, pos + 1))
    final = (n, -1, 0)
    if final not in best:
        return None
    windows: list[list[int]] = []
    wide_members: list[int] = []
    state: State | None = final
    while state is not None and best[state][1] is not None:
        _, came, (kind, begin, end) = best[state]
        if kind == 0:
            windows.append(order[begin:end])
        elif kind == 2:
            wide_members = [order[begin]]
        else:
            wide_members.append(order[begin])
            if came is not None and came[1] < 0:
                windows.append(sorted(wide_members, key=lambda i: line[i]))
                wide_members = []
        state = came
    windows.sort(key=lambda w: line[w[0]])
    cost = best[final][0]
    return cost, WindowPlan(
        windows=windows,
        widths=[round(line[w[-1]] - line[w[0]], 4) for w in windows],
        line=line,
        counts=[circle_count_range(len(w), low, high) for w in windows],
        relaxed_circles=int(cost[0]),
    )


def _with_clashes(found: tuple[Cost, WindowPlan], clash: Clash, spread: float) -> tuple[Cost, WindowPlan]:
    """The cost with the clashes inside every window held to one circle, counted on the plan as
    built (the nested search cannot see who its widened circle gathers until the end)."""
    cost, plan = found
    forced = sum(
        clash(window)
        for window, counts, width in zip(plan.windows, plan.counts, plan.widths, strict=True)
        if counts and counts[0] == 1 and (len(counts) == 1 or width > spread + 1e-9)
    )
    return (cost[0], cost[1], forced, cost[3]), plan
