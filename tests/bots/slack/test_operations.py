"""Health and metrics in Slack's two modes, against the fake Slack: HTTP mode answers the probes on
its own port; Socket Mode has a small server of its own on CIRCLES_METRICS_PORT; a command through
the fake is counted, and so are the Web API calls it makes and a 429 Slack answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import ClientSession
from prometheus_client import REGISTRY

from bots import runner
from bots.bootstrap import Settings
from bots.slack.app import run_slack
from bots.slack.observed import api_method
from tests.bots.slack.conftest import SIGNING_SECRET, slack_settings
from tests.bots.slack.test_run import Announced
from tests.fakes.slack_api import FakeSlack, SlackSender


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def until_ready(session: ClientSession, url: str) -> dict[str, Any]:
    """Asks /readyz until it says ready (the first scheduler tick runs as the app starts); a
    safety timeout, not a timing assumption."""
    async with asyncio.timeout(20):
        while True:
            with contextlib.suppress(OSError):
                async with session.get(url) as answer:
                    body: dict[str, Any] = await answer.json()
                    if answer.status == 200:
                        return body
            await asyncio.sleep(0.05)


async def running_until(task: Callable[[], Awaitable[None]], body: Callable[[], Awaitable[None]]) -> None:
    started = asyncio.create_task(task())
    try:
        await body()
    finally:
        started.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await started


def test_api_methods_are_named_without_ids_or_query() -> None:
    assert api_method("https://slack.com/api/chat.postMessage?x=1") == "chat.postMessage"
    assert api_method("http://127.0.0.1:5/api/conversations.create") == "conversations.create"
    assert api_method("https://hooks.slack.com/actions/T1/123/abc") == "response_url"


async def test_http_mode_serves_probes_and_counts_requests_and_calls(fake_slack: FakeSlack, tmp_path: Path) -> None:
    port = free_port()
    settings = slack_settings(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'run.sqlite3'}").replaced(port=port)
    announced = Announced()
    logging.getLogger("bots.slack.app").addHandler(announced)
    logging.getLogger("bots.slack.app").setLevel(logging.INFO)
    base = f"http://127.0.0.1:{port}"
    commands = sample("circles_requests_total", kind="command", outcome="ok")
    creates = sample("circles_platform_calls_total", platform="slack", method="conversations.create", outcome="ok")
    limited = sample("circles_platform_rate_limited_total", platform="slack", method="conversations.create")
    fake_slack.rate_limit("conversations.create", times=1, retry_after=0)

    async def probe() -> None:
        async with asyncio.timeout(30):
            await announced.ready.wait()
        async with ClientSession() as session:
            async with session.get(f"{base}/healthz") as alive:
                assert alive.status == 200
            ready = await until_ready(session, f"{base}/readyz")
            assert ready["checks"] == {"database": "ok", "scheduler": "ok"}
            sender = SlackSender(f"{base}/slack/events", SIGNING_SECRET, fake_slack, session)
            sent, key = await sender.command("U0ANA", "new counted-circle")
            assert sent.status == 200
            await fake_slack.wait_for(lambda: bool(fake_slack.responses[key]))
            async with session.get(f"{base}/metrics") as metrics:
                assert metrics.status == 200
                assert "circles_platform_calls_total" in await metrics.text()

    try:
        await running_until(lambda: run_slack(settings), probe)
    finally:
        logging.getLogger("bots.slack.app").removeHandler(announced)
    assert sample("circles_requests_total", kind="command", outcome="ok") == commands + 1
    assert (
        sample("circles_platform_calls_total", platform="slack", method="conversations.create", outcome="ok")
        == creates + 1
    )
    assert sample("circles_platform_rate_limited_total", platform="slack", method="conversations.create") == limited + 1


async def test_socket_mode_has_a_probe_server_of_its_own(fake_slack: FakeSlack, tmp_path: Path) -> None:
    metrics_port = free_port()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'run.sqlite3'}",
        slack_bot_token="xoxb-test",
        slack_app_token="xapp-test",
        slack_api_url=fake_slack.api_url,
        metrics_port=metrics_port,
    )

    async def probe() -> None:
        await fake_slack.wait_for(lambda: fake_slack.socket is not None)
        async with ClientSession() as session:
            ready = await until_ready(session, f"http://127.0.0.1:{metrics_port}/readyz")
            async with session.get(f"http://127.0.0.1:{metrics_port}/metrics") as metrics:
                assert metrics.status == 200
                assert "circles_scheduler_ticks_total" in await metrics.text()
        assert ready == {"ready": True, "checks": {"database": "ok", "slack": "ok", "scheduler": "ok"}}

    await running_until(lambda: runner._run_platforms(settings), probe)
