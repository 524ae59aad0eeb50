"""`circles run` with a Discord token serves /healthz, /readyz and /metrics on a small server of its
own (CIRCLES_METRICS_PORT), ready once the gateway is connected and the scheduler has ticked."""

from __future__ import annotations

from pathlib import Path

import discord
from aiohttp import ClientSession

from bots import runner
from bots.bootstrap import Settings
from tests.bots.slack.test_operations import free_port, running_until, until_ready
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_spec import DiscordSpec


async def test_discord_mode_answers_the_probes(tmp_path: Path, discord_spec: DiscordSpec) -> None:
    fake = FakeDiscord(spec=discord_spec)
    await fake.start()
    fake.add_guild()
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    port = free_port()
    settings = Settings.from_env(
        {
            "DISCORD_TOKEN": fake.token,
            "DISCORD_API_URL": fake.api_url,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'circles.sqlite3'}",
            "CIRCLES_METRICS_PORT": str(port),
        }
    )

    async def probe() -> None:
        async with ClientSession() as session:
            ready = await until_ready(session, f"http://127.0.0.1:{port}/readyz")
            async with session.get(f"http://127.0.0.1:{port}/healthz") as alive:
                assert alive.status == 200
            async with session.get(f"http://127.0.0.1:{port}/metrics") as metrics:
                exposed = await metrics.text()
        assert ready["checks"] == {"database": "ok", "discord": "ok", "scheduler": "ok"}
        assert (
            'circles_platform_calls_total{method="PUT /applications/{id}/commands",outcome="ok",platform="discord"}'
            in (exposed)
        )

    try:
        await running_until(lambda: runner._run_platforms(settings), probe)
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved
        await fake.stop()
