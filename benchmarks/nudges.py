"""Due check-ins dispatched through a rate-limited fake platform: how close to the allowed rate,
and is every nudge delivered exactly once?

    python benchmarks/nudges.py            # 10,000 check-ins across 1,700 circles
    python benchmarks/nudges.py --quick    # 1,500 across 255 circles, same path, well under 60 s

The circles' last meetings closed ten days ago and the next are ten days ahead, so every open
commitment's midway check-in is due now, in daytime for every member's zone. The scheduler plans
them (timed apart), then one worker dispatches them through the fake platform, which refuses
anything above its rate with 429. Baseline, measured in the same run: the same messages pushed
through the same pacer and platform with no database at all.

`rate_fraction` is the delivery rate while there was work (first to last delivery) over the
allowed rate; the platform's bucket starts full, so a short run can come out a little above 1.
`rate_fraction_with_start_and_end` also counts the first claim and the final empty one.

Last line: one JSON object (rate_fraction, lost, duplicated, cpu_ms_per_nudge, ...).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select

from core.clock import ManualClock
from core.db import Database
from core.messages import message
from core.models import (
    Base,
    Circle,
    Commitment,
    DueItem,
    DueKind,
    DueState,
    Meeting,
    Membership,
    Person,
    Workspace,
)
from core.port import RateLimited
from core.scheduling.pacing import Pacer
from core.scheduling.scheduler import Scheduler
from core.service import CircleService
from core.vocabulary import CircleStatus, CommitmentStatus, Facilitation, MeetingState, Mode, Platform, Role
from tests.fakes.rate_limited_platform import RateLimitedPlatform

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
# Zones where 12:00 UTC is daytime, so no check-in waits for morning.
ZONES = ["Europe/London", "Europe/Berlin", "Europe/Helsinki", "Africa/Lagos", "Asia/Kolkata", "America/Sao_Paulo"]
WORKSPACES = 10
MEMBERS = 6
# The platform allows `rate` per second with bursts of a tenth of a second's worth (at least 5), as
# "N requests per second" limits do; the pacer makes up at most 80 % of that after a busy moment.
BURST_SECONDS = 0.1


def bursts(rate: float) -> tuple[int, int]:
    platform = max(5, round(rate * BURST_SECONDS))
    return platform, max(1, int(platform * 0.8))


async def build(db: Database, items: int, circles: int) -> None:
    """Bulk rows: workspaces, circles of six, a closed and a scheduled meeting, open commitments."""
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        await conn.execute(
            insert(Workspace),
            [
                {"id": w + 1, "platform": Platform.SLACK, "external_id": f"T{w}", "name": f"T{w}", "created_at": NOW}
                for w in range(WORKSPACES)
            ],
        )
        people, circle_rows, memberships, meetings, commitments = [], [], [], [], []
        for c in range(circles):
            workspace = c % WORKSPACES + 1
            circle_rows.append(
                {
                    "id": c + 1,
                    "workspace_id": workspace,
                    "name": f"circle-{c}",
                    "format_key": "peer-coaching",
                    "mode": Mode.LIVE,
                    "status": CircleStatus.ACTIVE,
                    "facilitation": Facilitation.ROTATING,
                    "space_ref": f"C{c}",
                    "created_at": NOW - timedelta(days=40),
                }
            )
            meetings.append(_meeting(2 * c + 1, c + 1, 1, MeetingState.CLOSED, NOW - timedelta(days=10, hours=2)))
            meetings.append(_meeting(2 * c + 2, c + 1, 2, MeetingState.SCHEDULED, NOW + timedelta(days=10)))
            for m in range(MEMBERS):
                person_id = c * MEMBERS + m + 1
                people.append(
                    {
                        "id": person_id,
                        "workspace_id": workspace,
                        "external_id": f"U{person_id}",
                        "display_name": f"Member {person_id}",
                        "timezone": ZONES[person_id % len(ZONES)],
                        "quiet_from": clock_time(21, 0),
                        "quiet_until": clock_time(8, 0),
                        "weekends_quiet": False,
                        "nudges_enabled": True,
                        "created_at": NOW - timedelta(days=40),
                    }
                )
                memberships.append(
                    {"circle_id": c + 1, "person_id": person_id, "role": Role.MEMBER, "joined_at": NOW, "note": ""}
                )
        for n in range(items):  # spread evenly: circle n % circles, its (n // circles)-th member
            circle = n % circles
            person_id = circle * MEMBERS + (n // circles) % MEMBERS + 1
            commitments.append(
                {
                    "circle_id": circle + 1,
                    "meeting_id": 2 * circle + 1,
                    "person_id": person_id,
                    "text": f"Try the new approach with my team ({n})",
                    "status": CommitmentStatus.OPEN,
                    "created_at": NOW - timedelta(days=10, hours=3),
                    "updated_at": NOW - timedelta(days=10, hours=3),
                }
            )
        for table, rows in (
            (Person, people),
            (Circle, circle_rows),
            (Membership, memberships),
            (Meeting, meetings),
            (Commitment, commitments),
        ):
            await conn.execute(insert(table), rows)


def _meeting(ident: int, circle: int, number: int, state: MeetingState, start: datetime) -> dict[str, Any]:
    closed = start + timedelta(hours=2) if state == MeetingState.CLOSED else None
    return {
        "id": ident,
        "circle_id": circle,
        "number": number,
        "scheduled_start": start,
        "duration_minutes": 120,
        "state": state,
        "opened_at": start if closed else None,
        "closed_at": closed,
        "created_at": NOW - timedelta(days=40),
    }


async def progress(platform: RateLimitedPlatform, rate: float, started: float) -> None:
    last = 0
    while True:
        await asyncio.sleep(1.0)
        done = sum(platform.delivered.values())
        elapsed = time.perf_counter() - started
        print(f"  {elapsed:6.1f} s  {done:7d} sent  {done - last:5d}/s  (allowed {rate:.0f}/s)", flush=True)
        last = done


async def dispatch(
    url: str, items: int, circles: int, rate: float, latency: float, batch: int, record_window: float
) -> dict[str, Any]:
    db = Database(url)
    await build(db, items, circles)
    clock = ManualClock(NOW)
    platform_burst, pacer_burst = bursts(rate)
    platform = RateLimitedPlatform(rate, burst=platform_burst, latency=latency)
    service = CircleService(db, clock, lambda _workspace: platform)
    scheduler = Scheduler(
        service, rates={Platform.SLACK: rate}, batch_size=batch, record_window=record_window, burst=pacer_burst
    )

    planning = time.perf_counter()
    await scheduler.plan()  # the timed ticks then only dispatch
    planning = time.perf_counter() - planning
    async with db.unit_of_work() as uow:
        due = list(
            await uow.session.scalars(
                select(DueItem.key).where(DueItem.state == DueState.PENDING, DueItem.not_before <= NOW)
            )
        )
        kinds = set(
            await uow.session.scalars(
                select(DueItem.kind).where(DueItem.state == DueState.PENDING, DueItem.not_before <= NOW)
            )
        )
    print(f"planned {len(due)} due now ({', '.join(sorted(kinds))}) in {planning:.1f} s", flush=True)
    assert kinds == {DueKind.COMMITMENT_CHECK_IN}

    cpu, wall = time.process_time(), time.perf_counter()
    reporter = asyncio.create_task(progress(platform, rate, wall))
    sent = 0
    while (round_sent := await scheduler.tick()) > 0:
        sent += round_sent
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    reporter.cancel()
    async with db.unit_of_work() as uow:
        unsettled = select(DueItem.id).where(
            DueItem.state.in_([DueState.PENDING, DueState.CLAIMED]), DueItem.not_before <= NOW
        )
        still_due = len(list(await uow.session.scalars(unsettled)))
    await db.dispose()
    delivered = sum(platform.delivered.values())
    return {
        "due": len(due),
        "sent": sent,
        "delivered": delivered,
        "distinct": len(platform.delivered),
        "duplicated": sum(n - 1 for n in platform.delivered.values() if n > 1),
        "lost": len(due) - len(platform.delivered),
        "still_due": still_due,
        "refused_429": platform.refused,
        "seconds": wall,
        "overall_rate": delivered / wall,
        # While there was work: first to last delivery, plus the one interval the last one took.
        "rate": (delivered) / ((platform.last_at or 0) - (platform.first_at or 0) + 1 / rate),
        "cpu_ms_per_nudge": cpu * 1000 / max(1, delivered),
        "planning_seconds": planning,
    }


async def baseline(count: int, rate: float, latency: float) -> dict[str, Any]:
    """The same number of messages through the same pacer and platform, no database: the ceiling."""
    platform_burst, pacer_burst = bursts(rate)
    platform = RateLimitedPlatform(rate, burst=platform_burst, latency=latency)
    pacer = Pacer(rate, pacer_burst)
    gate = asyncio.Semaphore(16)

    async def one(n: int) -> None:
        async with gate:
            while True:
                await pacer.turn()
                try:
                    await platform.send_dm(f"U{n}", message(f"How is #{n} going?"))
                    return
                except RateLimited as limited:
                    pacer.hold(limited.retry_after)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(count)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    delivered = sum(platform.delivered.values())
    span = (platform.last_at or 0) - (platform.first_at or 0) + 1 / rate
    return {
        "rate": delivered / span,
        "overall_rate": delivered / wall,
        "cpu_ms_per_nudge": cpu * 1000 / delivered,
        "refused_429": platform.refused,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,500 check-ins across 255 circles")
    parser.add_argument("--items", type=int, default=None)
    parser.add_argument("--circles", type=int, default=None)
    parser.add_argument("--rate", type=float, default=250.0, help="messages per second the platform allows")
    parser.add_argument("--latency", type=float, default=0.002, help="seconds per accepted call")
    parser.add_argument("--batch", type=int, default=200, help="items claimed at a time")
    parser.add_argument("--record-window", type=float, default=0.05, help="seconds outcomes gather per write")
    args = parser.parse_args()
    items = args.items or (1500 if args.quick else 10_000)
    circles = args.circles or (255 if args.quick else 1700)
    logging.basicConfig(level=logging.WARNING)

    print(f"nudges: {items} due check-ins across {circles} circles, platform allows {args.rate:.0f}/s")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'nudges.sqlite3'}"
        result = asyncio.run(dispatch(url, items, circles, args.rate, args.latency, args.batch, args.record_window))
    base = asyncio.run(baseline(min(items, 3000), args.rate, args.latency))

    fraction = result["rate"] / args.rate
    print()
    print(f"{'':28}{'dispatcher':>14}{'baseline':>14}")
    print(f"{'achieved rate (/s)':28}{result['rate']:14.1f}{base['rate']:14.1f}")
    print(f"{'fraction of allowed rate':28}{fraction:14.3f}{base['rate'] / args.rate:14.3f}")
    overall = result["overall_rate"] / args.rate
    print(f"{'  with start and end':28}{overall:14.3f}{base['overall_rate'] / args.rate:14.3f}")
    print(f"{'CPU per nudge (ms)':28}{result['cpu_ms_per_nudge']:14.3f}{base['cpu_ms_per_nudge']:14.3f}")
    print(f"{'429 responses':28}{result['refused_429']:14d}{base['refused_429']:14d}")
    print(f"{'due / delivered':28}{result['due']:>7d} / {result['delivered']:<5d}")
    print(f"{'lost / duplicated':28}{result['lost']:>7d} / {result['duplicated']:<5d}")
    print(f"{'planning (s)':28}{result['planning_seconds']:14.1f}")
    figures = {
        "items": items,
        "circles": circles,
        "allowed_rate": args.rate,
        "achieved_rate": round(result["rate"], 1),
        "rate_fraction": round(fraction, 4),
        "rate_fraction_with_start_and_end": round(overall, 4),
        "baseline_rate_fraction": round(base["rate"] / args.rate, 4),
        "lost": result["lost"],
        "duplicated": result["duplicated"],
        "still_due": result["still_due"],
        "refused_429": result["refused_429"],
        "cpu_ms_per_nudge": round(result["cpu_ms_per_nudge"], 3),
        "baseline_cpu_ms_per_nudge": round(base["cpu_ms_per_nudge"], 3),
        "dispatch_seconds": round(result["seconds"], 2),
        "planning_seconds": round(result["planning_seconds"], 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
