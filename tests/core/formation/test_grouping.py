"""The grouping kernel against exhaustive enumeration, and its bounds and determinism."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import CircleError
from core.formation import grouping, kernel
from core.formation.grouping import GroupingProblem, solve


def optimum_by_enumeration(problem: GroupingProblem) -> float:
    best = -np.inf
    for labels in itertools.product(range(problem.group_count), repeat=problem.size):
        assignment = np.array(labels)
        sizes = np.bincount(assignment, minlength=problem.group_count)
        if np.all(sizes >= problem.lower) and np.all(sizes <= problem.upper):
            best = max(best, problem.objective(assignment))
    return float(best)


def random_weights(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.uniform(0, 100, size=(n, n)), 1)
    return upper + upper.T


@pytest.mark.parametrize(("lower", "upper"), [([4, 4], [4, 4]), ([2, 2, 2], [4, 3, 4]), ([3, 2], [5, 6])])
@pytest.mark.parametrize("seed", [1, 2])
def test_finds_the_exact_optimum_of_small_instances(lower: list[int], upper: list[int], seed: int) -> None:
    problem = GroupingProblem.build(random_weights(8, seed), lower, upper)
    found = solve(problem, seed=seed, time_budget=5.0, max_rounds=60)
    assert found.objective == pytest.approx(optimum_by_enumeration(problem))


@settings(max_examples=20, deadline=None)
@given(n=st.integers(6, 40), groups=st.integers(1, 5), slack=st.integers(0, 3), seed=st.integers(0, 10**6))
def test_group_bounds_always_hold_and_a_seed_repeats(n: int, groups: int, slack: int, seed: int) -> None:
    low = max(1, n // groups - slack)
    high = -(-n // groups) + slack
    problem = GroupingProblem.build(random_weights(n, seed), [low] * groups, [high] * groups)
    first = solve(problem, seed=seed, time_budget=30.0, max_rounds=8)
    again = solve(problem, seed=seed, time_budget=30.0, max_rounds=8)
    sizes = np.bincount(first.assignment, minlength=groups)
    assert np.all(sizes >= low)
    assert np.all(sizes <= high)
    assert np.array_equal(first.assignment, again.assignment)
    assert first.objective == pytest.approx(problem.objective(first.assignment))


def test_bounds_that_cannot_hold_are_refused_in_words() -> None:
    with pytest.raises(CircleError, match="cannot fill"):
        GroupingProblem.build(random_weights(5, 0), [3, 3], [3, 3])


@pytest.mark.parametrize("threads", [1, 2])
def test_stuck_walkers_redeal_within_the_bounds(threads: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # patience 1 re-deals after nearly every round, so the restart path runs many times here
    monkeypatch.setattr(grouping, "_PATIENCE", 1)
    problem = GroupingProblem.build(random_weights(30, 7), [4, 5, 6, 5], [9, 8, 10, 9])
    first = solve(problem, seed=3, time_budget=30.0, max_rounds=40, threads=threads)
    again = solve(problem, seed=3, time_budget=30.0, max_rounds=40, threads=threads)
    sizes = np.bincount(first.assignment, minlength=4)
    assert np.all(sizes >= problem.lower)
    assert np.all(sizes <= problem.upper)
    assert np.array_equal(first.assignment, again.assignment)
    assert first.objective == pytest.approx(problem.objective(first.assignment))


def test_redeal_moves_items_but_keeps_every_group_size() -> None:
    assignment = np.repeat(np.arange(5), 8)
    kernel.seed_random(11)
    kernel.redeal(assignment, 0.5)
    assert np.array_equal(np.bincount(assignment, minlength=5), np.full(5, 8))
    assert not np.array_equal(assignment, np.repeat(np.arange(5), 8))
