"""Forming a programme's circles in chat: `/circle form PROGRAMME` shows its lead, privately, the
circles the formation engine (`core.formation.roster`) proposes from the programme's sign-ups, each
with why it fits and any rule it had to relax; the lead moves people (`move=@person to=N`), tries
another seed, and confirms.

The proposal is stored (`FormationProposal`) so confirming creates exactly what the lead saw: the
*Create these circles* button carries the proposal's revision, a re-run or a move raises it, and a
change in the sign-ups since is caught by their fingerprint. One conditional UPDATE claims the
confirmation, so a button pressed twice, a form re-delivered or two workers create the circles once.

Confirming creates each circle on the programme's workspace with the programme's format and series,
opens its private space, invites its members by the consent flow (`core.membership`), a volunteer
as facilitator where the format has one, and schedules its series (`core.scheduling.series`).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult

from core import membership, programmes
from core.commands import MAX_NAME, MAX_SEED, NAME, whole_number
from core.context import NOT_YOURS, RequestContext
from core.errors import CircleError, NotAllowed, NotFound
from core.formation.programme_signups import programme_sign_ups
from core.formation.rules import FormationRules
from core.formation.scoring import score_circle
from core.formation.signups import SignUp
from core.formats import Format, get_format
from core.messages import Actions, Button, ButtonStyle, Heading, Message, Reply, Text
from core.models import Circle, FormationProposal, Person, Programme
from core.requests import ConfirmCircles, FormCircles, PersonRef
from core.scheduling.series import schedule_series
from core.topic_modules import DEFAULT_MODULE, load_module
from core.vocabulary import Facilitation, Role

RULES = FormationRules()  # circles of 5-7 within 6 hours of each other, as `circles form` by default
TIME_BUDGET = 2.0  # seconds of search: a lead waits for the reply
MAX_PEOPLE = 300  # about 50 circles in one private reply; larger programmes: `circles form --programme`
MAX_BLOCK = 2800  # characters per paragraph of the reply, under Slack's 3000 a section
MOVE_HINT = "Move someone: `/circle form {name} move=@person to=N`. Another arrangement: `/circle form {name} seed=N`."


class FormingAction(StrEnum):
    CONFIRM = "formation.confirm"  # value: "<proposal id>:<revision>"
    RERUN = "formation.rerun"  # value: "<programme id>:<seed>"


def rerun_request(programme_id: int, seed: str) -> FormCircles:
    """*Another arrangement*: the same request as `/circle form PROGRAMME seed=N`."""
    return FormCircles(programme_id=programme_id, seed=whole_number(seed, 1, MAX_SEED, "seed"))


def confirm_request(proposal_id: int, revision: str) -> ConfirmCircles:
    return ConfirmCircles(proposal_id, whole_number(revision, 1, 2**31 - 1, "revision"))


# Proposing ---------------------------------------------------------------------------------------


async def form(ctx: RequestContext, req: FormCircles) -> Reply:
    """The standing proposal (run anew with `seed`, or when there is none for these sign-ups, with
    seed 1), or a move within it."""
    programme = await _programme(ctx, req)
    if req.move is None and req.to is not None:
        raise CircleError(f"Say who to move: `/circle form {programme.name} move=@person to={req.to}`.")
    if req.move is not None and (req.to is None or req.seed is not None):
        raise CircleError(
            f"Move one person at a time to one circle: `/circle form {programme.name} move=@person to=N`."
        )
    proposal = await _proposal_of(ctx, programme.id)
    if proposal is not None and proposal.confirmed_at is not None:
        raise CircleError(f"The circles of '{programme.name}' were created already; a new programme forms new ones.")
    _, signups = await programme_sign_ups(ctx.uow.session, programme.id)
    if len(signups) < RULES.min_size:
        have = (
            "Nobody has"
            if not signups
            else f"Only {len(signups)} {'person has' if len(signups) == 1 else 'people have'}"
        )
        raise CircleError(
            f"{have} signed up for '{programme.name}' yet; a circle needs at least {RULES.min_size}. "
            f"Ask people to /circle signup {programme.name}."
        )
    if len(signups) > MAX_PEOPLE:
        raise CircleError(
            f"{len(signups)} people signed up for '{programme.name}': more than I can propose here "
            f"({MAX_PEOPLE}). Form them with `circles form --programme {programme.id}`."
        )
    if req.move is not None and req.to is not None:
        proposal = await _move(ctx, programme, proposal, signups, req.move, req.to)
    elif req.seed is None and proposal is not None and proposal.sign_ups == fingerprint(signups):
        pass  # asked again: the standing proposal, moves and all, as long as the sign-ups are the same
    else:
        proposal = await _run(ctx, programme, proposal, signups, req.seed or 1)
    return Reply(_shown(programme, proposal, signups))


async def _run(
    ctx: RequestContext,
    programme: Programme,
    proposal: FormationProposal | None,
    signups: list[SignUp],
    seed: int,
) -> FormationProposal:
    from core.formation.roster import form_circles  # the engine loads numba: only in a process that forms

    result = await asyncio.to_thread(form_circles, signups, RULES, seed=seed, time_budget=TIME_BUDGET)
    circles = [[int(member.id) for member in circle.members] for circle in result.circles]
    notes = [str(relaxation) for relaxation in result.relaxations]
    if proposal is None:
        proposal = FormationProposal(programme_id=programme.id, revision=0, created_at=ctx.now)
        ctx.uow.session.add(proposal)
    proposal.revision += 1
    proposal.seed, proposal.circles, proposal.notes = seed, circles, notes
    proposal.sign_ups, proposal.proposed_by_id, proposal.updated_at = fingerprint(signups), ctx.person.id, ctx.now
    await ctx.uow.flush()
    return proposal


async def _move(
    ctx: RequestContext,
    programme: Programme,
    proposal: FormationProposal | None,
    signups: list[SignUp],
    who: PersonRef,
    to: int,
) -> FormationProposal:
    if proposal is None:
        raise CircleError(f"There is nothing to move yet: `/circle form {programme.name}` proposes the circles first.")
    _require_current(programme, proposal, signups)
    circles = [list(ids) for ids in proposal.circles]
    person = await ctx.uow.session.scalar(
        select(Person).where(Person.workspace_id == ctx.workspace.id, Person.external_id == who.external_id)
    )
    source = next((number for number, ids in enumerate(circles, 1) if person is not None and person.id in ids), None)
    if person is None or source is None:
        raise CircleError(f"{who.name or 'That person'} isn't in the proposed circles of '{programme.name}'.")
    if not 1 <= to <= len(circles):
        raise CircleError(f"There is no circle {to}: the proposal has circles 1 to {len(circles)}.")
    if to == source:
        raise CircleError(f"{person.display_name} is already in circle {to}.")
    if len(circles[source - 1]) <= 2:
        raise CircleError(f"Circle {source} would be left with one person; move someone else, or try another seed.")
    if len(circles[to - 1]) >= membership.MAX_MEMBERS:
        raise CircleError(f"Circle {to} already has {membership.MAX_MEMBERS} people, as many as a circle holds.")
    circles[source - 1].remove(person.id)
    circles[to - 1].append(person.id)
    by_id = {signup.id: signup for signup in signups}
    arranged = [[by_id[str(pid)] for pid in ids] for ids in circles]
    proposal.circles = circles
    from core.formation.roster import hand_made_relaxations  # as in _run

    proposal.notes = [str(relaxation) for relaxation in hand_made_relaxations(arranged, signups, RULES)]
    proposal.revision += 1
    proposal.proposed_by_id, proposal.updated_at = ctx.person.id, ctx.now
    await ctx.uow.flush()
    return proposal


def _shown(programme: Programme, proposal: FormationProposal, signups: Sequence[SignUp]) -> Message:
    """The proposal as the lead sees it: every circle with its people and why-line, what it relaxed,
    and the buttons that confirm exactly this revision or try the next seed."""
    fmt = get_format(programme.format_key)
    by_id = {signup.id: signup for signup in signups}
    people = sum(len(ids) for ids in proposal.circles)
    paragraphs = []
    for number, ids in enumerate(proposal.circles, start=1):
        members = [by_id[str(pid)] for pid in ids]
        leader = _facilitator(fmt, members)
        names = ", ".join(m.name + (" (facilitates)" if m is leader else "") for m in members)
        if leader is None and fmt.facilitation != Facilitation.ROTATING:
            names += " (nobody volunteered to facilitate)"
        paragraphs.append(
            f"*Circle {number}* ({len(members)}): {names}\nwhy: {score_circle(members, RULES.weights).explanation}"
        )
    if proposal.notes:
        paragraphs.append("Rules I had to relax:")
        paragraphs.extend(f"• {note}" for note in proposal.notes)
    else:
        paragraphs.append("Every rule holds: every circle's size and time-zone window.")
    paragraphs.append(MOVE_HINT.format(name=programme.name))
    buttons = (
        Button(
            "Create these circles", FormingAction.CONFIRM, f"{proposal.id}:{proposal.revision}", ButtonStyle.PRIMARY
        ),
        Button("Another arrangement", FormingAction.RERUN, f"{programme.id}:{proposal.seed % MAX_SEED + 1}"),
    )
    count = len(proposal.circles)
    heading = (
        f"{programme.name}: {count} circle{'s' if count != 1 else ''} from {people} people "
        f"({fmt.name}, seed {proposal.seed}), seen only by you"
    )
    return Message(
        (Heading(heading), *(Text(block) for block in _blocks(paragraphs)), Actions(buttons)),
        f"Proposed circles for {programme.name}",
    )


def _blocks(paragraphs: Sequence[str]) -> list[str]:
    """Paragraphs joined into as few blocks as fit, so a large programme stays within a message's limits."""
    blocks: list[str] = []
    for paragraph in paragraphs:
        paragraph = paragraph[:MAX_BLOCK]
        if blocks and len(blocks[-1]) + len(paragraph) + 2 <= MAX_BLOCK:
            blocks[-1] += "\n\n" + paragraph
        else:
            blocks.append(paragraph)
    return blocks


