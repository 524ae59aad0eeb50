"""A circle's end: the close-out meeting of a series, `/circle end`, what owners do with their open
commitments, the archived space, and silence afterwards."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from core.clock import ManualClock
from core.db import Database
from core.forms import Action
from core.models import Circle, Commitment, DueItem, DueKind, DueState, Meeting
from core.scheduling.scheduler import Scheduler
from core.service import CircleService
from core.vocabulary import CircleStatus, CommitmentStatus
from tests.core.test_meeting_flow import facilitator_of_the_day, form_circle
from tests.fakes.members import Member, cast, welcome
from tests.fakes.recording_port import RecordingPort
from tests.fakes.timeline import Timeline
from tests.fakes.wiring import connected


async def set_series(db: Database, meetings: int) -> None:
    async with db.unit_of_work() as uow:
        await uow.session.execute(update(Circle).values(meeting_count=meetings))
        await uow.commit()


async def hold_meeting(
    service: CircleService, clock: ManualClock, people: list[Member], *, committing: list[Member]
) -> str:
    """The shortest whole meeting: scheduled an hour ahead, opened then, the given people commit at
    check-in, closed."""
    clock.set(await schedule(people[0], clock.now() + timedelta(hours=1)))
    return await run_meeting(service, people, committing=committing)


async def schedule(lead: Member, start: datetime) -> datetime:
    assert "is scheduled" in await lead.says(f"/circle schedule {start:%Y-%m-%d %H:%M} tz=UTC")
    return start


async def run_meeting(service: CircleService, people: list[Member], *, committing: list[Member]) -> str:
    facilitator = await facilitator_of_the_day(service, people)
    assert "is open" in await facilitator.says("/circle start")
    for person in committing:
        assert "noted" in await person.says(f"/circle commit Try one thing, {person.name}")
    return await facilitator.says("/circle close")


async def the_circle(db: Database) -> Circle:
    async with db.unit_of_work() as uow:
        return (await uow.session.scalars(select(Circle))).one()


async def commitments(db: Database) -> list[Commitment]:
    async with db.unit_of_work() as uow:
        return list(await uow.session.scalars(select(Commitment).order_by(Commitment.id)))


async def pending_items(db: Database) -> list[DueItem]:
    async with db.unit_of_work() as uow:
        return list(
            await uow.session.scalars(
                select(DueItem).where(DueItem.kind != DueKind.EFFECT, DueItem.state == DueState.PENDING)
            )
        )


async def test_a_series_of_four_ends_at_its_close_out_and_then_says_nothing(
    service: CircleService, clock: ManualClock, port: RecordingPort, db: Database
) -> None:
    people = cast(service, 4)
    timeline = Timeline(connected(Scheduler(service, max_inline_wait=0)), clock, port)
    await form_circle(service, "peer-coaching", people[0], people[1:])
    await set_series(db, 4)
    for number in range(1, 4):
        assert f"Meeting {number} is closed" in await hold_meeting(service, clock, people, committing=[people[number]])
        clock.advance(timedelta(days=1))
    start = await schedule(people[0], clock.now() + timedelta(days=20))
    await timeline.run_until(clock.now() + timedelta(days=2))
    assert await pending_items(db), "between meetings the planner has reminders and check-ins to send"
    assert (await the_circle(db)).status == CircleStatus.ACTIVE
    clock.set(start)
    port.clear()

    reply = await run_meeting(service, people, committing=[people[0]])

    assert "the close-out, is closed" in reply
    assert "has ended" in reply
    opening = next(s for s in port.of_kind("post") if "is open" in s.text)
    assert "close-out" in opening.text
    assert "what changed for me" in opening.text
    assert "Report-back" in opening.text
    assert "Try one thing, Ben" in opening.text
    circle = await the_circle(db)
    assert circle.status == CircleStatus.CLOSED
    assert circle.ended_at == clock.now()
    assert [s.target for s in port.of_kind("archive")] == [circle.space_ref]
    ended = [s for s in port.of_kind("dm") if "your open commitments" in s.text]
    assert sorted(s.target for s in ended) == sorted(p.user for p in people)  # all four still owe one
    assert {s.target for s in port.of_kind("dm") if "How was it for you" in s.text} == {p.user for p in people}
    assert all(c.status == CommitmentStatus.CARRIED_OVER for c in await commitments(db))
    post_index = port.transcript.index(next(s for s in port.of_kind("post") if "has ended" in s.text))
    assert post_index < port.transcript.index(port.of_kind("archive")[0])  # said before the space is archived

    sent = len(port.transcript)
    await timeline.run_until(clock.now() + timedelta(days=31))
    assert await pending_items(db) == []
    assert port.transcript[sent:] == []  # a month on: no check-in, nudge, reminder or feedback request

    for person in people:
        assert "has ended" in await person.says("/circle start")
        assert "has ended" in await person.says("/circle checkin Still here?")
    assert "ended" in await people[1].says("/circle status")


async def test_a_module_circle_ends_after_its_second_session_and_never_opens_a_third(
    service: CircleService, clock: ManualClock, db: Database
) -> None:
    people = cast(service, 3)
    await form_circle(service, "module", people[0], people[1:])
    assert (await the_circle(db)).meeting_count == 2
    assert "Meeting 1 is closed" in await hold_meeting(service, clock, people, committing=[])
    assert "has ended" in await hold_meeting(service, clock, people, committing=[])
    assert (await the_circle(db)).status == CircleStatus.CLOSED
    assert "has ended" in await people[0].says("/circle start")

    async with db.unit_of_work() as uow:  # even a circle somehow still active holds no third session
        await uow.session.execute(update(Circle).values(status=CircleStatus.ACTIVE))
        await uow.commit()
    refused = await people[0].says("/circle start")
    assert "held all 2 meetings" in refused
    async with db.unit_of_work() as uow:
        numbers = list(await uow.session.scalars(select(Meeting.number).order_by(Meeting.number)))
    assert numbers == [1, 2]


async def test_ending_early_does_the_same_and_owners_settle_their_commitments(
    service: CircleService, clock: ManualClock, port: RecordingPort, db: Database
) -> None:
    people = cast(service, 4)
    lead, ben, chidi = people[0], people[1], people[2]
    await form_circle(service, "peer-coaching", lead, people[1:])
    await hold_meeting(service, clock, people, committing=[ben, ben, chidi])
    assert "facilitator or lead" in await ben.says("/circle end")
    assert (await the_circle(db)).status == CircleStatus.ACTIVE
    assert "paused" in await lead.says("/circle pause")
    port.clear()

    assert "now closed" in await lead.says("/circle end")  # a paused circle ends too

    circle = await the_circle(db)
    assert circle.status == CircleStatus.CLOSED
    assert len(port.of_kind("archive")) == 1
    owed = {s.target: s for s in port.of_kind("dm") if "your open commitments" in s.text}
    assert set(owed) == {ben.user, chidi.user}
    first, second, third = await commitments(db)
    assert f"#{first.id}" in owed[ben.user].text
    assert f"#{second.id}" in owed[ben.user].text
    assert "has ended" in await lead.says("/circle end")  # twice: told kindly, nothing sent again
    assert len(port.of_kind("archive")) == 1

    assert "Noted" in (await ben.presses(Action.SETTLE_COMMITMENT, f"{first.id}:done"))[0]
    assert "already done" in (await ben.presses(Action.SETTLE_COMMITMENT, f"{first.id}:done"))[0]
    assert "You already said" in (await ben.presses(Action.SETTLE_COMMITMENT, f"{first.id}:dropped"))[0]
    assert "Noted" in (await ben.presses(Action.SETTLE_COMMITMENT, f"{second.id}:in_progress"))[0]
    assert "no commitment" in (await ben.presses(Action.SETTLE_COMMITMENT, f"{third.id}:done"))[0]  # Chidi's
    assert "isn't available" in (await chidi.presses(Action.SETTLE_COMMITMENT, f"{third.id}:stuck"))[0]
    assert "isn't available" in (await chidi.presses(Action.SETTLE_COMMITMENT, f"{third.id}:x" * 50))[0]
    statuses = [c.status for c in await commitments(db)]
    assert statuses == [CommitmentStatus.DONE, CommitmentStatus.IN_PROGRESS, CommitmentStatus.CARRIED_OVER]


async def test_settling_is_only_for_circles_that_ended_and_their_own_members(
    service: CircleService, clock: ManualClock
) -> None:
    people = cast(service, 3)
    other = cast(service, 2, workspace="T2")
    await form_circle(service, "peer-coaching", people[0], people[1:])
    await hold_meeting(service, clock, people, committing=[people[1]])
    async with service.db.unit_of_work() as uow:
        commitment = (await uow.session.scalars(select(Commitment))).one()
    told = (await people[1].presses(Action.SETTLE_COMMITMENT, f"{commitment.id}:done"))[0]
    assert "hasn't ended" in told
    assert "no commitment" in (await other[0].presses(Action.SETTLE_COMMITMENT, f"{commitment.id}:done"))[0]
    async with service.db.unit_of_work() as uow:
        assert (await uow.session.get(Commitment, commitment.id)).status == CommitmentStatus.OPEN  # type: ignore[union-attr]


async def test_a_programme_circle_offers_each_member_the_closing_questions_and_nothing_else_writes(
    service: CircleService, clock: ManualClock, port: RecordingPort, db: Database
) -> None:
    people = cast(service, 3)
    outsider = cast(service, 5)[4]
    lead = people[0]
    assert "open for sign-ups" in await lead.says("/circle programme spring format=module")
    assert "is set up" in await lead.says("/circle new spring-a programme=spring")
    await welcome(lead, people[1:])
    await hold_meeting(service, clock, people, committing=[people[1]])
    bid_button = await schedule_only(people, clock)
    await hold_meeting_now(service, people)

    offers = [s for s in port.of_kind("dm") if "closing questions about 'spring'" in s.text]
    assert sorted(s.target for s in offers) == sorted(p.user for p in people)
    button = offers[0].message.blocks[-1].buttons[0]  # type: ignore[union-attr]
    assert button.action_id == Action.OPEN_EVALUATION_FORM
    text, form = await people[1].presses(button.action_id, button.value)
    assert form is not None
    assert "closing questions" in text
    text, form = await outsider.presses(button.action_id, button.value)
    assert form is None
    assert "no longer open" in text

    assert "has ended" in (await people[2].presses(Action.OPEN_BID_FORM, bid_button))[0]
    (commitment,) = await commitments(db)
    assert "has ended" in await people[1].says(f"/circle update {commitment.id} stuck")
    assert "has ended" in await people[1].says(f"/circle done {commitment.id}")
    assert (await commitments(db))[0].status == CommitmentStatus.CARRIED_OVER


async def schedule_only(people: list[Member], clock: ManualClock) -> str:
    """Schedules the next meeting an hour ahead and moves the clock there; returns its bid button's value."""
    start = await schedule(people[0], clock.now() + timedelta(hours=1))
    clock.set(start)
    async with people[0].service.db.unit_of_work() as uow:
        meeting = await uow.session.scalar(select(Meeting).order_by(Meeting.number.desc()).limit(1))
    assert meeting is not None
    return str(meeting.id)


async def hold_meeting_now(service: CircleService, people: list[Member]) -> str:
    return await run_meeting(service, people, committing=[])
