"""Compiled inner loops of the grouping search (`grouping`).

A good grouping of 120 items takes tens of thousands of local searches, each scanning thousands of
swaps; in numpy each step is a dozen array passes whose call overhead dominates (about 5,000 tabu
steps a second measured, 0.99 of best-known on MDGPLIB n = 120 in 2.5 s). The same loops compiled
with numba run ~50 times faster, and the descent's group-level bound (see `descend`) another ~8
times, which is what brings the benchmark near TPSDP's compiled C. Compiled functions are cached on
disk (``cache=True``), so only the very first run on a machine pays the ~10 s compilation.

Conventions: ``weights`` is n×n symmetric with a zero diagonal; ``sums[i, g]`` is the sum of
weights between item i and the members of group g; arrays are modified in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np

Function = TypeVar("Function", bound=Callable[..., Any])

_EPS = 1e-9


def compiled(function: Function) -> Function:
    """numba's decorator is untyped; this keeps each function's own signature for mypy."""
    return cast(Function, numba.njit(cache=True, nogil=True)(function))


def inlined(function: Function) -> Function:
    """For small helpers called in the hottest loops: numba passes each array argument as a
    multi-word struct, so a call with a dozen arrays costs more than the helper's own work."""
    return cast(Function, numba.njit(cache=True, nogil=True, inline="always")(function))


@compiled
def group_sums(weights: Any, assignment: Any, groups: int) -> Any:
    n = assignment.size
    sums = np.zeros((n, groups))
    for i in range(n):
        for j in range(n):
            sums[i, assignment[j]] += weights[i, j]
    return sums


@compiled
def move_item(weights: Any, assignment: Any, sizes: Any, sums: Any, item: int, target: int) -> None:
    source = assignment[item]
    for k in range(assignment.size):
        w = weights[item, k]
        sums[k, source] -= w
        sums[k, target] += w
    assignment[item] = target
    sizes[source] -= 1
    sizes[target] += 1


@compiled
def swap_items(weights: Any, assignment: Any, sums: Any, first: int, second: int) -> None:
    g = assignment[first]
    h = assignment[second]
    for k in range(assignment.size):
        delta = weights[second, k] - weights[first, k]
        sums[k, g] += delta
        sums[k, h] -= delta
    assignment[first] = h
    assignment[second] = g


@compiled
def _index_members(assignment: Any, groups: int, members: Any, starts: Any) -> None:
    """Counting sort of items by group: members of g are members[starts[g]:starts[g + 1]]."""
    starts[:] = 0
    for i in range(assignment.size):
        starts[assignment[i] + 1] += 1
    for g in range(groups):
        starts[g + 1] += starts[g]
    fill = starts[:groups].copy()
    for i in range(assignment.size):
        g = assignment[i]
        members[fill[g]] = i
        fill[g] += 1


@compiled
def _best_partner_gain(sums: Any, members: Any, starts: Any, groups: int, best_in: Any) -> None:
    """best_in[h, g] = max over j in h of sums[j, g] - sums[j, h]: the most any member of h gains
    from moving to g, the second half of a swap's gain."""
    best_in[:, :] = -np.inf
    for h in range(groups):
        for k in range(starts[h], starts[h + 1]):
            j = members[k]
            own = sums[j, h]
            for g in range(groups):
                value = sums[j, g] - own
                if value > best_in[h, g]:
                    best_in[h, g] = value


@compiled
def descend(weights: Any, assignment: Any, sizes: Any, sums: Any, lower: Any, upper: Any, min_weight: float) -> float:
    """First-improvement descent over moves and swaps until no neighbour is better; returns the
    total gain.

    A swap of i (in g) with j (in h) gains (sums[i,h] - sums[i,g]) + (sums[j,g] - sums[j,h])
    - 2·w_ij. The second bracket is at most best_in[h, g] and w_ij at least `min_weight`, so whole
    groups h are skipped for i when even that bound is no gain: near a local optimum this prunes
    most of the n² pairs (a plain pass costs about 90 µs at n = 120 on the benchmark machine)."""
    n = assignment.size
    groups = sizes.size
    total = 0.0
    members = np.empty(n, dtype=np.int64)
    starts = np.zeros(groups + 1, dtype=np.int64)
    best_in = np.empty((groups, groups))
    _index_members(assignment, groups, members, starts)
    _best_partner_gain(sums, members, starts, groups, best_in)
    improved = True
    while improved:
        improved = False
        for i in range(n):
            gi = assignment[i]
            if sizes[gi] > lower[gi]:
                # the best legal move, not the first: first-improvement here fills the
                # low-numbered groups to their upper bounds and fixes the size pattern early
                target = -1
                target_gain = _EPS
                for h in range(groups):
                    if h != gi and sizes[h] < upper[h]:
                        gain = sums[i, h] - sums[i, gi]
                        if gain > target_gain:
                            target, target_gain = h, gain
                if target >= 0:
                    move_item(weights, assignment, sizes, sums, i, target)
                    total += target_gain
                    improved = True
                    _index_members(assignment, groups, members, starts)
                    _best_partner_gain(sums, members, starts, groups, best_in)
                    gi = target
            for h in range(groups):
                if h == gi:
                    continue
                first = sums[i, h] - sums[i, gi]
                if first + best_in[h, gi] - 2.0 * min_weight <= _EPS:
                    continue
                for k in range(starts[h], starts[h + 1]):
                    j = members[k]
                    gain = first + sums[j, gi] - sums[j, h] - 2.0 * weights[i, j]
                    if gain > _EPS:
                        swap_items(weights, assignment, sums, i, j)
                        total += gain
                        improved = True
                        _index_members(assignment, groups, members, starts)
                        _best_partner_gain(sums, members, starts, groups, best_in)
                        break
                if assignment[i] != gi:
                    break
    return total


