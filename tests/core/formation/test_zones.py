"""Time-zone windows, including the wrap-around at the date line."""

from __future__ import annotations

from core.formation.zones import circular_spread, plan_windows, smallest_workable_spread


def test_spread_wraps_around_the_clock() -> None:
    assert circular_spread([12.0, -11.0]) == 1.0
    assert circular_spread([-8.0, 1.0]) == 9.0
    assert circular_spread([5.5]) == 0.0


def test_windows_hold_whole_circles_within_the_spread() -> None:
    offsets = [-5.0] * 6 + [0.0] * 5 + [1.0] * 2 + [9.0] * 5
    windows = plan_windows(offsets, 5, 7, 4.0)
    assert windows is not None
    assert sorted(len(w) for w in windows) == [5, 6, 7]
    for window in windows:
        assert circular_spread([offsets[i] for i in window]) <= 4.0


def test_no_windows_when_someone_is_stranded_and_the_least_spread_that_works() -> None:
    offsets = [0.0] * 5 + [8.0] * 3
    assert plan_windows(offsets, 5, 7, 4.0) is None
    assert smallest_workable_spread(offsets, 5, 8) == 8.0
