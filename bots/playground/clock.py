"""Playground time, and *skip ahead*: jump the clock to the next thing due so that reminders,
check-in DMs and async deadlines can be watched without waiting days for them.

What is due is asked of a `DueWork`: the scheduler's `next_due_at()` and `tick()` fit it as they
are, and `EarliestOf(scheduler, AsyncRoundDeadlines(service))` joins it to the async phase
deadlines, which are all the playground watches until the scheduler is plugged in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from core.service import CircleService


class MovableClock(Protocol):
    def now(self) -> datetime: ...

    def set(self, moment: datetime) -> datetime: ...


class DueWork(Protocol):
    async def next_due_at(self) -> datetime | None: ...

    async def tick(self) -> int: ...


class RunningClock:
    """Real time plus however far the person has skipped ahead: timestamps move as they would
    on a real platform, and skipping never goes backwards."""

    def __init__(self) -> None:
        self._offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def set(self, moment: datetime) -> datetime:
        self._offset += max(timedelta(), moment - self.now())
        return self.now()


class AsyncRoundDeadlines:
    """The due work the core already knows about: async rounds whose phase deadline has passed."""

    def __init__(self, service: CircleService) -> None:
        self.service = service

    async def next_due_at(self) -> datetime | None:
        return await self.service.next_round_deadline()

    async def tick(self) -> int:
        return await self.service.advance_due_rounds()


class EarliestOf:
    """Several sources of due work as one: the scheduler's items and the async deadlines, say."""

    def __init__(self, *sources: DueWork) -> None:
        self.sources = sources

    async def next_due_at(self) -> datetime | None:
        moments = [m for m in [await source.next_due_at() for source in self.sources] if m is not None]
        return min(moments) if moments else None

    async def tick(self) -> int:
        return sum([await source.tick() for source in self.sources])


@dataclass(frozen=True)
class Skipped:
    moved_to: datetime | None
    handled: int

    @property
    def summary(self) -> str:
        if self.moved_to is None:
            return "Nothing is due: no reminder, check-in or deadline is waiting."
        things = "item" if self.handled == 1 else "items"
        return f"Skipped ahead to {self.moved_to:%a %d %b %Y, %H:%M} UTC; {self.handled} due {things} handled."


async def skip_ahead(clock: MovableClock, due: DueWork) -> Skipped:
    """Moves the clock to the next due item (never backwards) and lets the due work run."""
    moment = await due.next_due_at()
    if moment is None:
        return Skipped(None, 0)
    clock.set(max(moment, clock.now()))
    return Skipped(clock.now(), await due.tick())
