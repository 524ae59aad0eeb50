"""Circles and membership: new, join, leave, add, remove, pause/resume/end."""

from __future__ import annotations

import re

from sqlalchemy import select

from core import programmes
from core.commands import Command, usage
from core.context import RequestContext
from core.effects import AddToSpace, ArchiveSpace, OpenSpace, PostToCircle, RemoveFromSpace
from core.errors import CircleError, NotFound, UsageError
from core.formats import get_format
from core.handlers.replies import choice, done
from core.messages import (
    Reply,
    message,
)
from core.models import Circle, Membership, Person
from core.topic_modules import load_module, module_keys
from core.vocabulary import (
    CircleStatus,
    Facilitation,
    Mode,
    Role,
)

CIRCLE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")
MAX_MEMBERS = 8  # 5-7 members and a facilitator


async def new_circle(ctx: RequestContext, cmd: Command) -> Reply:
    name = cmd.text.strip().lower()
    if not CIRCLE_NAME.match(name):
        raise UsageError(
            f"Circle names are 2-40 lowercase letters, digits, - or _, like `leaders-1`.\nUsage: {usage('new')}"
        )
    fmt = get_format(cmd.options.get("format", "action-learning"))
    mode = choice(cmd.options.get("mode", "live"), Mode, "mode")
    module_key = cmd.options.get("module")
    if fmt.uses_module:
        module_key = load_module(module_key or module_keys()[0]).key
    elif module_key:
        raise CircleError(f"The {fmt.name} format has no topic module; use format=module.")
    programme_id = await programmes.led_programme(ctx, cmd.options["programme"]) if "programme" in cmd.options else None
    taken = await ctx.uow.session.scalar(
        select(Circle.id).where(Circle.workspace_id == ctx.workspace.id, Circle.name == name)
    )
    if taken is not None:
        raise CircleError(f"There's already a circle called '{name}' here. Please pick another name.")
    circle = Circle(
        workspace_id=ctx.workspace.id,
        programme_id=programme_id,
        name=name,
        format_key=fmt.key,
        module_key=module_key,
        mode=mode,
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
        f"Circle '{name}' is set up ({fmt.name}, {mode.value}). Add people with /circle add @person, "
        f"or ask them to /circle join {name}."
    )


async def join(ctx: RequestContext, cmd: Command) -> Reply:
    name = cmd.text.strip().lower()
    circle = await ctx.uow.session.scalar(
        select(Circle).where(
            Circle.workspace_id == ctx.workspace.id, Circle.name == name, Circle.status == CircleStatus.FORMING
        )
    )
    if circle is None:
        raise NotFound(f"There's no circle called '{name[:80]}' open for joining.")
    if ctx.is_member(circle):
        raise CircleError(f"You're already in {circle.name}.")
    await add_member(ctx, circle, ctx.person, Role.MEMBER)
    return done(f"Welcome to {circle.name}. Ground rules: what is said in the circle stays in the circle.")


async def leave(ctx: RequestContext, cmd: Command) -> Reply:
    circle = await ctx.circle_for(cmd.circle_name)
    await remove_member(ctx, circle, ctx.person)
    return done(f"You have left {circle.name}.")


async def add(ctx: RequestContext, cmd: Command) -> Reply:
    circle = await ctx.circle_for(cmd.circle_name)
    ctx.require_lead(circle, "add people")
    role = choice(cmd.options.get("role", "member"), Role, "role")
    names = []
    for external_id in cmd.mentions:
        person = await ctx.person_by_external(external_id)
        if ctx_member(circle, person) is None:
            await add_member(ctx, circle, person, role)
            names.append(person.display_name)
    if not names:
        raise CircleError("Everyone you named is already in the circle.")
    return done(f"Added {', '.join(names)} to {circle.name}.")


async def remove(ctx: RequestContext, cmd: Command) -> Reply:
    circle = await ctx.circle_for(cmd.circle_name)
    ctx.require_lead(circle, "remove people")
    person = await ctx.person_by_external(cmd.mentions[0])
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


async def set_circle_status(ctx: RequestContext, cmd: Command) -> Reply:
    circle = await ctx.circle_for(cmd.circle_name)
    ctx.require_lead(circle, f"{cmd.name} the circle")
    target = {"pause": CircleStatus.PAUSED, "resume": CircleStatus.ACTIVE, "end": CircleStatus.CLOSED}[cmd.name]
    if circle.status == target:
        raise CircleError(f"{circle.name} is already {target.value}.")
    if cmd.name == "resume" and circle.status != CircleStatus.PAUSED:
        raise CircleError(f"{circle.name} isn't paused.")
    circle.status = target
    ctx.uow.emit(PostToCircle(circle.id, message(f"{ctx.person.display_name} set the circle to {target.value}.")))
    if target == CircleStatus.CLOSED:
        ctx.uow.emit(ArchiveSpace(circle.id))
    return done(f"{circle.name} is now {target.value}.")
