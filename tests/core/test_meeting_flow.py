"""Scripted meetings through the core with the recording port: one full meeting of each format,
then a second meeting whose report-back lists the first one's commitments with their statuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import ManualClock
from core.db import Database
from core.formats import FORMATS
from core.forms import Action
from core.models import Bid, Circle, Commitment, Contribution, Meeting, Person, Round
from core.service import CircleService
from core.vocabulary import CommitmentStatus, MeetingState
from tests.fakes.members import Member, cast, welcome
from tests.fakes.recording_port import RecordingPort


async def form_circle(service: CircleService, fmt: str, lead: Member, members: list[Member]) -> None:
    reply = await lead.says(f"/circle new team-{fmt} format={fmt}")
    assert "is set up" in reply
    assert "Invited" in await welcome(lead, members)


async def run_meeting(service: CircleService, clock: ManualClock, people: list[Member], fmt: str, number: int) -> None:
    """Check-in, three bids, two rounds through every phase with commitments, close."""
    facilitator = await facilitator_of_the_day(service, people)
    assert "is open" in await facilitator.says("/circle start")
    for person in people:
        assert "checked in" in await person.says(f"/circle checkin Arriving well, meeting {number}")
    assert "Bids are open" in await facilitator.says("/circle bids")
    bidders = [p for p in people if p is not facilitator][:3]
    for i, person in enumerate(bidders):
        assert "bid is in" in await person.says(f"/circle bid Issue {i} of {person.name} urgency=medium minutes=15")
    for _ in range(2):
        assert "has started" in await facilitator.says("/circle round")
        holder = await current_holder(service, facilitator)
        others = [p for p in people if p.user != holder.user]
        assert "Thanks" in await holder.says("/circle say Here is my issue in five minutes")
        assert "Clarifying" in await facilitator.says("/circle next")
        assert "Thanks" in await others[0].says("/circle say What have you tried so far?")
        assert "Questions, feedback" in await facilitator.says("/circle next")
        assert "Thanks" in await others[1].says("/circle say kind=advice Talk to your manager first")
        assert "Reflection" in await facilitator.says("/circle next")
        assert "Thanks" in await holder.says("/circle say kind=reflection I see my part in it now")
        assert "Commitments" in await facilitator.says("/circle next")
        due = (clock.now() + timedelta(days=14)).date().isoformat()
        assert "noted" in await holder.says(f"/circle commit Talk to my manager due={due}")
        assert "is finished" in await facilitator.says("/circle next")
        clock.advance(timedelta(minutes=60))
    assert "is closed" in await facilitator.says("/circle close")


async def facilitator_of_the_day(service: CircleService, people: list[Member]) -> Member:
    async with service.db.unit_of_work() as uow:
        meeting = await uow.session.scalar(
            select(Meeting).where(Meeting.state != MeetingState.CLOSED).order_by(Meeting.id.desc())
        )
        assert meeting is not None
        assert meeting.facilitator_id is not None
        person = await uow.session.get(Person, meeting.facilitator_id)
    assert person is not None
    return next(p for p in people if p.user == person.external_id)


async def current_holder(service: CircleService, someone: Member) -> Member:
    async with service.db.unit_of_work() as uow:
        round_ = await uow.session.scalar(select(Round).order_by(Round.id.desc()).limit(1))
        assert round_ is not None
        person = await uow.session.get(Person, round_.issue_holder_id)
    assert person is not None
    return Member(someone.service, person.external_id, person.display_name)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
async def test_two_meetings_of_each_format(
    fmt: str, service: CircleService, clock: ManualClock, port: RecordingPort, db: Database
) -> None:
    people = cast(service, 6)
    lead, rest = people[0], people[1:]
    await form_circle(service, fmt, lead, rest)
    for number in (1, 2):
        assert "scheduled" in (await lead.says(f"/circle schedule {(clock.now() + timedelta(days=1)):%Y-%m-%d} 10:00"))
        clock.advance(timedelta(days=1, hours=1))
        await run_meeting(service, clock, people, fmt, number)
        if number == 1:
            async with db.unit_of_work() as uow:
                first = (await uow.session.scalars(select(Commitment).order_by(Commitment.id))).all()
                owner = await uow.session.get(Person, first[0].person_id)
            assert len(first) == 2
            assert len({c.person_id for c in first}) == 2
            assert owner is not None
            # Between meetings one commitment is done; the other stays open.
            done_by = Member(service, owner.external_id, owner.display_name)
            assert "done" in await done_by.says(f"/circle done {first[0].id} It went well")
            clock.advance(timedelta(days=20))

    first_opening = next(s.text for s in port.of_kind("post") if "Meeting 1 of" in s.text)
    expected_opening = {
        "action-learning": "Ground rules",
        "action-learning-handover": "Ground rules",
        "peer-coaching": "A short primer",
        "module": "Session 1, learn and plan",
        "time-slot": "Check-in",
    }
    assert expected_opening[fmt] in first_opening
    if fmt == "module":
        assert "Delegation that sticks" in first_opening
    opening = [s for s in port.of_kind("post") if "Meeting 2 of" in s.text]
    assert len(opening) == 1
    report = opening[0].text
    assert "Report-back" in report
    if fmt == "module":
        assert "Session 2, report back" in report
    assert f"#{first[0].id} Talk to my manager (done" in report
    assert f"#{first[1].id} Talk to my manager (open" in report
    async with db.unit_of_work() as uow:
        meetings = (await uow.session.scalars(select(Meeting).order_by(Meeting.number))).all()
        rounds = await uow.session.scalar(select(func.count(Round.id)))
        contributions = await uow.session.scalar(select(func.count(Contribution.id)))
        carried = await uow.session.get(Commitment, first[1].id)
    assert [m.state for m in meetings] == [MeetingState.CLOSED, MeetingState.CLOSED]
    assert rounds == 4
    assert contributions == 16
    assert carried is not None
    assert carried.status == CommitmentStatus.CARRIED_OVER


async def test_facilitation_rotates_or_hands_over_by_format(service: CircleService, db: Database) -> None:
    """Rotating circles change facilitator each meeting; handover sets keep theirs for two, then rotate."""
    people = cast(service, 4)
    facilitators: dict[str, list[int | None]] = {}
    for fmt in ("peer-coaching", "action-learning-handover", "action-learning"):
        await people[0].says(f"/circle new f-{fmt} format={fmt}")
        await welcome(people[0], people[1:], f"in=f-{fmt}")
        facilitators[fmt] = []
        for _ in range(4):
            async with db.unit_of_work() as uow:
                circle = await uow.session.scalar(select(Circle).where(Circle.name == f"f-{fmt}"))
                assert circle is not None
            await people[0].says(f"/circle bid warm-up in=f-{fmt}")  # creates the next meeting if none is open
            async with db.unit_of_work() as uow:
                meeting = await uow.session.scalar(
                    select(Meeting).where(Meeting.circle_id == circle.id).order_by(Meeting.number.desc())
                )
                assert meeting is not None
                facilitators[fmt].append(meeting.facilitator_id)
                meeting.state = MeetingState.CLOSED
                await uow.commit()
    assert len(set(facilitators["peer-coaching"])) == 4
    handover = facilitators["action-learning-handover"]
    assert handover[0] == handover[1]
    assert handover[2] != handover[1]
    assert handover[3] != handover[2]
    assert len(set(facilitators["action-learning"])) == 1


async def test_time_slot_circle_gives_members_without_bids_a_slot_in_rotation(
    service: CircleService, db: Database
) -> None:
    people = cast(service, 5)
    await people[0].says("/circle new slots format=time-slot")
    await welcome(people[0], people[1:])
    facilitator = await facilitator_of_the_day_after_start(service, people)
    await facilitator.says("/circle bids")
    assert "has started" in await facilitator.says("/circle round")
    async with db.unit_of_work() as uow:
        round_ = await uow.session.scalar(select(Round))
    assert round_ is not None
    assert round_.topic == "(their dedicated time slot)"
    assert round_.slot_start is not None
    assert round_.slot_end is not None
    assert round_.slot_end - round_.slot_start == timedelta(minutes=24)  # 120 minutes for 5 members


async def facilitator_of_the_day_after_start(service: CircleService, people: list[Member]) -> Member:
    await people[0].says("/circle bid x")  # opens meeting 1 (and assigns its facilitator)
    assert "Withdraw your bid" in await people[0].says("/circle withdraw")  # asked once
    async with service.db.unit_of_work() as uow:
        bid = await uow.session.scalar(select(Bid))
    assert bid is not None
    assert "withdrawn" in (await people[0].presses(Action.WITHDRAW_BID, str(bid.id)))[0]
    facilitator = await facilitator_of_the_day(service, people)
    assert "is open" in await facilitator.says("/circle start")
    return facilitator
