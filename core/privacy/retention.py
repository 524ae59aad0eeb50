"""Retention: a workspace keeps what its circles said only so many days after a circle ends, and the
bot's own bookkeeping (settled due items, request keys) only a week."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, Text, delete, select, update

from core.context import RequestContext
from core.db import Database, UnitOfWork
from core.errors import NotAllowed
from core.messages import Reply, message
from core.models import (
    Base,
    Circle,
    DueItem,
    DueState,
    HandledRequest,
    Meeting,
    Programme,
    RetentionSetting,
    Round,
)
from core.requests import SetRetention
from core.vocabulary import CircleStatus

BOOKKEEPING_DAYS = 7
# Tables whose text is what a circle said, with the path from the row to its meeting's circle.
SAID_IN_MEETINGS = ("check_ins", "bids", "rounds", "contributions", "commitments", "report_backs", "meeting_feedback")


async def set_retention(ctx: RequestContext, req: SetRetention) -> Reply:
    """`/circle retention DAYS`: the workspace's admin (as the platform says) or a programme lead sets it."""
    leads = await ctx.uow.session.scalar(select(Programme.id).where(Programme.lead_id == ctx.person.id).limit(1))
    if leads is None and not ctx.admin:
        raise NotAllowed("Only the workspace's admin or a programme lead can set how long circles' words are kept.")
    days = req.days
    setting = await ctx.uow.session.get(RetentionSetting, ctx.workspace.id)
    if setting is None:
        setting = RetentionSetting(workspace_id=ctx.workspace.id, days=days)
        ctx.uow.session.add(setting)
    setting.days, setting.set_by_id, setting.set_at = days, ctx.person.id, ctx.now
    return Reply(message(f"What circles said is now deleted {days} days after each circle ends."))


async def run(db: Database, now: datetime) -> int:
    """The scheduler's periodic hook: one unit of work, committed."""
    async with db.unit_of_work() as uow:
        touched = await prune(uow, now)
        await uow.commit()
    return touched


async def prune(uow: UnitOfWork, now: datetime) -> int:
    """Deletes what retention says must go; returns how many rows it touched. Safe to run often."""
    touched = 0
    week_ago = now - timedelta(days=BOOKKEEPING_DAYS)
    settled = (DueState.SENT, DueState.DROPPED, DueState.UNDELIVERABLE)
    result = await uow.session.execute(delete(DueItem).where(DueItem.state.in_(settled), DueItem.due_at < week_ago))
    touched += int(getattr(result, "rowcount", 0) or 0)
    result = await uow.session.execute(delete(HandledRequest).where(HandledRequest.handled_at < week_ago))
    touched += int(getattr(result, "rowcount", 0) or 0)
    for setting in await uow.session.scalars(select(RetentionSetting)):
        ended = select(Circle.id).where(
            Circle.workspace_id == setting.workspace_id,
            Circle.status == CircleStatus.CLOSED,
            Circle.ended_at.is_not(None),
            Circle.ended_at < now - timedelta(days=setting.days),
        )
        meetings = select(Meeting.id).where(Meeting.circle_id.in_(ended))
        for table in Base.metadata.sorted_tables:
            if table.name in SAID_IN_MEETINGS:
                touched += await _blank(uow, table, meetings)
    return touched


async def _blank(uow: UnitOfWork, table: Table, meetings: Any) -> int:
    words = {c.name: "" for c in table.columns if isinstance(c.type, Text)}
    if "meeting_id" in table.columns:
        where = table.c.meeting_id.in_(meetings)
    elif "round_id" in table.columns:
        where = table.c.round_id.in_(select(Round.id).where(Round.meeting_id.in_(meetings)))
    else:
        return 0
    result = await uow.session.execute(update(table).where(where).values(**words))
    return int(getattr(result, "rowcount", 0) or 0)
