"""Time-zone windows: split the roster into groups of people whose UTC offsets lie close enough
that one live meeting fits everyone's working hours; circles are then formed inside a window.

Offsets live on a 24-hour clock: UTC+12 and UTC-11 are one hour apart in wall-clock terms (their
working days overlap, a calendar day apart), so spreads are measured around the circle and the
roster is cut open at its widest gap before the windows are laid out along it.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def _unwrapped(offsets: Sequence[float]) -> list[float]:
    """Offsets shifted so that the widest gap on the clock falls at the ends of the line."""
    points = sorted({offset % 24 for offset in offsets})
    if len(points) <= 1:
        return [offset % 24 for offset in offsets]
    gaps = [(points[(k + 1) % len(points)] - points[k]) % 24 for k in range(len(points))]
    start = points[(max(range(len(points)), key=lambda k: gaps[k]) + 1) % len(points)]
    return [(offset - start) % 24 for offset in offsets]


def plan_windows(offsets: Sequence[float], min_size: int, max_size: int, max_spread: float) -> list[list[int]] | None:
    """Fewest windows (so each is as large, and as mixed, as possible) such that every window
    spans at most `max_spread` hours and can be cut into circles of min..max people; the
    people's indices per window, or None when no such split exists."""
    line = _unwrapped(offsets)
    order = sorted(range(len(line)), key=lambda index: line[index])
    values = sorted(set(line))
    counts = [sum(1 for x in line if x == value) for value in values]
    best: list[tuple[int, int] | None] = [None] * (len(values) + 1)  # (windows, previous cut)
    best[0] = (0, -1)
    for end in range(1, len(values) + 1):
        people = 0
        for start in range(end - 1, -1, -1):
            people += counts[start]
            if values[end - 1] - values[start] > max_spread + 1e-9:
                break
            previous = best[start]
            if previous is None or not circle_count_range(people, min_size, max_size):
                continue
            if best[end] is None or previous[0] + 1 < best[end][0]:  # type: ignore[index]
                best[end] = (previous[0] + 1, start)
    if best[-1] is None:
        return None
    cuts: list[tuple[int, int]] = []
    end = len(values)
    while end > 0:
        entry = best[end]
        assert entry is not None
        cuts.append((entry[1], end))
        end = entry[1]
    windows = []
    for start, stop in reversed(cuts):
        low, high = values[start], values[stop - 1]
        windows.append([index for index in order if low <= line[index] <= high])
    return windows


def smallest_workable_spread(offsets: Sequence[float], min_size: int, max_size: int) -> float | None:
    """The least spread for which `plan_windows` succeeds: the best relaxation of the rule."""
    line = sorted(set(_unwrapped(offsets)))
    candidates = sorted({round(b - a, 4) for a in line for b in line if b >= a})
    for spread in candidates:
        if plan_windows(offsets, min_size, max_size, spread) is not None:
            return spread
    return None