# Confirming --------------------------------------------------------------------------------------


async def confirm(ctx: RequestContext, req: ConfirmCircles) -> Reply:
    proposal = await ctx.uow.session.get(FormationProposal, req.proposal, populate_existing=True)
    programme = await ctx.uow.session.get(Programme, proposal.programme_id) if proposal else None
    if proposal is None or programme is None or programme.workspace_id != ctx.workspace.id:
        raise NotFound(NOT_YOURS)
    if programme.lead_id != ctx.person.id:
        raise NotAllowed(f"Only the lead of '{programme.name}' can create its circles.")
    if proposal.confirmed_at is not None:
        raise CircleError(f"The circles of '{programme.name}' were created already.")
    if proposal.revision != req.revision:
        raise CircleError(
            f"That proposal for '{programme.name}' has changed since (re-run or someone moved): "
            "please confirm the latest one."
        )
    _, signups = await programme_sign_ups(ctx.uow.session, programme.id)
    _require_current(programme, proposal, signups)
    claimed = await ctx.uow.session.execute(
        update(FormationProposal)
        .where(
            FormationProposal.id == proposal.id,
            FormationProposal.revision == req.revision,
            FormationProposal.confirmed_at.is_(None),
        )
        .values(confirmed_at=ctx.now, revision=req.revision + 1)
        .execution_options(synchronize_session=False)
    )
    if not isinstance(claimed, CursorResult) or claimed.rowcount != 1:
        await ctx.uow.session.refresh(proposal)
        if proposal.confirmed_at is None:
            raise CircleError(f"That proposal for '{programme.name}' changed a moment ago: please look again.")
        raise CircleError(f"The circles of '{programme.name}' were created already.")
    fmt = get_format(programme.format_key)
    by_id = {signup.id: signup for signup in signups}
    people = {p.id: p for p in await ctx.uow.session.scalars(select(Person).where(Person.id.in_(_ids(proposal))))}
    names = await _free_names(ctx, programme.name, len(proposal.circles))
    lines = []
    for name, ids in zip(names, proposal.circles, strict=True):
        members = [people[pid] for pid in ids]
        leader = _facilitator(fmt, [by_id[str(pid)] for pid in ids])
        module_key = load_module(DEFAULT_MODULE).key if fmt.uses_module else None
        circle = await membership.set_up_circle(ctx, name, fmt, programme, module_key)
        for person in members:
            role = Role.FACILITATOR if leader is not None and leader.id == str(person.id) else Role.MEMBER
            await membership.invite_formed(ctx, circle, person, role)
        series = await schedule_series(ctx, circle, members)
        who = ", ".join(p.display_name for p in members)
        led = f"; {leader.name} facilitates" if leader else _nobody_facilitates(fmt, name)
        lines.append(f"*{name}*: {who}{led}." + (f"\n{series}" if series else ""))
    heading = (
        f"{programme.name}: {len(names)} circle{'s' if len(names) != 1 else ''} created; "
        "everyone is invited and joins on accepting"
    )
    return Reply(Message((Heading(heading), *(Text(block) for block in _blocks(lines))), heading))


