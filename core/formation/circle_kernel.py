"""Compiled search for real rosters, on per-circle feature counts instead of an n×n matrix.

A circle's score needs only counts: same-department pairs are Σ c·(c-1)/2 over its department
counts, the squared level differences over all pairs are k·Σl² - (Σl)², pairs sharing a topic are
Σ c·(c-1)/2 over topic counts. Repeats and forbidden pairs (manager, named person) are sparse
neighbour lists. So a step's change of score costs O(features of the people moved), and 10,000
people need a few megabytes.

Steps are swaps of two people with the same facilitator flag, and moves of one non-facilitator to
another circle within the size bounds, so facilitator counts per circle never change. A step is
taken only if both circles stay within their time-zone allowance (the asked spread, or a wider one
for the few circles the plan had to widen), measured on the plan's line; the partner is drawn from
the people within reach on that line (``order[near_lo[p]:near_hi[p]]``). Broken hard rules weigh
far more than any soft change (see `roster._penalties`), so the search never buys score with one.

Arrays (n people, C circles): ``circle_of[n]``, ``dept[n]``, ``level[n]``, ``facilitator[n]``,
``line[n]``; topics, repeats (``met``) and ``forbid`` as CSR (``*_ptr[n+1]``, ``*_idx``);
``members[C, capacity]`` with ``slot[n]`` each person's place in their row and ``sizes[C]`` the
row lengths; ``allowance[C]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.formation.kernel import compiled, inlined

# Weight order in the `weights` array.
W_DEPT, W_LEVEL, W_TOPIC, W_REPEAT, W_FORBID = 0, 1, 2, 3, 4


@inlined
def _level_spread(size: float, level_sum: float, level_sq: float) -> Any:
    return size * level_sq - level_sum * level_sum


@inlined
def _topic_change(circle: int, leaving: int, joining: int, topic_ptr: Any, topic_idx: Any, topic_count: Any) -> float:
    """Change in topic-sharing pairs of `circle` when `leaving` is replaced by `joining`."""
    change = 0.0
    for k in range(topic_ptr[leaving], topic_ptr[leaving + 1]):
        change -= topic_count[circle, topic_idx[k]] - 1
    for k in range(topic_ptr[joining], topic_ptr[joining + 1]):
        t = topic_idx[k]
        shared = 0
        for m in range(topic_ptr[leaving], topic_ptr[leaving + 1]):
            if topic_idx[m] == t:
                shared = 1
        change += topic_count[circle, t] - shared
    return change


@inlined
def _pair_change(person: int, own: int, other: int, partner: int, circle_of: Any, ptr: Any, idx: Any) -> float:
    """Change in `person`'s listed pairs (repeats or forbidden) when moving from circle `own` to
    `other` in exchange for `partner`."""
    change = 0.0
    for k in range(ptr[person], ptr[person + 1]):
        r = idx[k]
        if r in (partner, person):
            continue
        if circle_of[r] == own:
            change -= 1.0
        elif circle_of[r] == other:
            change += 1.0
    return change


@inlined
def swap_gain(
    p: int,
    q: int,
    circle_of: Any,
    dept: Any,
    level: Any,
    topic_ptr: Any,
    topic_idx: Any,
    met_ptr: Any,
    met_idx: Any,
    forbid_ptr: Any,
    forbid_idx: Any,
    dept_count: Any,
    topic_count: Any,
    sizes: Any,
    level_sum: Any,
    level_sq: Any,
    weights: Any,
) -> float:
    a = circle_of[p]
    b = circle_of[q]
    gain = 0.0
    dp = dept[p]
    dq = dept[q]
    if dp != dq:
        same_a = dept_count[a, dq] - (dept_count[a, dp] - 1)
        same_b = dept_count[b, dp] - (dept_count[b, dq] - 1)
        gain -= weights[W_DEPT] * (same_a + same_b)
    lp = level[p]
    lq = level[q]
    if lp != lq:
        before = _level_spread(sizes[a], level_sum[a], level_sq[a]) + _level_spread(sizes[b], level_sum[b], level_sq[b])
        after = _level_spread(sizes[a], level_sum[a] - lp + lq, level_sq[a] - lp * lp + lq * lq)
        after += _level_spread(sizes[b], level_sum[b] - lq + lp, level_sq[b] - lq * lq + lp * lp)
        gain -= weights[W_LEVEL] * (after - before)
    gain += weights[W_TOPIC] * (
        _topic_change(a, p, q, topic_ptr, topic_idx, topic_count)
        + _topic_change(b, q, p, topic_ptr, topic_idx, topic_count)
    )
    repeats = _pair_change(p, a, b, q, circle_of, met_ptr, met_idx)
    repeats += _pair_change(q, b, a, p, circle_of, met_ptr, met_idx)
    gain -= weights[W_REPEAT] * repeats
    forbidden = _pair_change(p, a, b, q, circle_of, forbid_ptr, forbid_idx)
    forbidden += _pair_change(q, b, a, p, circle_of, forbid_ptr, forbid_idx)
    gain -= weights[W_FORBID] * forbidden
    return float(gain)


@inlined
def _shift(
    person: int,
    old: int,
    new: int,
    dept: Any,
    level: Any,
    topic_ptr: Any,
    topic_idx: Any,
    dept_count: Any,
    topic_count: Any,
    level_sum: Any,
    level_sq: Any,
) -> None:
    dept_count[old, dept[person]] -= 1
    dept_count[new, dept[person]] += 1
    lv = level[person]
    level_sum[old] -= lv
    level_sum[new] += lv
    level_sq[old] -= lv * lv
    level_sq[new] += lv * lv
    for k in range(topic_ptr[person], topic_ptr[person + 1]):
        topic_count[old, topic_idx[k]] -= 1
        topic_count[new, topic_idx[k]] += 1


@inlined
def apply_swap(
    p: int,
    q: int,
    circle_of: Any,
    dept: Any,
    level: Any,
    topic_ptr: Any,
    topic_idx: Any,
    dept_count: Any,
    topic_count: Any,
    level_sum: Any,
    level_sq: Any,
) -> None:
    a = circle_of[p]
    b = circle_of[q]
    _shift(p, a, b, dept, level, topic_ptr, topic_idx, dept_count, topic_count, level_sum, level_sq)
    _shift(q, b, a, dept, level, topic_ptr, topic_idx, dept_count, topic_count, level_sum, level_sq)
    circle_of[p] = b
    circle_of[q] = a


@inlined
def move_gain(
    p: int,
    b: int,
    circle_of: Any,
    dept: Any,
    level: Any,
    topic_ptr: Any,
    topic_idx: Any,
    met_ptr: Any,
    met_idx: Any,
    forbid_ptr: Any,
    forbid_idx: Any,
    dept_count: Any,
    topic_count: Any,
    sizes: Any,
    level_sum: Any,
    level_sq: Any,
    weights: Any,
) -> float:
    """Change of score when `p` leaves its circle for circle `b` (both sizes change)."""
    a = circle_of[p]
    dp = dept[p]
    gain = -weights[W_DEPT] * (dept_count[b, dp] - (dept_count[a, dp] - 1))
    lp = level[p]
    before = _level_spread(sizes[a], level_sum[a], level_sq[a]) + _level_spread(sizes[b], level_sum[b], level_sq[b])
    after = _level_spread(sizes[a] - 1, level_sum[a] - lp, level_sq[a] - lp * lp)
    after += _level_spread(sizes[b] + 1, level_sum[b] + lp, level_sq[b] + lp * lp)
    gain -= weights[W_LEVEL] * (after - before)
    topics = 0.0
    for k in range(topic_ptr[p], topic_ptr[p + 1]):
        t = topic_idx[k]
        topics += topic_count[b, t] - (topic_count[a, t] - 1)
    gain += weights[W_TOPIC] * topics
    gain -= weights[W_REPEAT] * _pair_change(p, a, b, -1, circle_of, met_ptr, met_idx)
    gain -= weights[W_FORBID] * _pair_change(p, a, b, -1, circle_of, forbid_ptr, forbid_idx)
    return float(gain)


@inlined
def _span(members: Any, sizes: Any, line: Any, circle: int, leaving: int, joining: int) -> float:
    """Spread on the line of `circle` without `leaving` and with `joining` (-1: nobody)."""
    low = np.inf
    high = -np.inf
    if joining >= 0:
        low = line[joining]
        high = low
    for k in range(int(sizes[circle])):
        m = members[circle, k]
        if m != leaving:
            low = min(low, line[m])
            high = max(high, line[m])
    return float(high - low) if high >= low else 0.0


@inlined
def _place_swap(p: int, q: int, members: Any, slot: Any, circle_of: Any) -> None:
    members[circle_of[p], slot[p]] = q
    members[circle_of[q], slot[q]] = p
    slot[p], slot[q] = slot[q], slot[p]


@inlined
def _place_move(p: int, b: int, members: Any, slot: Any, circle_of: Any, sizes: Any) -> None:
    a = circle_of[p]
    last = members[a, int(sizes[a]) - 1]
    members[a, slot[p]] = last
    slot[last] = slot[p]
    members[b, int(sizes[b])] = p
    slot[p] = int(sizes[b])
    sizes[a] -= 1
    sizes[b] += 1


@inlined
def _swap_fits(p: int, q: int, circle_of: Any, members: Any, sizes: Any, line: Any, allowance: Any) -> bool:
    a = circle_of[p]
    b = circle_of[q]
    return bool(
        _span(members, sizes, line, a, p, q) <= allowance[a] + 1e-9
        and _span(members, sizes, line, b, q, p) <= allowance[b] + 1e-9
    )


@inlined
def _move_fits(
    p: int, b: int, circle_of: Any, members: Any, sizes: Any, line: Any, allowance: Any, low: int, high: int
) -> bool:
    a = circle_of[p]
    return bool(sizes[a] > low and sizes[b] < high and _span(members, sizes, line, b, -1, p) <= allowance[b] + 1e-9)


@compiled
def anneal(
    circle_of: Any,
    dept: Any,
    level: Any,
    facilitator: Any,
    line: Any,
    topic_ptr: Any,
    topic_idx: Any,
    met_ptr: Any,
    met_idx: Any,
    forbid_ptr: Any,
    forbid_idx: Any,
    order: Any,
    near_lo: Any,
    near_hi: Any,
    members: Any,
    slot: Any,
    allowance: Any,
    low: int,
    high: int,
    dept_count: Any,
    topic_count: Any,
    sizes: Any,
    level_sum: Any,
    level_sq: Any,
    weights: Any,
    steps: int,
    temperature_from: float,
    temperature_to: float,
    move_share: float,
    seed: int,
) -> int:
    """Random swaps and moves between people within reach, accepted when they do not lose more
    than the (falling) temperature allows. Counts are updated in place; returns the steps taken."""
    np.random.seed(seed)
    n = circle_of.size
    made = 0
    for s in range(steps):
        temperature = temperature_from + (temperature_to - temperature_from) * s / max(steps, 1)
        p = np.random.randint(n)
        q = order[near_lo[p] + np.random.randint(near_hi[p] - near_lo[p])]
        a = circle_of[p]
        b = circle_of[q]
        if a == b:
            continue
        moving = np.random.random() < move_share
        if moving:
            if facilitator[p] or not _move_fits(p, b, circle_of, members, sizes, line, allowance, low, high):
                continue
            gain = move_gain(
                p, b, circle_of, dept, level, topic_ptr, topic_idx, met_ptr, met_idx, forbid_ptr, forbid_idx,
                dept_count, topic_count, sizes, level_sum, level_sq, weights,
            )  # fmt: skip
        else:
            if facilitator[p] != facilitator[q] or not _swap_fits(p, q, circle_of, members, sizes, line, allowance):
                continue
            gain = swap_gain(
                p, q, circle_of, dept, level, topic_ptr, topic_idx, met_ptr, met_idx, forbid_ptr, forbid_idx,
                dept_count, topic_count, sizes, level_sum, level_sq, weights,
            )  # fmt: skip
        if gain > 1e-9 or (temperature > 0.0 and np.random.random() < np.exp(gain / temperature)):
            if moving:
                _place_move(p, b, members, slot, circle_of, sizes)
                _shift(p, a, b, dept, level, topic_ptr, topic_idx, dept_count, topic_count, level_sum, level_sq)
                circle_of[p] = b
            else:
                _place_swap(p, q, members, slot, circle_of)
                apply_swap(
                    p, q, circle_of, dept, level, topic_ptr, topic_idx, dept_count, topic_count, level_sum, level_sq
                )
            made += 1
    return made


@inlined
def _hands_over(source: int, target: int, fac_count: Any, window_of_circle: Any) -> bool:
    """Whether `source` may pass a facilitator to `target`: the counts within each time-zone
    window still differ by at most one afterwards (as dealt)."""
    if fac_count[source] - fac_count[target] < 1:
        return False
    for window in (window_of_circle[source], window_of_circle[target]):
        low = 1 << 30
        high = -1
        for c in range(fac_count.size):
            if window_of_circle[c] != window:
                continue
            count = fac_count[c] - (c == source) + (c == target)
            low = min(low, count)
            high = max(high, count)
        if high - low > 1:
            return False
    return True


@inlined
def _breaks_a_rule(
    p: int, circle_of: Any, forbid_ptr: Any, forbid_idx: Any, met_ptr: Any, met_idx: Any, hard_repeats: bool
) -> bool:
    for k in range(forbid_ptr[p], forbid_ptr[p + 1]):
        if circle_of[forbid_idx[k]] == circle_of[p]:
            return True
    if hard_repeats:
        for k in range(met_ptr[p], met_ptr[p + 1]):
            if met_idx[k] != p and circle_of[met_idx[k]] == circle_of[p]:
                return True
    return False


@compiled
def repair(
    circle_of: Any,
    dept: Any,
    level: Any,
    facilitator: Any,
    line: Any,
    topic_ptr: Any,
    topic_idx: Any,
    met_ptr: Any,
    met_idx: Any,
    forbid_ptr: Any,
    forbid_idx: Any,
    order: Any,
    near_lo: Any,
    near_hi: Any,
    members: Any,
    slot: Any,
    allowance: Any,
    low: int,
    high: int,
    dept_count: Any,
    topic_count: Any,
    sizes: Any,
    level_sum: Any,
    level_sq: Any,
    weights: Any,
    hard_repeats: bool,
    fac_count: Any,
    window_of_circle: Any,
) -> int:
    """For everyone still breaking a rule, the best swap or move with anyone within reach, taken
    when it gains (which it does whenever it mends a rule without breaking another); repeated
    until a pass changes nothing. Deterministic; returns the steps taken.

    Here, unlike in `anneal`, a facilitator may trade places with a member when the facilitators
    stay spread (`_hands_over`): a facilitator who is someone's manager must not pin them together."""
    n = circle_of.size
    made = 0
    for _ in range(20):
        changed = False
        for p in range(n):
            if not _breaks_a_rule(p, circle_of, forbid_ptr, forbid_idx, met_ptr, met_idx, hard_repeats):
                continue
            best_gain = 1e-9
            best_q = -1
            best_move = False
            for k in range(near_lo[p], near_hi[p]):
                q = order[k]
                b = circle_of[q]
                if b == circle_of[p]:
                    continue
                a = circle_of[p]
                trade = facilitator[p] == facilitator[q] or (
                    _hands_over(a, b, fac_count, window_of_circle)
                    if facilitator[p]
                    else _hands_over(b, a, fac_count, window_of_circle)
                )
                if trade and _swap_fits(p, q, circle_of, members, sizes, line, allowance):
                    gain = swap_gain(
                        p, q, circle_of, dept, level, topic_ptr, topic_idx, met_ptr, met_idx, forbid_ptr,
                        forbid_idx, dept_count, topic_count, sizes, level_sum, level_sq, weights,
                    )  # fmt: skip
                    if gain > best_gain:
                        best_gain, best_q, best_move = gain, q, False
                movable = not facilitator[p] or _hands_over(a, b, fac_count, window_of_circle)
                if movable and _move_fits(p, b, circle_of, members, sizes, line, allowance, low, high):
                    gain = move_gain(
                        p, b, circle_of, dept, level, topic_ptr, topic_idx, met_ptr, met_idx, forbid_ptr,
                        forbid_idx, dept_count, topic_count, sizes, level_sum, level_sq, weights,
                    )  # fmt: skip
                    if gain > best_gain:
                        best_gain, best_q, best_move = gain, q, True
            if best_q < 0:
                continue
            a = circle_of[p]
            b = circle_of[best_q]
            if facilitator[p]:
                fac_count[a] -= 1
                fac_count[b] += 1
            if not best_move and facilitator[best_q]:
                fac_count[b] -= 1
                fac_count[a] += 1
            if best_move:
                _place_move(p, b, members, slot, circle_of, sizes)
                _shift(p, a, b, dept, level, topic_ptr, topic_idx, dept_count, topic_count, level_sum, level_sq)
                circle_of[p] = b
            else:
                _place_swap(p, best_q, members, slot, circle_of)
                apply_swap(
                    p, best_q, circle_of, dept, level, topic_ptr, topic_idx, dept_count, topic_count, level_sum,
                    level_sq,
                )  # fmt: skip
            made += 1
            changed = True
        if not changed:
            break
    return made
