"""Hostile and careless input on every surface, the properties of `tests/core/test_fuzz.py` at scale.

    python benchmarks/fuzz.py [--quick] [--cases N] [--seed S] [--sqlite-only]

Runs N generated cases (100,000 by default; 500 with --quick) through the service on SQLite and,
when one answers at CIRCLES_TEST_DATABASE (default postgresql://postgres@127.0.0.1:5432/test), on
PostgreSQL beside it: each case on both, in the same order, on worlds built the same way (rebuilt
every 500 cases, as accepted requests wear the meeting out). After every batch the scheduler ticks,
and again at the next due moment. Prints a table per surface, and last one JSON line:

- `cases`: inputs tried (each on every database);
- `uncaught`: exceptions that escaped the service;
- `refused_but_changed`: refusals after which a table differed;
- `db_disagreements`: cases whose outcome (refused or not, and the reply) differed between databases;
- `scheduler_blocked`: ticks that raised instead of sending what was due;
- `unreadable`: empty replies or internal errors shown to a member.
All but `cases` should be 0.
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
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from core.db import Database, sync_url
from tests.fakes.fuzzing import SURFACES, Pick, World, generate

BATCH = 500
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def pg_url() -> str | None:
    url = os.environ.get("CIRCLES_TEST_DATABASE", DEFAULT_PG)
    if not url.startswith("postgres"):
        return None
    try:
        engine = create_engine(sync_url(url.replace("postgresql://", "postgresql+psycopg://", 1)))
        with engine.connect():
            pass
        engine.dispose()
    except Exception:
        return None
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


async def tick(world: World) -> bool:
    """True when the scheduler ran what was due (now, and at the next due moment) without raising."""
    scheduler = world.scheduler
    try:
        await scheduler.tick()
        due = await scheduler.next_due_at()
        if due is not None:
            world.clock.set(max(due, world.clock.now()))
            await scheduler.tick()
    except Exception as error:
        print(f"  scheduler tick failed: {type(error).__name__}: {error!s:.120}", flush=True)
        return False
    return True


async def run(cases: int, seed: int, sqlite_only: bool) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    urls = {"sqlite": f"sqlite+aiosqlite:///{folder / 'fuzz.sqlite3'}"}
    base = None if sqlite_only else pg_url()
    schema = f"fuzz_{uuid.uuid4().hex[:10]}"
    admin = None
    if base is not None:
        admin = create_engine(sync_url(base))
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        urls["postgresql"] = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    worlds = {name: World(Database(url)) for name, url in urls.items()}
    rng = Pick(random.Random(seed))
    kinds: Counter[tuple[str, str]] = Counter()
    figures = Counter(uncaught=0, refused_but_changed=0, db_disagreements=0, scheduler_blocked=0, unreadable=0)
    examples: list[str] = []
    started = time.perf_counter()
    print(f"fuzz: {cases:,} cases, seed {seed}, on {', '.join(worlds)}", flush=True)
    try:
        for index in range(cases):
            if index % BATCH == 0:
                if index:
                    for world in worlds.values():
                        figures["scheduler_blocked"] += 0 if await tick(world) else 1
                for world in worlds.values():
                    await world.build()
            case = generate(rng)
            outcomes = {name: await world.attempt(case) for name, world in worlds.items()}
            for outcome in outcomes.values():
                kinds[(case.surface, outcome.kind)] += 1
                if outcome.kind == "uncaught":
                    figures["uncaught"] += 1
                elif outcome.problem.startswith("refused"):
                    figures["refused_but_changed"] += 1
                elif outcome.problem:
                    figures["unreadable"] += 1
                if outcome.problem and len(examples) < 10:
                    examples.append(f"{outcome.problem}: {case}")
            seen = {(o.kind, o.text) for o in outcomes.values()}
            if len(seen) > 1:
                figures["db_disagreements"] += 1
                if len(examples) < 10:
                    examples.append(f"databases disagree: {case}")
            if (index + 1) % max(1, cases // 10) == 0:
                rate = (index + 1) / (time.perf_counter() - started)
                print(f"  {index + 1:>8,} cases  {rate:7.0f}/s  problems so far {sum(figures.values())}", flush=True)
        for world in worlds.values():
            figures["scheduler_blocked"] += 0 if await tick(world) else 1
    finally:
        for world in worlds.values():
            await world.db.dispose()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    elapsed = time.perf_counter() - started
    print()
    print(f"{'surface':<10}{'accepted':>10}{'refused':>10}{'silent':>10}{'uncaught':>10}")
    for surface in SURFACES:
        row = [kinds[(surface, k)] for k in ("accepted", "refused", "silent", "uncaught")]
        print(f"{surface:<10}" + "".join(f"{n:>10,}" for n in row))
    for line in examples:
        print("  e.g.", line[:300])
    return {
        "cases": cases,
        "databases": list(worlds),
        "seconds": round(elapsed, 1),
        "cases_per_second": round(cases / elapsed, 1),
        **figures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="500 cases (under a minute)")
    parser.add_argument("--cases", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    cases = args.cases or (500 if args.quick else 100_000)
    result = asyncio.run(run(cases, args.seed, args.sqlite_only))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
