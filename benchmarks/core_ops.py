"""Core throughput, latency and cost at scale: a mixed load of /circle commands.

    python benchmarks/core_ops.py [--quick] [--circles N] [--ops N] [--scale-circles N] [--scale-workspaces N]

Runs on SQLite (temporary files) and on PostgreSQL when one answers (DATABASE_URL, or
127.0.0.1:5432 database `test`, in throwaway schemas). On each, two databases: 1,000 circles in one
workspace, and 100,000 circles across 1,000 workspaces (--quick: 10,000 across 100, and 1,000
rather than 10,000 operations on each). The same mixed load (status, bid, contribute, advance) runs
over 1,000 active circles of each, in alternating blocks of 50 so that both see the same load from
the rest of the machine; the figures say whether a command costs more when the database holds 100
times the circles. Every command's SQL statements are counted
(its own unit of work, then the delivery of what it sends). Two yardsticks are measured between the
same blocks: the baseline, the cheapest possible request (one unit of work that reads one row), and the
floor, the least a durable sending command can do (one unit of work that reads a row, writes its own row
and an outbox row and commits; then a second that marks the outbox row sent), in SQLAlchemy Core with no
application code. p50 against the floor is what the application itself costs. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Table, create_engine, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.clock import ManualClock
from core.context import Actor, Where
from core.db import Database, sync_url
from core.messages import Form, Message
from core.models import (
    Base,
    Bid,
    Circle,
    Contribution,
    DueItem,
    DueKind,
    DueState,
    Meeting,
    Membership,
    Person,
    Round,
    Workspace,
)
from core.port import MessageRef, SpaceRef
from core.service import CircleService
from core.statement_count import StatementCount
from core.vocabulary import (
    BidStatus,
    CircleStatus,
    ContributionKind,
    Facilitation,
    MeetingState,
    Mode,
    Phase,
    Platform,
    Role,
    Urgency,
)

MEMBERS = 6  # plus a facilitator per circle
SEATS = MEMBERS + 1
ACTIVE = 1000  # circles the load touches, however many the database holds
BLOCK = 50  # operations on one database before switching to the other
CHUNK = 5000  # circles seeded per batch, so seeding 100,000 needs little memory
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
KINDS = ("status", "bid", "contribute", "advance")
TODAYS_FIGURES = ("ops_per_s", "p50_ms", "p99_ms", "baseline_p50_ms", "p50_vs_baseline")
FLOOR_FIGURES = ("floor_p50_ms", "floor_vs_baseline", "p50_vs_floor")


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


@dataclass(frozen=True)
class Shape:
    """How many circles the database holds, across how many workspaces."""

    circles: int
    workspaces: int

    @property
    def label(self) -> str:
        places = "workspace" if self.workspaces == 1 else "workspaces"
        return f"{self.circles:,} circles in {self.workspaces:,} {places}"

    def workspace_of(self, circle: int) -> int:
        return circle // -(-self.circles // self.workspaces)

    def active(self) -> list[int]:
        """The circles the load touches, spread evenly over the database (and its workspaces)."""
        step = max(1, self.circles // ACTIVE)
        return list(range(0, self.circles, step))[:ACTIVE]


@dataclass
class CircleState:
    number: int
    workspace: str
    facilitator: str
    holder: str
    others: list[str]
    phase: Phase
    bidders: list[str]


# Seeding ---------------------------------------------------------------------------------------


def rows_for(shape: Shape, first: int, last: int) -> dict[Table, list[dict[str, Any]]]:
    """Circles first..last-1 in the middle of a meeting (one round under way, members yet to bid),
    with explicit ids so that nothing has to be read back."""
    tables: dict[Table, list[dict[str, Any]]] = {
        Base.metadata.tables[model.__tablename__]: [] for model in (Person, Circle, Membership, Meeting, Bid, Round)
    }
    people, circles, memberships, meetings, bids, rounds = tables.values()
    for c in range(first, last):
        ident = c + 1
        seat_ids = [c * SEATS + i + 1 for i in range(SEATS)]
        for i, person_id in enumerate(seat_ids):
            people.append(
                {
                    "id": person_id,
                    "workspace_id": shape.workspace_of(c) + 1,
                    "external_id": f"U{c}_{i}",
                    "display_name": f"P{c}.{i}",
                    "created_at": NOW,
                }
            )
            memberships.append(
                {
                    "id": person_id,
                    "circle_id": ident,
                    "person_id": person_id,
                    "role": Role.FACILITATOR if i == 0 else Role.MEMBER,
                    "joined_at": NOW,
                }
            )
        circles.append(
            {
                "id": ident,
                "workspace_id": shape.workspace_of(c) + 1,
                "name": f"c{c}",
                "format_key": "action-learning",
                "mode": Mode.LIVE,
                "status": CircleStatus.ACTIVE,
                "facilitation": Facilitation.FACILITATED,
                "space_ref": f"C{c}",
                "created_by_id": seat_ids[0],
                "created_at": NOW,
            }
        )
        meetings.append(
            {
                "id": ident,
                "circle_id": ident,
                "number": 1,
                "duration_minutes": 240,
                "state": MeetingState.ROUNDS,
                "facilitator_id": seat_ids[0],
                "opened_at": NOW,
                "created_at": NOW,
            }
        )
        bids.append(
            {
                "id": ident,
                "meeting_id": ident,
                "person_id": seat_ids[1],
                "topic": "seeded",
                "urgency": Urgency.MEDIUM,
                "minutes": 20,
                "status": BidStatus.TAKEN,
                "created_at": NOW,
            }
        )
        rounds.append(
            {
                "id": ident,
                "meeting_id": ident,
                "number": 1,
                "issue_holder_id": seat_ids[1],
                "bid_id": ident,
                "topic": "seeded",
                "phase": Phase.PRESENT,
                "phase_started_at": NOW,
                "thread_ref": f"C{c}/1",
                "holder_passed": False,
                "created_at": NOW,
            }
        )
    return tables


async def seed(db: Database, shape: Shape) -> list[CircleState]:
    """Bulk inserts, never the service: core INSERTs of many rows on SQLite, COPY on PostgreSQL."""
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        workspaces = [
            {"id": w + 1, "platform": Platform.SLACK, "external_id": f"T{w}", "name": f"bench {w}", "created_at": NOW}
            for w in range(shape.workspaces)
        ]
        await bulk_insert(conn, Base.metadata.tables[Workspace.__tablename__], workspaces, db.is_sqlite)
        for first in range(0, shape.circles, CHUNK):
            for table, rows in rows_for(shape, first, min(shape.circles, first + CHUNK)).items():
                await bulk_insert(conn, table, rows, db.is_sqlite)
        if not db.is_sqlite:  # ids were given, so each sequence starts after the last one used
            for model in (Workspace, Person, Circle, Membership, Meeting, Bid, Round):
                name = model.__tablename__
                await conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
                )
    await settle(db)
    return [
        CircleState(
            c,
            f"T{shape.workspace_of(c)}",
            f"U{c}_0",
            f"U{c}_1",
            [f"U{c}_{i}" for i in range(2, SEATS)],
            Phase.PRESENT,
            [f"U{c}_{i}" for i in range(2, SEATS)],
        )
        for c in shape.active()
    ]


async def settle(db: Database) -> None:
    """Fresh statistics, as a long-running database has. On PostgreSQL the seeded tables are vacuumed
    too: otherwise autovacuum takes up the freshly copied rows in the middle of the load (one run's
    p99 at 100,000 circles came out 1.32 times the p99 at 1,000, where the run before gave 0.98)."""
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
            return
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        seeded = (Workspace, Person, Circle, Membership, Meeting, Bid, Round)
        await conn.execute(text(f"VACUUM ANALYZE {', '.join(model.__tablename__ for model in seeded)}"))


async def bulk_insert(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]], is_sqlite: bool) -> None:
    if not rows:
        return
    if is_sqlite:
        await conn.execute(insert(table), rows)
        return
    defaults = _python_defaults(table, rows[0])
    names = [*rows[0], *defaults]
    raw = await conn.get_raw_connection()
    pg: Any = raw.driver_connection
    async with pg.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            await copy.write_row([_plain(v) for v in (*row.values(), *defaults.values())])


def _python_defaults(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """COPY bypasses the models' Python-side defaults: fill the columns the rows leave out."""
    filled = {}
    for column in table.columns:
        default: Any = column.default
        if column.name in row or default is None:
            continue
        if default.is_callable:
            filled[column.name] = default.arg(None)
        elif default.is_scalar:
            filled[column.name] = default.arg
    return filled


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


