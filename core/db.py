"""The database: one engine per process, and one unit-of-work pattern for every change.

    async with db.unit_of_work() as uow:
        ...change things through uow.session, record effects with uow.emit(...)
        await uow.commit()

Leaving the block without `commit()` rolls back. Effects are released only by a commit.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from core.effects import Effect

DEFAULT_SQLITE_PATH = Path("var") / "circles.sqlite3"
# Without DATABASE_URL (read once, by the process's settings): the embedded SQLite file.
DEFAULT_DATABASE_URL = f"sqlite:///{DEFAULT_SQLITE_PATH}"
IDLE_BEFORE_PING = 1.0  # seconds a pooled PostgreSQL connection may rest and still be taken without a ping
RECYCLE_AFTER = 1800  # seconds: a pooled connection older than this is replaced (idle timeouts on the way)


def async_url(url: str) -> str:
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}
    if parsed.drivername in driver:
        parsed = parsed.set(drivername=driver[parsed.drivername])
    return parsed.render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    """The same database for Alembic, which runs synchronously."""
    parsed = make_url(url)
    if parsed.drivername == "sqlite+aiosqlite":
        parsed = parsed.set(drivername="sqlite")
    return parsed.render_as_string(hide_password=False)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """WAL with synchronous=NORMAL, SQLite's own advice for WAL: a commit survives the process being
    killed (what the outbox's guarantees rest on) without an fsync each; a power cut may roll the
    last moments back. That fsync was half a millisecond per commit, and every command commits twice
    (the request, then what its sends came to). Where a power cut must lose nothing, run PostgreSQL."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _begin_before_savepoint(connection: Any, _name: str) -> None:
    """The SQLite driver begins a transaction only before a write, so a SAVEPOINT after reads alone
    was a transaction of its own, committed at RELEASE: a row inserted there outlived the rollback of
    a refused request (PostgreSQL rolls it back). Beginning first keeps both databases alike."""
    driver = connection.connection.driver_connection
    if not getattr(driver, "in_transaction", True):
        connection.exec_driver_sql("BEGIN")


def _rested(_dbapi_connection: Any, record: Any) -> None:
    """Since when the connection has rested: handed back to the pool, or just made."""
    record.info["rested_since"] = time.monotonic()


def _ping_if_rested(engine: AsyncEngine) -> Any:
    """A pooled connection that rested is pinged before use; a dead one is replaced, and the pool tries
    another (SQLAlchemy's `DisconnectionError`), so a restarted database costs no request an error. One
    handed back a moment ago is taken as it is: a ping before every use (`pool_pre_ping`) was one more
    round trip per unit of work; a database that went away and came back within that moment fails one
    unit of work, which rolls back (a request is refused, the outbox retries its write)."""
    dialect = engine.sync_engine.dialect

    def check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("rested_since", float("-inf")) < IDLE_BEFORE_PING:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError("the pooled connection had gone") from error

    return check


class HoldingSession(Session):
    """Holds every row it loaded or wrote until it closes. SQLAlchemy's identity map holds rows
    weakly, so a row a request let go of (a meeting, a round) was read again by the next `get`, and
    was gone by the commit: its effects' delivery then read it once more (see `UnitOfWork.loaded`)."""


def _hold(session: Session, row: object) -> None:
    session.info.setdefault("held", []).append(row)


event.listen(HoldingSession, "loaded_as_persistent", _hold)
event.listen(HoldingSession, "pending_to_persistent", _hold)


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.effects: list[Effect] = []
        self.committed = False
        # The rows the work had loaded, as committed: its effects' delivery reads them from here.
        self.loaded: tuple[object, ...] = ()

    def emit(self, effect: Effect) -> None:
        self.effects.append(effect)

    async def commit(self) -> None:
        await self.session.commit()
        self.committed = True
        if self.effects:
            self.loaded = tuple(self.session.identity_map.values())

    async def flush(self) -> None:
        await self.session.flush()


class Database:
    def __init__(self, url: str, *, pool: bool = True) -> None:
        self.url = async_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            self._prepare_sqlite_folder()
        if not pool:
            kwargs["poolclass"] = NullPool
        elif not self.is_sqlite:
            kwargs.update(pool_size=10, max_overflow=10, pool_recycle=RECYCLE_AFTER)
        # hide_parameters: a statement's values (member text) never appear in an error's message or a log.
        self.engine: AsyncEngine = create_async_engine(self.url, hide_parameters=True, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _tune_sqlite)
            event.listen(self.engine.sync_engine, "savepoint", _begin_before_savepoint)
        elif pool:
            event.listen(self.engine.sync_engine.pool, "connect", _rested)
            event.listen(self.engine.sync_engine.pool, "checkin", _rested)
            event.listen(self.engine.sync_engine.pool, "checkout", _ping_if_rested(self.engine))
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, sync_session_class=HoldingSession)

    def _prepare_sqlite_folder(self) -> None:
        database = make_url(self.url).database
        if database and database != ":memory:":
            keep_private(Path(database))

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        async with self._sessions() as session:
            uow = UnitOfWork(session)
            try:
                yield uow
            finally:
                if not uow.committed:
                    uow.effects.clear()
            # Closing the session rolls back what was not committed, and leaves loaded objects
            # readable (detached) rather than expired.

    @asynccontextmanager
    async def single_read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one read that needs no transaction: on PostgreSQL it spares the BEGIN and
        ROLLBACK round trips a unit of work has around its statements. (SQLite's driver begins only
        before a write, and switching its mode would cost two calls into its thread.)"""
        async with self.engine.connect() as connection:
            yield connection if self.is_sqlite else await connection.execution_options(isolation_level="AUTOCOMMIT")

    async def dispose(self) -> None:
        await self.engine.dispose()


def keep_private(database: Path) -> None:
    """A SQLite file holds what members wrote and the platforms' tokens: it is readable by its owner
    only, and so is the project's own `var/` folder. SQLite gives the -wal and -shm files it creates
    the database file's mode; files left by an older version are tightened too."""
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if database.parent.resolve() == DEFAULT_SQLITE_PATH.parent.resolve():
        database.parent.chmod(0o700)
    os.close(os.open(database, os.O_RDWR | os.O_CREAT, 0o600))
    for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        if path.exists():
            path.chmod(0o600)


def write_private(path: Path, text: str) -> None:
    """Writes `text` to a file only its owner can read (created so, or made so)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def migrate(url: str) -> None:
    """Brings the schema to the newest revision; the app calls this at start-up."""
    from alembic import command

    command.upgrade(alembic_config(url), "heads")


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    migrations = Path(__file__).resolve().parent.parent / "migrations"
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return config
