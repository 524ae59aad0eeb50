"""Membership by consent: nobody is in a circle unless they and its lead both said so.

The lead invites (`/circle add`) and the invited person accepts or declines; anyone else asks
(`/circle join`) and the lead approves or declines. Someone who asks learns nothing about the
circle until they are let in: the answer is the same whether the circle exists, is full, is
closed, or removed them. Removal is final until the lead invites again. A lead may open a circle at
creation (`open=yes`), and then anyone not removed from it joins without asking.

Every change to who is in a circle first locks the circle's row, so the member limit holds when
many people accept at once, on PostgreSQL (a row lock) and on SQLite (the single write lock).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import func, select, update

from core import meeting
from core.context import NOT_YOURS, RequestContext
from core.db import UnitOfWork
from core.effects import AddToSpace, OpenSpace, PostToCircle, RemoveFromSpace, TellPrivately
from core.errors import CircleError, NotFound
from core.formats import Format
from core.messages import Actions, Button, ButtonStyle, Message, Reply, Text, message, moment_token
from core.models import (
    Circle,
    Invitation,
    InvitationKind,
    InvitationState,
    Meeting,
    Membership,
    Person,
    Programme,
    ProgrammeSignUp,
)
from core.requests import AddPeople, Join, RemovePerson
from core.scheduling.calendar import offer_calendar
from core.scheduling.hours import hours_of
from core.vocabulary import CircleStatus, Mode, Platform, Role

MAX_MEMBERS = 8  # 5-7 members and a facilitator
RESERVED_NAMES = frozenset({"all", "admin", "channel", "circle", "circles", "everyone", "general", "help", "here"})
# Platforms whose private spaces can be joined without their past: Discord denies Read Message History.
HIDES_HISTORY = frozenset({Platform.DISCORD})
GROUND_RULES = "Ground rules: what is said in the circle stays in the circle."
JOIN_ASKED = "Thanks: if there is such a circle, its lead has your request, and you'll hear from me if they let you in."


class MembershipAction(StrEnum):
    ACCEPT = "invitation.accept"  # value: circle id
    DECLINE = "invitation.decline"  # value: circle id
    CONFIRM = "invitation.confirm"  # value: circle id; the lead sends invitations held back for a warning
    APPROVE = "join_request.approve"  # value: invitation id
    REFUSE = "join_request.decline"  # value: invitation id


async def set_up_circle(
    ctx: RequestContext,
    name: str,
    fmt: Format,
    programme: Programme | None,
    module_key: str | None = None,
    mode: Mode = Mode.LIVE,
    open_to_all: bool = False,
) -> Circle:
    """A new circle with nobody in it yet, its private space on the way: `/circle new` and a
    programme's confirmed formation both start here. Its series is the programme's, else the
    format's longest with its shortest gap."""
    circle = Circle(
        workspace_id=ctx.workspace.id,
        programme_id=programme.id if programme else None,
        name=name,
        format_key=fmt.key,
        module_key=module_key,
        mode=mode,
        status=CircleStatus.FORMING,
        facilitation=fmt.facilitation,
        created_by_id=ctx.person.id,
        created_at=ctx.now,
        open=open_to_all,
        meeting_count=programme.meeting_count if programme else fmt.meetings[1],
        cadence_days=programme.cadence_days if programme else fmt.cadence_days[0],
    )
    ctx.uow.session.add(circle)
    await ctx.uow.flush()
    await ctx.uow.session.refresh(circle, ["memberships"])
    ctx.uow.emit(OpenSpace(circle.id))
    return circle


def name_unavailable(name: str) -> CircleError:
    """One answer for every name that cannot be had, so a clash says nothing about another circle."""
    return CircleError(f"The name '{name}' isn't available. Please pick another name.")


async def check_name(ctx: RequestContext, name: str) -> None:
    taken = await ctx.uow.session.scalar(
        select(Circle.id).where(Circle.workspace_id == ctx.workspace.id, Circle.name == name)
    )
    if name in RESERVED_NAMES or taken is not None:
        raise name_unavailable(name)


