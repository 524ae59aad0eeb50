"""Programmes and sign-ups: a lead starts a programme, people ask to join it through the *Join the
programme* form, and the lead forms its circles from what they gave (`/circle form`, `core.forming`).

A programme is found only in the asker's own workspace, by name for commands and by id for the
form, so nobody reaches another workspace's programme or sees who else signed up.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from core import forms
from core.commands import whole_number
from core.context import RequestContext
from core.errors import CircleError, NotAllowed, NotFound
from core.formats import get_format
from core.messages import Heading, Reply, Text, message
from core.models import Programme, ProgrammeSignUp
from core.requests import ListSignUps, NewProgramme, OpenSignUp, SignUp

MAX_TOPICS = 10
MAX_LISTED = 50  # a longer list belongs in the CSV `circles form` writes


async def new_programme(ctx: RequestContext, req: NewProgramme) -> Reply:
    name = req.name
    fmt = get_format(req.format)
    low, high = fmt.meetings
    meetings = whole_number(str(req.meetings or high), low, high, "meetings")
    shortest, longest = fmt.cadence_days
    every = whole_number(str(req.every or shortest), shortest, longest, "every (days between meetings)")
    if await _programme_named(ctx, name) is not None:
        raise CircleError(f"There's already a programme called '{name}' here. Please pick another name.")
    programme = Programme(
        workspace_id=ctx.workspace.id,
        name=name,
        format_key=fmt.key,
        cadence_days=every,
        meeting_count=meetings,
        lead_id=ctx.person.id,
        created_at=ctx.now,
    )
    ctx.uow.session.add(programme)
    await ctx.uow.flush()
    return Reply(
        message(
            f"Programme '{name}' is open for sign-ups ({fmt.name}, {meetings} meetings every {every} days). "
            f"Ask people to /circle signup {name}. When they have, form the circles here with "
            f"`/circle form {name}` (or as a CSV with `circles form --programme {programme.id}`)."
        )
    )


async def sign_up(ctx: RequestContext, req: OpenSignUp) -> Reply:
    """Opens the form, filled in with what this person gave before, so signing up twice edits."""
    name = req.programme
    programme = await _programme_named(ctx, name)
    if programme is None:
        raise NotFound(f"There's no programme called '{name[:80]}' here.")
    earlier = await _sign_up_of(ctx, programme.id)
    person = ctx.person
    form = forms.sign_up_form(
        programme.id,
        department=person.department or "",
        level="" if person.level is None else str(person.level),
        timezone=person.timezone or "",
        topics=earlier.topics if earlier else "",
        facilitator=earlier.facilitator if earlier else False,
    )
    return Reply(message(f"Tell us a little about you to join '{programme.name}'."), form)


async def list_sign_ups(ctx: RequestContext, req: ListSignUps) -> Reply:
    """For the lead only: who has signed up, with what formation will weigh."""
    programme = await _programme_named(ctx, req.programme)
    if programme is None:
        raise NotFound(f"There's no programme called '{req.programme}' here.")
    if programme.lead_id != ctx.person.id:
        raise NotAllowed(f"Only the lead of '{programme.name}' can see who has signed up.")
    entries = list(
        await ctx.uow.session.scalars(
            select(ProgrammeSignUp).where(ProgrammeSignUp.programme_id == programme.id).order_by(ProgrammeSignUp.id)
        )
    )
    willing = sum(1 for entry in entries if entry.facilitator)
    lines = [
        f"{entry.person.display_name or entry.person.external_id} — {entry.person.department or '?'}, "
        f"level {entry.person.level or '?'}, {entry.person.timezone or 'UTC'}"
        + (", would facilitate" if entry.facilitator else "")
        for entry in entries[:MAX_LISTED]
    ]
    if len(entries) > MAX_LISTED:
        lines.append(f"… and {len(entries) - MAX_LISTED} more.")
    return Reply(
        message(
            Heading(f"{programme.name}: {len(entries)} signed up, {willing} willing to facilitate"),
            *(Text(line) for line in lines),
            f"Form the circles with `/circle form {programme.name}` "
            f"(or as a CSV with `circles form --programme {programme.id}`).",
        )
    )


def sign_up_errors(values: dict[str, str]) -> dict[str, str]:
    """What the spec's checks of each value cannot see."""
    errors: dict[str, str] = {}
    if len(_topics(values.get("topics") or "")) > MAX_TOPICS:
        errors["topics"] = f"Please name at most {MAX_TOPICS} topics."
    return errors


async def submit_sign_up(ctx: RequestContext, req: SignUp) -> Reply:
    programme = await ctx.uow.session.get(Programme, req.programme_id)
    if programme is None or programme.workspace_id != ctx.workspace.id:
        raise NotFound("That programme is no longer open.")
    person = ctx.person
    person.department = req.department
    person.level = req.level
    person.timezone = req.timezone
    topics = "; ".join(_topics(req.topics))
    facilitator = req.facilitator == "yes"
    entry = await _sign_up_of(ctx, programme.id)
    if entry is None:
        ctx.uow.session.add(
            ProgrammeSignUp(
                programme_id=programme.id,
                person_id=person.id,
                topics=topics,
                facilitator=facilitator,
                created_at=ctx.now,
                updated_at=ctx.now,
            )
        )
        return Reply(message(f"You're signed up for '{programme.name}'. The lead will tell you your circle."))
    entry.topics, entry.facilitator, entry.updated_at = topics, facilitator, ctx.now
    return Reply(message(f"Your sign-up for '{programme.name}' is updated."))


async def led_programme(ctx: RequestContext, name: str, doing: str = "add circles to it") -> Programme:
    """A programme the asker leads, for a circle formed from it (`/circle new … programme=`,
    `/circle form`), so its members' shared history is known when the next programme is formed."""
    programme = await _programme_named(ctx, name.lower())
    if programme is None:
        raise NotFound(f"There's no programme called '{name[:80]}' here.")
    if programme.lead_id != ctx.person.id:
        raise NotAllowed(f"Only the lead of '{programme.name}' can {doing}.")
    return programme


async def _programme_named(ctx: RequestContext, name: str) -> Programme | None:
    return await ctx.uow.session.scalar(
        select(Programme).where(Programme.workspace_id == ctx.workspace.id, Programme.name == name)
    )


async def _sign_up_of(ctx: RequestContext, programme_id: int) -> ProgrammeSignUp | None:
    return await ctx.uow.session.scalar(
        select(ProgrammeSignUp).where(
            ProgrammeSignUp.programme_id == programme_id, ProgrammeSignUp.person_id == ctx.person.id
        )
    )


def _topics(text: str) -> list[str]:
    """Topics separated by ; or , with case and repeats folded, in the order given."""
    seen: dict[str, None] = {}
    for part in re.split(r"[;,]", text):
        topic = " ".join(part.split()).lower()
        if topic:
            seen.setdefault(topic[:60])
    return list(seen)