@compiled
def shake(
    weights: Any,
    assignment: Any,
    sizes: Any,
    sums: Any,
    lower: Any,
    upper: Any,
    strength: int,
    move_share: float,
    dirty: Any,
) -> float:
    """`strength` random swaps of items in different groups (and random legal moves when the bounds
    leave room). Returns the change in value."""
    n = assignment.size
    groups = sizes.size
    total = 0.0
    for _ in range(strength):
        i = np.random.randint(n)
        gi = assignment[i]
        if np.random.random() < move_share and sizes[gi] > lower[gi]:
            h = np.random.randint(groups)
            if h != gi and sizes[h] < upper[h]:
                total += sums[i, h] - sums[i, gi]
                move_item(weights, assignment, sizes, sums, i, h)
                dirty[gi] = dirty[h] = True
                continue
        j = np.random.randint(n)
        gj = assignment[j]
        if gj != gi:
            total += sums[i, gj] - sums[i, gi] + sums[j, gi] - sums[j, gj] - 2.0 * weights[i, j]
            swap_items(weights, assignment, sums, i, j)
            dirty[gi] = dirty[gj] = True
    return total


@compiled
def value_of(weights: Any, assignment: Any) -> float:
    total = 0.0
    n = assignment.size
    for i in range(n):
        for j in range(i + 1, n):
            if assignment[i] == assignment[j]:
                total += weights[i, j]
    return total


@compiled
def walk_population(
    weights: Any,
    lower: Any,
    upper: Any,
    population: Any,
    values: Any,
    best: Any,
    rounds: int,
    progress_from: float,
    progress_to: float,
    theta_high: float,
    theta_low: float,
    move_share: float,
    directed_steps: int,
    seed: int,
) -> float:
    """Each round, every walker takes a shake of strength theta·n/G then descends, and keeps the
    result even when it is worse (a walk over local optima, as in TPSDP's undirected phase): a
    greedy accept-if-better rule stalls at about 0.995 of best-known on MDGPLIB n = 120. theta falls
    linearly with overall progress, so late rounds polish. Then every walker takes
    `directed_steps` directed perturbations and descends again (kept, too). `best` receives the
    best grouping seen; its value is returned."""
    np.random.seed(seed)
    walkers, n = population.shape
    groups = lower.size
    best_value = value_of(weights, best)
    min_weight = np.inf
    for i in range(n):
        for j in range(n):
            if i != j and weights[i, j] < min_weight:
                min_weight = weights[i, j]
    dirty = np.ones(groups, dtype=np.bool_)
    all_sizes = np.zeros((walkers, groups), dtype=np.int64)
    all_sums = np.zeros((walkers, n, groups))
    for w in range(walkers):
        for i in range(n):
            all_sizes[w, population[w, i]] += 1
        all_sums[w] = group_sums(weights, population[w], groups)
        values[w] = value_of(weights, population[w])
        dirty[:] = True
        values[w] += descend(weights, population[w], all_sizes[w], all_sums[w], lower, upper, min_weight)
    for r in range(rounds):
        progress = progress_from + (progress_to - progress_from) * r / max(rounds, 1)
        theta = theta_high + (theta_low - theta_high) * progress
        strength = max(1, int(theta * n / groups + 0.5))
        for w in range(walkers):
            assignment = population[w]
            sizes = all_sizes[w]
            sums = all_sums[w]
            value = values[w]
            dirty[:] = False
            value += shake(weights, assignment, sizes, sums, lower, upper, strength, move_share, dirty)
            value += descend(weights, assignment, sizes, sums, lower, upper, min_weight)
            values[w] = value
            if value > best_value + _EPS:
                best_value = value
                best[:] = assignment
        if directed_steps > 0:
            for w in range(walkers):
                sizes = all_sizes[w]
                sums = all_sums[w]
                value = values[w]
                for _ in range(directed_steps):
                    value += directed_shake(weights, population[w], sizes, sums, lower, upper)
                value += descend(weights, population[w], sizes, sums, lower, upper, min_weight)
                values[w] = value
                if value > best_value + _EPS:
                    best_value = value
                    best[:] = population[w]
    return best_value


@compiled
def directed_shake(weights: Any, assignment: Any, sizes: Any, sums: Any, lower: Any, upper: Any) -> float:
    """TPSDP's directed perturbation: every group gives up its weakest member (least weight to
    the rest of the group) and those members are placed again, each where it adds most, groups
    below their lower bound first. A large but purposeful move; returns the change in value."""
    n = assignment.size
    groups = sizes.size
    removed = np.empty(groups, dtype=np.int64)
    change = 0.0
    for g in range(groups):
        weakest = -1
        for i in range(n):
            if assignment[i] == g and (weakest < 0 or sums[i, g] < sums[weakest, g]):
                weakest = i
        removed[g] = weakest
    for g in range(groups):
        i = removed[g]
        change -= sums[i, g]
        for k in range(n):
            sums[k, g] -= weights[i, k]
        sizes[g] -= 1
        assignment[i] = -1
    for r in np.random.permutation(groups):
        i = removed[r]
        needy = False
        for g in range(groups):
            needy = needy or sizes[g] < lower[g]
        target = -1
        for g in range(groups):
            room = sizes[g] < lower[g] if needy else sizes[g] < upper[g]
            if room and (target < 0 or sums[i, g] > sums[i, target]):
                target = g
        change += sums[i, target]
        assignment[i] = target
        sizes[target] += 1
        for k in range(n):
            sums[k, target] += weights[i, k]
    return change
