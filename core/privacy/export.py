"""`/circle my-data`: everything stored about the person asking, as one JSON file sent to them alone.

The rows are found by walking the schema: every table with a foreign key to `people` gives the rows
that point at the person through any such column (plus the history of their commitments), so a table
added later is exported without anyone remembering to add it here.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from sqlalchemy import Column, Table, or_, select

from core.context import RequestContext
from core.db import UnitOfWork
from core.effects import SendFiles
from core.messages import Attachment, Reply, message
from core.models import Base, Commitment, CommitmentUpdate, Person
from core.requests import MyData

FILENAME = "my-circles-data.json"


def person_columns(table: Table) -> list[Column[Any]]:
    """The columns of a table that name a person."""
    return [c for c in table.columns if any(fk.column.table.name == "people" for fk in c.foreign_keys)]


async def rows_about(uow: UnitOfWork, person_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row that refers to the person, by table; `people` holds their own row."""
    found: dict[str, list[dict[str, Any]]] = {}
    person_table = Person.__table__
    assert isinstance(person_table, Table)
    found["people"] = await _rows(uow, person_table, [person_table.c.id == person_id])
    for table in Base.metadata.sorted_tables:
        columns = person_columns(table)
        if columns:
            found[table.name] = await _rows(uow, table, [c == person_id for c in columns])
    updates = CommitmentUpdate.__table__
    assert isinstance(updates, Table)
    theirs = select(Commitment.id).where(Commitment.person_id == person_id)
    known = {row["id"] for row in found.get(updates.name, [])}
    found[updates.name] = found.get(updates.name, []) + [
        row for row in await _rows(uow, updates, [updates.c.commitment_id.in_(theirs)]) if row["id"] not in known
    ]
    return {name: rows for name, rows in found.items() if rows}


async def _rows(uow: UnitOfWork, table: Table, conditions: list[Any]) -> list[dict[str, Any]]:
    result = await uow.session.execute(select(table).where(or_(*conditions)))
    return [{key: _plain(value) for key, value in row.items()} for row in result.mappings()]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


async def my_data(ctx: RequestContext, req: MyData) -> Reply:
    del req
    data = {
        "about": "Everything Peer Circles stores about you, table by table (see the README's 'Who sees what').",
        "exported_at": ctx.now.isoformat(),
        "tables": await rows_about(ctx.uow, ctx.person.id),
    }
    content = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True).encode()
    ctx.uow.emit(
        SendFiles(
            ctx.person.id,
            message("Here is everything stored about you, as one JSON file. Only you have been sent it."),
            (Attachment(FILENAME, content, "application/json", "Your Peer Circles data"),),
        )
    )
    return Reply(message("I've sent you your data privately, as one file."))
