"""Shared fixtures: a real database (SQLite file, or PostgreSQL when CIRCLES_TEST_DATABASE names
one), a manual clock, the recording port and the service wired to all three."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core.clock import ManualClock
from core.db import Database, sync_url
from core.models import Base
from core.service import CircleService
from tests.fakes.recording_port import RecordingPort

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_database_kind() -> str:
    return os.environ.get("CIRCLES_TEST_DATABASE", "sqlite")


@pytest.fixture(scope="session")
def pg_admin_url() -> str | None:
    kind = test_database_kind()
    return None if kind == "sqlite" else kind


@pytest.fixture
def database_url(tmp_path: Path, pg_admin_url: str | None) -> Iterator[str]:
    """A brand-new empty database per test: a SQLite file, or a PostgreSQL schema of its own."""
    if pg_admin_url is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'circles.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(sync_url(pg_admin_url.replace("postgresql://", "postgresql+psycopg://", 1)))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    base = pg_admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def port() -> RecordingPort:
    return RecordingPort()


@pytest.fixture
def service(db: Database, clock: ManualClock, port: RecordingPort) -> CircleService:
    return CircleService(db, clock, lambda _workspace: port)


@pytest.fixture(scope="session")
def formation_engine() -> None:
    """The formation engine compiled before a test waits on a platform's answer to `/circle form`
    within a fake's timeout: numba compiles its kernels on the first run in a fresh checkout (about
    13 s on 2 cores) and caches them beside the source after."""
    from core.formation.roster import form_circles
    from core.formation.signups import SignUp

    form_circles([SignUp(id=f"p{i}", name=f"Person {i}") for i in range(6)], seed=1, max_steps=10)
