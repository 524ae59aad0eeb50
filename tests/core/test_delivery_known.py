"""What a request's delivery may take from the rows the request loaded instead of reading them again."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import defer, lazyload

from core.db import Database
from core.delivery import Known
from core.models import Circle, Meeting, Person, Round
from tests.core.test_statement_counts import seed_other_circles


async def loaded(db: Database, *options: object) -> tuple[Circle, Meeting, Round]:
    async with db.unit_of_work() as uow:
        circle = (await uow.session.scalars(select(Circle).options(*options))).one()  # type: ignore[arg-type]
        meeting = (await uow.session.scalars(select(Meeting))).one()
        round_ = (await uow.session.scalars(select(Round))).one()
    return circle, meeting, round_


async def test_whole_rows_with_their_platform_references_are_known(db: Database) -> None:
    await seed_other_circles(db, 1, workspace="T1")
    async with db.engine.begin() as conn:
        await conn.execute(update(Round).values(thread_ref="S1/1"))
    circle, meeting, round_ = await loaded(db)
    known = Known.of([circle, meeting, round_, *(m.person for m in circle.memberships)])
    assert known.get(Circle, circle.id) is circle
    assert known.get(Meeting, meeting.id) is meeting
    assert known.get(Round, round_.id) is round_
    assert known.get(Person, circle.memberships[0].person_id) is circle.memberships[0].person
    assert known.get(Circle, circle.id + 1) is None


async def test_a_reference_not_made_yet_or_a_row_not_read_whole_is_read_again(db: Database) -> None:
    """An earlier send may have made the space or the thread since the request read the row."""
    await seed_other_circles(db, 1, workspace="T1")  # the round has no thread yet
    _, _, round_ = await loaded(db)
    assert Known.of([round_]).get(Round, round_.id) is None
    async with db.engine.begin() as conn:
        await conn.execute(update(Circle).values(space_ref=None))
    circle, _, _ = await loaded(db)
    assert Known.of([circle]).get(Circle, circle.id) is None
    async with db.engine.begin() as conn:
        await conn.execute(update(Circle).values(space_ref="S1"))
    circle, _, _ = await loaded(db, lazyload(Circle.memberships))  # without its members
    assert Known.of([circle]).get(Circle, circle.id) is None
    circle, _, _ = await loaded(db, defer(Circle.name))  # a column left out
    assert Known.of([circle]).get(Circle, circle.id) is None
    circle, _, _ = await loaded(db)
    assert Known.of([circle]).get(Circle, circle.id) is circle
