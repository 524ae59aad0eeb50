"""`run_slack` as `circles run` starts it, against the fake Slack: Socket Mode with SLACK_APP_TOKEN,
else HTTP on CIRCLES_PORT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from pathlib import Path

from aiohttp import ClientSession

from bots.bootstrap import Settings
from bots.slack.app import run_slack
from tests.bots.slack.conftest import SIGNING_SECRET, slack_settings
from tests.fakes.slack_api import FakeSlack, SlackSender


async def test_socket_mode_takes_a_slash_command_and_answers_privately(fake_slack: FakeSlack, tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'run.sqlite3'}",
        slack_bot_token="xoxb-test",
        slack_app_token="xapp-test",
        slack_api_url=fake_slack.api_url,
    )
    running = asyncio.create_task(run_slack(settings))
    try:
        await fake_slack.wait_for(lambda: fake_slack.socket is not None)
        key, response_url = fake_slack.new_response_url()
        command = {
            "team_id": "T1",
            "channel_id": "C0GENERAL",
            "user_id": "U0ANA",
            "user_name": "ana",
            "command": "/circle",
            "text": "new over-the-socket",
            "response_url": response_url,
            "trigger_id": "1.2.abc",
        }
        ack = await fake_slack.send_envelope("slash_commands", command)
        assert set(ack) == {"envelope_id"}  # acked, with nothing to show yet
        await fake_slack.wait_for(lambda: bool(fake_slack.responses[key]))
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert "is set up" in fake_slack.response_texts(key)[0]
    assert fake_slack.channel_named("circle-over-the-socket").is_private
    assert [c.token for c in fake_slack.calls_to("apps.connections.open")] == ["xapp-test"]
    assert fake_slack.violations == []


class Announced(logging.Handler):
    """Sets `ready` when the app logs that it listens: waiting on the event, not on the clock."""

    def __init__(self) -> None:
        super().__init__()
        self.ready = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Slack: listening"):
            self.ready.set()


async def test_http_mode_listens_on_the_configured_port_and_checks_signatures(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    with socket.socket() as probe:  # a free port for CIRCLES_PORT
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = slack_settings(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'run.sqlite3'}").replaced(port=port)
    announced = Announced()
    logging.getLogger("bots.slack.app").addHandler(announced)
    logging.getLogger("bots.slack.app").setLevel(logging.INFO)
    running = asyncio.create_task(run_slack(settings))
    try:
        async with asyncio.timeout(30):
            await announced.ready.wait()
        async with ClientSession() as session:
            sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, fake_slack, session)
            forged, _ = await sender.command("U0ANA", "help", signature="v0=forged")
            sent, key = await sender.command("U0ANA", "help")
            await fake_slack.wait_for(lambda: bool(fake_slack.responses[key]))
    finally:
        logging.getLogger("bots.slack.app").removeHandler(announced)
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert (forged.status, sent.status) == (401, 200)
    assert "/circle new NAME" in fake_slack.response_texts(key)[0]