# Invitations -----------------------------------------------------------------------------------


async def invite(ctx: RequestContext, req: AddPeople) -> Reply:
    """`/circle add @p [role=…] [history=yes|no]`: an invitation the person accepts or declines."""
    circle = await ctx.circle_for(req.target.circle)
    ctx.require_lead(circle, "invite people")
    role, chosen = req.role, req.history
    people = []
    for ref in {r.external_id: r for r in req.people}.values():
        person = await ctx.person_by_external(ref.external_id, ref.name)
        if _active(circle, person) is None:
            people.append(person)
    if not people:
        raise CircleError("Everyone you named is already in the circle.")
    past = await has_history(ctx, circle)
    hides = ctx.workspace.platform in HIDES_HISTORY
    history = chosen if chosen is not None else not past
    warn = past and not hides and chosen is not True
    invitations = [await _invitation(ctx, circle, person, role, history or not hides) for person in people]
    names = ", ".join(p.display_name for p in people)
    if warn:
        for invitation in invitations:
            invitation.state = InvitationState.DRAFT
        return Reply(
            Message(
                (
                    Text(
                        f"Before I invite {names}: on this platform a newcomer sees everything said in "
                        f"{circle.name}'s channel before they joined; it cannot be hidden. Invite them anyway?"
                    ),
                    Actions((Button("Invite anyway", MembershipAction.CONFIRM, str(circle.id), ButtonStyle.PRIMARY),)),
                ),
                f"Invite {names} to {circle.name}?",
            )
        )
    for invitation, person in zip(invitations, people, strict=True):
        _send_invitation(ctx, circle, invitation, person)
    seen = "" if history or not past else " They won't see what was said before they join."
    also = f" (If my DM can't reach them, they can accept with /circle join {circle.name}.)"
    later = _after_quiet_hours(ctx, people)
    return Reply(message(f"Invited {names} to {circle.name}; they join once they accept.{seen}{later}{also}"))


def _after_quiet_hours(ctx: RequestContext, people: list[Person]) -> str:
    """Whose invitation waits for the end of their quiet hours (`core.outbox`), so the lead is not left
    wondering why nobody answers."""
    return "".join(
        f" It's quiet hours for {person.display_name}: the invitation reaches them {moment_token(until)}."
        for person in people
        if (until := hours_of(person, ctx.workspace).held_until(ctx.now)) is not None
    )


async def invite_formed(ctx: RequestContext, circle: Circle, person: Person, role: Role) -> None:
    """An invitation to a circle just formed from a programme (`core.forming`): the same consent as
    `/circle add`, sent at once, as nothing has been said in the circle yet."""
    _send_invitation(ctx, circle, await _invitation(ctx, circle, person, role, history=True), person)


async def _invitation(ctx: RequestContext, circle: Circle, person: Person, role: Role, history: bool) -> Invitation:
    invitation = await _invitation_of(ctx, circle.id, person.id)
    if invitation is None:
        invitation = Invitation(circle_id=circle.id, person_id=person.id, kind=InvitationKind.INVITE)
        ctx.uow.session.add(invitation)
    invitation.kind, invitation.role, invitation.sees_history = InvitationKind.INVITE, role, history
    invitation.state, invitation.invited_by_id, invitation.created_at = InvitationState.PENDING, ctx.person.id, ctx.now
    invitation.decided_at = None
    await ctx.uow.flush()
    return invitation


def _send_invitation(ctx: RequestContext, circle: Circle, invitation: Invitation, person: Person) -> None:
    invitation.state = InvitationState.PENDING
    as_role = " as its facilitator" if invitation.role == Role.FACILITATOR else ""
    ident = str(circle.id)
    ctx.uow.emit(
        TellPrivately(
            person.id,
            Message(
                (
                    Text(
                        f"{ctx.person.display_name} invites you to the peer circle *{circle.name}*{as_role}. "
                        f"{GROUND_RULES} Would you like to join?"
                    ),
                    Actions(
                        (
                            Button("Accept", MembershipAction.ACCEPT, ident, ButtonStyle.PRIMARY),
                            Button("Decline", MembershipAction.DECLINE, ident),
                        )
                    ),
                ),
                f"{ctx.person.display_name} invites you to {circle.name}",
            ),
        )
    )


