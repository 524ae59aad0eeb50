"""Slack ack latency: how fast `/circle status` is acknowledged, beside a bare Bolt app that only acks.

    python benchmarks/slack_ack.py [--quick] [--requests N] [--workers N]

Both apps are real Bolt AsyncApps behind aiohttp on 127.0.0.1, with the same Bolt settings, in this
process. A child process plays Slack: it sends the same signed slash-command requests over HTTP, at
1 and at 10 in flight, and answers the Web API and response_urls as the fake Slack of the tests.
Ours acks and then runs the command through the core (SQLite) and answers on the response_url; that
work shares the event loop with the acks, which is the point of measuring. Bare and ours take turns
in several slices so that drift on a shared machine touches both alike. The ratio is p99(ours) /
p99(bare) at 10 in flight; the target is at most 1.5. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp

from bots.bootstrap import Settings, assemble
from bots.slack.app import WORKERS, SlackAdapter, build_slack_adapter, slack_web_app
from bots.slack.port import SlackPorts
from core.clock import SystemClock
from core.db import Database
from core.models import Base

SECRET = "bench-signing-secret"
TOKEN = "xoxb-test"
USERS = [("U0ANA", "Ana"), ("U0BEN", "Ben"), ("U0CHIDI", "Chidi"), ("U0DANA", "Dana"), ("U0EERO", "Eero")]
SLICES = 4
REPO = Path(__file__).resolve().parents[1]

# Slack's side, in a child process: the fake Web API, and a load generator driven over stdin.
SLACK_CHILD = """
import asyncio, json, sys, time
sys.path.insert(0, sys.argv[1])
from aiohttp import ClientSession, TCPConnector
from tests.fakes.slack_api import FakeSlack, SlackSender

USERS = json.loads(sys.argv[2])

class AnyKey(dict):
    def __contains__(self, key):
        return True
    def __missing__(self, key):
        self[key] = []
        return self[key]

async def load(sender, requests, in_flight):
    latencies = []
    numbers = iter(range(requests))
    async def worker():
        for n in numbers:  # the circle's members take turns, as several people would
            sent, _ = await sender.command(USERS[n % len(USERS)][0], "status", channel="C0GENERAL")
            if sent.status != 200:
                raise RuntimeError(f"HTTP {sent.status} {sent.body[:200]}")
            latencies.append(sent.elapsed * 1000)
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return latencies, time.perf_counter() - started

async def main():
    slack = FakeSlack()
    await slack.start()
    for user, name in USERS:
        slack.add_user(user, name)
    print(slack.url, flush=True)
    loop = asyncio.get_running_loop()
    async with ClientSession(connector=TCPConnector(limit=0)) as session:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            order = json.loads(line)
            slack.responses = AnyKey()
            slack.calls.clear()
            sender = SlackSender(order["url"], order["secret"], slack, session)
            if order.get("commands"):
                for text in order["commands"]:
                    await sender.command("U0ANA", text)
                print(json.dumps({"ok": True}), flush=True)
                continue
            latencies, elapsed = await load(sender, order["requests"], order["in_flight"])
            print(json.dumps({"latencies": latencies, "elapsed": elapsed}), flush=True)

