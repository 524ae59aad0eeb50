"""Moving a ManualClock from one due moment to the next, as the playground's *skip ahead* does,
and noting when each message went out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.clock import ManualClock
from core.scheduling.scheduler import Scheduler
from tests.fakes.recording_port import RecordingPort, Sent


@dataclass
class Timeline:
    scheduler: Scheduler
    clock: ManualClock
    port: RecordingPort
    stamped: list[tuple[datetime, Sent]] = field(default_factory=list)
    _seen: int = 0

    async def tick(self) -> int:
        sent = await self.scheduler.tick()
        self.note()
        return sent

    def note(self) -> None:
        """Stamps what the port received since the last look with the current time."""
        self.stamped.extend((self.clock.now(), sent) for sent in self.port.transcript[self._seen :])
        self._seen = len(self.port.transcript)

    async def run_until(self, until: datetime) -> None:
        """Every due moment up to `until` in turn, then `until` itself."""
        self.note()
        await self.tick()
        for _ in range(5000):
            due = await self.scheduler.next_due_at()
            if due is None or due > until:
                break
            self.clock.set(max(due, self.clock.now()))
            await self.tick()
        else:
            raise AssertionError("the schedule never settled")
        self.clock.set(max(until, self.clock.now()))
        await self.tick()

    def dms(self, user: str | None = None, containing: str = "") -> list[tuple[datetime, Sent]]:
        return [
            (at, s)
            for at, s in self.stamped
            if s.kind == "dm" and (user is None or s.target == user) and containing in s.text
        ]

    def posts(self, containing: str = "") -> list[tuple[datetime, Sent]]:
        return [(at, s) for at, s in self.stamped if s.kind == "post" and containing in s.text]
