"""Core throughput and latency: a mixed load of /circle commands with 1,000 circles in the database.

    python benchmarks/core_ops.py [--quick] [--circles N] [--ops N]

Runs on SQLite (a temporary file) and on PostgreSQL when one answers (DATABASE_URL, or
127.0.0.1:5432 database `test`, in a throwaway schema). The baseline, measured in the same run, is
the cheapest possible request: one unit of work that reads one row. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, select, text

from core.clock import ManualClock
from core.context import Actor, Where
from core.db import Database, sync_url
from core.messages import Form, Message
from core.models import Base, Bid, Circle, Meeting, Membership, Person, Round, Workspace
from core.port import MessageRef, SpaceRef
from core.service import CircleService
from core.vocabulary import Facilitation, MeetingState, Mode, Phase, Platform, Role

MEMBERS = 6  # plus a facilitator per circle
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class NullPort:
    """Accepts every send at once, so the figures are the core's and the database's own."""

    def __init__(self) -> None:
        self.sent = 0

    async def open_private_space(self, name: str, topic: str, member_ids: Sequence[str]) -> SpaceRef:
        return SpaceRef("C0")

    async def add_member(self, space: SpaceRef, user_id: str, history: bool = True) -> None: ...

    async def remove_member(self, space: SpaceRef, user_id: str) -> None: ...

    async def archive_space(self, space: SpaceRef) -> None: ...

    async def post(self, space: SpaceRef, message: Message) -> MessageRef:
        self.sent += 1
        return MessageRef(space.id, str(self.sent))

    async def reply(self, thread: MessageRef, message: Message) -> MessageRef:
        self.sent += 1
        return MessageRef(thread.space_id, str(self.sent))

    async def update(self, ref: MessageRef, message: Message) -> None:
        self.sent += 1

    async def send_dm(self, user_id: str, message: Message) -> MessageRef:
        self.sent += 1
        return MessageRef("D", str(self.sent))

    async def open_form(self, trigger: str, user_id: str, form: Form) -> None: ...

    async def notify_privately(self, space: SpaceRef, user_id: str, message: Message) -> None: ...


@dataclass
class CircleState:
    name: str
    facilitator: str
    holder: str
    others: list[str]
    phase: Phase
    bidders: list[str]


async def seed(db: Database, circles: int) -> list[CircleState]:
    """Bulk-inserts circles in the middle of a meeting: one round under way, members yet to bid."""
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        workspace_id = (
            await conn.execute(
                insert(Workspace).values(platform=Platform.SLACK, external_id="TBENCH", name="bench", created_at=NOW)
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        people = [
            {"workspace_id": workspace_id, "external_id": f"U{c}_{i}", "display_name": f"P{c}.{i}", "created_at": NOW}
            for c in range(circles)
            for i in range(MEMBERS + 1)
        ]
        await conn.execute(insert(Person), people)
        person_ids = dict((await conn.execute(select(Person.external_id, Person.id))).all())
        await conn.execute(
            insert(Circle),
            [
                {
                    "workspace_id": workspace_id,
                    "name": f"c{c}",
                    "format_key": "action-learning",
                    "mode": Mode.LIVE,
                    "status": "active",
                    "facilitation": Facilitation.FACILITATED,
                    "space_ref": f"C{c}",
                    "created_by_id": person_ids[f"U{c}_0"],
                    "created_at": NOW,
                }
                for c in range(circles)
            ],
        )
        circle_ids = dict((await conn.execute(select(Circle.name, Circle.id))).all())
        await conn.execute(
            insert(Membership),
            [
                {
                    "circle_id": circle_ids[f"c{c}"],
                    "person_id": person_ids[f"U{c}_{i}"],
                    "role": Role.FACILITATOR if i == 0 else Role.MEMBER,
                    "joined_at": NOW,
                }
                for c in range(circles)
                for i in range(MEMBERS + 1)
            ],
        )
        await conn.execute(
            insert(Meeting),
            [
                {
                    "circle_id": circle_ids[f"c{c}"],
                    "number": 1,
                    "duration_minutes": 240,
                    "state": MeetingState.ROUNDS,
                    "facilitator_id": person_ids[f"U{c}_0"],
                    "opened_at": NOW,
                    "created_at": NOW,
                }
                for c in range(circles)
            ],
        )
        meeting_ids = dict((await conn.execute(select(Meeting.circle_id, Meeting.id))).all())
        await conn.execute(
            insert(Bid),
            [
                {
                    "meeting_id": meeting_ids[circle_ids[f"c{c}"]],
                    "person_id": person_ids[f"U{c}_1"],
                    "topic": "seeded",
                    "urgency": "medium",
                    "minutes": 20,
                    "status": "taken",
                    "created_at": NOW,
                }
                for c in range(circles)
            ],
        )
        await conn.execute(
            insert(Round),
            [
                {
                    "meeting_id": meeting_ids[circle_ids[f"c{c}"]],
                    "number": 1,
                    "issue_holder_id": person_ids[f"U{c}_1"],
                    "topic": "seeded",
                    "phase": Phase.PRESENT,
                    "phase_started_at": NOW,
                    "thread_ref": f"C{c}/1",
                    "holder_passed": False,
                    "created_at": NOW,
                }
                for c in range(circles)
            ],
        )
    return [
        CircleState(
            f"c{c}",
            f"U{c}_0",
            f"U{c}_1",
            [f"U{c}_{i}" for i in range(2, MEMBERS + 1)],
            Phase.PRESENT,
            [f"U{c}_{i}" for i in range(2, MEMBERS + 1)],
        )
        for c in range(circles)
    ]


def actor(user: str) -> Actor:
    return Actor(Platform.SLACK, "TBENCH", user, "", None)


async def mixed_load(service: CircleService, states: list[CircleState], ops: int, seed_: int) -> dict[str, list[float]]:
    rng = random.Random(seed_)
    latencies: dict[str, list[float]] = {"status": [], "bid": [], "contribute": [], "advance": []}
    kinds = ["status"] * 40 + ["bid"] * 20 + ["contribute"] * 25 + ["advance"] * 15
    for _ in range(ops):
        state = rng.choice(states)
        kind = rng.choice(kinds)
        call = plan(service, state, kind, rng)
        if call is None:
            kind, call = "status", plan(service, state, "status", rng)
        assert call is not None
        began = time.perf_counter()
        await call()
        latencies[kind].append((time.perf_counter() - began) * 1000)
    return latencies


def plan(
    service: CircleService, s: CircleState, kind: str, rng: random.Random
) -> Callable[[], Awaitable[object]] | None:
    where = Where(space=f"C{s.name[1:]}")
    if kind == "status":
        return lambda: service.run_command(actor(rng.choice(s.others)), "status", where)
    if kind == "bid" and s.bidders:
        user = s.bidders.pop()
        return lambda: service.run_command(actor(user), f"bid An issue of {user} urgency=high", where)
    if kind == "contribute" and s.phase in (Phase.PRESENT, Phase.CLARIFY, Phase.EXPLORE):
        user = s.holder if s.phase == Phase.PRESENT else rng.choice(s.others)
        return lambda: service.run_command(actor(user), "say A thought for the round", where)
    if kind == "advance" and s.phase in (Phase.PRESENT, Phase.CLARIFY, Phase.EXPLORE, Phase.REFLECT):
        s.phase = {
            Phase.PRESENT: Phase.CLARIFY,
            Phase.CLARIFY: Phase.EXPLORE,
            Phase.EXPLORE: Phase.REFLECT,
            Phase.REFLECT: Phase.COMMIT,
        }[s.phase]
        return lambda: service.run_command(actor(s.facilitator), "next", where)
    return None


async def baseline(db: Database, ops: int) -> list[float]:
    times = []
    for _ in range(ops):
        began = time.perf_counter()
        async with db.unit_of_work() as uow:
            await uow.session.scalar(select(Person.id).limit(1))
        times.append((time.perf_counter() - began) * 1000)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def run_backend(label: str, url: str, circles: int, ops: int) -> dict[str, float]:
    db = Database(url)
    try:
        began = time.perf_counter()
        states = await seed(db, circles)
        seeded_s = time.perf_counter() - began
        service = CircleService(db, ManualClock(NOW), lambda _w: NullPort())
        base = await baseline(db, min(ops, 500))
        began = time.perf_counter()
        latencies = await mixed_load(service, states, ops, seed_=1)
        elapsed = time.perf_counter() - began
    finally:
        await db.dispose()
    every = [v for values in latencies.values() for v in values]
    print(f"\n{label}: {circles} circles seeded in {seeded_s:.1f} s; {len(every)} ops in {elapsed:.1f} s")
    print(f"  {'op':<11}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}")
    for kind, values in latencies.items():
        print(f"  {kind:<11}{len(values):>7}{percentile(values, 0.5):>9.2f}{percentile(values, 0.99):>9.2f}")
    print(f"  {'all':<11}{len(every):>7}{percentile(every, 0.5):>9.2f}{percentile(every, 0.99):>9.2f}")
    print(
        f"  {'baseline':<11}{len(base):>7}{percentile(base, 0.5):>9.2f}{percentile(base, 0.99):>9.2f}"
        "   (one unit of work reading one row)"
    )
    ops_per_s = len(every) / elapsed
    print(f"  throughput {ops_per_s:.0f} ops/s; p50 is {percentile(every, 0.5) / percentile(base, 0.5):.1f}x baseline")
    return {
        "ops_per_s": round(ops_per_s, 1),
        "p50_ms": round(percentile(every, 0.5), 2),
        "p99_ms": round(percentile(every, 0.99), 2),
        "baseline_p50_ms": round(percentile(base, 0.5), 3),
        "p50_vs_baseline": round(percentile(every, 0.5) / percentile(base, 0.5), 1),
    }


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
    except Exception:
        return None
    return url


async def main(argv: list[str]) -> dict[str, float | None]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer operations, same code path (< 60 s)")
    parser.add_argument("--circles", type=int, default=1000)
    parser.add_argument("--ops", type=int, default=None)
    args = parser.parse_args(argv)
    ops = args.ops or (1500 if args.quick else 10000)
    figures: dict[str, float | None] = {"circles": args.circles, "ops": ops}
    with tempfile.TemporaryDirectory() as folder:
        sqlite = await run_backend("SQLite", f"sqlite:///{folder}/bench.sqlite3", args.circles, ops)
    figures.update(sqlite)
    pg = postgres_url()
    if pg is None:
        print("\nPostgreSQL did not answer: skipped")
        figures.update(pg_ops_per_s=None, pg_p99_ms=None)
        return figures
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(sync_url(pg.replace("postgresql://", "postgresql+psycopg://", 1)))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        separator = "&" if "?" in pg else "?"
        result = await run_backend("PostgreSQL", f"{pg}{separator}options=-csearch_path%3D{schema}", args.circles, ops)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    figures.update({f"pg_{key}": value for key, value in result.items()})
    return figures


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1:]))))
