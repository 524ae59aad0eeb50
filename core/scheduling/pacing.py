"""Sending at the platform's pace: evenly spaced turns, and a pause when the platform says 429.

Real time (monotonic seconds), not the meeting clock: a rate limit is about the wire. With no rate
and no pause a turn is free, so tests that move a ManualClock never wait here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]


class Pacer:
    def __init__(
        self,
        per_second: float | None,
        burst: int = 1,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.interval = 1 / per_second if per_second else 0.0
        self.catch_up = (max(1, burst) - 1) * self.interval  # slots missed while busy, made up at once
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = 0.0
        self._paused_until = 0.0

    async def turn(self) -> None:
        """Waits for this sender's slot; slots are handed out in call order, one interval apart, and
        up to `burst - 1` slots missed while the loop was busy elsewhere are made up at once."""
        while True:
            now = self._monotonic()
            slot = max(now - self.catch_up, self._next, self._paused_until)
            self._next = slot + self.interval
            if slot > now:
                await self._sleep(slot - now)
            if self._monotonic() >= self._paused_until:
                return

    def hold(self, seconds: float) -> None:
        """The platform said wait: nobody on this pacer sends until then."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)
