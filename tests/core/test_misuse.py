"""Bad input and misuse: each gets a clear message and leaves the data unchanged."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import ManualClock
from core.db import Database
from core.forms import Action
from core.models import Bid, Circle, Meeting, Round
from core.service import CircleService
from core.vocabulary import Phase
from tests.fakes.members import Member, cast, welcome
from tests.fakes.recording_port import RecordingPort


@pytest.fixture
async def circle(service: CircleService) -> list[Member]:
    """A facilitated circle of six whose meeting 1 is taking bids; people[0] facilitates."""
    people = cast(service, 6)
    await people[0].says("/circle new alpha")
    await welcome(people[0], people[1:])
    await people[0].says("/circle start")
    await people[0].says("/circle bids")
    return people


async def count(db: Database, model: type) -> int:
    async with db.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def test_unknown_and_incomplete_commands_answer_with_usage(circle: list[Member]) -> None:
    ana = circle[1]
    assert "I don't know the command 'frobnicate'" in await ana.says("/circle frobnicate now")
    assert "Usage: /circle bid TOPIC" in await ana.says("/circle bid")
    assert "Usage: /circle status" in await ana.says("/circle status please")
    assert (await ana.says("/circle help bid")).startswith("/circle bid TOPIC")
    assert "/circle new NAME" in await ana.says("/circle")


async def test_too_long_text_is_refused_and_nothing_is_stored(circle: list[Member], db: Database) -> None:
    reply = await circle[1].says("/circle bid " + "x" * 3001)
    assert "too long" in reply
    assert await count(db, Bid) == 0
    assert "bid is in" in await circle[1].says("/circle bid " + "x" * 990)


async def test_second_bid_is_refused(circle: list[Member], db: Database) -> None:
    assert "bid is in" in await circle[1].says("/circle bid My first issue")
    assert "already bid" in await circle[1].says("/circle bid My second issue")
    assert await count(db, Bid) == 1


async def test_two_bids_at_the_same_moment_store_one(circle: list[Member], db: Database) -> None:
    replies = await asyncio.gather(*(circle[2].says(f"/circle bid Issue {i}") for i in range(4)))
    assert sum("bid is in" in r for r in replies) == 1
    assert all("bid is in" in r or "already bid" in r for r in replies)
    assert await count(db, Bid) == 1


async def test_outsider_learns_nothing_about_a_circle(
    service: CircleService, circle: list[Member], db: Database
) -> None:
    outsider = cast(service, 8)[7]
    await outsider.says("/circle new beta")
    unknown = await outsider.says("/circle status in=nonexistent")
    existing = await outsider.says("/circle status in=alpha")
    assert existing == unknown.replace("nonexistent", "alpha")
    async with db.unit_of_work() as uow:
        meeting = await uow.session.scalar(select(Meeting))
    assert meeting is not None
    text_other, form_other = await outsider.presses(Action.OPEN_BID_FORM, str(meeting.id))
    text_missing, form_missing = await outsider.presses(Action.OPEN_BID_FORM, "999999")
    assert text_other == text_missing
    assert form_other is None
    assert form_missing is None
    assert "isn't available" in text_other
    assert await outsider.says("/circle bid sneaky in=alpha") == "You're not in a circle called 'alpha'."
    assert await count(db, Bid) == 0


async def test_same_user_id_in_another_workspace_is_another_person(
    service: CircleService, circle: list[Member]
) -> None:
    twin = Member(service, circle[1].user, "Twin", workspace="T2")
    assert await twin.says("/circle status in=alpha") == "You're not in a circle called 'alpha'."
    assert "not in any circle" in await twin.says("/circle bid hello")


async def test_only_the_facilitator_of_the_day_moves_a_live_meeting(
    circle: list[Member], service: CircleService, db: Database
) -> None:
    await circle[1].says("/circle bid An issue")
    assert "Only today's facilitator (Ana)" in await circle[2].says("/circle round")
    assert "has started" in await circle[0].says("/circle round")
    assert "Only today's facilitator" in await circle[3].says("/circle next")
    async with db.unit_of_work() as uow:
        round_ = await uow.session.scalar(select(Round))
    assert round_ is not None
    assert round_.phase == Phase.PRESENT


async def test_contributions_follow_the_phase_and_refusals_name_the_next_step(circle: list[Member]) -> None:
    facilitator, holder, other = circle[0], circle[1], circle[2]
    await holder.says("/circle bid An issue")
    await facilitator.says("/circle round")
    refused = await other.says("/circle say I have advice")
    assert "Not taken" in refused
    assert "questions and advice come next" in refused
    await facilitator.says("/circle next")
    assert "not advice yet" in await other.says("/circle say kind=advice Just quit")
    assert "Thanks" in await other.says("/circle say Who else knows?")
    assert "Thanks" in await holder.says("/circle say Only my manager knows")  # the holder answers questions
    await facilitator.says("/circle next")
    assert "you reflect on it after" in await holder.says("/circle say A question for myself")
    assert "once a round reaches Reflection" in await holder.says("/circle commit Something")
    await facilitator.says("/circle next")
    await facilitator.says("/circle next")
    assert "/circle pass" in await facilitator.says("/circle next")
    assert "Close this round first: *Next phase* or /circle pass" in await facilitator.says("/circle close")
    assert "Only Ben, whose issue this round is, can pass" in await other.says("/circle pass")
    assert "Round 1 is closed" in await holder.says("/circle pass")  # passing closes the round
    assert "is closed" in await facilitator.says("/circle close")


async def test_dates_in_the_past_or_unreadable_change_nothing(
    service: CircleService, clock: ManualClock, db: Database
) -> None:
    lead = cast(service, 1)[0]
    await lead.says("/circle new gamma")
    assert "in the past" in await lead.says("/circle schedule 2020-01-01 10:00")
    assert "I didn't understand 'ten'" in await lead.says("/circle schedule tomorrow at ten")
    assert "YYYY-MM-DD" in await lead.says("/circle schedule tomorrow 10:00")
    assert "too far ahead" in await lead.says("/circle schedule 9999-12-31 23:00 tz=UTC")
    assert "HH:MM" in await lead.says("/circle schedule 2026-12-24 25:00")
    assert "time zone 'Mars/Base'" in await lead.says("/circle schedule 2027-01-01 10:00 tz=Mars/Base")
    async with db.unit_of_work() as uow:
        meeting = await uow.session.scalar(select(Meeting))
    assert meeting is None or meeting.scheduled_start is None
    assert "Europe/Berlin" not in await lead.says("/circle schedule 2027-01-04 10:00 tz=Europe/Berlin")
    async with db.unit_of_work() as uow:
        meeting = await uow.session.scalar(select(Meeting))
    assert meeting is not None
    assert meeting.scheduled_start is not None
    assert meeting.scheduled_start.hour == 9  # 10:00 in Berlin is 09:00 UTC in January


async def test_a_repeated_request_is_applied_once(circle: list[Member], port: RecordingPort, db: Database) -> None:
    port.clear()
    first = await circle[1].says("/circle bid Once only", key="evt-1")
    again = await circle[1].says("/circle bid Once only", key="evt-1")
    assert "bid is in" in first
    assert again == "Already done."
    assert await count(db, Bid) == 1
    assert len(port.of_kind("post")) == 1


async def test_double_clicked_next_phase_moves_once(circle: list[Member], db: Database) -> None:
    await circle[1].says("/circle bid An issue")
    await circle[0].says("/circle round")
    async with db.unit_of_work() as uow:
        round_ = await uow.session.scalar(select(Round))
    assert round_ is not None
    value = f"{round_.id}:{Phase.PRESENT.value}"
    first, _ = await circle[0].presses(Action.NEXT_PHASE, value)
    second, _ = await circle[0].presses(Action.NEXT_PHASE, value)
    assert "moved on to Clarifying questions" in first
    assert "already moved on" in second
    async with db.unit_of_work() as uow:
        round_ = await uow.session.get(Round, round_.id)
    assert round_ is not None
    assert round_.phase == Phase.CLARIFY


async def test_names_and_options_are_checked(service: CircleService, db: Database) -> None:
    lead = cast(service, 1)[0]
    assert "lowercase letters" in await lead.says("/circle new <script>")
    assert "choose action-learning, peer-coaching" in await lead.says("/circle new delta format=nope")
    assert "choose live or async" in await lead.says("/circle new delta mode=sometimes")
    assert "is set up" in await lead.says("/circle new delta")
    assert "isn't available" in await lead.says("/circle new delta")
    assert await count(db, Circle) == 1
    assert "if there is such a circle" in await cast(service, 2)[1].says("/circle join nonexistent")


async def test_async_round_moves_on_when_everyone_has_spoken_or_time_is_up(
    service: CircleService, clock: ManualClock, db: Database
) -> None:
    people = cast(service, 4)
    await people[0].says("/circle new slow mode=async format=peer-coaching")
    await welcome(people[0], people[1:])
    await people[0].says("/circle start")
    await people[0].says("/circle bids")
    await people[1].says("/circle bid Async issue")
    await people[0].says("/circle round")
    await people[1].says("/circle say Here is the issue")  # the holder alone presents: moves on
    async with db.unit_of_work() as uow:
        round_ = await uow.session.scalar(select(Round))
    assert round_ is not None
    assert round_.phase == Phase.CLARIFY
    await people[0].says("/circle say A question?")
    assert await service.advance_due_rounds() == 0
    clock.advance(timedelta(hours=25))
    assert await service.advance_due_rounds() == 1
    async with db.unit_of_work() as uow:
        round_ = await uow.session.get(Round, round_.id)
    assert round_ is not None
    assert round_.phase == Phase.EXPLORE
    assert round_.thread_ref is not None
    assert "reply in this thread" not in (
        await people[2].replies_in_thread(round_.thread_ref, "Advice via thread") or ""
    )
    async with db.unit_of_work() as uow:
        from core.models import Contribution

        spoken = await uow.session.scalar(
            select(func.count(Contribution.id)).where(Contribution.phase == Phase.EXPLORE)
        )
    assert spoken == 1
