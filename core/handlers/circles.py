"""Circles and membership: new, join, leave, add, remove, pause/resume/end. Who may be in a circle is
decided by consent (`core.membership`): `add` invites, `join` asks the lead or joins an open circle."""

from __future__ import annotations

from core import closing, meeting, membership, programmes
from core.context import RequestContext
from core.effects import PostToCircle, RemoveFromSpace
from core.errors import CircleError
from core.formats import DEFAULT_FORMAT, get_format
from core.handlers.replies import done, handles
from core.messages import Reply, message
from core.models import Circle, Membership, Person
from core.requests import AddPeople, Join, Leave, NewCircle, RemovePerson, SetCircleStatus
from core.topic_modules import DEFAULT_MODULE, load_module
from core.vocabulary import CircleStatus, Facilitation, MeetingState, Role

MAX_MEMBERS = membership.MAX_MEMBERS


@handles(NewCircle)
async def new_circle(ctx: RequestContext, req: NewCircle) -> Reply:
    programme = await programmes.led_programme(ctx, req.programme) if req.programme else None
    fmt = get_format(req.format or (programme.format_key if programme else DEFAULT_FORMAT))
    module_key: str | None = req.module or None
    if fmt.uses_module:
        module_key = load_module(module_key or DEFAULT_MODULE).key
    elif module_key:
        raise CircleError(f"The {fmt.name} format has no topic module; use format=module.")
    await membership.check_name(ctx, req.name)
    circle = await membership.set_up_circle(ctx, req.name, fmt, programme, module_key, req.mode, req.open)
    role = Role.MEMBER if fmt.facilitation == Facilitation.ROTATING else Role.FACILITATOR
    ctx.uow.session.add(
        Membership(
            circle_id=circle.id, person_id=ctx.person.id, role=role, joined_at=ctx.now, ground_rules_accepted_at=ctx.now
        )
    )
    await ctx.uow.flush()
    await ctx.uow.session.refresh(circle, ["memberships"])  # the space opens with its lead in it
    return done(
        f"Circle '{req.name}' is set up ({fmt.name}, {req.mode.value}). Invite people with /circle add @person"
        + (f", or they can /circle join {req.name}." if circle.open else "; only people you invite can join.")
    )


@handles(Join)
async def join(ctx: RequestContext, req: Join) -> Reply:
    return await membership.request_to_join(ctx, req)


@handles(Leave)
async def leave(ctx: RequestContext, req: Leave) -> Reply:
    circle = await ctx.circle_for(req.target.circle)
    await remove_member(ctx, circle, ctx.person)
    return done(f"You have left {circle.name}.")


@handles(AddPeople)
async def add(ctx: RequestContext, req: AddPeople) -> Reply:
    return await membership.invite(ctx, req)


@handles(RemovePerson)
async def remove(ctx: RequestContext, req: RemovePerson) -> Reply:
    return await membership.remove(ctx, req)


def ctx_member(circle: Circle, person: Person) -> Membership | None:
    return next((m for m in circle.active_memberships() if m.person_id == person.id), None)


async def remove_member(ctx: RequestContext, circle: Circle, person: Person) -> None:
    membership = ctx_member(circle, person)
    if membership is None:
        raise CircleError(f"{person.display_name} isn't in {circle.name}.")
    membership.left_at = ctx.now
    await meeting.reassign_facilitators(ctx.uow, circle)
    ctx.uow.emit(RemoveFromSpace(circle.id, person.id))
    ctx.uow.emit(PostToCircle(circle.id, message(f"{person.display_name} has left the circle.")))


_VERBS = {CircleStatus.PAUSED: "pause", CircleStatus.ACTIVE: "resume", CircleStatus.CLOSED: "end"}


@handles(SetCircleStatus)
async def set_circle_status(ctx: RequestContext, req: SetCircleStatus) -> Reply:
    circle = await ctx.circle_for(req.target.circle)
    ctx.require_lead(circle, f"{_VERBS.get(req.status, 'change')} the circle")
    target = req.status
    if circle.status == target:
        raise CircleError(f"{circle.name} is already {target.value}.")
    if target == CircleStatus.ACTIVE and circle.status != CircleStatus.PAUSED:
        raise CircleError(f"{circle.name} isn't paused.")
    if target == CircleStatus.CLOSED:
        return await end_early(ctx, circle)
    circle.status = target
    ctx.uow.emit(PostToCircle(circle.id, message(f"{ctx.person.display_name} set the circle to {target.value}.")))
    return done(f"{circle.name} is now {target.value}.")


async def end_early(ctx: RequestContext, circle: Circle) -> Reply:
    """`/circle end`: what the close of the last meeting does, before the series is over (a paused
    circle too). A meeting under way is closed first, by its facilitator, so nothing is cut off."""
    under_way = await ctx.current_meeting(circle)
    if under_way is not None and under_way.state != MeetingState.SCHEDULED:
        raise CircleError(f"Meeting {under_way.number} is under way: close it first with /circle close, then end.")
    if not await closing.end_circle(ctx.uow, circle, ctx.now, ctx.person):
        raise CircleError(f"{circle.name} has already ended.")
    return done(
        f"{circle.name} is now closed. Its channel stays readable; each member hears about their open commitments."
    )
