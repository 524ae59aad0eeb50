"""Counting the SQL statements a piece of work sends, to keep a request's cost flat as data grows.

    with StatementCount(db.engine) as count:
        await service.run_command(actor, "status", where)
    count.request, count.after_commit, count.total

A request commits its unit of work, then delivers its effects in a second one: statements sent
before the first COMMIT are the request's own, the rest are the delivery's. The benchmark reports
these figures and a test pins them, so a lazy load or a lost join shows up as a number.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class StatementCount:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.sync_engine
        self.statements: list[str] = []
        self._first_commit: int | None = None

    @property
    def total(self) -> int:
        return len(self.statements)

    @property
    def request(self) -> int:
        """Statements sent before the first commit: the request's own unit of work."""
        return self.total if self._first_commit is None else self._first_commit

    @property
    def after_commit(self) -> int:
        return self.total - self.request

    def _on_statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    def _on_commit(self, _conn: Any) -> None:
        if self._first_commit is None:
            self._first_commit = len(self.statements)

    def __enter__(self) -> StatementCount:
        event.listen(self._engine, "before_cursor_execute", self._on_statement)
        event.listen(self._engine, "commit", self._on_commit)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        event.remove(self._engine, "before_cursor_execute", self._on_statement)
        event.remove(self._engine, "commit", self._on_commit)
