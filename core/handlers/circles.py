"""Circles and membership: new, join, leave, add, remove, pause/resume/end."""

from __future__ import annotations

from sqlalchemy import select

from core import programmes
from core.context import RequestContext
from core.effects import AddToSpace, ArchiveSpace, OpenSpace, PostToCircle, RemoveFromSpace
from core.errors import CircleError, NotFound
from core.formats import get_format
from core.handlers.replies import done, handles
from core.messages import Reply, message
from core.models import Circle, Membership, Person
from core.requests import AddPeople, Join, Leave, NewCircle, RemovePerson, SetCircleStatus
from core.topic_modules import load_module, module_keys
from core.vocabulary import CircleStatus, Facilitation, Role

MAX_MEMBERS = 8  # 5-7 members and a facilitator


@handles(NewCircle)
async def new_circle(ctx: RequestContext, req: NewCircle) -> Reply:
    fmt = get_format(req.format)
    module_key: str | None = req.module or None
    if fmt.uses_module:
        module_key = load_module(module_key or module_keys()[0]).key
    elif module_key:
        raise CircleError(f"The {fmt.name} format has no topic module; use format=module.")
    programme_id = await programmes.led_programme(ctx, req.programme) if req.programme else None
    taken = await ctx.uow.session.scalar(
        select(Circle.id).where(Circle.workspace_id == ctx.workspace.id, Circle.name == req.name)
    )
    if taken is not None:
        raise CircleError(f"There's already a circle called '{req.name}' here. Please pick another name.")
    circle = Circle(
        workspace_id=ctx.workspace.id,
        programme_id=programme_id,
        name=req.name,
        format_key=fmt.key,
        module_key=module_key,
        mode=req.mode,
        status=CircleStatus.FORMING,
        facilitation=fmt.facilitation,
        created_by_id=ctx.person.id,
        created_at=ctx.now,
    )
    ctx.uow.session.add(circle)
    await ctx.uow.flush()
    role = Role.MEMBER if fmt.facilitation == Facilitation.ROTATING else Role.FACILITATOR
    ctx.uow.session.add(
        Membership(
            circle_id=circle.id, person_id=ctx.person.id, role=role, joined_at=ctx.now, ground_rules_accepted_at=ctx.now
        )
    )
    await ctx.uow.flush()
    await ctx.uow.session.refresh(circle, ["memberships"])
    ctx.uow.emit(OpenSpace(circle.id))
    return done(
        f"Circle '{req.name}' is set up ({fmt.name}, {req.mode.value}). Add people with /circle add @person, "
        f"or ask them to /circle join {req.name}."
    )


@handles(Join)
async def join(ctx: RequestContext, req: Join) -> Reply:
    circle = await ctx.uow.session.scalar(
        select(Circle).where(
            Circle.workspace_id == ctx.workspace.id, Circle.name == req.name, Circle.status == CircleStatus.FORMING
        )
    )
    if circle is None:
        raise NotFound(f"There's no circle called '{req.name}' open for joining.")
    if ctx.is_member(circle):
        raise CircleError(f"You're already in {circle.name}.")
    await add_member(ctx, circle, ctx.person, Role.MEMBER)
    return done(f"Welcome to {circle.name}. Ground rules: what is said in the circle stays in the circle.")


@handles(Leave)
async def leave(ctx: RequestContext, req: Leave) -> Reply:
    circle = await ctx.circle_for(req.target.circle)
    await remove_member(ctx, circle, ctx.person)
    return done(f"You have left {circle.name}.")


@handles(AddPeople)
async def add(ctx: RequestContext, req: AddPeople) -> Reply:
    circle = await ctx.circle_for(req.target.circle)
    ctx.require_lead(circle, "add people")
    names = []
    for ref in req.people:
        person = await ctx.person_by_external(ref.external_id, ref.name)
        if ctx_member(circle, person) is None:
            await add_member(ctx, circle, person, req.role)
            names.append(person.display_name)
    if not names:
        raise CircleError("Everyone you named is already in the circle.")
    return done(f"Added {', '.join(names)} to {circle.name}.")


@handles(RemovePerson)
async def remove(ctx: RequestContext, req: RemovePerson) -> Reply:
    circle = await ctx.circle_for(req.target.circle)
    ctx.require_lead(circle, "remove people")
    person = await ctx.person_by_external(req.person.external_id, req.person.name)
    await remove_member(ctx, circle, person)
    return done(f"Removed {person.display_name} from {circle.name}.")


def ctx_member(circle: Circle, person: Person) -> Membership | None:
    return next((m for m in circle.active_memberships() if m.person_id == person.id), None)


async def add_member(ctx: RequestContext, circle: Circle, person: Person, role: Role) -> None:
    if len(circle.active_memberships()) >= MAX_MEMBERS:
        raise CircleError(f"{circle.name} is full ({MAX_MEMBERS} people).")
    earlier = next((m for m in circle.memberships if m.person_id == person.id), None)
    if earlier is not None:
        earlier.left_at, earlier.role, earlier.joined_at = None, role, ctx.now
    else:
        ctx.uow.session.add(
            Membership(
                circle_id=circle.id,
                person_id=person.id,
                role=role,
                joined_at=ctx.now,
                ground_rules_accepted_at=ctx.now if person.id == ctx.person.id else None,
            )
        )
    await ctx.uow.flush()
    await ctx.uow.session.refresh(circle, ["memberships"])
    ctx.uow.emit(AddToSpace(circle.id, person.id))
    ctx.uow.emit(PostToCircle(circle.id, message(f"{person.display_name} joined the circle. Welcome!")))


async def remove_member(ctx: RequestContext, circle: Circle, person: Person) -> None:
    membership = ctx_member(circle, person)
    if membership is None:
        raise CircleError(f"{person.display_name} isn't in {circle.name}.")
    membership.left_at = ctx.now
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
    circle.status = target
    ctx.uow.emit(PostToCircle(circle.id, message(f"{ctx.person.display_name} set the circle to {target.value}.")))
    if target == CircleStatus.CLOSED:
        ctx.uow.emit(ArchiveSpace(circle.id))
    return done(f"{circle.name} is now {target.value}.")
