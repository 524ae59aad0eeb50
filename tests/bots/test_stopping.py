"""`circles run` as a process: SIGTERM stops it taking work, lets what it acknowledged finish, and it
exits cleanly within a few seconds."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession

from tests.bots.slack.conftest import SIGNING_SECRET
from tests.fakes.slack_api import FakeSlack, SlackSender

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    await slack.start()
    slack.add_user("U0ANA", "Ana", "Europe/Lisbon")
    yield slack
    await slack.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_sigterm_finishes_acknowledged_work_and_exits_within_seconds(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
        "CIRCLES_HOST": "127.0.0.1",
        "CIRCLES_PORT": str(port),
    }
    for name in ("SLACK_APP_TOKEN", "DISCORD_TOKEN", "SLACK_CLIENT_ID"):
        env.pop(name, None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from bots.runner import main; sys.exit(main([]))",
        cwd=ROOT,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    log: list[str] = []
    try:
        async with asyncio.timeout(60):  # a safety net, not a timing: we wait for the line itself
            while not any("Slack: listening" in line for line in log):
                log.append((await process.stderr.readline()).decode())
        async with ClientSession() as session:
            sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, fake_slack, session)
            sent, key = await sender.command("U0ANA", "new before-the-signal")
            assert sent.status == 200  # acknowledged
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            rest = (await process.stderr.read()).decode()
            code = await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert code == 0, "".join(log) + rest
    assert "stopping: no new work taken" in rest
    assert "is set up" in fake_slack.response_texts(key)[0]  # the acknowledged command was finished
    assert fake_slack.channel_named("circle-before-the-signal").is_private