# The load --------------------------------------------------------------------------------------


def actor(state: CircleState, user: str) -> Actor:
    return Actor(Platform.SLACK, state.workspace, user, "", None)


def plan(
    service: CircleService, s: CircleState, kind: str, rng: random.Random
) -> Callable[[], Awaitable[object]] | None:
    where = Where(space=f"C{s.number}")
    if kind == "status":
        return lambda: service.run_command(actor(s, rng.choice(s.others)), "status", where)
    if kind == "bid" and s.bidders:
        user = s.bidders.pop()
        return lambda: service.run_command(actor(s, user), f"bid An issue of {user} urgency=high", where)
    if kind == "contribute" and s.phase in (Phase.PRESENT, Phase.CLARIFY, Phase.EXPLORE):
        user = s.holder if s.phase == Phase.PRESENT else rng.choice(s.others)
        return lambda: service.run_command(actor(s, user), "say A thought for the round", where)
    if kind == "advance" and s.phase in (Phase.PRESENT, Phase.CLARIFY, Phase.EXPLORE, Phase.REFLECT):
        s.phase = {
            Phase.PRESENT: Phase.CLARIFY,
            Phase.CLARIFY: Phase.EXPLORE,
            Phase.EXPLORE: Phase.REFLECT,
            Phase.REFLECT: Phase.COMMIT,
        }[s.phase]
        return lambda: service.run_command(actor(s, s.facilitator), "next", where)
    return None


