"""Who facilitates: volunteers first, nobody twice before everyone once (hand-overs and a changing
roster included), meetings not yet opened re-assigned when the roster changes, and the hand-over
note of a set that starts facilitated."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select, update

from core.clock import ManualClock
from core.formats import get_format
from core.meeting import facilitator_for, reassign_facilitators
from core.models import Circle, Meeting, Membership, Person
from core.service import CircleService
from core.vocabulary import Facilitation, MeetingState, Role
from tests.core.test_closing import hold_meeting
from tests.core.test_meeting_flow import form_circle
from tests.fakes.members import Member, cast
from tests.fakes.recording_port import RecordingPort

ROTATING = get_format("peer-coaching")


def roster(volunteers: list[bool]) -> Circle:
    circle = Circle(id=1, facilitation=Facilitation.ROTATING, format_key=ROTATING.key, created_by_id=100)
    circle.memberships = [
        Membership(id=i + 1, person_id=100 + i, role=Role.MEMBER, volunteer=v, left_at=None)
        for i, v in enumerate(volunteers)
    ]
    return circle


def test_volunteers_facilitate_first_then_everyone_once_before_anyone_twice() -> None:
    circle = roster([False, True, False, True, False])
    earlier: list[int | None] = []
    for number in range(1, 11):
        earlier.append(facilitator_for(circle, ROTATING, number, earlier))
    assert earlier[:2] == [101, 103]  # the two volunteers, in the order they joined
    assert set(earlier[:5]) == {100, 101, 102, 103, 104}
    assert earlier[5:] == earlier[:5]
    planned = [facilitator_for(circle, ROTATING, n) for n in range(1, 11)]  # a whole series at once
    assert planned == earlier


def test_at_most_once_before_twice_whatever_the_roster_does() -> None:
    """Random rosters; members join and leave mid-series and today's facilitator hands over."""
    for seed in range(200):
        rng = random.Random(seed)
        circle = roster([rng.random() < 0.3 for _ in range(rng.randint(2, 7))])
        earlier: list[int | None] = []
        for number in range(1, 13):
            event = rng.random()
            active = circle.active_memberships()
            if event < 0.1 and len(active) > 2:
                rng.choice(active).left_at = datetime(2026, 12, 1, tzinfo=UTC)
            elif event < 0.2:
                joined = len(circle.memberships)
                circle.memberships.append(
                    Membership(id=joined + 1, person_id=100 + joined, role=Role.MEMBER, volunteer=rng.random() < 0.3)
                )
            chosen = facilitator_for(circle, ROTATING, number, earlier)
            present = [m for m in circle.active_memberships()]
            turns = Counter(p for p in earlier if p in {m.person_id for m in present})
            assert chosen in turns or chosen in {m.person_id for m in present}, seed
            assert turns[chosen] == min(turns[m.person_id] for m in present), (seed, number)
            fewest = [m for m in present if turns[m.person_id] == turns[chosen]]
            if any(m.volunteer for m in fewest):
                assert next(m for m in present if m.person_id == chosen).volunteer, (seed, number)
            if rng.random() < 0.15:  # /circle facilitator @x: someone else facilitates it, and that counts
                chosen = rng.choice(present).person_id
            earlier.append(chosen)


async def set_volunteer(service: CircleService, member: Member) -> None:
    async with service.db.unit_of_work() as uow:
        person_id = (await uow.session.scalars(select(Person.id).where(Person.external_id == member.user))).one()
        await uow.session.execute(update(Membership).where(Membership.person_id == person_id).values(volunteer=True))
        await uow.commit()


async def facilitators(service: CircleService) -> list[str | None]:
    """Each meeting's facilitator, by their platform id, in meeting order."""
    async with service.db.unit_of_work() as uow:
        people = dict((await uow.session.execute(select(Person.id, Person.external_id))).all())
        ids = await uow.session.scalars(select(Meeting.facilitator_id).order_by(Meeting.number))
        return [people.get(i) if i else None for i in ids]


async def test_meetings_not_yet_opened_are_reassigned_when_someone_leaves(service: CircleService) -> None:
    people = cast(service, 4)
    await form_circle(service, "peer-coaching", people[0], people[1:])
    await set_volunteer(service, people[2])
    async with service.db.unit_of_work() as uow:
        circle = (await uow.session.scalars(select(Circle))).one()
        for number in range(1, 5):
            uow.session.add(Meeting(circle_id=circle.id, number=number, duration_minutes=90))
        await uow.flush()
        await reassign_facilitators(uow, circle)
        await uow.commit()
    before = await facilitators(service)
    assert before == [people[2].user, people[0].user, people[1].user, people[3].user]

    assert "left" in await people[1].says("/circle leave")

    after = await facilitators(service)
    assert people[1].user not in after
    assert after[:3] == [people[2].user, people[0].user, people[3].user]  # everyone left once before twice
    assert after[3] == people[2].user


async def test_a_set_that_starts_facilitated_hands_over_once_with_a_note(
    service: CircleService, clock: ManualClock, port: RecordingPort
) -> None:
    people = cast(service, 4)
    lead = people[0]
    await form_circle(service, "action-learning-handover", lead, people[1:])
    await set_volunteer(service, people[3])
    for _ in range(2):
        await hold_meeting(service, clock, people, committing=[])
    notes = [s for s in port.of_kind("dm") if "the set runs itself" in s.text]
    assert [s.target for s in notes] == [people[3].user]
    assert "/circle start" in notes[0].text

    await hold_meeting(service, clock, people, committing=[])  # Dana facilitates meeting 3

    assert (await facilitators(service))[:3] == [lead.user, lead.user, people[3].user]
    notes = [s for s in port.of_kind("dm") if "the set runs itself" in s.text]
    assert len(notes) == 1
    async with service.db.unit_of_work() as uow:
        states = list(await uow.session.scalars(select(Meeting.state).order_by(Meeting.number)))
    assert states == [MeetingState.CLOSED] * 3
