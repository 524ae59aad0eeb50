"""Commitments between meetings: done, update, the check-in buttons' status changes and the note form;
and, once a circle has ended, each owner settling theirs."""

from __future__ import annotations

from core import closing, meeting, views
from core.context import RequestContext
from core.effects import PostToCircle
from core.errors import CircleError, NotFound
from core.handlers.replies import done, handles
from core.messages import Quote, Reply, message
from core.models import Commitment
from core.requests import SetCommitmentStatus, SettleCommitment
from core.vocabulary import CircleStatus, CommitmentStatus


async def my_commitment(ctx: RequestContext, commitment_id: int) -> Commitment:
    commitment = await ctx.uow.session.get(Commitment, commitment_id)
    if commitment is None or commitment.person_id != ctx.person.id:
        raise NotFound(f"You have no commitment #{commitment_id}.")
    return commitment


@handles(SetCommitmentStatus)
async def update_commitment(ctx: RequestContext, req: SetCommitmentStatus) -> Reply:
    commitment = await my_commitment(ctx, req.number)
    circle = await ctx.circle_by_id(commitment.circle_id)
    if circle.status == CircleStatus.CLOSED:
        raise CircleError(
            f"{circle.name} has ended: settle #{commitment.id} with the buttons in the message it sent you."
        )
    changed = meeting.set_commitment_status(ctx.uow, commitment, ctx.person.id, req.status, req.note, ctx.now)
    if changed and req.status == CommitmentStatus.STUCK:
        ctx.uow.emit(
            PostToCircle(
                circle.id,
                message(
                    f"*{ctx.person.display_name} is stuck* on #{commitment.id} and would welcome the circle's help:",
                    Quote(ctx.person.display_name, commitment.text + (f"\n{req.note}" if req.note else "")),
                ),
            )
        )
    return done(f"#{commitment.id} is {views.STATUS_WORDS[req.status]}.")


@handles(SettleCommitment)
async def settle_commitment(ctx: RequestContext, req: SettleCommitment) -> Reply:
    """The buttons of the private message an owner gets when their circle ends."""
    commitment = await my_commitment(ctx, req.number)
    circle = await ctx.circle_by_id(commitment.circle_id)
    return done(await closing.settle(ctx.uow, commitment, circle, ctx.person, req.status, ctx.now))
