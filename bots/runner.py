"""`circles run`: Slack and/or Discord when their tokens are set, else the local playground."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bots.bootstrap import Settings, running
from bots.cli import parse_port
from core.privacy import logs


def main(argv: Sequence[str], demo: bool = False) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logs.install()  # exceptions' messages (which may quote member text) never reach a log
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it would log every 20 s wake-up
    settings = Settings.from_env()
    port = parse_port(argv, settings.port)
    if settings.wants_slack or settings.wants_discord:
        return asyncio.run(_run_platforms(settings))
    from bots.playground.server import serve

    return serve(settings, port=port, demo=demo or "--demo" in argv)


async def _run_platforms(settings: Settings) -> int:
    """Slack and Discord share one service and one scheduler, so each reminder is sent once."""
    async with running(settings, None, None) as (app, platforms):
        tasks = []
        if settings.wants_slack:
            from bots.slack.app import run_slack

            tasks.append(run_slack(settings, app, platforms))
        if settings.wants_discord:
            from bots.discord.client import run_discord

            tasks.append(run_discord(settings, app, platforms))
        await asyncio.gather(*tasks)
    return 0