async def _invitation_of(ctx: RequestContext, circle_id: int, person_id: int) -> Invitation | None:
    return await ctx.uow.session.scalar(
        select(Invitation)
        .where(Invitation.circle_id == circle_id, Invitation.person_id == person_id)
        .execution_options(populate_existing=True)
    )


async def has_history(ctx: RequestContext, circle: Circle) -> bool:
    """Whether anything has been said in the circle yet (every check-in, bid or round belongs to a meeting)."""
    return await ctx.uow.session.scalar(select(Meeting.id).where(Meeting.circle_id == circle.id).limit(1)) is not None


# Join requests ---------------------------------------------------------------------------------


async def request_to_join(ctx: RequestContext, req: Join) -> Reply:
    """`/circle join NAME`: joins an open circle; otherwise asks its lead, and says the same whatever happens."""
    name = req.name
    circle = await ctx.uow.session.scalar(
        select(Circle).where(
            Circle.workspace_id == ctx.workspace.id, Circle.name == name, Circle.status != CircleStatus.CLOSED
        )
    )
    if circle is None:
        return Reply(message(JOIN_ASKED))
    if ctx.is_member(circle):
        raise CircleError(f"You're already in {circle.name}.")
    earlier = next((m for m in circle.memberships if m.person_id == ctx.person.id), None)
    removed = earlier is not None and earlier.removed
    invitation = await _invitation_of(ctx, circle.id, ctx.person.id)
    invited = invitation is not None and invitation.kind == InvitationKind.INVITE
    if invited and invitation is not None and invitation.state == InvitationState.PENDING:
        return await _accept(ctx, circle, invitation)
    if circle.open and not removed:
        await add_member(ctx, circle, ctx.person, Role.MEMBER, history=True)
        await offer_calendar(ctx.uow, circle, [ctx.person.id], f"You're in {circle.name}.", ctx.now)
        return Reply(message(f"Welcome to {circle.name}. {GROUND_RULES}"))
    if removed or (invitation is not None and invitation.state != InvitationState.ACCEPTED):
        return Reply(message(JOIN_ASKED))  # removed, declined, or already asked: nothing new for the lead
    if invitation is None:
        invitation = Invitation(circle_id=circle.id, person_id=ctx.person.id, kind=InvitationKind.REQUEST)
        ctx.uow.session.add(invitation)
    invitation.kind, invitation.state, invitation.role = InvitationKind.REQUEST, InvitationState.PENDING, Role.MEMBER
    invitation.invited_by_id, invitation.created_at, invitation.decided_at = None, ctx.now, None
    invitation.sees_history = not await has_history(ctx, circle)
    await ctx.uow.flush()
    _ask_leads(ctx, circle, invitation)
    return Reply(message(JOIN_ASKED))


def _ask_leads(ctx: RequestContext, circle: Circle, invitation: Invitation) -> None:
    ident = str(invitation.id)
    caveat = (
        ""
        if ctx.workspace.platform in HIDES_HISTORY
        else " If you let them in, they will see everything said in the circle's channel so far."
    )
    ask = Message(
        (
            Text(f"{ctx.person.display_name} asks to join *{circle.name}*.{caveat}"),
            Actions(
                (
                    Button("Let them in", MembershipAction.APPROVE, ident, ButtonStyle.PRIMARY),
                    Button("Decline", MembershipAction.REFUSE, ident),
                )
            ),
        ),
        f"{ctx.person.display_name} asks to join {circle.name}",
    )
    for lead_id in leads(circle):
        ctx.uow.emit(TellPrivately(lead_id, ask))


def leads(circle: Circle) -> list[int]:
    """Who decides on a circle's membership: whoever set it up, if still in it, and its facilitators."""
    active = circle.active_memberships()
    ids = [m.person_id for m in active if m.role == Role.FACILITATOR or m.person_id == circle.created_by_id]
    return list(dict.fromkeys(ids))


