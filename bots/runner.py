"""`circles run`: Slack and/or Discord when their tokens are set, else the local playground."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Coroutine, Sequence
from typing import Any

from bots.bootstrap import Settings, running
from bots.cli import parse_port


def main(argv: Sequence[str], demo: bool = False) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it would log every 20 s wake-up
    settings = Settings.from_env()
    port = parse_port(argv, settings.port)
    if settings.wants_slack or settings.wants_discord:
        return asyncio.run(_run_platforms(settings))
    from bots.playground.server import serve

    return serve(settings, port=port, demo=demo or "--demo" in argv)


async def _run_platforms(settings: Settings) -> int:
    """Slack and Discord share one service and one scheduler, so each reminder is sent once. SIGTERM
    or SIGINT stops taking work; what was acknowledged finishes or stays in the outbox."""
    async with running(settings, None, None) as (app, platforms):
        tasks: list[Coroutine[Any, Any, None]] = []
        if settings.wants_slack:
            from bots.slack.app import run_slack

            tasks.append(run_slack(settings, app, platforms))
        if settings.wants_discord:
            from bots.discord.client import run_discord

            tasks.append(run_discord(settings, app, platforms))
        work = asyncio.gather(*tasks)
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, work.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await work
        logging.getLogger(__name__).info("stopping: no new work taken; finishing what was acknowledged")
    return 0
