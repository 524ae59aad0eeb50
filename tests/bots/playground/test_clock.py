"""Playground time: skipping ahead moves forward only."""

from __future__ import annotations

from datetime import datetime, timedelta

from bots.playground.clock import EarliestOf, RunningClock, Skipped, skip_ahead
from core.clock import ManualClock


class Due:
    def __init__(self, at: datetime | None) -> None:
        self.at = at
        self.ticks = 0

    async def next_due_at(self) -> datetime | None:
        return self.at

    async def tick(self) -> int:
        self.ticks += 1
        return 2


def test_the_running_clock_moves_forward_only() -> None:
    clock = RunningClock()
    later = clock.now() + timedelta(days=3)
    assert clock.set(later) >= later
    assert clock.set(later - timedelta(days=10)) >= later


async def test_skip_ahead_goes_to_the_next_due_item_and_runs_it(clock: ManualClock) -> None:
    due = Due(clock.now() + timedelta(hours=5))
    skipped = await skip_ahead(clock, due)
    assert skipped == Skipped(due.at, 2)
    assert clock.now() == due.at
    assert "2 due items handled" in skipped.summary


async def test_an_overdue_item_runs_without_turning_the_clock_back(clock: ManualClock) -> None:
    start = clock.now()
    due = Due(start - timedelta(hours=1))
    assert (await skip_ahead(clock, due)).moved_to == start
    assert due.ticks == 1


async def test_nothing_due_leaves_the_clock_alone(clock: ManualClock) -> None:
    start = clock.now()
    due = Due(None)
    skipped = await skip_ahead(clock, due)
    assert skipped.handled == 0
    assert due.ticks == 0
    assert clock.now() == start


async def test_several_sources_skip_to_the_earliest_and_all_tick(clock: ManualClock) -> None:
    soon, later, idle = Due(clock.now() + timedelta(hours=1)), Due(clock.now() + timedelta(days=1)), Due(None)
    skipped = await skip_ahead(clock, EarliestOf(later, idle, soon))
    assert skipped.moved_to == soon.at
    assert skipped.handled == 6
    assert (soon.ticks, later.ticks, idle.ticks) == (1, 1, 1)
    assert await EarliestOf(idle).next_due_at() is None
