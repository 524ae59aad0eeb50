"""`circles run`: Slack and/or Discord when their tokens are set, else the local playground."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from bots.bootstrap import App, Settings, running
from bots.operations.logs import configure_logging
from bots.operations.server import operations_server


def main(argv: Sequence[str], demo: bool = False, settings: Settings | None = None) -> int:
    command = "demo" if demo else "run"
    options = _parser(command).parse_args(list(argv))  # --help prints usage; an unknown flag exits 2
    settings = settings or Settings.from_env()
    settings = settings.model_copy(
        update={"port": options.port or settings.port, "host": options.host or settings.host}
    )
    configure_logging(settings)
    if settings.wants_slack or settings.wants_discord:
        return asyncio.run(_run_platforms(settings))
    from bots.playground.server import serve

    return serve(settings, port=settings.port, demo=demo or options.demo)


def _parser(command: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"circles {command}",
        description=(
            "Runs Peer Circles: on Slack and/or Discord when their tokens are set (SLACK_BOT_TOKEN, "
            "DISCORD_TOKEN, …), else the local playground in your browser, on the SQLite file in var/."
        ),
        epilog="Every setting can also come from the environment or a .env file; see the README's Settings table.",
    )
    parser.add_argument("--port", type=_port, default=None, help="port to listen on (default CIRCLES_PORT, else 8000)")
    parser.add_argument(
        "--host", default=None, help="address to listen on (default CIRCLES_HOST, else 127.0.0.1: this machine only)"
    )
    parser.add_argument("--demo", action="store_true", help="seed the demo programme again (the playground only)")
    return parser


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535 (got '{text}')")
    return int(text)


async def _run_platforms(settings: Settings) -> int:
    """Slack and Discord share one service and one scheduler, so each reminder is sent once."""
    async with running(settings, None, None) as (app, platforms), _operations(settings, app):
        tasks = []
        if settings.wants_slack:
            from bots.slack.app import run_slack

            tasks.append(run_slack(settings, app, platforms))
        if settings.wants_discord:
            from bots.discord.client import run_discord

            tasks.append(run_discord(settings, app, platforms))
        await asyncio.gather(*tasks)
    return 0


@asynccontextmanager
async def _operations(settings: Settings, app: App) -> AsyncIterator[None]:
    """/healthz, /readyz and /metrics on a server of their own, on CIRCLES_METRICS_PORT (default
    CIRCLES_PORT), unless Slack's HTTP mode serves them on its port already."""
    port = settings.metrics_port or settings.port
    if app.health is None or (settings.slack_http_mode and port == settings.port):
        yield
        return
    async with operations_server(app.health, app.clock.now, settings.host, port):
        yield