async def _free_names(ctx: RequestContext, programme: str, count: int) -> list[str]:
    """`PROGRAMME-1` … in order, skipping names already taken in the workspace, each a valid circle name."""
    taken = set(
        await ctx.uow.session.scalars(
            select(Circle.name).where(
                Circle.workspace_id == ctx.workspace.id,
                Circle.name.startswith(programme[: MAX_NAME - 4], autoescape=True),
            )
        )
    )
    names: list[str] = []
    number = 0
    while len(names) < count:
        number += 1
        suffix = f"-{number}"
        name = programme[: MAX_NAME - len(suffix)] + suffix
        if name not in taken and NAME.fullmatch(name):
            names.append(name)
    return names


# Shared ------------------------------------------------------------------------------------------


async def _programme(ctx: RequestContext, req: FormCircles) -> Programme:
    if req.programme_id is None:
        return await programmes.led_programme(ctx, req.programme, "form its circles")
    programme = await ctx.uow.session.get(Programme, req.programme_id)
    if programme is None or programme.workspace_id != ctx.workspace.id:
        raise NotFound(NOT_YOURS)
    if programme.lead_id != ctx.person.id:
        raise NotAllowed(f"Only the lead of '{programme.name}' can form its circles.")
    return programme


async def _proposal_of(ctx: RequestContext, programme_id: int) -> FormationProposal | None:
    return await ctx.uow.session.scalar(
        select(FormationProposal)
        .where(FormationProposal.programme_id == programme_id)
        .execution_options(populate_existing=True)
    )


