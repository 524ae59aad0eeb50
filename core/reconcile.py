"""The platform and the circles agree on who is in: what a platform tells us about people and spaces
(someone added to a circle's channel by hand, someone who left the workspace) is squared with the
circles' memberships, which are the truth. Adapters call these through `CircleService.on_platform`.
"""

from __future__ import annotations

from sqlalchemy import select, update

from core import meeting
from core.context import RequestContext
from core.db import Database
from core.effects import RemoveFromSpace, TellPrivately
from core.membership import leads
from core.messages import Reply, message
from core.models import Circle, Invitation, InvitationState, Membership, Workspace
from core.vocabulary import CircleStatus, Platform

NOTHING = Reply(message(""))


async def stray_joined(ctx: RequestContext, space: str, inviter: str | None) -> Reply:
    """`ctx.person` turned up in a circle's channel. A member: fine. Anyone else is removed, and the
    circle's lead is told privately (with who added them, when the platform says)."""
    circle = await ctx.uow.session.scalar(
        select(Circle).where(Circle.workspace_id == ctx.workspace.id, Circle.space_ref == space)
    )
    if circle is None or ctx.is_member(circle):
        return NOTHING
    ctx.uow.emit(RemoveFromSpace(circle.id, ctx.person.id))
    by = ""
    if inviter and inviter != ctx.person.external_id:
        by = f" by {(await ctx.person_by_external(inviter)).display_name}"
    told = (
        f"{ctx.person.display_name} was added to {circle.name}'s channel{by} without being in the circle, "
        f"so I removed them. If they should be in it, invite them with /circle add."
    )
    for lead_id in leads(circle):
        ctx.uow.emit(TellPrivately(lead_id, message(told)))
    return NOTHING


async def person_gone(ctx: RequestContext) -> Reply:
    """`ctx.person` left the workspace (or was deactivated): their circle access ends with it."""
    for circle in await ctx.my_circles():
        ctx.uow.emit(RemoveFromSpace(circle.id, ctx.person.id))
    await ctx.uow.session.execute(
        update(Membership)
        .where(Membership.person_id == ctx.person.id, Membership.left_at.is_(None))
        .values(left_at=ctx.now)
    )
    await meeting.reassign_all(ctx.uow, await ctx.my_circles())
    await ctx.uow.session.execute(
        update(Invitation)
        .where(Invitation.person_id == ctx.person.id, Invitation.state == InvitationState.PENDING)
        .values(state=InvitationState.DECLINED, decided_at=ctx.now)
    )
    return NOTHING


async def circle_spaces(db: Database, platform: Platform, workspace: str) -> dict[str, dict[str, bool]]:
    """Each open circle's space in a workspace and who should be in it (platform id -> sees its
    history): what a platform's permissions are re-applied from after a restart or a drift."""
    async with db.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(Circle.space_ref, Membership)
            .join(Membership, Membership.circle_id == Circle.id)
            .join(Workspace, Workspace.id == Circle.workspace_id)
            .where(
                Workspace.platform == platform,
                Workspace.external_id == workspace,
                Circle.space_ref.is_not(None),
                Circle.status != CircleStatus.CLOSED,
            )
        )
        spaces: dict[str, dict[str, bool]] = {}
        for space, membership in rows:
            members = spaces.setdefault(str(space), {})
            if membership.left_at is None:
                members[membership.person.external_id] = membership.sees_history
    return spaces
