"""The APScheduler wake-up (one job, memory store, explicit defaults) and async phase deadlines:
a round moves on when its time is up, or earlier when everyone has spoken, and never twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from apscheduler.jobstores.memory import MemoryJobStore
from sqlalchemy import select

from core.clock import ManualClock
from core.db import Database
from core.models import DueItem, DueKind, DueState, Round
from core.scheduling.scheduler import JOB_ID, Scheduler
from core.service import CircleService
from core.vocabulary import Phase
from tests.fakes.members import cast, welcome
from tests.fakes.recording_port import RecordingPort
from tests.fakes.timeline import Timeline
from tests.fakes.wiring import connected


async def test_start_registers_one_interval_job_with_explicit_defaults(service: CircleService) -> None:
    scheduler = connected(Scheduler(service, every_seconds=15))
    scheduler.start()
    scheduler.start()  # a second start changes nothing
    try:
        assert scheduler.running
        aps = scheduler._aps
        assert aps is not None
        jobs = aps.get_jobs()
        assert [job.id for job in jobs] == [JOB_ID]
        job = jobs[0]
        assert job.misfire_grace_time == 3600
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.trigger.interval == timedelta(seconds=15)
        assert isinstance(aps._jobstores["default"], MemoryJobStore)
    finally:
        await scheduler.close()
    assert not scheduler.running


async def test_close_lets_a_tick_under_way_finish_instead_of_cancelling_it(service: CircleService) -> None:
    """APScheduler's shutdown cancels its job; the tick itself, shielded, runs to its end."""
    scheduler = connected(Scheduler(service, every_seconds=3600))
    finished: list[bool] = []
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_tick() -> int:
        started.set()
        await release.wait()
        finished.append(True)
        return 0

    scheduler.tick = slow_tick  # type: ignore[method-assign]
    scheduler.start()
    await started.wait()  # the first wake-up comes at once
    closing = asyncio.ensure_future(scheduler.close())
    await asyncio.sleep(0)
    assert not closing.done()  # waiting for the tick, not cancelling it
    release.set()
    await closing
    assert finished == [True]
    assert not scheduler.running


async def round_row(db: Database) -> Round:
    async with db.unit_of_work() as uow:
        round_ = await uow.session.scalar(select(Round).order_by(Round.id.desc()).limit(1))
    assert round_ is not None
    return round_


async def test_async_phases_move_on_at_the_deadline_or_when_everyone_has_spoken(
    service: CircleService, clock: ManualClock, port: RecordingPort, db: Database
) -> None:
    people = cast(service, 4)
    lead, holder, *others = people
    timeline = Timeline(connected(Scheduler(service, max_inline_wait=0)), clock, port)
    await lead.says("/circle new slow mode=async")
    await welcome(lead, people[1:])
    for person in people:
        await person.says("/circle timezone UTC")
    await lead.says("/circle start")
    await lead.says("/circle bids")
    await holder.says("/circle bid My team ignores the plan")
    assert "has started" in await lead.says("/circle round")
    started = clock.now()  # 09:00 UTC: present until 09:00 tomorrow

    await timeline.run_until(started + timedelta(hours=24))

    # Halfway (21:00) is quiet, so the silent holder is nudged at 08:00, before the deadline.
    nudges = timeline.dms(holder.user, "voice is still missing")
    assert [when for when, _ in nudges] == [started + timedelta(hours=23)]
    assert all(holder.user == s.target for _, s in timeline.dms(containing="voice is still missing"))
    round_ = await round_row(db)
    assert round_.phase == Phase.CLARIFY
    assert round_.holder_passed is False

    # Everyone asks a clarifying question: the round moves on at once, not at the deadline.
    for person in [lead, *others]:
        await person.says("/circle say What does the plan say?")
    assert (await round_row(db)).phase == Phase.EXPLORE
    async with db.unit_of_work() as uow:
        clarify = list(
            await uow.session.scalars(
                select(DueItem).where(DueItem.round_id == round_.id, DueItem.payload["phase"].as_string() == "clarify")
            )
        )
    deadline = next(i for i in clarify if i.kind == DueKind.PHASE_DEADLINE)
    assert deadline.state == DueState.DROPPED
    assert deadline.last_error == "no longer planned"
    assert {i.state for i in clarify if i.kind == DueKind.PHASE_NUDGE} <= {DueState.DROPPED, DueState.SENT}

    await timeline.run_until(clock.now() + timedelta(hours=48))
    assert (await round_row(db)).phase == Phase.REFLECT
    explore_prompts = [s for _, s in timeline.stamped if s.kind == "reply" and "Questions, feedback" in s.text]
    assert len(explore_prompts) == 1  # moved on once, not once per tick or per worker
