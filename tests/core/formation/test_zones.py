"""Time-zone windows, including the wrap-around at the date line and per-window relaxation."""

from __future__ import annotations

from core.formation.zones import circular_spread, plan_zone_windows


def test_spread_wraps_around_the_clock() -> None:
    assert circular_spread([12.0, -11.0]) == 1.0
    assert circular_spread([-8.0, 1.0]) == 9.0
    assert circular_spread([5.5]) == 0.0


def test_windows_hold_whole_circles_within_the_spread() -> None:
    offsets = [-5.0] * 6 + [0.0] * 5 + [1.0] * 2 + [9.0] * 5
    plan = plan_zone_windows(offsets, 5, 7, 4.0)
    assert plan.relaxed_circles == 0
    assert sorted(len(w) for w in plan.windows) == [5, 6, 7]
    for window in plan.windows:
        assert circular_spread([offsets[i] for i in window]) <= 4.0


def test_only_the_stranded_window_is_widened_by_the_least_that_works() -> None:
    offsets = [0.0] * 12 + [2.0] * 4 + [8.0] * 3
    plan = plan_zone_windows(offsets, 5, 7, 4.0)
    assert plan.relaxed_circles == 1
    wide = [width for width in plan.widths if width > 4.0]
    assert wide == [6.0]  # the three at +8 with two at +2, not with anyone at 0
    assert [len(w) for w, width in zip(plan.windows, plan.widths, strict=True) if width > 4.0] == [5]


def test_a_window_may_span_the_date_line() -> None:
    offsets = [12.0] * 3 + [-11.0] * 3 + [1.0] * 6
    plan = plan_zone_windows(offsets, 6, 6, 2.0)
    assert plan.relaxed_circles == 0
    assert sorted(sorted(offsets[i] for i in w) for w in plan.windows) == [[-11.0] * 3 + [12.0] * 3, [1.0] * 6]


def test_a_single_circle_window_with_a_clash_is_avoided_when_another_cut_has_none() -> None:
    offsets = [0.0] * 10 + [5.5] * 5 + [9.0] * 5
    clashing = {15, 16}
    plan = plan_zone_windows(offsets, 5, 5, 6.0, clash=lambda people: int(clashing <= set(people)))
    assert all(not clashing <= set(w) or len(w) > 5 for w in plan.windows)
