"""The App Home's per-person view, and two workers racing on the same round."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from core.clock import ManualClock
from core.context import Where
from core.db import Database
from core.forms import Action
from core.messages import Actions
from core.models import Round
from core.service import CircleService
from core.vocabulary import Phase
from tests.fakes.members import Member, cast, welcome
from tests.fakes.recording_port import RecordingPort


def button_actions(reply_blocks: tuple[object, ...]) -> list[str]:
    return [b.action_id for block in reply_blocks if isinstance(block, Actions) for b in block.buttons]


async def test_home_shows_the_next_meeting_and_only_the_facilitator_gets_controls(service: CircleService) -> None:
    people = cast(service, 3)
    people[0].timezone = "Europe/Berlin"
    await people[0].says("/circle new home-circle")
    await welcome(people[0], people[1:2])
    await people[0].says("/circle schedule 2026-12-03 10:00")
    facilitator_home = await service.home(people[0].actor)
    member_home = await service.home(people[1].actor)
    assert "meeting 1 (not started yet), Thu 03 Dec 2026, 10:00 CET" in facilitator_home.message.plain_text
    assert Action.OPEN_MEETING in button_actions(facilitator_home.message.blocks)
    assert button_actions(member_home.message.blocks) == [Action.OPEN_BID_FORM]
    outsider_home = await service.home(people[2].actor)
    assert "home-circle" not in outsider_home.message.plain_text


async def test_facilitator_controls_drive_a_meeting_from_home(service: CircleService) -> None:
    people = cast(service, 2)
    await people[0].says("/circle new buttons")
    await welcome(people[0], people[1:2])
    await people[0].says("/circle bid Warm up")
    steps = []
    for _ in range(4):
        home = await service.home(people[0].actor)
        for block in home.message.blocks:
            if isinstance(block, Actions):
                primary = next(b for b in block.buttons if b.style == "primary" and b.action_id != Action.OPEN_BID_FORM)
                steps.append(primary.action_id)
                text, _ = await people[0].presses(primary.action_id, primary.value)
                assert "isn't available" not in text
    assert steps == [Action.OPEN_MEETING, Action.CALL_FOR_BIDS, Action.START_ROUND, Action.NEXT_PHASE]
    assert "Only today's facilitator" in (await people[1].presses(Action.CLOSE_MEETING, "1"))[0]


async def test_two_workers_pressing_next_phase_at_once_move_the_round_once(
    database_url: str, db: Database, clock: ManualClock
) -> None:
    ports = [RecordingPort(), RecordingPort()]
    other_db = Database(database_url)
    services = [CircleService(db, clock, lambda _w: ports[0]), CircleService(other_db, clock, lambda _w: ports[1])]
    people = cast(services[0], 3)
    await people[0].says("/circle new racing")
    await welcome(people[0], people[1:])
    await people[0].says("/circle start")
    await people[0].says("/circle bids")
    await people[1].says("/circle bid Contested")
    await people[0].says("/circle round")
    async with db.unit_of_work() as uow:
        round_ = await uow.session.scalar(select(Round))
    assert round_ is not None
    value = f"{round_.id}:{Phase.PRESENT.value}"
    twins = [Member(s, people[0].user, people[0].name) for s in services]
    replies = await asyncio.gather(*(t.service.press(t.actor, Action.NEXT_PHASE, value, Where()) for t in twins))
    await other_db.dispose()
    texts = [r.message.plain_text for r in replies]
    assert sum("moved on to" in t for t in texts) == 1, texts
    async with db.unit_of_work() as uow:
        round_ = await uow.session.get(Round, round_.id)
    assert round_ is not None
    assert round_.phase == Phase.CLARIFY
    prompts = [s for p in ports for s in p.of_kind("reply") if "Clarifying questions" in s.text]
    assert len(prompts) == 1