def _require_current(programme: Programme, proposal: FormationProposal, signups: Sequence[SignUp]) -> None:
    if proposal.sign_ups != fingerprint(signups):
        raise CircleError(
            f"The sign-ups for '{programme.name}' have changed since this proposal: "
            f"`/circle form {programme.name}` proposes circles with everyone who signed up now."
        )


def fingerprint(signups: Sequence[SignUp]) -> str:
    """What formation read, in one hash: who signed up and everything it weighs about them."""
    rows = sorted(
        "|".join(
            (
                s.id,
                s.department,
                str(s.level),
                s.timezone,
                ";".join(sorted(s.topics)),
                str(s.facilitator),
                ";".join(sorted(s.past_circles)),
            )
        )
        for s in signups
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def _facilitator(fmt: Format, members: Sequence[SignUp]) -> SignUp | None:
    """The circle's facilitator where its format has one: the first member who volunteered."""
    if fmt.facilitation == Facilitation.ROTATING:
        return None
    return next((m for m in members if m.facilitator), None)


def _nobody_facilitates(fmt: Format, name: str) -> str:
    if fmt.facilitation == Facilitation.ROTATING:
        return ""
    return f"; nobody volunteered to facilitate: `/circle add @person role=facilitator in={name}`"


def _ids(proposal: FormationProposal) -> list[int]:
    return [pid for ids in proposal.circles for pid in ids]
