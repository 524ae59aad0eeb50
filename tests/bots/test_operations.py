"""Health, readiness and metrics, apart from any platform: readiness is false while the database is
unreachable, not migrated or a migration behind, while a platform is disconnected or the scheduler
has stopped; the outbox gauges read `due_items`; JSON logs are one object per line."""

from __future__ import annotations

import io
import json
import logging
from datetime import timedelta

import pytest
from alembic import command
from prometheus_client import REGISTRY
from sqlalchemy import text

from bots.bootstrap import Settings, assemble, build
from bots.operations.health import Health, migration_heads
from bots.operations.logs import configure_logging
from bots.operations.metrics import TickWatch, instrument_scheduler, observe_outbox
from core.clock import ManualClock
from core.db import Database, alembic_config
from core.models import DueItem, DueKind, DueState, Workspace
from core.privacy import logs
from core.vocabulary import Platform
from tests.fakes.recording_port import RecordingPort


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_migrated_database_and_a_ticking_scheduler_are_ready(database_url: str, clock: ManualClock) -> None:
    port = RecordingPort()
    app = build(Settings(database_url=database_url), lambda _workspace: port, clock)
    try:
        assert app.health is not None
        ready, checks = await app.health.readiness()
        assert not ready
        assert checks["scheduler"] == "not ticked yet"
        ticks = sample("circles_scheduler_ticks_total", outcome="ok")
        await app.scheduler.tick()
        assert sample("circles_scheduler_ticks_total", outcome="ok") == ticks + 1
        assert await app.health.readiness() == (True, {"database": "ok", "scheduler": "ok"})
    finally:
        await app.db.dispose()


async def test_an_unreachable_database_is_not_ready() -> None:
    db = Database("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")  # nothing listens on port 1
    try:
        ready, checks = await Health(db).readiness()
    finally:
        await db.dispose()
    assert not ready
    assert checks["database"].startswith("unreachable (")


async def test_a_database_never_migrated_is_not_ready(db: Database) -> None:
    ready, checks = await Health(db).readiness()  # the `db` fixture has tables but no Alembic revision
    assert (ready, checks["database"]) == (False, "not migrated (circles migrate)")


async def test_a_pending_migration_is_not_ready(database_url: str) -> None:
    heads = migration_heads(Database(database_url).url)
    command.upgrade(alembic_config(database_url), "0003")
    db = Database(database_url)
    try:
        ready, checks = await Health(db).readiness()
        assert not ready
        assert checks["database"].startswith("migration pending (at 0003, newest ")
        assert all(head in checks["database"] for head in heads)
        command.upgrade(alembic_config(database_url), "heads")
        assert await Health(db).readiness() == (True, {"database": "ok"})
        async with db.engine.begin() as connection:  # a newer release migrated it: old workers still serve
            await connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        assert await Health(db).readiness() == (True, {"database": "ok"})
    finally:
        await db.dispose()


async def test_a_disconnected_platform_is_not_ready(database_url: str, clock: ManualClock) -> None:
    app = build(Settings(database_url=database_url), lambda _workspace: RecordingPort(), clock)
    assert app.health is not None
    connected = {"slack": True, "discord": False}
    app.health.platform("slack", lambda: connected["slack"])

    async def discord() -> bool:
        return connected["discord"]

    app.health.platform("discord", discord)
    await app.scheduler.tick()
    try:
        ready, checks = await app.health.readiness()
        assert (ready, checks["slack"], checks["discord"]) == (False, "ok", "disconnected")
        connected["discord"] = True
        assert (await app.health.readiness())[0]
    finally:
        await app.db.dispose()


