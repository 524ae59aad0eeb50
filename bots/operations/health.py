"""Liveness and readiness.

Alive: the process answers. Ready: the database answers and is at the newest migration, every
platform this process serves is connected, and the scheduler has ticked within its period (or is
ticking now). A load balancer sends traffic only to a ready worker; an orchestrator restarts one
that is not alive.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import text

from bots.operations.metrics import TickWatch
from core.db import Database, alembic_config

DATABASE_TIMEOUT = 3.0
# A tick may run late under load; three periods without one means the scheduler has stopped.
MISSED_PERIODS = 3

Connected = Callable[[], bool | Awaitable[bool]]


@cache
def migration_heads(url: str) -> frozenset[str]:
    """The newest revision(s) the code knows, from the migration scripts (read once)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config(url)).get_heads())


@cache
def known_revisions(url: str) -> frozenset[str]:
    from alembic.script import ScriptDirectory

    return frozenset(script.revision for script in ScriptDirectory.from_config(alembic_config(url)).walk_revisions())


@dataclass
class Health:
    db: Database
    ticks: TickWatch | None = None
    platforms: dict[str, Connected] = field(default_factory=dict)

    def platform(self, name: str, connected: Connected) -> None:
        """An adapter says how to tell whether it is connected (Discord's gateway, Slack's socket)."""
        self.platforms[name] = connected

    async def readiness(self) -> tuple[bool, dict[str, str]]:
        """Whether to send this worker traffic, and why not: one short word or phrase per check."""
        checks = {"database": await self._database()}
        for name, connected in self.platforms.items():
            checks[name] = await _platform(connected)
        if self.ticks is not None:
            checks["scheduler"] = self._scheduler()
        return all(value == "ok" for value in checks.values()), checks

    async def _database(self) -> str:
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT):
                async with self.db.engine.connect() as connection:
                    rows = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
        except TimeoutError:
            return f"unreachable (no answer within {DATABASE_TIMEOUT:g} s)"
        except Exception as error:  # any driver's refusal: the message may name the host, never a password
            if "alembic_version" in str(error):
                return "not migrated (circles migrate)"
            return f"unreachable ({type(error).__name__})"
        current = frozenset(str(row[0]) for row in rows)
        heads = migration_heads(self.db.url)
        if current - known_revisions(self.db.url):
            return "ok"  # migrated by a newer release during a rolling upgrade: this worker still fits
        if current != heads:
            at = ", ".join(sorted(current)) or "none"
            return f"migration pending (at {at}, newest {', '.join(sorted(heads))}: circles migrate)"
        return "ok"

    def _scheduler(self) -> str:
        assert self.ticks is not None
        watch = self.ticks
        if watch.ticking:
            return "ok"
        if watch.finished is None:
            return "not ticked yet"
        quiet = watch.clock() - watch.finished
        if quiet > MISSED_PERIODS * watch.period:
            return f"stalled (last tick {quiet:.0f} s ago, period {watch.period:g} s)"
        return "ok"


async def _platform(connected: Connected) -> str:
    try:
        answer = connected()
        if inspect.isawaitable(answer):
            answer = await answer
    except Exception as error:
        return f"unknown ({type(error).__name__})"
    return "ok" if answer else "disconnected"
