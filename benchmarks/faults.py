"""Faults: is anything the bot says lost, sent twice, sent to the wrong platform or refused, when a
worker is killed, the database refuses or stalls, or the platform rate-limits for a long time?

    python benchmarks/faults.py            # 3,000 effects per scenario, faults as long as stated
    python benchmarks/faults.py --quick    # 600 effects per scenario, shorter faults, under 90 s

PostgreSQL (CIRCLES_BENCH_DATABASE, default postgresql://postgres@127.0.0.1:5432/test), a schema of
its own per scenario. Two worker processes (`--worker`) each run live requests through
`CircleService` (check-ins posted in a circle's space, contributions replied in a round's thread)
and the dispatcher (whatever the fast path left, and scheduled DMs planned as due items). They
reach PostgreSQL through this script's own asyncio TCP proxy, which can refuse or stall every
connection, and two fake platforms ("slack" and "discord", rendered by the real adapters'
renderers) over HTTP. The fakes rate-limit (429 with Retry-After), refuse what the real platforms
refuse (Discord's and Slack's size limits), absorb a repeated Discord nonce, and log every accepted
message with its outbox id: all counting is done from that log, never from the bot's bookkeeping.

Scenarios: kill9 (a worker killed with SIGKILL mid-run, restarted later), db_refused_8s,
db_stalled_8s, ratelimit_30s (every send answered 429 Retry-After 2 for 30 s), two_platforms
(Slack and Discord workspaces served by one process each), oversized (every text 3,000 characters).

`recovery_s` runs from the end of a fault until everything owed at that moment (the backlog) was
accepted; `all_out_s` until the last message of the run, live requests made after the fault included.

Last line: one JSON object with lost_total, duplicated_total, misrouted_total,
refused_by_platform_total, max_calls_per_retry_window, max_recovery_s and per-scenario figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientSession, ClientTimeout, web
from sqlalchemy import create_engine, func, insert, select, text

from bots.discord.render import render_parts
from bots.slack import blocks
from core.clock import SystemClock
from core.db import Database, sync_url
from core.messages import Form, Message
from core.models import Base, Circle, DueItem, DueKind, DueState, Meeting, Membership, Person, Round, Workspace
from core.port import MessageRef, RateLimited, Refused, SpaceRef, sending_key
from core.vocabulary import CircleStatus, Facilitation, MeetingState, Mode, Phase, Platform, Role

DATABASE = os.environ.get("CIRCLES_BENCH_DATABASE", "postgresql://postgres@127.0.0.1:5432/test")
MEMBERS = 6
RATE = 150.0  # messages per second each fake platform takes, per workspace bucket
LONG = 3000  # the longest text the core accepts
TOLD = 0.05  # a request arriving this soon after a 429 left before its sender could have read it
DRAIN_LIMIT = float(os.environ.get("FAULTS_DRAIN_LIMIT", "120"))  # give up waiting for the backlog after this


# The fake platforms ----------------------------------------------------------------------------------


@dataclass
class Platforms:
    """Both fake platforms in this process: one log, one clock, one set of rules."""

    workspaces: dict[str, str] = field(default_factory=dict)  # workspace external id -> its platform
    accepted: list[tuple[str, int, int, float]] = field(default_factory=list)  # platform, outbox id, part, t
    misrouted: int = 0
    refused: int = 0
    absorbed: int = 0  # resends taken back by Discord's nonce
    calls: list[tuple[tuple[str, str], float]] = field(default_factory=list)
    windows: list[tuple[tuple[str, str], float, float]] = field(default_factory=list)  # bucket, from, to
    always_429_until: float = 0.0
    nonces: set[str] = field(default_factory=set)
    tokens: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    log_file: Any = None

    def app(self, platform: str) -> web.Application:
        app = web.Application()
        app.router.add_post("/send", lambda request: self.send(platform, request))
        return app

    async def send(self, platform: str, request: web.Request) -> web.Response:
        body = await request.json()
        now = time.monotonic()
        bucket = (platform, str(body["workspace"]))
        self.calls.append((bucket, now))
        if now < self.always_429_until or not self._take(bucket, now):
            retry_after = 2.0 if now < self.always_429_until else 0.5
            self.windows.append((bucket, now, now + retry_after))
            return web.json_response(
                {"retry_after": retry_after, "global": False}, status=429, headers={"Retry-After": str(retry_after)}
            )
        if self.workspaces.get(str(body["workspace"])) != platform:
            self.misrouted += 1
        if _problems(platform, body["payload"]):
            self.refused += 1
            return web.json_response({"code": 50035, "message": "Invalid Form Body"}, status=400)
        nonce = body.get("nonce")
        if nonce and nonce in self.nonces:
            self.absorbed += 1
            return web.json_response({"id": nonce})
        if nonce:
            self.nonces.add(nonce)
        outbox, part = int(str(body["outbox"]).lstrip("o") or 0), int(body["part"])
        self.accepted.append((platform, outbox, part, now))
        if self.log_file is not None:
            self.log_file.write(f"{platform} {outbox} {part} {now:.4f}\n")
        return web.json_response({"id": f"{outbox}.{part}"})

    def _take(self, bucket: tuple[str, str], now: float) -> bool:
        tokens, at = self.tokens.get(bucket, (10.0, now))
        tokens = min(10.0, tokens + (now - at) * RATE)
        if tokens < 1:
            self.tokens[bucket] = (tokens, now)
            return False
        self.tokens[bucket] = (tokens - 1, now)
        return True

    def max_calls_per_window(self) -> int:
        """Requests that arrived in a bucket while a 429 it had been given was still running (from
        `TOLD` after the 429 went out: what was already on the wire had not been told)."""
        by_bucket: dict[tuple[str, str], list[float]] = defaultdict(list)
        for bucket, at in self.calls:
            by_bucket[bucket].append(at)
        worst = 0
        for bucket, start, end in self.windows:
            inside = sum(1 for at in by_bucket[bucket] if start + TOLD < at < end)
            worst = max(worst, inside)
        return worst


def _problems(platform: str, payload: Any) -> list[str]:
    if platform == "discord":
        from tests.fakes.discord_api import message_problems

        return message_problems(payload)
    from tests.fakes.slack_api import block_kit_problems

    return block_kit_problems(payload["blocks"], "blocks")


# The proxy in front of PostgreSQL ------------------------------------------------------------------------


class Proxy:
    """Forwards TCP to PostgreSQL; `refuse()` drops every connection and turns new ones away, `stall()`
    holds every byte until `heal()`."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.mode = "ok"
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.open: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self) -> None:
        server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self.server = server

    def refuse(self) -> None:
        self.mode = "refuse"
        for writer in list(self.open):
            writer.close()

    def stall(self) -> None:
        self.mode = "stall"
        self.flowing.clear()

    def heal(self) -> None:
        self.mode = "ok"
        self.flowing.set()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "refuse":
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        self.open.update({writer, up_writer})
        await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True)
        self.open.difference_update({writer, up_writer})

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self.flowing.wait()
                if self.mode == "refuse":
                    break
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()


