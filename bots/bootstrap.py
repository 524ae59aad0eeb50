"""Builds the running application in one place: settings, database, clock and service.

Nothing is built at import time; tests call `build()` with their own settings, clock and ports.

The app's scheduler (reminders, check-ins, nudges, async phase deadlines) is built here but not
started: whoever runs the event loop calls `app.scheduler.start()` once the loop runs and
`app.scheduler.stop()` on shutdown. Several processes may run it against one PostgreSQL database;
on SQLite run one.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from core.clock import Clock, SystemClock
from core.db import Database, database_url, migrate
from core.models import Workspace
from core.port import ChatPort
from core.scheduling.scheduler import Scheduler
from core.service import CircleService, PortFor
from core.vocabulary import Platform


@dataclass(frozen=True)
class Settings:
    """Everything read from the environment, read once."""

    database_url: str
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_api_url: str | None = None
    discord_token: str | None = None
    discord_api_url: str | None = None
    discord_gateway_url: str | None = None
    discord_message_content: bool = False  # read round-thread replies: needs the privileged intent
    host: str = "127.0.0.1"
    port: int = 8000
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ) if env is None else env
        return cls(
            database_url=database_url(env),
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_client_id=env.get("SLACK_CLIENT_ID") or None,
            slack_client_secret=env.get("SLACK_CLIENT_SECRET") or None,
            slack_api_url=env.get("SLACK_API_URL") or None,
            discord_token=env.get("DISCORD_TOKEN") or None,
            discord_api_url=env.get("DISCORD_API_URL") or None,
            discord_gateway_url=env.get("DISCORD_GATEWAY_URL") or None,
            discord_message_content=env.get("DISCORD_MESSAGE_CONTENT", "").lower() in ("1", "true", "yes"),
            host=env.get("CIRCLES_HOST", "127.0.0.1"),
            port=int(env.get("CIRCLES_PORT") or env.get("PORT") or 8000),
        )

    @property
    def wants_slack(self) -> bool:
        return bool(self.slack_bot_token or self.slack_client_id)

    @property
    def wants_discord(self) -> bool:
        return bool(self.discord_token)


@dataclass
class App:
    settings: Settings
    db: Database
    clock: Clock
    service: CircleService
    scheduler: Scheduler


def build(settings: Settings, port_for: PortFor, clock: Clock | None = None, apply_migrations: bool = True) -> App:
    """Migrates the database (the app always starts on the newest schema) and wires the service."""
    if apply_migrations:
        migrate(settings.database_url)
    return assemble(settings, Database(settings.database_url), clock or SystemClock(), port_for)


def assemble(settings: Settings, db: Database, clock: Clock, port_for: PortFor) -> App:
    """Wires service and scheduler onto a database that is already migrated (tests, benchmarks)."""
    service = CircleService(db, clock, port_for)
    scheduler = Scheduler(service)
    connect(service, scheduler)
    return App(settings, db, clock, service, scheduler)


def connect(service: CircleService, scheduler: Scheduler) -> None:
    """The one place service and scheduler meet: every commit re-plans what is due, and a request's
    effects go out through the scheduler's dispatcher, so one pause per rate-limit bucket holds for both."""
    service.after_commit.append(scheduler.planner.on_change)
    service.outbox = scheduler.dispatcher


class PortsByPlatform:
    """One process may speak to Slack and Discord at once: each workspace's port comes from the
    adapter of its platform, so one service and one scheduler serve both."""

    def __init__(self) -> None:
        self._by_platform: dict[Platform, PortFor] = {}

    def register(self, platform: Platform, port_for: PortFor) -> None:
        self._by_platform[platform] = port_for

    def port_for(self, workspace: Workspace) -> ChatPort:
        adapter = self._by_platform.get(workspace.platform)
        if adapter is None:  # retried later by the scheduler, never taken as the person's refusal
            raise RuntimeError(f"no {workspace.platform.value} connection in this process")
        return adapter(workspace)


@asynccontextmanager
async def running(
    settings: Settings, app: App | None, ports: PortsByPlatform | None
) -> AsyncIterator[tuple[App, PortsByPlatform]]:
    """The app an adapter runs on: the shared one when the runner gave one, else its own, whose
    scheduler it starts and stops."""
    if app is not None and ports is not None:
        yield app, ports
        return
    ports = PortsByPlatform()
    app = build(settings, ports.port_for)
    app.scheduler.start()
    try:
        yield app, ports
    finally:
        await app.scheduler.close()
        await app.db.dispose()