asyncio.run(main())
"""


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Slack:
    """The child process: `await slack.ask({...})` sends one order and reads one JSON answer."""

    def __init__(self, process: asyncio.subprocess.Process, url: str) -> None:
        self.process = process
        self.url = url

    @classmethod
    async def start(cls) -> Slack:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            SLACK_CHILD,
            str(REPO),
            json.dumps(USERS),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**24,
        )
        assert process.stdout is not None
        return cls(process, (await process.stdout.readline()).decode().strip())

    async def ask(self, order: dict[str, object]) -> dict[str, object]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write((json.dumps(order) + "\n").encode())
        await self.process.stdin.drain()
        answer: dict[str, object] = json.loads(await self.process.stdout.readline())
        return answer

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        await self.process.wait()


async def serve(web_app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/slack/events"


def bare_app(api_url: str) -> AsyncApp:
    """The baseline: the same Bolt settings as ours, and a /circle listener that only acks."""
    app = AsyncApp(
        client=SlackPorts(api_url, TOKEN).client(TOKEN),
        signing_secret=SECRET,
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )

    @app.command("/circle")
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    return app


async def main(argv: Sequence[str]) -> dict[str, float | int]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, same code path (< 60 s)")
    parser.add_argument("--requests", type=int, default=0, help="requests per app and level of concurrency")
    parser.add_argument("--workers", type=int, default=WORKERS, help="requests in the core at once (ours)")
    args = parser.parse_args(argv)
    requests = args.requests or (400 if args.quick else 2000)
    slice_size = max(1, requests // SLICES)
    slack = await Slack.start()
    api_url = slack.url + "api/"

    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/bench.sqlite3")
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        settings = Settings(
            database_url=db.url, slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url=api_url
        )
        ports = SlackPorts(api_url, TOKEN)
        clock = SystemClock()
        adapter: SlackAdapter = build_slack_adapter(
            assemble(settings, db, clock, ports.port_for), settings, ports, args.workers
        )
        ours_runner, ours_url = await serve(slack_web_app(adapter.bolt))
        bare_runner, bare_url = await serve(slack_web_app(bare_app(api_url)))
        members = " ".join(f"<@{user}|{name.lower()}>" for user, name in USERS[1:])
        await slack.ask({"url": ours_url, "secret": SECRET, "commands": ["new bench", f"add {members}", "start"]})
        await adapter.background.drain()
        for url in (bare_url, ours_url):  # warm up: auth.test, users.info, connection pools
            await slack.ask({"url": url, "secret": SECRET, "requests": 100, "in_flight": 10})
            await adapter.background.drain()

        print(f"{'app':<6}{'in flight':>10}{'requests':>10}{'p50 ms':>9}{'p99 ms':>9}{'acks/s':>9}{'done/s':>9}")
        figures: dict[str, float | int] = {"requests": slice_size * SLICES, "workers": args.workers}
        for in_flight in (1, 10):
            latencies: dict[str, list[float]] = {"bare": [], "ours": []}
            busy: dict[str, float] = {"bare": 0.0, "ours": 0.0}
            drained = 0.0
            for _ in range(SLICES):
                for label, url in (("bare", bare_url), ("ours", ours_url)):
                    answer = await slack.ask(
                        {"url": url, "secret": SECRET, "requests": slice_size, "in_flight": in_flight}
                    )
                    latencies[label].extend(answer["latencies"])  # type: ignore[arg-type]
                    busy[label] += float(answer["elapsed"])  # type: ignore[arg-type]
                    started = time.perf_counter()
                    await adapter.background.drain()
                    if label == "ours":
                        drained += time.perf_counter() - started
            for label in ("bare", "ours"):
                values = latencies[label]
                acks = len(values) / busy[label]
                done = len(values) / (busy[label] + (drained if label == "ours" else 0.0))
                p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
                print(f"{label:<6}{in_flight:>10}{len(values):>10}{p50:>9.2f}{p99:>9.2f}{acks:>9.0f}{done:>9.0f}")
                prefix = "" if label == "ours" else "bare_"
                suffix = "" if in_flight == 10 else "_1"
                figures[f"{prefix}p50_ms{suffix}"] = round(p50, 3)
                figures[f"{prefix}p99_ms{suffix}"] = round(p99, 3)
                figures[f"{prefix}acks_per_s{suffix}"] = round(acks, 1)
                if label == "ours":
                    figures[f"completed_per_s{suffix}"] = round(done, 1)
            figures["p99_ratio" + ("" if in_flight == 10 else "_1")] = round(
                percentile(latencies["ours"], 0.99) / percentile(latencies["bare"], 0.99), 3
            )
        await ours_runner.cleanup()
        await bare_runner.cleanup()
        await db.dispose()
    await slack.stop()

    ratio, ratio_1 = figures["p99_ratio"], figures["p99_ratio_1"]
    print(f"\np99 ratio at 10 in flight: {ratio:.2f} (target <= 1.5); at 1 in flight: {ratio_1:.2f}")
    print(f"/circle status fully handled (core + answer): {figures['completed_per_s']:.0f}/s at 10 in flight")
    return figures


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1:]))))
