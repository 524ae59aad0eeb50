"""Commitments between meetings: done, update, and the check-in buttons' status changes."""

from __future__ import annotations

from core import meeting, views
from core.commands import Command, usage
from core.context import RequestContext
from core.effects import PostToCircle
from core.errors import NotFound, UsageError
from core.handlers.replies import done
from core.messages import (
    Quote,
    Reply,
    message,
)
from core.models import Commitment
from core.vocabulary import (
    CommitmentStatus,
)


async def my_commitment(ctx: RequestContext, commitment_id: int) -> Commitment:
    commitment = await ctx.uow.session.get(Commitment, commitment_id)
    if commitment is None or commitment.person_id != ctx.person.id:
        raise NotFound(f"You have no commitment #{commitment_id}.")
    return commitment


async def update_commitment(ctx: RequestContext, commitment_id: int, status: CommitmentStatus, note: str) -> Reply:
    commitment = await my_commitment(ctx, commitment_id)
    circle = await ctx.circle_by_id(commitment.circle_id)
    changed = meeting.set_commitment_status(ctx.uow, commitment, ctx.person.id, status, note, ctx.now)
    if changed and status == CommitmentStatus.STUCK:
        ctx.uow.emit(
            PostToCircle(
                circle.id,
                message(
                    f"*{ctx.person.display_name} is stuck* on #{commitment.id} and would welcome the circle's help:",
                    Quote(ctx.person.display_name, commitment.text + (f"\n{note}" if note else "")),
                ),
            )
        )
    return done(f"#{commitment.id} is {views.STATUS_WORDS[status]}.")


async def done_command(ctx: RequestContext, cmd: Command) -> Reply:
    number, _, note = cmd.text.partition(" ")
    return await update_commitment(ctx, commitment_number(number, "done"), CommitmentStatus.DONE, note.strip())


async def update_command(ctx: RequestContext, cmd: Command) -> Reply:
    parts = cmd.text.split(" ", 2)
    if len(parts) < 2:
        raise UsageError(f"Something is missing.\nUsage: {usage('update')}")
    statuses = {
        s.value: s
        for s in (CommitmentStatus.IN_PROGRESS, CommitmentStatus.STUCK, CommitmentStatus.DROPPED, CommitmentStatus.DONE)
    }
    status = statuses.get(parts[1].lower().replace("-", "_"))
    if status is None:
        raise UsageError(f"Status must be in_progress, stuck, dropped or done.\nUsage: {usage('update')}")
    note = parts[2].strip() if len(parts) > 2 else ""
    return await update_commitment(ctx, commitment_number(parts[0], "update"), status, note)


def commitment_number(text: str, command: str) -> int:
    digits = text.lstrip("#")
    if not digits.isdigit():
        raise UsageError(f"Please give the commitment's number, like 12.\nUsage: {usage(command)}")
    return int(digits)