# The worker: a bot process ----------------------------------------------------------------------------------


class WirePort:
    """A ChatPort over HTTP to a fake platform, rendering with the real adapter's renderer."""

    def __init__(self, session: ClientSession, url: str, platform: str, workspace: str) -> None:
        self.session, self.url, self.platform, self.workspace = session, url, platform, workspace

    async def _send(self, target: str, message: Message) -> MessageRef:
        key = sending_key.get() or ""
        if self.platform == "discord":
            parts: list[Any] = [
                {"content": r.content, "embeds": [e.to_dict() for e in r.embeds]} for r in render_parts(message)
            ]
        else:
            parts = [{"blocks": part} for part in blocks.message_parts(message)]
        for index, payload in enumerate(parts):
            body = {"outbox": key, "part": index, "workspace": self.workspace, "target": target, "payload": payload}
            if self.platform == "discord":
                body["nonce"] = f"{key}.{index}"
            async with self.session.post(self.url, json=body) as response:
                if response.status == 429:
                    raise RateLimited(float(response.headers.get("Retry-After", "1")))
                if response.status == 400:
                    raise Refused(await response.text())
                response.raise_for_status()
        return MessageRef(target, key)

    async def post(self, space: SpaceRef, message: Message) -> MessageRef:
        return await self._send(space.id, message)

    async def reply(self, thread: MessageRef, message: Message) -> MessageRef:
        return await self._send(thread.encode(), message)

    async def send_dm(self, user_id: str, message: Message) -> MessageRef:
        return await self._send(f"D{user_id}", message)

    async def update(self, ref: MessageRef, message: Message) -> None:
        return None

    async def open_private_space(self, name: str, topic: str, member_ids: Any) -> SpaceRef:
        return SpaceRef(name)

    async def add_member(self, space: SpaceRef, user_id: str) -> None:
        return None

    async def remove_member(self, space: SpaceRef, user_id: str) -> None:
        return None

    async def archive_space(self, space: SpaceRef) -> None:
        return None

    async def open_form(self, trigger: str, user_id: str, form: Form) -> None:
        return None

    async def notify_privately(self, space: SpaceRef, user_id: str, message: Message) -> None:
        await self._send(f"{space.id}:{user_id}", message)


