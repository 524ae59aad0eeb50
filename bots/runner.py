"""`circles run`: Slack and/or Discord when their tokens are set, else the local playground."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bots.bootstrap import App, Settings, running
from bots.operations.logs import configure_logging
from bots.operations.server import operations_server
from bots.settings import SettingsError
from core.privacy import logs

ADDRESS = re.compile(r"\('([^']*)', (\d+)")  # asyncio names the address: "bind on address ('127.0.0.1', 8000)"


def main(argv: Sequence[str], demo: bool = False, settings: Settings | None = None) -> int:
    command = "demo" if demo else "run"
    try:
        options = _parser(command).parse_args(list(argv))
    except SystemExit as stop:  # --help printed the usage (0); an unknown flag or a bad value (2)
        return int(stop.code or 0)
    settings = settings or Settings.from_env()
    given = {"port": options.port, "host": options.host}
    try:
        settings = settings.replaced(**{name: value for name, value in given.items() if value is not None})
    except SettingsError as error:
        for line in error.problems:
            print(f"circles {command}: {line}", file=sys.stderr)
        return 2
    configure_logging(settings)
    logs.install()  # exceptions' messages (which may quote member text) never reach a log
    try:
        if settings.wants_slack or settings.wants_discord:
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C or systemd's SIGINT: a clean stop
                return asyncio.run(_run_platforms(settings))
            return 0
        from bots.playground.server import serve

        return serve(settings, port=settings.port, demo=demo or options.demo)
    except OSError as error:
        problem = cannot_listen(error, settings)
        if problem is None:
            raise
        print(f"circles: {problem}", file=sys.stderr)
        return 1


def cannot_listen(error: OSError, settings: Settings) -> str | None:
    """One line for a server that could not listen (the port taken, or not ours to take); None
    for any other failure, which keeps its traceback."""
    found = ADDRESS.search(str(error))
    host, port = (found.group(1), int(found.group(2))) if found else (settings.host, settings.port)
    option = "--port" if port == settings.port else "CIRCLES_METRICS_PORT"
    if error.errno == errno.EADDRINUSE:
        free = free_port_near(host, port)
        suggestion = f"; try {option} {free}" if free else f"; choose another with {option}"
        return f"port {port} on {host} is already in use (is Peer Circles already running?){suggestion}"
    if error.errno == errno.EACCES:
        return f"not allowed to listen on port {port} (ports below 1024 need extra rights); try {option} 8000"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host}: this machine has no such address (CIRCLES_HOST or --host)"
    return None


def free_port_near(host: str, port: int, tries: int = 20) -> int | None:
    for candidate in range(port + 1, min(port + 1 + tries, 65536)):
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            try:
                probe.bind((host, candidate))
            except OSError:
                continue
            return candidate
    return None


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
    """Slack and Discord share one service and one scheduler, so each reminder is sent once. SIGTERM
    or SIGINT stops taking work; what was acknowledged finishes or stays in the outbox."""
    async with running(settings, None, None) as (app, platforms), _operations(settings, app):
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
