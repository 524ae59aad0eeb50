"""`circles run` with a Discord token: the settings' URLs are honoured and the client comes up with
the fewest intents, its /circle command registered."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import discord

from bots.bootstrap import Settings
from bots.discord.client import run_discord
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_spec import DiscordSpec


async def test_run_discord_connects_where_the_settings_say(tmp_path: Path, discord_spec: DiscordSpec) -> None:
    fake = FakeDiscord(spec=discord_spec)
    await fake.start()
    fake.add_guild()
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    settings = Settings.from_env(
        {
            "DISCORD_TOKEN": fake.token,
            "DISCORD_API_URL": fake.api_url,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'circles.sqlite3'}",
        }
    )
    running = asyncio.create_task(run_discord(settings))
    try:
        await fake.until(lambda: fake.identified or running.done(), within=30)
        assert not running.done(), running
        assert fake.identified[0]["intents"] == discord.Intents(guilds=True).value
        assert fake.identified[0]["token"] == fake.token
        assert [c["name"] for c in fake.commands] == ["circle"]
        assert len(fake.commands[0]["options"]) == 25  # Discord's most subcommands in a group
        assert (tmp_path / "circles.sqlite3").exists()  # migrated before connecting
        assert fake.violations == []
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved
        await fake.stop()
