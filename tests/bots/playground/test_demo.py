"""The demo programme: real circles made through the service, seeded once."""

from __future__ import annotations

from sqlalchemy import func, select

from bots.playground.demo import CIRCLES, PEOPLE, seed_demo
from bots.playground.workspace import Playground
from core.formats import FORMATS
from core.models import Circle, Meeting, Person, Round
from core.vocabulary import MeetingState, Mode, Phase


async def test_seven_people_across_departments_and_time_zones_seeded_once(playground: Playground) -> None:
    assert not await seed_demo(playground.service)
    people = await playground.people()
    assert len(people) == 7
    assert len({p.department for p in people}) == 7
    assert len({p.timezone for p in people}) == 7
    assert {p.external_id for p in people} == {p.user for p in PEOPLE}
    async with playground.service.db.unit_of_work() as uow:
        assert await uow.session.scalar(select(func.count(Circle.id))) == len(CIRCLES)
        assert await uow.session.scalar(select(func.count(Person.id))) == len(PEOPLE)


async def test_one_circle_per_format_each_with_its_members_and_channel(playground: Playground) -> None:
    async with playground.service.db.unit_of_work() as uow:
        circles = list(await uow.session.scalars(select(Circle).order_by(Circle.name)))
        members = {c.name: {m.person.external_id for m in c.active_memberships()} for c in circles}
    assert sorted(c.format_key for c in circles) == sorted(FORMATS)
    assert all(c.space_ref for c in circles)
    for planned in CIRCLES:
        assert members[planned.name] == {planned.lead, *planned.members}
    everyone = {p.user for p in PEOPLE}
    assert all(everyone - people for people in members.values())  # someone is outside every circle


async def test_the_async_circle_is_mid_round_so_skip_ahead_has_work(playground: Playground) -> None:
    async with playground.service.db.unit_of_work() as uow:
        circle = await uow.session.scalar(select(Circle).where(Circle.mode == Mode.ASYNC))
        assert circle is not None
        meeting = await uow.session.scalar(select(Meeting).where(Meeting.circle_id == circle.id))
        assert meeting is not None
        round_ = await uow.session.scalar(select(Round).where(Round.meeting_id == meeting.id))
    assert meeting.state == MeetingState.ROUNDS
    assert round_ is not None
    assert round_.phase == Phase.PRESENT
    assert round_.phase_deadline is not None
    next_due = await playground.due.next_due_at()
    assert next_due is not None
    assert next_due <= round_.phase_deadline  # the deadline, or a nudge to answer before it