async def test_a_scheduler_that_stopped_ticking_is_not_ready(db: Database, clock: ManualClock) -> None:
    now = [1000.0]
    app = assemble(Settings(database_url=db.url), db, clock, lambda _workspace: RecordingPort())
    watch = TickWatch(period=20.0, clock=lambda: now[0])
    watch.started = watch.finished = 1000.0
    health = Health(db, watch)
    assert health._scheduler() == "ok"
    now[0] += 59  # within three periods
    assert health._scheduler() == "ok"
    assert watch.lag() == pytest.approx(39)
    now[0] += 2
    assert health._scheduler() == "stalled (last tick 61 s ago, period 20 s)"
    watch.ticking = True  # a long tick under way is not a stall
    assert health._scheduler() == "ok"
    assert watch.lag() == 0
    assert instrument_scheduler(app.scheduler) is instrument_scheduler(app.scheduler)  # wrapped once


async def test_the_outbox_gauges_read_due_items(db: Database, clock: ManualClock) -> None:
    now = clock.now()
    async with db.unit_of_work() as uow:
        workspace = Workspace(platform=Platform.PLAYGROUND, external_id="w", name="w")
        uow.session.add(workspace)
        await uow.flush()

        def item(key: str, state: DueState, due_ago: timedelta) -> DueItem:
            moment = now - due_ago
            return DueItem(
                key=key,
                kind=DueKind.MEETING_REMINDER,
                state=state,
                workspace_id=workspace.id,
                due_at=moment,
                not_before=moment,
            )

        uow.session.add_all(
            [
                item("a", DueState.PENDING, timedelta(minutes=5)),
                item("b", DueState.PENDING, timedelta(seconds=30)),
                item("c", DueState.CLAIMED, timedelta(minutes=1)),
                item("d", DueState.PENDING, -timedelta(hours=1)),  # still to come
                item("e", DueState.SENT, timedelta(hours=2)),  # settled: not backlog
            ]
        )
        await uow.commit()
    await observe_outbox(db, now)
    assert sample("circles_outbox_due", state="pending") == 2
    assert sample("circles_outbox_due", state="claimed") == 1
    assert sample("circles_outbox_scheduled") == 1
    assert sample("circles_outbox_oldest_due_seconds") == 300


def test_json_logs_are_one_object_per_line() -> None:
    out = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    saved_factory = logging.getLogRecordFactory()
    try:
        logging.setLogRecordFactory(logging.LogRecord)  # without redaction, whatever an earlier test installed
        configure_logging(Settings(log_format="json", log_level="INFO"), out)
        logging.getLogger("bots.example").info("sent %d due items", 3)
        logging.getLogger("alembic.runtime.migration").info("Running upgrade 0003 -> 0004")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("bots.example").exception("tick failed")
    finally:
        root.handlers[:], root.level = saved
        logging.setLogRecordFactory(saved_factory)
    lines = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    assert [(e["level"], e["logger"], e["message"]) for e in lines] == [
        ("INFO", "bots.example", "sent 3 due items"),
        ("ERROR", "bots.example", "tick failed"),
    ]  # Alembic's INFO lines are silenced
    assert "ValueError: boom" in lines[1]["exception"]
    assert lines[0]["time"].endswith("+00:00")


def test_json_logs_keep_the_redacted_traceback() -> None:
    """`circles run` installs the privacy redaction, which moves the exception into `exc_text`:
    the JSON line still carries the traceback and type, without the message."""
    out = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    saved_factory = logging.getLogRecordFactory()
    try:
        logging.setLogRecordFactory(lambda *a, **k: logs.redact(logging.LogRecord(*a, **k)))
        configure_logging(Settings(log_format="json", log_level="INFO"), out)
        words = "a member's words"
        try:
            raise ValueError(words)  # the traceback quotes this line, not the value
        except ValueError:
            logging.getLogger("bots.example").exception("tick failed")
    finally:
        root.handlers[:], root.level = saved
        logging.setLogRecordFactory(saved_factory)
    [entry] = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    assert "Traceback" in entry["exception"]
    assert f"ValueError: {logs.WITHHELD}" in entry["exception"]
    assert words not in out.getvalue()