async def worker(args: argparse.Namespace) -> None:
    from bots.bootstrap import PortsByPlatform
    from core.context import Actor
    from core.scheduling.scheduler import Scheduler
    from core.service import CircleService

    logging.basicConfig(level=logging.ERROR, format=f"worker {args.index}: %(levelname)s %(name)s: %(message)s")
    plan = json.loads(sys.stdin.readline())  # the orchestrator hands each worker its plan on stdin
    db = Database(args.url)
    router = PortsByPlatform()
    async with ClientSession(timeout=ClientTimeout(total=10)) as session:
        urls = plan["urls"]
        for platform in (Platform.SLACK, Platform.DISCORD):
            url = urls[platform.value]
            router.register(platform, lambda w, u=url, p=platform.value: WirePort(session, u, p, w.external_id))
        service = CircleService(db, SystemClock(), router.port_for)
        scheduler = Scheduler(
            service,
            lease=timedelta(seconds=8),
            rates={Platform.SLACK: RATE, Platform.DISCORD: RATE},
            max_inline_wait=2.5,
        )
        service.outbox = scheduler.dispatcher  # what bootstrap.connect does, without re-planning after requests
        scheduler.dispatcher.fast_lease = timedelta(seconds=8)
        mine = [r for n, r in enumerate(plan["requests"]) if n % 2 == args.index]
        done = asyncio.Event()

        async def requests() -> None:
            gate = asyncio.Semaphore(6)

            async def one(request: dict[str, Any]) -> None:
                async with gate:
                    actor = Actor(Platform(request["platform"]), request["workspace"], request["user"], "Member")
                    while True:
                        try:
                            await service.run_command(actor, request["text"], key=request["key"])
                            return
                        except Exception:  # the database is away: the member tries again, same key
                            await asyncio.sleep(0.3)

            started = time.monotonic()
            pending = []
            for n, request in enumerate(mine):
                pending.append(asyncio.create_task(one(request)))
                delay = started + n / plan["request_rate"] - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await asyncio.gather(*pending)
            done.set()

        async def dispatching() -> None:
            while True:
                try:
                    await scheduler.dispatcher.tick()
                except Exception as error:
                    print(f"worker {args.index}: tick failed: {error!r}"[:200], file=sys.stderr, flush=True)
                await asyncio.sleep(0.3)

        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        tasks = [asyncio.create_task(requests()), asyncio.create_task(dispatching())]
        await stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    await db.dispose()


