"""The clock that wakes the dispatcher. APScheduler holds one interval job and nothing else.

What is due lives in the database, so the job store is memory-only and never shared; a missed
or late wake-up loses nothing (the next tick sends whatever fell due). The job defaults are set
explicitly: APScheduler 3 otherwise skips a job more than 1 s late (misfire_grace_time=1).

    scheduler = Scheduler(service)      # bots.bootstrap connects it: re-plans after every commit,
    scheduler.start()                   # and its dispatcher is the service's outbox
    ...
    scheduler.stop()

Tests and the playground call `await scheduler.tick()` after moving a ManualClock, and
`await scheduler.next_due_at()` to know where to move it ("skip ahead").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import func, select

from core.models import DueItem, DueState
from core.privacy import retention
from core.scheduling.dispatcher import DB_ERRORS, Dispatcher
from core.scheduling.pacing import Sleep
from core.scheduling.planner import Planner
from core.service import CircleService
from core.vocabulary import Platform

log = logging.getLogger(__name__)

JOB_ID = "circles.dispatch-due-items"
# Messages per second the dispatcher allows itself, below the platforms' limits so that requests
# people make meanwhile still get through: Discord allows 50 requests/s per bot; Slack about one
# message per second per channel (each DM is its own channel) under a workspace-wide limit.
DEFAULT_RATES = {Platform.SLACK: 10.0, Platform.DISCORD: 40.0}
JOB_DEFAULTS = {"misfire_grace_time": 3600, "coalesce": True, "max_instances": 1}


class Scheduler:
    def __init__(
        self,
        service: CircleService,
        *,
        every_seconds: float = 20.0,
        replan_every: timedelta = timedelta(hours=1),
        worker: str | None = None,
        rates: Mapping[Platform, float] | None = DEFAULT_RATES,
        batch_size: int = 500,
        lease: timedelta = timedelta(minutes=5),
        max_inline_wait: float = 5.0,
        record_window: float = 0.0,
        burst: int = 1,
        sleep: Sleep | None = None,
    ) -> None:
        self.service = service
        self.clock = service.clock
        self.every_seconds = every_seconds
        self.replan_every = replan_every
        self.planner = Planner(service.db, service.clock)
        self.dispatcher = Dispatcher(
            service,
            worker=worker,
            batch_size=batch_size,
            lease=lease,
            rates=rates,
            max_inline_wait=max_inline_wait,
            record_window=record_window,
            burst=burst,
            sleep=sleep,
        )
        self._planned_at: datetime | None = None
        self._aps: AsyncIOScheduler | None = None
        self._ticking: asyncio.Future[None] | None = None
        self._soon: asyncio.TimerHandle | None = None
        self.dispatcher.on_released = self.wake_in

    def start(self) -> None:
        """Starts waking up every `every_seconds`, the first time at once. Needs a running loop."""
        if self._aps is not None:
            return
        self._aps = AsyncIOScheduler(jobstores={"default": MemoryJobStore()}, job_defaults=JOB_DEFAULTS, timezone=UTC)
        self._aps.add_job(
            self._wake,
            "interval",
            seconds=self.every_seconds,
            id=JOB_ID,
            replace_existing=True,
            next_run_time=datetime.now(UTC),
        )
        self._aps.start()

    def wake_in(self, seconds: float) -> None:
        """Something was handed back to the outbox (a rate limit, a channel's order): a tick soon,
        rather than at the next 20-second wake-up. Only while running."""
        if self._aps is None:
            return
        delay = max(seconds, 0.5)
        loop = asyncio.get_running_loop()
        if self._soon is not None and self._soon.when() <= loop.time() + delay:
            return
        if self._soon is not None:
            self._soon.cancel()
        self._soon = loop.call_later(delay, lambda: asyncio.ensure_future(self._wake()))

    def stop(self) -> None:
        if self._soon is not None:
            self._soon.cancel()
            self._soon = None
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None

    async def close(self, within: float = 5.0) -> None:
        """Stops waking up and lets a tick under way finish: no new send starts, what was claimed and
        not sent goes back to the outbox, and outcomes already noted are written. A tick cancelled
        halfway through a database call could leave the connection (and the loop's shutdown) hanging."""
        self.stop()
        self.dispatcher.stopping = True
        if self._ticking is not None and not self._ticking.done():
            await asyncio.wait({self._ticking}, timeout=within)
        try:
            await asyncio.wait_for(self.dispatcher.ledger.drain(), timeout=within)
        except TimeoutError:  # the database is away: those rows stay claimed and go again after their lease
            log.error("stopped before every outcome could be written; unwritten ones will be sent again")

    @property
    def running(self) -> bool:
        return self._aps is not None and self._aps.running

    async def tick(self) -> int:
        """Re-plans everything now and then (start-up included), then sends what is due."""
        if self._planned_at is None or self.clock.now() - self._planned_at >= self.replan_every:
            try:
                await self.plan()
            except DB_ERRORS as error:
                log.warning("planning failed, trying again on the next tick: %s", error)
        return await self.dispatcher.tick()

    async def plan(self) -> int:
        """Plans every open circle afresh: what the after-commit re-planning might have missed
        (a crash between a commit and its re-plan, a new release); forgets long-settled items.
        Returns the items wanted."""
        wanted = await self.planner.plan()
        await self.planner.forget_settled()
        await retention.run(self.service.db, self.clock.now())  # what the workspace chose not to keep
        self._planned_at = self.clock.now()
        return wanted

    async def next_due_at(self) -> datetime | None:
        """The next moment something is due: a pending item's turn, or a claim's lease running out."""
        async with self.service.db.unit_of_work() as uow:
            pending = await uow.session.scalar(
                select(func.min(DueItem.not_before)).where(DueItem.state == DueState.PENDING)
            )
            leased = await uow.session.scalar(
                select(func.min(DueItem.claimed_until)).where(DueItem.state == DueState.CLAIMED)
            )
        moments = [_aware(m) for m in (pending, leased) if m is not None]
        return min(moments) if moments else None

    async def _wake(self) -> None:
        if self._ticking is not None and not self._ticking.done():
            return  # the last tick is still sending
        self._ticking = asyncio.ensure_future(self._tick_and_log())
        # Shielded: APScheduler's shutdown cancels its job, never the tick itself (see close()).
        await asyncio.shield(self._ticking)

    async def _tick_and_log(self) -> None:
        try:
            sent = await self.tick()
            if sent:
                log.info("sent %d due items", sent)
        except Exception:  # the clock must keep ticking whatever one tick met
            log.exception("scheduler tick failed")


def _aware(moment: datetime) -> datetime:
    """`min()` over a UTC column comes back naive on SQLite (the type decorator is not applied)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
