"""Keeping time on a live call, through the real planner and dispatcher: a private time's-up to today's
facilitator when a phase's timebox ends (with *Next phase* and *Two more minutes*), and a break offered
to the circle at the format's break point."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.db import Database
from core.forms import Action
from core.messages import Actions
from core.models import DueItem, DueKind, DueState, Round
from core.scheduling.scheduler import Scheduler
from core.service import CircleService
from core.vocabulary import Phase
from tests.fakes.members import Member, cast, welcome
from tests.fakes.recording_port import RecordingPort
from tests.fakes.wiring import connected


@pytest.fixture
async def live(service: CircleService) -> tuple[list[Member], Scheduler]:
    """A live Action Learning circle (five minutes to present, a break after 120) with round 1 under way."""
    scheduler = connected(Scheduler(service, max_inline_wait=0))
    people = cast(service, 5)
    await people[0].says("/circle new live-one")
    assert "Invited" in await welcome(people[0], people[1:])
    await people[0].says("/circle start")
    await people[2].says("/circle checkin Here and ready")
    await people[0].says("/circle bids")
    await people[1].says("/circle bid Saying no")
    await people[0].says("/circle round")
    return people, scheduler


async def the_round(db: Database) -> Round:
    async with db.unit_of_work() as uow:
        round_ = await uow.session.scalar(select(Round))
    assert round_ is not None
    return round_


async def test_the_facilitator_is_told_privately_when_a_timebox_ends(
    live: tuple[list[Member], Scheduler], clock: ManualClock, port: RecordingPort, db: Database
) -> None:
    people, scheduler = live
    port.clear()
    assert await scheduler.tick() == 0  # nothing before the five minutes are up
    due = await scheduler.next_due_at()
    round_ = await the_round(db)
    assert due == round_.phase_deadline
    clock.set(due)
    assert await scheduler.tick() == 1
    [notice] = port.of_kind("dm")
    assert notice.target == people[0].user  # to today's facilitator alone
    assert "Time's up for Present in round 1" in notice.text
    assert "not yet: " in notice.text  # names, for the facilitator's eyes only
    assert notice.message is not None
    buttons = [b for block in notice.message.blocks if isinstance(block, Actions) for b in block.buttons]
    assert [b.label for b in buttons] == ["Next phase", "Two more minutes"]
    assert port.of_kind("post") == []  # nothing public

    said, _ = await people[0].presses(Action.EXTEND_TIMEBOX, buttons[1].value)
    assert "Two more minutes" in said
    assert await scheduler.next_due_at() == due + timedelta(minutes=2)
    clock.advance(timedelta(minutes=2))
    assert await scheduler.tick() == 1
    assert len(port.of_kind("dm")) == 2

    said, _ = await people[0].presses(Action.NEXT_PHASE, buttons[0].value)
    assert "moved on to Clarifying questions" in said
    clock.advance(timedelta(minutes=3))
    await scheduler.tick()
    async with db.unit_of_work() as uow:
        pending = list(
            await uow.session.scalars(
                select(DueItem).where(DueItem.kind == DueKind.TIMEBOX_ALERT, DueItem.state == DueState.PENDING)
            )
        )
    assert [i.payload["phase"] for i in pending] == [Phase.CLARIFY.value]  # the next timebox, not the old one


async def test_a_time_up_for_a_phase_already_left_is_not_sent(
    live: tuple[list[Member], Scheduler], clock: ManualClock, port: RecordingPort, db: Database
) -> None:
    people, scheduler = live
    due = await scheduler.next_due_at()
    assert due is not None
    await people[0].says("/circle next")
    port.clear()
    clock.set(due)
    await scheduler.tick()
    assert port.of_kind("dm") == []


async def test_the_circle_is_offered_a_break_at_the_formats_break_point(
    live: tuple[list[Member], Scheduler], clock: ManualClock, port: RecordingPort
) -> None:
    _, scheduler = live
    start = clock.now()  # the meeting opened now
    clock.set(start + timedelta(minutes=119))
    await scheduler.tick()
    port.clear()
    assert await scheduler.next_due_at() == start + timedelta(minutes=120)
    clock.set(start + timedelta(minutes=120))
    await scheduler.tick()
    offers = [s for s in port.of_kind("post") if "break" in s.text]
    assert len(offers) == 1
    assert "120 minutes" in offers[0].text
    await scheduler.tick()
    assert len([s for s in port.of_kind("post") if "break" in s.text]) == 1  # once
