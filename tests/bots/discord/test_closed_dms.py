"""Closed DMs on Discord, met by the real scheduler: in a module (and harness) of its own, since the
scheduler sends what is due for every circle in the database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.models import Person
from core.scheduling.scheduler import Scheduler
from tests.bots.discord.conftest import Harness, command, said
from tests.bots.discord.test_meetings import form_circle, people_ids
from tests.fakes.wiring import connected

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_closed_dms_are_told_once_in_the_circle_and_to_the_lead(harness: Harness) -> None:
    """The scheduler's reminders meet Discord's 50007: one refusal, then one notice to the member in
    their circle (pinging only them) and one DM to the lead; later reminders are not even tried."""
    h = harness
    g = await h.guild(closed_dms=(1,))
    ana, ben = g.people[:2]
    space = await form_circle(h, g, "dm-circle", size=2)
    start = (h.clock.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    answer = await command(
        h, g, ana, "schedule", date=f"{start:%Y-%m-%d}", time=f"{start:%H:%M}", tz="UTC", channel=space
    )
    assert "scheduled" in said(answer)
    before = len(h.fake.in_channel(space))

    await connected(Scheduler(h.service)).tick()  # plans
    was = h.clock.now()
    h.clock.set(start - timedelta(minutes=30))  # past both reminders, before the meeting
    try:
        scheduler = connected(Scheduler(h.service))
        for _ in range(3):
            await scheduler.tick()
    finally:
        h.clock.set(was)  # the module's harness is shared with the tests after this one

    refused = [r for r in h.fake.requests if r.status == 403]  # the invitation's DM; later ones not tried
    assert len(refused) == 1
    notices = [m for m in h.fake.in_channel(space)[before:] if "couldn't" in m["content"]]
    assert len(notices) == 1
    assert notices[0]["content"].startswith(f"<@{ben.id}>")
    assert notices[0]["allowed_mentions"] == {"parse": [], "users": [ben.id]}
    _, ids = await people_ids(h, g)
    async with h.db.unit_of_work() as uow:
        person = await uow.session.get(Person, ids[ben.id])
    assert person is not None
    assert person.dm_undeliverable_at is not None
    assert h.fake.violations == []
