"""Slack and Discord in one process, as `circles run` offers with both tokens set: one service, one
scheduler, one port router built in bootstrap. Every message and every due item reaches the
platform of its own workspace, through the real slack_sdk and discord.py clients and the fakes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import discord
import pytest

from bots.bootstrap import App, PortsByPlatform, Settings, assemble
from bots.discord.client import CirclesBot, point_at
from bots.slack.app import build_slack_adapter
from bots.slack.port import SlackPorts
from core.clock import ManualClock
from core.context import Actor
from core.db import Database
from core.vocabulary import Platform
from tests.conftest import START
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.members import accepts_invitations
from tests.fakes.slack_api import FakeSlack

MEETING = START + timedelta(days=3, hours=1)


@dataclass
class Both:
    app: App
    slack: FakeSlack
    discord: FakeDiscord
    bot: CirclesBot
    guild: int
    router: PortsByPlatform

    async def says(self, actor: Actor, text: str) -> str:
        return (await self.app.service.run_command(actor, text)).message.plain_text


@pytest.fixture
async def both(db: Database, clock: ManualClock) -> AsyncIterator[Both]:
    slack, fake_discord = FakeSlack(), FakeDiscord()
    await slack.start()
    await fake_discord.start()
    old_base, old_gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    point_at(fake_discord.api_url, fake_discord.gateway_url)
    for user, name in (("U0ANA", "Ana"), ("U0BEN", "Ben")):
        slack.add_user(user, name, "UTC")
    settings = Settings(
        database_url=db.url, slack_bot_token="xoxb-test", slack_signing_secret="secret", slack_api_url=slack.api_url
    )
    router = PortsByPlatform()
    app = assemble(settings, db, clock, router.port_for)
    slack_ports = SlackPorts(settings.slack_api_url, settings.slack_bot_token)
    router.register(Platform.SLACK, slack_ports.port_for)
    build_slack_adapter(app, settings, slack_ports)
    bot = CirclesBot(app.service, guild_ready_timeout=0.01)
    router.register(Platform.DISCORD, bot.port_for)
    await bot.login(fake_discord.token)
    connection = asyncio.create_task(bot.connect(reconnect=False))
    await asyncio.wait_for(bot.wait_until_ready(), 10)
    guild = fake_discord.add_guild()
    try:
        yield Both(app, slack, fake_discord, bot, guild, router)
    finally:
        await bot.close()
        await connection
        await fake_discord.stop()
        await slack.close()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway


async def test_each_platform_gets_its_own_messages_and_due_items(both: Both, clock: ManualClock) -> None:
    assert both.app.service.port_for == both.router.port_for  # the router, never replaced by an adapter
    ana, ben = (Actor(Platform.SLACK, "T1", user, name) for user, name in (("U0ANA", "Ana"), ("U0BEN", "Ben")))
    dina, eli = (both.discord.add_person(both.guild, name) for name in ("dina", "eli"))
    d_lead, d_member = (Actor(Platform.DISCORD, str(both.guild), str(p.id), p.username) for p in (dina, eli))
    for actor in (ana, ben, d_lead, d_member):
        await both.says(actor, "/circle timezone UTC")
    await both.says(ana, "/circle new slack-team")
    await both.says(ana, "/circle add <@U0BEN>")
    await accepts_invitations(both.app.service, ben)
    await both.says(d_lead, "/circle new discord-team")
    await both.says(d_lead, f"/circle add <@{eli.id}>")
    await accepts_invitations(both.app.service, d_member)
    for lead in (ana, d_lead):
        assert "scheduled" in await both.says(lead, f"/circle schedule {MEETING:%Y-%m-%d %H:%M} tz=UTC")

    slack_channels = {c.name for c in both.slack.channels.values() if c.dm_user is None}
    discord_channels = {c["name"] for c in both.discord.channels.values() if c.get("guild_id") == str(both.guild)}
    assert "circle-slack-team" in slack_channels
    assert not any("discord-team" in n for n in slack_channels)
    assert "discord-team" in discord_channels
    assert not any("slack-team" in n for n in discord_channels)
    assert both.slack.refusals == []
    assert both.discord.refusals == []

    clock.set(MEETING - timedelta(hours=24))
    assert await both.app.scheduler.tick() > 0
    slack_dms = {user: [m.text for m in both.slack.dms_to(user)] for user in ("U0ANA", "U0BEN")}
    assert all(any("reminder" in t.lower() or "meeting" in t.lower() for t in texts) for texts in slack_dms.values())
    discord_dm_to = {
        int(c["recipients"][0]["id"])
        for c in both.discord.channels.values()
        if c["type"] == 1 and both.discord.in_channel(int(c["id"]))
    }
    assert discord_dm_to == {dina.id, eli.id}
    every_slack_text = " ".join(m.all_text for m in both.slack.messages.values())
    assert "discord-team" not in every_slack_text
    every_discord_text = " ".join(
        m["content"] + "".join(e.get("description", "") for e in m["embeds"])
        for messages in both.discord.messages.values()
        for m in messages
    )
    assert "slack-team" not in every_discord_text
