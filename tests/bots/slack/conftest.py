"""A running Slack adapter wired to a fake Slack over real HTTP: the app listens on 127.0.0.1:0,
Slack's side is `SlackSender` (signed requests), the Web API is `FakeSlack`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientSession, web

from bots.bootstrap import Settings, assemble
from bots.slack.app import SlackAdapter, build_slack_adapter, slack_web_app
from bots.slack.blocks import Json, core_action
from bots.slack.port import SlackPorts
from core.clock import ManualClock
from core.db import Database
from core.membership import MembershipAction
from tests.fakes.slack_api import Channel, FakeSlack, Posted, Sent, SlackSender

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

    async def says(self, user: str, text: str, channel: str = "C0GENERAL") -> str:
        """`/circle TEXT` from `user`; returns what only they were told."""
        sent, key = await self.sender.command(user, text, channel)
        assert sent.status == 200, sent.body
        await self.settle()
        return "\n".join(self.slack.response_texts(key))

    async def welcome(self, lead: str, users: list[str], options: str = "") -> str:
        """The lead invites these people (`/circle add`) and each presses Accept in the DM it sent them."""
        mentions = " ".join(f"<@{user}|{user.lower()}>" for user in users)
        told = await self.says(lead, f"add {mentions} {options}".strip())
        for user in users:
            await self.presses(user, MembershipAction.ACCEPT)
        return told

    def button(self, action_id: str, value: str | None = None) -> tuple[Json, Posted]:
        """The newest button with this action (and value) in anything the bot posted."""
        for posted in reversed(list(self.slack.messages.values())):
            for block in posted.blocks:
                for element in block.get("elements", []):
                    if core_action(element.get("action_id", "")) == action_id and value in (None, element["value"]):
                        return element, posted
        raise AssertionError(f"no {action_id} button was posted")

    async def presses(self, user: str, action_id: str, value: str | None = None) -> str:
        element, posted = self.button(action_id, value)
        sent, key = await self.sender.press(user, element, posted.channel, posted.ts)
        assert sent.status == 200, sent.body
        await self.settle()
        return "\n".join(self.slack.response_texts(key))

    async def fills_in(self, user: str, values: dict[str, str]) -> Sent:
        """Submits the modal most recently opened for anyone, as `user`."""
        sent = await self.sender.submit(user, self.slack.views[-1], values)
        await self.settle()
        return sent

    async def replies(self, user: str, thread: Posted, text: str, **kwargs: Any) -> Sent:
        sent = await self.sender.thread_reply(user, thread.channel, thread.ts, text, **kwargs)
        assert sent.status == 200, sent.body
        await self.settle()
        return sent

    def circle_channel(self) -> Channel:
        channels = self.slack.private_channels()
        assert len(channels) == 1, channels
        return channels[0]

    def round_thread(self, number: int = 1) -> Posted:
        channel = self.circle_channel()
        return next(
            m
            for m in self.slack.in_channel(channel.id)
            if m.thread_ts is None and m.text.startswith(f"Round {number}:")
        )


@pytest.fixture
async def running(fake_slack: FakeSlack, db: Database, clock: ManualClock) -> AsyncIterator[Running]:
    settings = slack_settings(fake_slack, db.url)
    ports = SlackPorts(settings.slack_api_url, settings.slack_bot_token)
    app = assemble(settings, db, clock, ports.port_for)
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
