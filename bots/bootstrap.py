"""Builds the running application in one place: settings, database, clock and service.

Nothing is built at import time; tests call `build()` with their own settings, clock and ports.

The app's scheduler (reminders, check-ins, nudges, async phase deadlines) is built here but not
started: whoever runs the event loop calls `app.scheduler.start()` once the loop runs and
`app.scheduler.stop()` on shutdown. Several processes may run it against one PostgreSQL database;
on SQLite run one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bots.operations.health import Health
from bots.operations.metrics import instrument_scheduler, instrument_service, record_formation
from bots.settings import Settings as Settings  # re-exported: adapters and tests import it from here
from core.clock import Clock, SystemClock
from core.db import Database, migrate
from core.formation.runs import watch_runs
from core.models import Workspace
from core.port import ChatPort
from core.scheduling.scheduler import Scheduler
from core.service import CircleService, PortFor
from core.vocabulary import Platform


@dataclass
class App:
    settings: Settings
    db: Database
    clock: Clock
    service: CircleService
    scheduler: Scheduler
    health: Health | None = None  # readiness checks; adapters add their platform's connection


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
    instrument_service(service)  # metrics from outside the service: requests by kind, outcome, latency
    watch_runs(record_formation)  # /circle form's runs of the formation engine
    return App(settings, db, clock, service, scheduler, Health(db, instrument_scheduler(scheduler)))


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
