"""The programme report at programme scale: 20 circles × 6 meetings × 7 members with realistic activity.

    python benchmarks/report.py [--quick] [--circles N] [--meetings N] [--members N]

Seeds the database with bulk inserts (check-ins for most members, bids, two or three rounds a
meeting with their contributions, commitments and the next meeting's report-back, ratings, the
closing questions), then times the three steps a lead's `/circle report PROGRAMME` takes: build the
figures (SQL aggregates through the privacy rules), draw the four charts, write the CSV. Peak memory
is Python's own (tracemalloc) over one pass of the three steps, measured apart from the timing.

The baseline, measured in the same run, is what the figures would cost the naive way: loading every
row they count as ORM objects. Runs on SQLite (a temporary file) and, without --quick, also on
PostgreSQL when one answers. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, select, text

from core.db import Database, sync_url
from core.models import (
    Applied,
    Base,
    Bid,
    CheckIn,
    Circle,
    Commitment,
    Contribution,
    Meeting,
    MeetingFeedback,
    Membership,
    Person,
    Programme,
    ProgrammeEvaluation,
    ReportBack,
    Round,
    Workspace,
)
from core.report.charts import draw_all
from core.report.export import csv_bytes
from core.report.privacy import programme_report
from core.vocabulary import (
    BidStatus,
    CircleStatus,
    CommitmentStatus,
    ContributionKind,
    Facilitation,
    MeetingState,
    Phase,
    Platform,
    Role,
)

START = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
OUTCOMES = [CommitmentStatus.DONE] * 5 + [
    CommitmentStatus.IN_PROGRESS,
    CommitmentStatus.IN_PROGRESS,
    CommitmentStatus.STUCK,
    CommitmentStatus.DROPPED,
    CommitmentStatus.OPEN,
]


def seed_rows(circles: int, meetings: int, members: int, rng: random.Random) -> tuple[dict[Any, list[Any]], int]:
    """Every row of the programme, by model, with ids chosen here so one bulk insert per table does."""
    rows: dict[Any, list[Any]] = {model: [] for model in (Person, Circle, Membership, Meeting, CheckIn, Bid, Round)}
    rows.update({model: [] for model in (Contribution, Commitment, ReportBack, MeetingFeedback, ProgrammeEvaluation)})
    ids = {"person": 1, "meeting": 1, "round": 1, "bid": 1, "commitment": 1}
    lead = ids["person"]
    rows[Person].append({"id": lead, "workspace_id": 1, "external_id": "LEAD", "display_name": "Lead"})
    ids["person"] += 1
    for c in range(1, circles + 1):
        people = list(range(ids["person"], ids["person"] + members))
        ids["person"] += members
        for p in people:
            rows[Person].append({"id": p, "workspace_id": 1, "external_id": f"U{p}", "display_name": f"P{p}"})
        rows[Circle].append(
            {
                "id": c,
                "workspace_id": 1,
                "programme_id": 1,
                "name": f"circle-{c}",
                "format_key": "action-learning",
                "status": CircleStatus.ACTIVE,
                "facilitation": Facilitation.FACILITATED,
                "created_by_id": lead,
            }
        )
        for i, p in enumerate(people):
            role = Role.FACILITATOR if i == 0 else Role.MEMBER
            rows[Membership].append({"circle_id": c, "person_id": p, "role": role, "joined_at": START})
        keen = {p: rng.uniform(0.6, 0.98) for p in people}  # how reliably each turns up
        talk = {p: rng.uniform(0.3, 2.0) for p in people}  # how much each speaks
        earlier: list[tuple[int, int]] = []  # (commitment id, person) from the meeting before
        for number in range(1, meetings + 1):
            meeting_id = ids["meeting"]
            ids["meeting"] += 1
            at = START + timedelta(weeks=6 * (number - 1), days=c % 7)
            rows[Meeting].append(
                {
                    "id": meeting_id,
                    "circle_id": c,
                    "number": number,
                    "scheduled_start": at,
                    "duration_minutes": 180,
                    "state": MeetingState.CLOSED,
                    "facilitator_id": people[0],
                    "opened_at": at,
                    "closed_at": at + timedelta(hours=3),
                }
            )
            present = [p for p in people if p == people[0] or rng.random() < keen[p]]
            for p in present:
                rows[CheckIn].append({"meeting_id": meeting_id, "person_id": p, "text": "…", "created_at": at})
            for commitment_id, p in earlier:
                rows[ReportBack].append(
                    {
                        "meeting_id": meeting_id,
                        "person_id": p,
                        "commitment_id": commitment_id,
                        "status": rng.choice(OUTCOMES),
                        "text": "…",
                        "created_at": at,
                    }
                )
            earlier = []
            holders = rng.sample([p for p in present if p != people[0]], k=min(rng.choice((2, 3)), len(present) - 1))
            for r, holder in enumerate(holders, start=1):
                bid_id, round_id = ids["bid"], ids["round"]
                ids["bid"] += 1
                ids["round"] += 1
                rows[Bid].append(
                    {
                        "id": bid_id,
                        "meeting_id": meeting_id,
                        "person_id": holder,
                        "topic": "…",
                        "status": BidStatus.TAKEN,
                    }
                )
                rows[Round].append(
                    {
                        "id": round_id,
                        "meeting_id": meeting_id,
                        "number": r,
                        "issue_holder_id": holder,
                        "bid_id": bid_id,
                        "topic": "…",
                        "phase": Phase.DONE,
                        "phase_started_at": at,
                    }
                )
                for p in present:
                    for _ in range(max(0, round(rng.gauss(talk[p] * (3 if p == holder else 1.5), 1)))):
                        rows[Contribution].append(
                            {
                                "round_id": round_id,
                                "person_id": p,
                                "phase": Phase.EXPLORE,
                                "kind": ContributionKind.QUESTION,
                                "text": "…",
                                "created_at": at,
                            }
                        )
                for _ in range(rng.choice((1, 1, 2))):
                    commitment_id = ids["commitment"]
                    ids["commitment"] += 1
                    rows[Commitment].append(
                        {
                            "id": commitment_id,
                            "circle_id": c,
                            "meeting_id": meeting_id,
                            "round_id": round_id,
                            "person_id": holder,
                            "text": "…",
                            "status": CommitmentStatus.OPEN,
                        }
                    )
                    earlier.append((commitment_id, holder))
            for p in present:
                if rng.random() < 0.8:
                    rating = min(5, max(1, round(rng.gauss(4, 0.9))))
                    rows[MeetingFeedback].append(
                        {"meeting_id": meeting_id, "person_id": p, "rating": rating, "text": "…", "created_at": at}
                    )
        for p in people:
            if rng.random() < 0.7:
                rows[ProgrammeEvaluation].append(
                    {
                        "programme_id": 1,
                        "person_id": p,
                        "usefulness": min(5, max(1, round(rng.gauss(4, 1)))),
                        "would_recommend": rng.random() < 0.8,
                        "applied": rng.choice(list(Applied)),
                        "text": "…",
                        "share_with_lead": rng.random() < 0.4,
                    }
                )
    return rows, lead


async def seed(db: Database, circles: int, meetings: int, members: int) -> tuple[int, int]:
    rows, lead = seed_rows(circles, meetings, members, random.Random(17))
    async with db.unit_of_work() as uow:
        session = uow.session
        await session.execute(insert(Workspace), [{"id": 1, "platform": Platform.PLAYGROUND, "external_id": "bench"}])
        await session.execute(insert(Person), rows.pop(Person))
        await session.execute(
            insert(Programme),
            [
                {
                    "id": 1,
                    "workspace_id": 1,
                    "name": "bench",
                    "format_key": "action-learning",
                    "cadence_days": 42,
                    "meeting_count": meetings,
                    "lead_id": lead,
                }
            ],
        )
        for model, batch in rows.items():
            if batch:
                await session.execute(insert(model), batch)
        await uow.commit()
    return lead, sum(len(batch) for batch in rows.values())


async def report_once(db: Database, lead: int) -> tuple[float, float, float, int, int]:
    """(figures s, charts s, csv s, charts drawn, CSV bytes) of one `/circle report PROGRAMME`."""
    began = time.perf_counter()
    async with db.unit_of_work() as uow:
        programme = await uow.session.get(Programme, 1)
        assert programme is not None
        built = await programme_report(uow.session, programme, lead)
    figures = time.perf_counter()
    charts = draw_all(built)
    drawn = time.perf_counter()
    exported = csv_bytes(built)
    done = time.perf_counter()
    return figures - began, drawn - figures, done - drawn, len(charts), len(exported)


async def naive_baseline(db: Database) -> float:
    """Every row the figures count, loaded as ORM objects: what counting in Python would start with."""
    began = time.perf_counter()
    async with db.unit_of_work() as uow:
        for model in (Meeting, Membership, CheckIn, Commitment, ReportBack, Round, Contribution, MeetingFeedback):
            list(await uow.session.scalars(select(model)))
    return time.perf_counter() - began


async def measure(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    began = time.perf_counter()
    lead, inserted = await seed(db, args.circles, args.meetings, args.members)
    seeded_s = time.perf_counter() - began
    print(f"{label}: seeded {inserted:,} rows in {seeded_s:.2f} s", flush=True)
    await report_once(db, lead)  # warm: imports, fonts, the connection pool
    cpu = time.process_time()
    runs = [await report_once(db, lead) for _ in range(args.repeat)]
    cpu_per_report = (time.process_time() - cpu) / args.repeat  # on a loaded machine: what it really cost
    baseline = statistics.median([await naive_baseline(db) for _ in range(args.repeat)])
    tracemalloc.start()
    await report_once(db, lead)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    await db.dispose()
    figures, charts, csv = (statistics.median(r[i] for r in runs) for i in range(3))
    result = {
        "db": label,
        "rows": inserted,
        "figures_s": round(figures, 3),
        "charts_s": round(charts, 3),
        "csv_s": round(csv, 4),
        "report_s": round(figures + charts + csv, 3),
        "charts": runs[0][3],
        "csv_bytes": runs[0][4],
        "report_cpu_s": round(cpu_per_report, 3),
        "peak_mb": round(peak, 1),
        "naive_load_s": round(baseline, 3),
        "figures_vs_naive_load": round(figures / baseline, 2) if baseline else None,
    }
    print(
        f"{label:<10} figures {figures * 1000:7.1f} ms  charts {charts * 1000:7.1f} ms  csv {csv * 1000:6.2f} ms  "
        f"total {result['report_s']:.3f} s (cpu {cpu_per_report:.3f} s)  peak {peak:6.1f} MB  "
        f"(naive row load {baseline * 1000:.1f} ms)",
        flush=True,
    )
    return result


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    if not url.startswith("postgresql"):
        return None
    base = url.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        engine = create_engine(sync_url(base), connect_args={"connect_timeout": 2})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:
        return None
    return base


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="SQLite only, one timed run")
    parser.add_argument("--circles", type=int, default=20)
    parser.add_argument("--meetings", type=int, default=6)
    parser.add_argument("--members", type=int, default=7)
    args = parser.parse_args()
    args.repeat = 1 if args.quick else 5
    print(f"Programme report: {args.circles} circles × {args.meetings} meetings × {args.members} members", flush=True)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        results.append(await measure("sqlite", f"sqlite+aiosqlite:///{folder}/report.sqlite3", args))
    pg = None if args.quick else postgres_url()
    if pg is not None:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(sync_url(pg))
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            separator = "&" if "?" in pg else "?"
            results.append(await measure("postgresql", f"{pg}{separator}options=-csearch_path%3D{schema}", args))
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    first = results[0]
    summary = {
        "circles": args.circles,
        "meetings": args.meetings,
        "members": args.members,
        "report_s": max(r["report_s"] for r in results),
        "report_cpu_s": max(r["report_cpu_s"] for r in results),
        "charts": first["charts"],
        "peak_mb": max(r["peak_mb"] for r in results),
        "process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "target_s": 2.0,
        "by_db": results,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main())
