"""Compiled swap search for real rosters, on per-circle feature counts instead of an n×n matrix.

A circle's score needs only counts: same-department pairs are Σ c·(c-1)/2 over its department
counts, the squared level differences over all pairs are k·Σl² - (Σl)², pairs sharing a topic are
Σ c·(c-1)/2 over topic counts. Repeats and forbidden pairs (manager, named person) are sparse
neighbour lists. So a swap's change of score costs O(features of the two people), and 10,000 people
need a few megabytes. Only people in the same time-zone bucket and with the same facilitator flag
are swapped, which keeps sizes, time-zone windows and facilitator spread intact by construction.

Arrays (n people, C circles): ``circle_of[n]``, ``dept[n]``, ``level[n]``, ``facilitator[n]``;
topics, repeats (``met``) and ``forbid`` as CSR (``*_ptr[n+1]``, ``*_idx``); ``bucket_of[n]`` with
the members of each bucket in ``bucket_members[bucket_ptr[b]:bucket_ptr[b+1]]``.
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


@compiled
def anneal(
    circle_of: Any,
    dept: Any,
    level: Any,
    facilitator: Any,
    topic_ptr: Any,
    topic_idx: Any,
    met_ptr: Any,
    met_idx: Any,
    forbid_ptr: Any,
    forbid_idx: Any,
    bucket_of: Any,
    bucket_ptr: Any,
    bucket_members: Any,
    dept_count: Any,
    topic_count: Any,
    sizes: Any,
    level_sum: Any,
    level_sq: Any,
    weights: Any,
    steps: int,
    temperature_from: float,
    temperature_to: float,
    seed: int,
) -> int:
    """Random swaps within buckets, accepted when they do not lose more than the (falling)
    temperature allows. Counts are updated in place; returns the number of swaps made."""
    np.random.seed(seed)
    n = circle_of.size
    made = 0
    for s in range(steps):
        temperature = temperature_from + (temperature_to - temperature_from) * s / max(steps, 1)
        p = np.random.randint(n)
        bucket = bucket_of[p]
        width = bucket_ptr[bucket + 1] - bucket_ptr[bucket]
        q = bucket_members[bucket_ptr[bucket] + np.random.randint(width)]
        if circle_of[p] == circle_of[q] or facilitator[p] != facilitator[q]:
            continue
        gain = swap_gain(
            p,
            q,
            circle_of,
            dept,
            level,
            topic_ptr,
            topic_idx,
            met_ptr,
            met_idx,
            forbid_ptr,
            forbid_idx,
            dept_count,
            topic_count,
            sizes,
            level_sum,
            level_sq,
            weights,
        )
        if gain > 1e-9 or (temperature > 0.0 and np.random.random() < np.exp(gain / temperature)):
            apply_swap(p, q, circle_of, dept, level, topic_ptr, topic_idx, dept_count, topic_count, level_sum, level_sq)
            made += 1
    return made
