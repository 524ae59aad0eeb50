"""Prometheus metrics, in prometheus-client's default registry (one per process, as Prometheus
scrapes processes). Label values are fixed words or API method names: never an id, a name or
anything a member wrote, so the series stay few and say nothing about anyone.

The service's entry points and the scheduler's tick are wrapped where the app is assembled
(`instrument_service`, `instrument_scheduler`); the platform clients count their own calls
(`count_platform_call`); the outbox is read from `due_items` when Prometheus scrapes.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select

from core.db import Database
from core.models import DueItem, DueState
from core.scheduling.scheduler import Scheduler
from core.service import ALREADY_HANDLED, SAME_MOMENT, CircleService, FormResult

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("circles_requests", "Requests through CircleService, by kind and outcome", ["kind", "outcome"])
REQUEST_SECONDS = Histogram(
    "circles_request_seconds",
    "Time to handle a request, commit and deliver its effects",
    ["kind"],
    buckets=LATENCY_BUCKETS,
)
PLATFORM_CALLS = Counter(
    "circles_platform_calls", "Calls to a platform's API, by method and outcome", ["platform", "method", "outcome"]
)
PLATFORM_RATE_LIMITED = Counter(
    "circles_platform_rate_limited", "HTTP 429 answers from a platform, by method", ["platform", "method"]
)
OUTBOX_DUE = Gauge("circles_outbox_due", "Due items whose moment has come and that are not sent yet", ["state"])
OUTBOX_SCHEDULED = Gauge("circles_outbox_scheduled", "Pending due items whose moment is still to come")
OUTBOX_OLDEST_SECONDS = Gauge(
    "circles_outbox_oldest_due_seconds", "How long the longest-waiting due item has been due (0 when none)"
)
SCHEDULER_TICKS = Counter("circles_scheduler_ticks", "Scheduler wake-ups, by outcome", ["outcome"])
SCHEDULER_TICK_SECONDS = Histogram(
    "circles_scheduler_tick_seconds", "Time one scheduler tick took (plan and send)", buckets=LATENCY_BUCKETS
)
SCHEDULER_SENT = Counter("circles_scheduler_sent", "Due items the scheduler sent")
SCHEDULER_LAST_TICK = Gauge("circles_scheduler_last_tick_timestamp_seconds", "When the scheduler last finished a tick")
SCHEDULER_LAG = Gauge(
    "circles_scheduler_lag_seconds", "How much later than its period the scheduler's next tick is (0 when on time)"
)
FORMATION_RUNS = Counter("circles_formation_runs", "Circle formations run in this process, by outcome", ["outcome"])
FORMATION_SECONDS = Histogram(
    "circles_formation_seconds", "Time one formation took", buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120)
)

# The entry points adapters call, and the word each request is counted under. An entry point the
# service does not have (renamed elsewhere) is simply not counted.
ENTRY_POINTS = {
    "run_command": "command",
    "run_options": "command",  # Discord's structured options: a command too
    "press": "button",
    "submit": "form",
    "reply_in_thread": "thread_reply",
    "home": "home",
}

T = TypeVar("T")


def outcome_of(result: object) -> str:
    if result is ALREADY_HANDLED:
        return "duplicate"
    if result is SAME_MOMENT:
        return "conflict"
    if isinstance(result, FormResult) and result.errors:
        return "invalid"
    return "ok"


def _timed(kind: str, entry: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    @wraps(entry)
    async def counted(*args: Any, **kwargs: Any) -> T:
        started = time.perf_counter()
        try:
            result = await entry(*args, **kwargs)
        except BaseException:
            REQUESTS.labels(kind, "error").inc()
            raise
        finally:
            REQUEST_SECONDS.labels(kind).observe(time.perf_counter() - started)
        REQUESTS.labels(kind, outcome_of(result)).inc()
        return result

    counted.__circles_counted__ = True  # type: ignore[attr-defined]
    return counted


def instrument_service(service: CircleService) -> None:
    """Counts and times every request from outside the service: each entry point on this
    instance is replaced by a timed call to the original (once, however often this is called)."""
    for name, kind in ENTRY_POINTS.items():
        entry = getattr(service, name, None)
        if entry is not None and not getattr(entry, "__circles_counted__", False):
            setattr(service, name, _timed(kind, entry))


@dataclass
class TickWatch:
    """When the scheduler last ticked, in monotonic seconds, for readiness and the lag gauge."""

    period: float
    started: float | None = None
    finished: float | None = None
    ticking: bool = False
    clock: Callable[[], float] = time.monotonic

    def lag(self) -> float:
        last = self.finished if self.finished is not None else self.started
        if self.ticking or last is None:
            return 0.0
        return max(0.0, self.clock() - last - self.period)


def instrument_scheduler(scheduler: Scheduler, clock: Callable[[], float] = time.monotonic) -> TickWatch:
    """Times every tick (the periodic wake-up and a test's or the playground's own call alike)."""
    existing = getattr(scheduler, "circles_ticks", None)
    if isinstance(existing, TickWatch):
        return existing
    watch = TickWatch(period=scheduler.every_seconds, clock=clock)
    tick = scheduler.tick

    @wraps(tick)
    async def timed_tick() -> int:
        watch.started, watch.ticking = watch.clock(), True
        try:
            sent = await tick()
        except BaseException:
            SCHEDULER_TICKS.labels("error").inc()
            raise
        finally:
            watch.finished, watch.ticking = watch.clock(), False
            SCHEDULER_TICK_SECONDS.observe(watch.finished - watch.started)
            SCHEDULER_LAST_TICK.set_to_current_time()
        SCHEDULER_TICKS.labels("ok").inc()
        SCHEDULER_SENT.inc(sent)
        return sent

    setattr(scheduler, "tick", timed_tick)  # noqa: B010  (mypy refuses assigning to a method)
    setattr(scheduler, "circles_ticks", watch)  # noqa: B010
    return watch


def count_platform_call(platform: str, method: str, status: int | None, error: bool = False) -> None:
    """One call to a platform's API: `status` is its HTTP status when known; a 429 counts twice,
    as a call that was rate limited and in the rate-limit series."""
    if status == 429:
        PLATFORM_RATE_LIMITED.labels(platform, method).inc()
        outcome = "rate_limited"
    elif error or (status is not None and status >= 400):
        outcome = "error"
    else:
        outcome = "ok"
    PLATFORM_CALLS.labels(platform, method, outcome).inc()


def record_formation(seconds: float, ok: bool) -> None:
    FORMATION_RUNS.labels("ok" if ok else "error").inc()
    FORMATION_SECONDS.observe(seconds)


async def observe_outbox(db: Database, now: datetime) -> None:
    """Reads the outbox's backlog from `due_items` (two small queries on the state/not_before index)."""
    waiting = (DueState.PENDING, DueState.CLAIMED)
    async with db.unit_of_work() as uow:
        rows = (
            await uow.session.execute(
                select(DueItem.state, func.count(), func.min(DueItem.not_before))
                .where(DueItem.state.in_(waiting), DueItem.not_before <= now)
                .group_by(DueItem.state)
            )
        ).all()
        scheduled = await uow.session.scalar(
            select(func.count()).where(DueItem.state == DueState.PENDING, DueItem.not_before > now)
        )
    due = dict.fromkeys(waiting, 0)
    oldest: datetime | None = None
    for state, count, earliest in rows:
        due[state] = count
        earliest = earliest.replace(tzinfo=UTC) if earliest.tzinfo is None else earliest
        oldest = earliest if oldest is None else min(oldest, earliest)
    for state, count in due.items():
        OUTBOX_DUE.labels(state.value).set(count)
    OUTBOX_SCHEDULED.set(scheduled or 0)
    OUTBOX_OLDEST_SECONDS.set(max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0)


def exposition(watch: TickWatch | None = None) -> bytes:
    """The text Prometheus scrapes (after `observe_outbox` refreshed the outbox gauges)."""
    SCHEDULER_LAG.set(watch.lag() if watch is not None else 0.0)
    return generate_latest()