@dataclass
class Load:
    """The mixed load on one database; `run` carries on where the last call stopped."""

    db: Database
    states: list[CircleState]
    service: CircleService = field(init=False)
    rng: random.Random = field(default_factory=lambda: random.Random(1))
    latencies: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    statements: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    elapsed: float = 0.0
    cpu: float = 0.0  # this process's CPU time (every thread: aiosqlite's too), not the database server's

    def __post_init__(self) -> None:
        self.service = CircleService(self.db, ManualClock(NOW), lambda _w: NullPort())

    async def run(self, ops: int) -> None:
        mix = ["status"] * 40 + ["bid"] * 20 + ["contribute"] * 25 + ["advance"] * 15
        for _ in range(ops):
            state = self.rng.choice(self.states)
            kind = self.rng.choice(mix)
            call = plan(self.service, state, kind, self.rng)
            if call is None:
                kind, call = "status", plan(self.service, state, "status", self.rng)
            assert call is not None
            with StatementCount(self.db.engine) as count:
                began, cpu = time.perf_counter(), time.process_time()
                await call()
                took = time.perf_counter() - began
                self.cpu += time.process_time() - cpu
            self.elapsed += took
            self.latencies[kind].append(took * 1000)
            self.statements[kind].append((count.request, count.after_commit))

    @property
    def every(self) -> list[float]:
        return [v for values in self.latencies.values() for v in values]

    def most_statements(self, kind: str) -> tuple[int, int]:
        """The most statements one command of this kind sent: (its own, its delivery's)."""
        return max(self.statements[kind], key=sum, default=(0, 0))


async def baseline(db: Database, ops: int) -> list[float]:
    times = []
    for _ in range(ops):
        began = time.perf_counter()
        async with db.unit_of_work() as uow:
            await uow.session.scalar(select(Person.id).limit(1))
        times.append((time.perf_counter() - began) * 1000)
    return times