# Buttons ---------------------------------------------------------------------------------------


async def press(ctx: RequestContext, action: str, ident: int) -> Reply:
    match action:
        case MembershipAction.ACCEPT | MembershipAction.DECLINE:
            invitation = await _invitation_of(ctx, ident, ctx.person.id)
            circle = await ctx.uow.session.get(Circle, ident)
            if (
                invitation is None
                or circle is None
                or circle.workspace_id != ctx.workspace.id
                or invitation.kind != InvitationKind.INVITE
                or invitation.state != InvitationState.PENDING
                or circle.status == CircleStatus.CLOSED
            ):
                raise NotFound(NOT_YOURS)
            if action == MembershipAction.ACCEPT:
                return await _accept(ctx, circle, invitation)
            invitation.state, invitation.decided_at = InvitationState.DECLINED, ctx.now
            if invitation.invited_by_id is not None:
                declined = f"{ctx.person.display_name} declined your invitation to {circle.name}."
                ctx.uow.emit(TellPrivately(invitation.invited_by_id, message(declined)))
            return Reply(message(f"You declined the invitation to {circle.name}."))
        case MembershipAction.CONFIRM:
            circle = await ctx.circle_by_id(ident)
            ctx.require_lead(circle, "invite people")
            drafts = list(
                await ctx.uow.session.scalars(
                    select(Invitation).where(
                        Invitation.circle_id == circle.id,
                        Invitation.invited_by_id == ctx.person.id,
                        Invitation.state == InvitationState.DRAFT,
                    )
                )
            )
            if not drafts:
                return Reply(message("Those invitations have already gone out."))
            invited = []
            for invitation in drafts:
                person = await ctx.uow.session.get(Person, invitation.person_id)
                assert person is not None
                _send_invitation(ctx, circle, invitation, person)
                invited.append(person)
            names = ", ".join(person.display_name for person in invited)
            later = _after_quiet_hours(ctx, invited)
            return Reply(message(f"Invited {names} to {circle.name}; they join once they accept.{later}"))
        case MembershipAction.APPROVE | MembershipAction.REFUSE:
            invitation = await ctx.uow.session.get(Invitation, ident)
            if invitation is None or invitation.kind != InvitationKind.REQUEST:
                raise NotFound(NOT_YOURS)
            circle = await ctx.circle_by_id(invitation.circle_id)
            ctx.require_lead(circle, "let people in")
            person = await ctx.uow.session.get(Person, invitation.person_id)
            assert person is not None
            if invitation.state != InvitationState.PENDING:
                return Reply(message(f"{person.display_name}'s request was already answered."))
            invitation.decided_at = ctx.now
            if action == MembershipAction.REFUSE:
                invitation.state = InvitationState.DECLINED  # the asker is not told: that would confirm the circle
                return Reply(message(f"Declined; {person.display_name} is not told the circle exists."))
            await add_member(ctx, circle, person, invitation.role, invitation.sees_history)
            invitation.state = InvitationState.ACCEPTED
            welcome = f"{ctx.person.display_name} let you into the peer circle {circle.name}. {GROUND_RULES}"
            ctx.uow.emit(TellPrivately(person.id, message(welcome)))
            await offer_calendar(ctx.uow, circle, [person.id], f"You're in {circle.name}.", ctx.now)
            return Reply(message(f"{person.display_name} is now in {circle.name}."))
    raise NotFound("That button is no longer in use.")


async def _accept(ctx: RequestContext, circle: Circle, invitation: Invitation) -> Reply:
    await add_member(ctx, circle, ctx.person, invitation.role, invitation.sees_history)
    invitation.state, invitation.decided_at = InvitationState.ACCEPTED, ctx.now
    await offer_calendar(ctx.uow, circle, [ctx.person.id], f"You're in {circle.name}.", ctx.now)
    return Reply(message(f"Welcome to {circle.name}. {GROUND_RULES}"))


# Who is in ---------------------------------------------------------------------------------------


