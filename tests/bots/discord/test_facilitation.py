"""Through Discord: today's facilitator gets the time's-up by DM with *Next phase* and *Two more
minutes* (a message in the channel would show the whole circle who hasn't spoken), a member who is not
the issue holder commits to the circle with `/circle do`, and `/circle do modules` browses the catalogue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.forms import Action
from core.models import Commitment
from core.scheduling.scheduler import Scheduler
from tests.bots.discord.conftest import Harness, click, command, said
from tests.bots.discord.test_meetings import facilitator_of_the_day, form_circle, latest_round, people_ids

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_time_is_kept_by_dm_and_anyone_commits(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    space = await form_circle(h, g, "timed-circle")
    await command(h, g, g.people[0], "start", channel=space)
    facilitator = await facilitator_of_the_day(h, g)
    holder, member = [p for p in g.people[:4] if p is not facilitator][:2]
    await command(h, g, facilitator, "bids", channel=space)
    await command(h, g, holder, "bid", channel=space, topic="Saying no")
    await command(h, g, facilitator, "round", channel=space)
    round_ = await latest_round(h)
    assert round_.phase_deadline is not None
    before = len(h.fake.in_channel(space))

    scheduler = Scheduler(h.service)
    await scheduler.tick()  # plans
    was = h.clock.now()
    h.clock.set(round_.phase_deadline)
    try:
        await scheduler.tick()
        dm = next(
            c for c in h.fake.channels.values() if c["type"] == 1 and c["recipients"][0]["id"] == str(facilitator.id)
        )
        notice = h.fake.in_channel(int(dm["id"]))[-1]
        assert "Time's up for Present in round 1" in notice["content"]
        assert "not yet:" in notice["content"]
        ids = h.fake.button_ids(notice)
        assert [i.split("|")[0] for i in ids] == [Action.NEXT_PHASE, Action.EXTEND_TIMEBOX]
        assert all(i.endswith(f"|{g.id}") for i in ids)  # a DM button finds its guild
        assert not any("Time's up" in m["content"] for m in h.fake.in_channel(space)[before:])  # not in the channel
        answer = await click(h, None, int(dm["id"]), notice, Action.EXTEND_TIMEBOX, facilitator)
        assert "Two more minutes for Present" in said(answer)
        assert (await latest_round(h)).phase_deadline == round_.phase_deadline + timedelta(minutes=2)
        answer = await click(h, None, int(dm["id"]), notice, Action.NEXT_PHASE, facilitator)
        assert "moved on to Clarifying questions" in said(answer)
    finally:
        h.clock.set(was)

    for _ in range(2):
        await command(h, g, facilitator, "next", channel=space)
    answer = await command(h, g, member, "do", channel=space, text="commit Send the team our notes to=circle")
    assert "noted" in said(answer)
    async with h.db.unit_of_work() as uow:
        [commitment] = list(await uow.session.scalars(select(Commitment)))
    assert commitment.to_circle
    _, ids = await people_ids(h, g)
    assert commitment.person_id == ids[member.id]  # a member who is not the issue holder

    catalogue = said(await command(h, g, member, "do", channel=space, text="modules leading-change"))
    assert "Leading a change people can own" in catalogue
    assert h.fake.violations == []
