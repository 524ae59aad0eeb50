"""PostgreSQL's pooled connections: pinged only after a rest, and replaced when the database dropped them."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core import db as db_module
from core.db import Database


async def backend(db: Database) -> int:
    async with db.unit_of_work() as uow:
        return int(await uow.session.scalar(text("SELECT pg_backend_pid()")) or 0)


async def drop_connection(db: Database, pid: int) -> None:
    """What a database restart or an idle timeout does to a pooled connection, from outside the pool."""
    other = Database(db.url, pool=False)
    try:
        async with other.engine.connect() as conn:
            assert await conn.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    finally:
        await other.dispose()


@pytest.fixture
def pg(db: Database) -> Database:
    if db.is_sqlite:
        pytest.skip("PostgreSQL's pool (SQLite opens a file)")
    return db


async def test_a_connection_dropped_while_it_rested_is_replaced_and_the_work_goes_through(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await backend(pg)  # back in the pool, resting
    await drop_connection(pg, first)
    monkeypatch.setattr(db_module, "IDLE_BEFORE_PING", 0.0)  # every connection has rested long enough
    assert await backend(pg) not in (0, first)


async def test_a_connection_handed_back_a_moment_ago_is_used_without_a_ping(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    real_ping = pg.engine.sync_engine.dialect.do_ping
    monkeypatch.setattr(pg.engine.sync_engine.dialect, "do_ping", lambda c: pings.append(c) or real_ping(c))
    monkeypatch.setattr(db_module, "IDLE_BEFORE_PING", 60.0)
    for _ in range(3):
        await backend(pg)
    assert pings == []
    monkeypatch.setattr(db_module, "IDLE_BEFORE_PING", 0.0)
    await backend(pg)
    assert len(pings) == 1