async def lock_circle(uow: UnitOfWork, circle_id: int) -> None:
    """Holds the circle until commit: a row lock on PostgreSQL, the single write lock on SQLite.
    A no-op UPDATE does both, where SELECT … FOR UPDATE would be ignored by SQLite."""
    lock = update(Circle).where(Circle.id == circle_id).values(id=Circle.id)
    await uow.session.execute(lock.execution_options(synchronize_session=False))


async def add_member(ctx: RequestContext, circle: Circle, person: Person, role: Role, history: bool) -> None:
    await lock_circle(ctx.uow, circle.id)
    active = await ctx.uow.session.scalar(
        select(func.count()).where(Membership.circle_id == circle.id, Membership.left_at.is_(None))
    )
    if (active or 0) >= MAX_MEMBERS:
        raise CircleError(f"{circle.name} is full ({MAX_MEMBERS} people).")
    earlier = await ctx.uow.session.scalar(
        select(Membership)
        .where(Membership.circle_id == circle.id, Membership.person_id == person.id)
        .execution_options(populate_existing=True)
    )
    if earlier is not None and earlier.left_at is None:
        raise CircleError(f"{person.display_name} is already in {circle.name}.")
    volunteer = await _volunteered(ctx, circle, person)
    if earlier is not None:
        earlier.left_at, earlier.role, earlier.joined_at, earlier.removed = None, role, ctx.now, False
        earlier.sees_history, earlier.ground_rules_accepted_at, earlier.volunteer = history, ctx.now, volunteer
    else:
        ctx.uow.session.add(
            Membership(
                circle_id=circle.id,
                person_id=person.id,
                role=role,
                joined_at=ctx.now,
                ground_rules_accepted_at=ctx.now,
                sees_history=history,
                volunteer=volunteer,
            )
        )
    await ctx.uow.flush()
    await ctx.uow.session.refresh(circle, ["memberships"])
    await meeting.reassign_facilitators(ctx.uow, circle)
    ctx.uow.emit(AddToSpace(circle.id, person.id, history))
    ctx.uow.emit(PostToCircle(circle.id, message(f"{person.display_name} joined the circle. Welcome!")))


async def _volunteered(ctx: RequestContext, circle: Circle, person: Person) -> bool:
    """Whether they said "I would facilitate" when signing up for the circle's programme (rotation
    asks volunteers first); False for circles outside a programme."""
    if circle.programme_id is None:
        return False
    said = await ctx.uow.session.scalar(
        select(ProgrammeSignUp.facilitator).where(
            ProgrammeSignUp.programme_id == circle.programme_id, ProgrammeSignUp.person_id == person.id
        )
    )
    return bool(said)


async def remove(ctx: RequestContext, req: RemovePerson) -> Reply:
    """`/circle remove @p`: final until the lead invites them again; a join request from them goes nowhere."""
    circle = await ctx.circle_for(req.target.circle)
    ctx.require_lead(circle, "remove people")
    person = await ctx.person_by_external(req.person.external_id, req.person.name)
    await lock_circle(ctx.uow, circle.id)
    membership = _active(circle, person)
    if membership is None:
        raise CircleError(f"{person.display_name} isn't in {circle.name}.")
    membership.left_at, membership.removed = ctx.now, True
    await meeting.reassign_facilitators(ctx.uow, circle)
    invitation = await _invitation_of(ctx, circle.id, person.id)
    if invitation is not None and invitation.state != InvitationState.ACCEPTED:
        invitation.state, invitation.decided_at = InvitationState.DECLINED, ctx.now
    ctx.uow.emit(RemoveFromSpace(circle.id, person.id))
    ctx.uow.emit(PostToCircle(circle.id, message(f"{person.display_name} has left the circle.")))
    return Reply(message(f"Removed {person.display_name} from {circle.name}."))


def seen_since(membership: Membership | None) -> datetime:
    """From when a member may read what the circle said: always, unless the lead spared them the past."""
    if membership is None or membership.sees_history:
        return datetime.min.replace(tzinfo=UTC)
    return membership.joined_at


def _active(circle: Circle, person: Person) -> Membership | None:
    return next((m for m in circle.active_memberships() if m.person_id == person.id), None)