# Seeding -------------------------------------------------------------------------------------------------------


def seed(url: str, effects: int, long_texts: bool) -> tuple[dict[str, str], list[dict[str, Any]], int]:
    """Workspaces on both platforms; circles in check-in (posts) and in a round (thread replies); people
    who are asked their time zone by DM (scheduled). Returns workspaces, live requests, scheduled DMs."""
    now = datetime.now(UTC)
    engine = create_engine(sync_url(url))
    Base.metadata.create_all(engine)
    third = effects // 3
    circles = max(2, (third + MEMBERS - 2) // (MEMBERS - 1))
    workspaces = {f"T{w}": "slack" for w in range(2)} | {f"G{w}": "discord" for w in range(2)}
    names = list(workspaces)
    rows: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for w, name in enumerate(names):
        rows[Workspace].append(
            {"id": w + 1, "platform": Platform(workspaces[name]), "external_id": name, "name": name, "created_at": now}
        )
    requests: list[dict[str, Any]] = []
    person_id = 0
    for c in range(2 * circles):
        workspace = c % len(names)
        rounds = c % 2 == 1  # odd circles are in a round: their members reply in its thread
        rows[Circle].append(
            {
                "id": c + 1,
                "workspace_id": workspace + 1,
                "name": f"circle-{c}",
                "format_key": "peer-coaching",
                "mode": Mode.LIVE,
                "status": CircleStatus.ACTIVE,
                "facilitation": Facilitation.ROTATING,
                "space_ref": f"C{c}",
                "created_at": now,
            }
        )
        state = MeetingState.ROUNDS if rounds else MeetingState.CHECK_IN
        rows[Meeting].append(
            {
                "id": c + 1,
                "circle_id": c + 1,
                "number": 1,
                "scheduled_start": now,
                "duration_minutes": 120,
                "state": state,
                "opened_at": now,
                "facilitator_id": person_id + 1,
                "created_at": now,
            }
        )
        for m in range(MEMBERS):
            person_id += 1
            rows[Person].append(
                {
                    "id": person_id,
                    "workspace_id": workspace + 1,
                    "external_id": f"U{person_id}",
                    "display_name": f"Member {person_id}",
                    "timezone": None,
                    "quiet_from": clock_time(0, 0),
                    "quiet_until": clock_time(0, 0),
                    "weekends_quiet": False,
                    "nudges_enabled": True,
                    "created_at": now,
                }
            )
            rows[Membership].append(
                {"circle_id": c + 1, "person_id": person_id, "role": Role.MEMBER, "joined_at": now, "note": ""}
            )
            if m == 0:
                continue
            words = ("x" * (LONG - 40)) if long_texts else "here, with one thing on my mind"
            text = f"/circle {'say' if rounds else 'checkin'} {m}-{c} {words}"
            requests.append(
                {
                    "platform": workspaces[names[workspace]],
                    "workspace": names[workspace],
                    "user": f"U{person_id}",
                    "text": text,
                    "key": f"bench:{c}:{m}",
                }
            )
        if rounds:
            rows[Round].append(
                {
                    "id": c + 1,
                    "meeting_id": c + 1,
                    "number": 1,
                    "issue_holder_id": person_id - MEMBERS + 1,
                    "topic": "an issue",
                    "phase": Phase.CLARIFY,
                    "phase_started_at": now,
                    "thread_ref": f"C{c}/h{c}",
                    "created_at": now,
                }
            )
    scheduled = min(person_id, effects - len(requests))
    for n in range(scheduled):
        pid = n + 1
        rows[DueItem].append(
            {
                "key": f"tz:{pid}",
                "kind": DueKind.TIMEZONE_QUESTION,
                "state": DueState.PENDING,
                "workspace_id": (pid - 1) // MEMBERS % len(names) + 1,
                "person_id": pid,
                "due_at": now,
                "not_before": now + timedelta(seconds=n * 6 / max(1, scheduled)),
                "ordering_key": f"dm:{pid}",
                "payload": {},
                "created_at": now,
            }
        )
    with engine.begin() as conn:
        for model in (Workspace, Person, Circle, Membership, Meeting, Round, DueItem):
            if rows[model]:
                conn.execute(insert(model), rows[model])
    engine.dispose()
    return workspaces, requests, scheduled


# Running one scenario -------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    fault: str  # "", "kill9", "refuse", "stall", "429"
    seconds: float = 0.0
    long_texts: bool = False


async def run(scenario: Scenario, effects: int, request_rate: float) -> dict[str, Any]:
    schema = f"faults_{uuid.uuid4().hex[:10]}"
    admin = create_engine(sync_url(DATABASE.replace("postgresql://", "postgresql+psycopg://", 1)))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    direct = f"{DATABASE}?options=-csearch_path%3D{schema}"
    platforms = Platforms()
    runners = []
    urls = {}
    for name in ("slack", "discord"):
        runner = web.AppRunner(platforms.app(name), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        urls[name] = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/send"  # type: ignore[union-attr]
        runners.append(runner)
    host, port = "127.0.0.1", 5432
    proxy = Proxy((host, port))
    await proxy.start()
    try:
        platforms.workspaces, requests, scheduled = seed(direct, effects, scenario.long_texts)
        plan = json.dumps({"urls": urls, "requests": requests, "request_rate": request_rate})
        via_proxy = f"postgresql://postgres@127.0.0.1:{proxy.port}/test?options=-csearch_path%3D{schema}"
        workers = [await spawn(via_proxy, plan, n) for n in range(2)]
        started = time.monotonic()
        fault_end = started
        expected = len(requests) + scheduled
        killed_at = None
        await asyncio.sleep(1.5)
        if scenario.fault == "kill9":
            workers[0].send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            await workers[0].wait()
            await asyncio.sleep(scenario.seconds)
            workers[0] = await spawn(via_proxy, plan, 0)
            fault_end = time.monotonic()
        elif scenario.fault in ("refuse", "stall"):
            proxy.refuse() if scenario.fault == "refuse" else proxy.stall()
            await asyncio.sleep(scenario.seconds)
            proxy.heal()
            fault_end = time.monotonic()
        elif scenario.fault == "429":
            platforms.always_429_until = time.monotonic() + scenario.seconds
            await asyncio.sleep(scenario.seconds)
            fault_end = time.monotonic()
        deadline = time.monotonic() + DRAIN_LIMIT
        shown = time.monotonic()
        while time.monotonic() < deadline:
            delivered = len({o for _, o, p, _ in platforms.accepted if p == 0})
            if delivered >= expected:
                break
            if time.monotonic() - shown >= 2:
                print(f"    {scenario.name}: {delivered}/{expected} delivered", flush=True)
                shown = time.monotonic()
            await asyncio.sleep(0.25)
        await asyncio.sleep(1.0)  # anything still in flight would show as a duplicate
        for process in workers:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in workers:
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
        fault_end_wall = datetime.now(UTC) - timedelta(seconds=time.monotonic() - fault_end)
        figures, backlog = count(direct, platforms, expected, fault_end_wall)
        last = max((t for _, _, _, t in platforms.accepted), default=fault_end)
        drained = max((t for _, o, _, t in platforms.accepted if o in backlog), default=fault_end)
        figures.update(
            name=scenario.name,
            effects=expected,
            max_calls_per_retry_window=platforms.max_calls_per_window(),
            # from the end of the fault until what was owed by then (the backlog) had all gone out
            recovery_s=round(max(0.0, drained - fault_end), 2) if scenario.fault else 0.0,
            backlog=len(backlog) if scenario.fault else 0,
            all_out_s=round(max(0.0, last - fault_end), 2),
            absorbed_by_nonce=platforms.absorbed,
            seconds=round(last - started, 2),
            killed=killed_at is not None,
        )
        return figures
    finally:
        proxy.server.close()
        for runner in runners:
            await runner.cleanup()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


async def spawn(url: str, plan: str, index: int) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--worker", "--url", url, "--index", str(index), stdin=asyncio.subprocess.PIPE
    )
    assert process.stdin is not None
    process.stdin.write(plan.encode() + b"\n")
    await process.stdin.drain()
    process.stdin.close()
    return process


def count(url: str, platforms: Platforms, expected: int, fault_end: datetime) -> tuple[dict[str, Any], set[int]]:
    """Lost and duplicated, from the fakes' log against what the outbox owed; and the backlog, what was
    owed when the fault ended."""
    engine = create_engine(sync_url(url))
    with engine.connect() as conn:
        rows = conn.execute(
            select(DueItem.id, DueItem.created_at).where(DueItem.kind.in_((DueKind.EFFECT, DueKind.TIMEZONE_QUESTION)))
        ).all()
        owed = {row.id for row in rows}
        backlog = {row.id for row in rows if row.created_at <= fault_end}
        unsettled = conn.execute(
            select(func.count()).where(DueItem.state.in_((DueState.PENDING, DueState.CLAIMED)))
        ).scalar_one()
    engine.dispose()
    seen = Counter((outbox, part) for _, outbox, part, _ in platforms.accepted)
    first_parts = {outbox for outbox, part in seen if part == 0}
    figures = {
        "lost": len(owed - first_parts),
        "duplicated": sum(times - 1 for times in seen.values()),
        "misrouted": platforms.misrouted,
        "refused_by_platform": platforms.refused,
        "owed": len(owed),
        "unsettled_rows": unsettled,
    }
    return figures, backlog


async def main(quick: bool, only: str | None = None) -> None:
    effects = 300 if quick else 3000
    db_fault, limit_fault, down = (3.0, 6.0, 2.0) if quick else (8.0, 30.0, 5.0)
    scenarios = [
        Scenario("kill9", "kill9", down),
        Scenario(f"db_refused_{db_fault:.0f}s", "refuse", db_fault),
        Scenario(f"db_stalled_{db_fault:.0f}s", "stall", db_fault),
        Scenario(f"ratelimit_{limit_fault:.0f}s", "429", limit_fault),
        Scenario("two_platforms", ""),
        Scenario("oversized", "", long_texts=True),
    ]
    scenarios = [s for s in scenarios if only is None or s.name.startswith(only)]
    print(f"faults: {effects} effects per scenario, two workers, PostgreSQL through a proxy (measured under load)")
    header = (
        f"{'scenario':<16}{'owed':>6}{'lost':>6}{'dup':>5}{'misr':>6}{'refused':>8}{'calls/429':>10}{'recovery s':>11}"
    )
    print(header)
    results = []
    for scenario in scenarios:
        figures = await run(scenario, effects, request_rate=200.0)
        results.append(figures)
        print(
            f"{figures['name']:<16}{figures['owed']:>6}{figures['lost']:>6}{figures['duplicated']:>5}"
            f"{figures['misrouted']:>6}{figures['refused_by_platform']:>8}{figures['max_calls_per_retry_window']:>10}"
            f"{figures['recovery_s']:>11.2f}",
            flush=True,
        )
    summary = {
        "lost_total": sum(r["lost"] for r in results),
        "duplicated_total": sum(r["duplicated"] for r in results),
        "misrouted_total": sum(r["misrouted"] for r in results),
        "refused_by_platform_total": sum(r["refused_by_platform"] for r in results),
        "max_calls_per_retry_window": max(r["max_calls_per_retry_window"] for r in results),
        "max_recovery_s": max(r["recovery_s"] for r in results),
        "effects_per_scenario": effects,
        "scenarios": {r["name"]: r for r in results},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", help="run the scenarios whose name starts with this")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        asyncio.run(worker(arguments))
    else:
        asyncio.run(main(arguments.quick, arguments.only))
