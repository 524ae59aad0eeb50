"""Shared fixtures: a real database (SQLite file, or PostgreSQL when CIRCLES_TEST_DATABASE names
one), a manual clock, the recording port and the service wired to all three.

Which tests run on which pass. `scripts/test` runs the suite twice, at once: on SQLite (every test) and on
PostgreSQL. The PostgreSQL pass runs only the tests whose outcome can depend on the database; the
others would run there exactly as on SQLite and catch nothing new. A test is left out of it when:

- it asks for no database at all: none of `pg_admin_url`, `database_url` or `db`, directly or through
  another fixture (the Discord harness and the fuzzing worlds ask for `pg_admin_url`). Such a test
  either touches no database (rendering, parsing, settings, the formation engine, the fakes) or opens
  a SQLite file of its own in `tmp_path`, which is the same file on either pass; or
- it is marked `one_database`: it does use the test database, but what it checks is a surface over the
  core whose SQL the core's own tests already run on PostgreSQL (the browser's page, the playground's
  HTTP and WebSocket shape, Slack's text encoding). Every such mark says why. A test marked
  `both_databases` runs on both passes even inside a module marked `one_database`.

Everything that exercises SQL, transactions, locking, concurrency, migrations, constraints, the outbox
and dispatcher, statement counts or a whole programme's lifecycle keeps running on both databases.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

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
    """A brand-new empty database per test: a SQLite file, or a PostgreSQL schema of its own.

    Test connections to PostgreSQL set synchronous_commit=off: a commit is seen by every other
    connection exactly as before, and only survives a crash of the server itself less surely, which a
    test database never needs. It spares the wait for the disk on each of the suite's many commits."""
    yield from empty_database(tmp_path, pg_admin_url)


def empty_database(tmp_path: Path, pg_admin_url: str | None) -> Iterator[str]:
    if pg_admin_url is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'circles.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(sync_url(pg_admin_url.replace("postgresql://", "postgresql+psycopg://", 1)))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    base = pg_admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def copy_or_empty(template: DatabaseTemplate | None, tmp_path: Path, pg_admin_url: str | None) -> Iterator[str]:
    """A copy of the template for a test that starts from one, else an empty database."""
    if template is None:
        yield from empty_database(tmp_path, pg_admin_url)
        return
    with template.copy(tmp_path) as url:
        yield url


class DatabaseTemplate:
    """A database built once and copied for each test that starts from it: the SQLite file copied, or
    on PostgreSQL a database of its own made with `CREATE DATABASE … TEMPLATE` (a copy of the files).
    `url` is the template's, for building it; nothing may stay connected to it once it is built."""

    def __init__(self, folder: Path, pg_admin_url: str | None) -> None:
        self.folder = folder
        self.pg_admin_url = pg_admin_url
        self.name = f"tmpl_{uuid.uuid4().hex[:12]}"
        self.copies: list[str] = []
        if pg_admin_url is None:
            self.url = f"sqlite+aiosqlite:///{folder / 'template.sqlite3'}"
            return
        self.admin = create_engine(self._sync(pg_admin_url), isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = self._named(self.name)

    def _named(self, database: str) -> str:
        assert self.pg_admin_url is not None
        url = make_url(self._sync(self.pg_admin_url)).set(database=database)
        return url.update_query_dict({"options": "-csynchronous_commit=off"}).render_as_string(hide_password=False)

    @staticmethod
    def _sync(url: str) -> str:
        return sync_url(url.replace("postgresql://", "postgresql+psycopg://", 1))

    @contextmanager
    def copy(self, tmp_path: Path) -> Iterator[str]:
        if self.pg_admin_url is None:
            source = self.folder / "template.sqlite3"
            target = tmp_path / "circles.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                if source.with_name(source.name + suffix).exists():
                    shutil.copyfile(source.with_name(source.name + suffix), target.with_name(target.name + suffix))
            yield f"sqlite+aiosqlite:///{target}"
            return
        name = f"c_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"'))
        self.copies.append(name)
        yield self._named(name)

    def drop(self) -> None:
        """The template and its copies, all at the end and on a thread of their own: PostgreSQL
        checkpoints on each DROP DATABASE, and the next test would wait for the disk. The thread is
        not a daemon, so the process finishes dropping before it exits."""
        if self.pg_admin_url is not None:
            threading.Thread(target=self._drop_all, name=f"drop {self.name}").start()

    def _drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in [*self.copies, self.name]:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


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


DATABASE_FIXTURES = frozenset({"pg_admin_url", "database_url", "db"})


def runs_on_postgresql(item: pytest.Item) -> bool:
    """Whether the PostgreSQL pass runs this test (the rule in this module's docstring)."""
    if item.get_closest_marker("both_databases") is None and item.get_closest_marker("one_database") is not None:
        return False
    return not DATABASE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if test_database_kind() == "sqlite":
        return
    kept = [item for item in items if runs_on_postgresql(item)]
    left_out = [item for item in items if not runs_on_postgresql(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