async def floor(db: Database, ops: int, first: int) -> list[float]:
    """The least a sending command must do to keep the outbox's promise (nothing sent that was not
    committed; nothing marked sent that was not sent; the answer after both), with none of ours:
    no ORM, no parsing, no rendering, no platform. Its rows are written in the first circle's round and
    outbox, as a command would, and change nothing the load reads."""
    contributions, items = (Base.metadata.tables[model.__tablename__] for model in (Contribution, DueItem))
    times = []
    for n in range(first, first + ops):
        began = time.perf_counter()
        async with db.unit_of_work() as uow:
            person = await uow.session.scalar(
                select(Person.id).where(Person.workspace_id == 1, Person.external_id == "U0_1")
            )
            await uow.session.execute(
                insert(contributions).values(
                    round_id=1,
                    person_id=person,
                    phase=Phase.PRESENT,
                    kind=ContributionKind.PRESENTATION,
                    text="t",
                    created_at=NOW,
                )
            )
            item = await uow.session.scalar(
                insert(items)
                .values(
                    key=f"floor:{n}",
                    kind=DueKind.EFFECT,
                    state=DueState.CLAIMED,
                    workspace_id=1,
                    due_at=NOW,
                    not_before=NOW,
                    attempts=1,
                    payload={},
                    created_at=NOW,
                )
                .returning(items.c.id)
            )
            await uow.commit()
        async with db.engine.begin() as conn:
            await conn.execute(update(items).where(items.c.id == item).values(state=DueState.SENT, sent_at=NOW))
        times.append((time.perf_counter() - began) * 1000)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def memory_mb() -> tuple[float, float]:
    """The process's resident memory now and at its peak, in MB."""
    try:
        status = Path("/proc/self/status").read_text()
        kb = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines() if line.startswith("Vm")}
        return kb["VmRSS"] / 1024, kb["VmHWM"] / 1024
    except (OSError, KeyError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return peak, peak


async def run_backend(label: str, urls: Iterator[str], small: Shape, large: Shape, ops: int) -> dict[str, Any]:
    began = time.perf_counter()
    near, far = Database(next(urls)), Database(next(urls))
    try:
        near_load = Load(near, await seed(near, small))
        near_s = time.perf_counter() - began
        began = time.perf_counter()
        far_load = Load(far, await seed(far, large))
        far_s = time.perf_counter() - began
        base: list[float] = []
        least: list[float] = []
        blocks = range(0, ops, BLOCK)
        for block, start in enumerate(blocks):
            pair = (near_load, far_load) if block % 2 == 0 else (far_load, near_load)  # neither always goes first
            for load in pair:
                await load.run(min(BLOCK, ops - start))
            yardstick = -(-min(ops, 500) // len(blocks))  # beside the load, in the same weather
            base += await baseline(near, yardstick)
            least += await floor(near, yardstick, len(least))
    finally:
        await near.dispose()
        await far.dispose()
    return report(label, near_load, far_load, base, least, small, large, near_s, far_s)


def report(
    label: str,
    near: Load,
    far: Load,
    base: list[float],
    least: list[float],
    small: Shape,
    large: Shape,
    near_s: float,
    far_s: float,
) -> dict[str, Any]:
    print(f"\n{label}: {small.label} seeded in {near_s:.1f} s; {large.label} in {far_s:.1f} s")
    print(f"  {len(near.states):,} active circles in each; {len(near.every):,} ops on each, interleaved")
    print(f"  {'':<11}{'':>7}{small.circles:>12,} circles{large.circles:>18,} circles{'statements':>16}")
    print(f"  {'op':<11}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}{'':>4}{'p50 ms':>9}{'p99 ms':>9}{'own+delivery':>16}")
    for kind in KINDS:
        a, b = near.latencies[kind], far.latencies[kind]
        own, sent = near.most_statements(kind)
        far_own, far_sent = far.most_statements(kind)
        same = "" if (own, sent) == (far_own, far_sent) else f" ({far_own}+{far_sent} at scale)"
        print(
            f"  {kind:<11}{len(a):>7}{percentile(a, 0.5):>9.2f}{percentile(a, 0.99):>9.2f}{'':>4}"
            f"{percentile(b, 0.5):>9.2f}{percentile(b, 0.99):>9.2f}{f'{own}+{sent}':>16}{same}"
        )
    every, far_every = near.every, far.every
    print(
        f"  {'all':<11}{len(every):>7}{percentile(every, 0.5):>9.2f}{percentile(every, 0.99):>9.2f}{'':>4}"
        f"{percentile(far_every, 0.5):>9.2f}{percentile(far_every, 0.99):>9.2f}"
    )
    print(
        f"  {'baseline':<11}{len(base):>7}{percentile(base, 0.5):>9.2f}{percentile(base, 0.99):>9.2f}"
        "   (one unit of work reading one row)"
    )
    print(
        f"  {'floor':<11}{len(least):>7}{percentile(least, 0.5):>9.2f}{percentile(least, 0.99):>9.2f}"
        "   (the least a durable sending command does: read, 2 inserts, commit; mark sent, commit)"
    )
    p50, p99, far_p99 = percentile(every, 0.5), percentile(every, 0.99), percentile(far_every, 0.99)
    base_p50, floor_p50 = percentile(base, 0.5), percentile(least, 0.5)
    ops_per_s = len(every) / near.elapsed
    now_mb, peak_mb = memory_mb()
    cpu_ms = near.cpu * 1000 / len(every)
    print(
        f"  throughput {ops_per_s:.0f} ops/s ({len(far_every) / far.elapsed:.0f} at scale); "
        f"p50 is {p50 / base_p50:.1f}x baseline; p99 at scale is {far_p99 / p99:.2f}x"
    )
    print(
        f"  the floor is {floor_p50 / base_p50:.1f}x baseline, so p50 is {p50 / floor_p50:.2f}x the floor: "
        "what the application adds to a durable send"
    )
    print(
        f"  this process's CPU per command {cpu_ms:.2f} ms ({far.cpu * 1000 / len(far_every):.2f} at scale); "
        f"resident memory {now_mb:.0f} MB (peak {peak_mb:.0f} MB)"
    )
    most = {kind: max(sum(near.most_statements(kind)), sum(far.most_statements(kind))) for kind in KINDS}
    return {
        "ops_per_s": round(ops_per_s, 1),
        "p50_ms": round(p50, 2),
        "p99_ms": round(p99, 2),
        "baseline_p50_ms": round(base_p50, 3),
        "p50_vs_baseline": round(p50 / base_p50, 1),
        "floor_p50_ms": round(floor_p50, 3),
        "floor_vs_baseline": round(floor_p50 / base_p50, 2),
        "p50_vs_floor": round(p50 / floor_p50, 2),
        "scale_p50_ms": round(percentile(far_every, 0.5), 2),
        "scale_p99_ms": round(far_p99, 2),
        "scale_p99_ratio": round(far_p99 / p99, 2),
        "cpu_ms_per_op": round(cpu_ms, 2),
        "statements": most,
    }


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
    except Exception:
        return None
    return url


@asynccontextmanager
async def pg_schemas(url: str) -> AsyncIterator[Iterator[str]]:
    """Throwaway schemas, each reached through its own search_path; all dropped at the end."""
    admin = create_engine(sync_url(url.replace("postgresql://", "postgresql+psycopg://", 1)))
    made: list[str] = []

    def schemas() -> Iterator[str]:
        while True:
            name = f"bench_{uuid.uuid4().hex[:8]}"
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{name}"'))
            made.append(name)
            yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{name}"

    try:
        yield schemas()
    finally:
        with admin.begin() as conn:
            for name in made:
                conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


async def main(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer operations, 10x (not 100x) the circles (< 60 s)")
    parser.add_argument("--circles", type=int, default=1000)
    parser.add_argument("--ops", type=int, default=None, help="operations on each database")
    parser.add_argument("--scale-circles", type=int, default=None)
    parser.add_argument("--scale-workspaces", type=int, default=None)
    args = parser.parse_args(argv)
    ops = args.ops or (1000 if args.quick else 10000)
    small = Shape(args.circles, 1)
    large = Shape(
        args.scale_circles or (10_000 if args.quick else 100_000),
        args.scale_workspaces or (100 if args.quick else 1000),
    )
    note = " (--quick: 10x, not 100x)" if args.quick and args.scale_circles is None else ""
    print(f"core_ops: {small.label} against {large.label}{note}; {ops:,} ops on each")
    figures: dict[str, Any] = {"circles": small.circles, "ops": ops}
    with tempfile.TemporaryDirectory() as folder:
        files = iter([f"sqlite:///{folder}/near.sqlite3", f"sqlite:///{folder}/far.sqlite3"])
        sqlite = await run_backend("SQLite", files, small, large, ops)
    pg_url = postgres_url()
    pg: dict[str, Any] | None = None
    if pg_url is None:
        print("\nPostgreSQL did not answer: skipped")
    else:
        async with pg_schemas(pg_url) as urls:
            pg = await run_backend("PostgreSQL", urls, small, large, ops)
    statements = sqlite.pop("statements")
    figures.update(sqlite)
    keys = [*TODAYS_FIGURES, *FLOOR_FIGURES, "scale_p99_ms", "scale_p99_ratio", "cpu_ms_per_op"]
    figures.update({f"pg_{key}": None if pg is None else pg[key] for key in keys})
    figures.update(scale_circles=large.circles, scale_workspaces=large.workspaces)
    everywhere = [*statements.values(), *(pg["statements"].values() if pg else ())]
    figures["max_statements_per_command"] = max(everywhere)
    figures.update({f"statements_{kind}": count for kind, count in statements.items()})
    figures["rss_mb"] = round(memory_mb()[1], 1)
    return figures


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1:]))))
