"""The sign-ups a programme collected through the bots, as the `SignUp`s formation takes, with who
has already sat together: pairs who shared a circle in the workspace's last few programmes."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import CircleError
from core.formation.signups import SignUp, listed_items, signup_from_person
from core.models import Circle, Membership, Programme, ProgrammeSignUp

PAST_PROGRAMMES = 3


async def programme_sign_ups(
    session: AsyncSession, programme_id: int, past_programmes: int = PAST_PROGRAMMES
) -> tuple[Programme, list[SignUp]]:
    programme = await session.get(Programme, programme_id)
    if programme is None:
        raise CircleError(f"There is no programme {programme_id}.")
    entries = list(
        await session.scalars(
            select(ProgrammeSignUp).where(ProgrammeSignUp.programme_id == programme.id).order_by(ProgrammeSignUp.id)
        )
    )
    past = await _past_circles(session, programme, past_programmes, [e.person_id for e in entries])
    return programme, [
        signup_from_person(
            entry.person,
            topics=listed_items(entry.topics),
            facilitator=entry.facilitator,
            past_circles=past[entry.person_id],
        )
        for entry in entries
    ]


async def _past_circles(
    session: AsyncSession, programme: Programme, count: int, people: list[int]
) -> dict[int, set[str]]:
    """Labels of the circles each person sat in during the `count` programmes before this one."""
    earlier = list(
        await session.scalars(
            select(Programme.id)
            .where(
                Programme.workspace_id == programme.workspace_id,
                Programme.id != programme.id,
                Programme.created_at <= programme.created_at,
            )
            .order_by(Programme.created_at.desc(), Programme.id.desc())
            .limit(max(count, 0))
        )
    )
    labels: dict[int, set[str]] = defaultdict(set)
    if not earlier or not people:
        return labels
    rows = await session.execute(
        select(Membership.person_id, Membership.circle_id)
        .join(Circle, Circle.id == Membership.circle_id)
        .where(Circle.programme_id.in_(earlier), Membership.person_id.in_(people))
    )
    for person_id, circle_id in rows:
        labels[person_id].add(f"circle-{circle_id}")
    return labels
