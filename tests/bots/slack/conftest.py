"""A running Slack adapter wired to a fake Slack over real HTTP: the app listens on 127.0.0.1:0,
Slack's side is `SlackSender` (signed requests), the Web API is `FakeSlack`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import ClientSession, web

from bots.bootstrap import App, Settings
from bots.slack.app import SlackAdapter, build_slack_adapter, slack_web_app
from bots.slack.port import SlackPorts
from core.clock import ManualClock
from core.db import Database
from core.service import CircleService
from tests.fakes.slack_api import FakeSlack, SlackSender

SIGNING_SECRET = "test-signing-secret"
PEOPLE = [
    ("U0ANA", "Ana", "Europe/Lisbon"),
    ("U0BEN", "Ben", "America/New_York"),
    ("U0CHIDI", "Chidi", "Africa/Lagos"),
    ("U0DANA", "Dana", "Asia/Tokyo"),
    ("U0EERO", "Eero", "Europe/Helsinki"),
    ("U0FATIMA", "Fatima", "Europe/Berlin"),
]


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    await slack.start()
    for user_id, name, tz in PEOPLE:
        slack.add_user(user_id, name, tz)
    yield slack
    await slack.close()


def slack_settings(slack: FakeSlack, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        slack_bot_token="xoxb-test",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
    )


@dataclass
class Running:
    adapter: SlackAdapter
    slack: FakeSlack
    sender: SlackSender
    db: Database
    clock: ManualClock

    async def settle(self) -> None:
        """Waits for the work the app does after each ack (no sleeping: the tasks themselves)."""
        await self.adapter.background.drain()


@pytest.fixture
async def running(fake_slack: FakeSlack, db: Database, clock: ManualClock) -> AsyncIterator[Running]:
    settings = slack_settings(fake_slack, db.url)
    ports = SlackPorts(settings.slack_api_url, settings.slack_bot_token)
    app = App(settings, db, clock, CircleService(db, clock, ports.port_for))
    adapter = build_slack_adapter(app, settings, ports)
    runner = web.AppRunner(slack_web_app(adapter.bolt), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    async with ClientSession() as session:
        sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, fake_slack, session)
        yield Running(adapter, fake_slack, sender, db, clock)
        await adapter.background.drain()
    await runner.cleanup()
