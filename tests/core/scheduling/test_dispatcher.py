"""Sending what is due when things go wrong: closed DMs, 429s, failures, crashes between claiming
and sending, downtime, an unreachable database, stale and unreadable items."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from core.clock import ManualClock
from core.db import Database
from core.messages import Message
from core.models import DueItem, DueKind, DueState, Person
from core.port import MessageRef, RateLimited
from core.scheduling.dispatcher import Dispatcher
from core.scheduling.scheduler import Scheduler
from core.service import CircleService
from core.vocabulary import Platform
from tests.core.scheduling.conftest import MEETING, Circle
from tests.fakes.recording_port import RecordingPort

DAY_BEFORE = MEETING - timedelta(hours=24)


class FlakyPort(RecordingPort):
    """Refuses the first `refusals` DMs (to `only`, if given) with the given error, and counts
    every attempt."""

    def __init__(self, refusals: int, error: Exception, only: str | None = None) -> None:
        super().__init__()
        self.refusals = refusals
        self.error = error
        self.only = only
        self.attempts: Counter[str] = Counter()

    async def send_dm(self, user_id: str, message: Message) -> MessageRef:
        self.attempts[user_id] += 1
        if self.refusals > 0 and self.only in (None, user_id):
            self.refusals -= 1
            raise self.error
        return await super().send_dm(user_id, message)


async def test_planning_the_same_circle_twice_changes_nothing(circle: Circle) -> None:
    first = await circle.scheduler.planner.plan()
    before = [(i.key, i.not_before) for i in await circle.items()]
    second = await circle.scheduler.planner.plan()
    assert first == second == 11  # 24 h and 1 h reminders for five, and the call for bids
    assert [(i.key, i.not_before) for i in await circle.items()] == before
    assert len({key for key, _ in before}) == len(before)


async def test_a_tick_with_nothing_due_sends_nothing(circle: Circle, port: RecordingPort) -> None:
    assert await circle.scheduler.tick() == 0
    assert port.transcript == []
    assert await circle.scheduler.next_due_at() == MEETING - timedelta(hours=48)


async def test_rescheduling_replaces_the_reminders(circle: Circle, clock: ManualClock) -> None:
    await circle.lead.says(f"/circle schedule {MEETING + timedelta(days=1):%Y-%m-%d %H:%M} tz=UTC")
    pending = await circle.items(DueState.PENDING)
    assert {i.due_at for i in pending if i.kind == DueKind.MEETING_REMINDER} == {MEETING, MEETING + timedelta(hours=23)}
    dropped = await circle.items(DueState.DROPPED)
    assert len(dropped) == 11
    assert all(i.last_error == "no longer planned" for i in dropped)


async def test_closed_dms_are_marked_and_the_facilitator_is_told_once(
    circle: Circle, clock: ManualClock, service: CircleService, db: Database
) -> None:
    port = FlakyPort(0, RuntimeError())
    service.port_for = lambda _workspace: port
    closed = circle.people[2]
    port.closed_dms.add(closed.user)

    await circle.timeline.run_until(MEETING)

    assert port.attempts[closed.user] == 1  # the 1 h reminder is not even tried
    person = await circle.person(closed)
    assert person.dm_undeliverable_at == DAY_BEFORE
    theirs = [i for i in await circle.items() if i.person_id == person.id and i.kind == DueKind.MEETING_REMINDER]
    assert [i.state for i in theirs] == [DueState.UNDELIVERABLE, DueState.UNDELIVERABLE]
    notices = [s for s in port.of_kind("dm") if "can't reach" in s.text]
    assert [n.target for n in notices] == [circle.lead.user]
    assert "Chidi" in notices[0].text or closed.user in notices[0].text
    told = [s for s in port.of_kind("notice") if "couldn't" in s.text]
    assert len(told) == 1  # once, shown only to them, in their circle's space
    assert told[0].target.endswith(f":{closed.user}")
    assert len([s for s in port.of_kind("dm") if s.target == circle.people[1].user]) == 2


async def test_a_rate_limited_send_waits_and_is_sent_once_in_order(
    circle: Circle, clock: ManualClock, service: CircleService
) -> None:
    port = FlakyPort(1, RateLimited(30))
    service.port_for = lambda _workspace: port
    clock.set(DAY_BEFORE)

    first = await circle.scheduler.tick()
    # Slack's 429 is for the method in the whole workspace: the call for bids goes only if it went first.
    assert first in (0, 1)
    assert port.of_kind("dm") == []
    waiting = [i for i in await circle.items(DueState.PENDING) if i.due_at == DAY_BEFORE]
    assert len(waiting) == 5
    assert all(i.not_before == DAY_BEFORE + timedelta(seconds=30) for i in waiting)
    assert all(i.state != DueState.SENT for i in waiting)
    assert sum(port.attempts.values()) == 1  # nobody kept knocking

    clock.advance(timedelta(seconds=30))
    assert await circle.scheduler.tick() == 6 - first
    assert sorted(s.target for s in port.of_kind("dm")) == sorted(p.user for p in circle.people)
    assert len(port.of_kind("post")) == 1


async def test_a_failed_send_backs_off_and_is_never_marked_sent(
    circle: Circle, clock: ManualClock, service: CircleService
) -> None:
    port = FlakyPort(5, ConnectionError("platform down"))
    service.port_for = lambda _workspace: port
    clock.set(DAY_BEFORE)
    await circle.scheduler.tick()
    reminders = [i for i in await circle.items() if i.kind == DueKind.MEETING_REMINDER and i.due_at == DAY_BEFORE]
    assert {i.state for i in reminders} == {DueState.PENDING}
    assert all("platform down" in i.last_error for i in reminders)
    assert all(i.not_before == DAY_BEFORE + timedelta(seconds=30) for i in reminders)
    assert port.of_kind("dm") == []

    clock.advance(timedelta(seconds=30))
    assert await circle.scheduler.tick() == 5
    assert len(port.of_kind("dm")) == 5


async def test_a_worker_killed_between_claim_and_send_leaves_it_to_the_next_once_the_lease_ends(
    circle: Circle, clock: ManualClock, service: CircleService, port: RecordingPort
) -> None:
    await circle.scheduler.planner.plan()
    clock.set(DAY_BEFORE)
    crashed = Dispatcher(service, worker="crashed", lease=timedelta(minutes=5))
    claimed = await crashed.claim()
    assert len(claimed) == 6  # five reminders and the call for bids
    del crashed  # killed before sending anything

    restarted = Dispatcher(service, worker="restarted")
    assert await restarted.tick() == 0  # still leased to the dead worker
    clock.advance(timedelta(minutes=5))
    assert await restarted.tick() == 6
    assert await restarted.tick() == 0
    assert len(port.of_kind("dm")) == 5
    assert len(port.of_kind("post")) == 1
    sent = await circle.items(DueState.SENT)
    assert {i.claimed_by for i in sent} == {"restarted"}
    assert {i.attempts for i in sent} == {2}


async def test_after_downtime_what_still_matters_is_sent_once_and_the_rest_dropped(
    circle: Circle, clock: ManualClock, port: RecordingPort, caplog: pytest.LogCaptureFixture
) -> None:
    await circle.scheduler.planner.plan()
    clock.set(MEETING - timedelta(minutes=30))  # down since before the call for bids
    with caplog.at_level(logging.INFO, logger="core.scheduling.dispatcher"):
        assert await circle.scheduler.tick() == 6
    assert len(port.of_kind("post")) == 1  # the meeting is still ahead: bids still make sense
    assert len(port.of_kind("dm")) == 5  # the 1 h reminders
    dropped = await circle.items(DueState.DROPPED)
    assert len(dropped) == 5
    assert all(i.key.startswith("reminder:24h") for i in dropped)
    assert sum("no longer meaningful" in r.getMessage() for r in caplog.records) == 5
    assert await circle.scheduler.tick() == 0


async def test_an_unreachable_database_loses_nothing(
    circle: Circle, clock: ManualClock, service: CircleService, port: RecordingPort
) -> None:
    await circle.scheduler.planner.plan()
    clock.set(DAY_BEFORE)
    gone = Database("postgresql://postgres@127.0.0.1:9/nowhere", pool=False)
    try:
        offline = Scheduler(CircleService(gone, clock, service.port_for))
        assert await offline.tick() == 0
    finally:
        await gone.dispose()
    assert len(await circle.items(DueState.PENDING)) == 11
    assert await circle.scheduler.tick() == 6


async def test_a_member_who_left_gets_nothing_more(circle: Circle, clock: ManualClock, port: RecordingPort) -> None:
    leaver = circle.people[4]
    assert "left" in await leaver.says("/circle leave")
    clock.set(DAY_BEFORE)
    assert await circle.scheduler.tick() == 5
    assert leaver.user not in {s.target for s in port.of_kind("dm")}


async def test_an_unreadable_item_is_dropped_and_the_rest_still_go(
    circle: Circle, clock: ManualClock, db: Database
) -> None:
    await circle.scheduler.planner.plan()
    some = (await circle.items())[0]
    async with db.unit_of_work() as uow:
        uow.session.add(
            DueItem(
                key="checkin:broken",
                kind=DueKind.COMMITMENT_CHECK_IN,
                workspace_id=some.workspace_id,
                person_id=some.person_id,
                circle_id=some.circle_id,
                due_at=DAY_BEFORE,
                not_before=DAY_BEFORE,
                payload={},  # no commitment, no next meeting
            )
        )
        await uow.commit()
    clock.set(DAY_BEFORE)
    assert await circle.scheduler.tick() == 6
    broken = [i for i in await circle.items() if i.key == "checkin:broken"]
    assert broken[0].state == DueState.DROPPED


async def test_paused_nudges_wait_and_disabled_nudges_are_dropped(circle: Circle, db: Database) -> None:
    # Reminders are not nudges: they reach people with nudges off. See test_cycle for check-ins.
    await circle.people[1].says("/circle nudges off")
    await circle.scheduler.planner.plan()
    async with db.unit_of_work() as uow:
        enabled = dict((await uow.session.execute(select(Person.external_id, Person.nudges_enabled))).all())
    assert enabled[circle.people[1].user] is False
    circle.timeline.clock.set(DAY_BEFORE)
    assert await circle.scheduler.tick() == 6


async def test_many_items_in_small_batches_each_go_once(
    circle: Circle, clock: ManualClock, service: CircleService, port: RecordingPort, db: Database
) -> None:
    await circle.scheduler.planner.plan()
    await circle.add_reminders(600, DAY_BEFORE)
    clock.set(DAY_BEFORE)
    dispatcher = Dispatcher(service, batch_size=64)
    assert await dispatcher.tick() == 606
    assert len(port.of_kind("dm")) == 605
    async with db.unit_of_work() as uow:
        planned = select(DueItem.state, func.count()).where(DueItem.kind != DueKind.EFFECT)
        states = dict((await uow.session.execute(planned.group_by(DueItem.state))).all())
    assert states[DueState.SENT] == 606


async def test_a_message_that_must_wait_holds_back_the_next_one_to_the_same_person(
    circle: Circle, clock: ManualClock, service: CircleService, db: Database
) -> None:
    await circle.scheduler.planner.plan()
    person = await circle.person(circle.people[1])
    async with db.unit_of_work() as uow:
        await uow.session.execute(update(Person).where(Person.id == person.id).values(timezone=None))
        uow.session.add(
            DueItem(
                key=f"timezone:person:{person.id}",
                kind=DueKind.TIMEZONE_QUESTION,
                workspace_id=person.workspace_id,
                person_id=person.id,
                due_at=DAY_BEFORE - timedelta(minutes=1),
                not_before=DAY_BEFORE - timedelta(minutes=1),
            )
        )
        await uow.commit()
    port = FlakyPort(1, ConnectionError("reset"), only=circle.people[1].user)
    service.port_for = lambda _workspace: port
    clock.set(DAY_BEFORE)

    assert await circle.scheduler.tick() == 5  # four reminders and the call for bids
    assert circle.people[1].user not in {s.target for s in port.of_kind("dm")}
    assert port.attempts[circle.people[1].user] == 1  # the reminder waited behind the refused question

    clock.advance(timedelta(seconds=30))
    assert await circle.scheduler.tick() == 2
    theirs = [s.text for s in port.of_kind("dm") if s.target == circle.people[1].user]
    assert len(theirs) == 2
    assert "time zone" in theirs[0]
    assert "Meeting 1 of team" in theirs[1]
    asked = await circle.person(circle.people[1])
    assert asked.timezone_asked_at == clock.now()


def test_a_slow_platform_gets_batches_it_can_send_within_the_lease(service: CircleService) -> None:
    slow = Dispatcher(service, batch_size=500, lease=timedelta(minutes=5), rates={Platform.SLACK: 1.0})
    assert slow.batch_size == 75  # a quarter of the lease at one message a second
    assert Dispatcher(service, batch_size=500, rates={Platform.DISCORD: 40.0}).batch_size == 500


async def test_long_settled_items_are_forgotten_and_nothing_comes_back(
    circle: Circle, clock: ManualClock, port: RecordingPort
) -> None:
    await circle.timeline.run_until(MEETING)
    settled = len(await circle.items(DueState.SENT))
    assert settled == 11
    clock.advance(timedelta(days=31))
    await circle.scheduler.plan()
    assert await circle.items() == []
    sent_before = len(port.transcript)
    assert await circle.scheduler.tick() == 0
    assert len(port.transcript) == sent_before
