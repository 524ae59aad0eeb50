"""The circle's .ics in the playground: a download link in each member's DM, served to that member
alone; anyone else asking for the same address, member of another circle or not, finds nothing."""

from __future__ import annotations

from aiohttp import ClientSession
from icalendar import Calendar

from bots.playground import demo
from bots.playground.port import PlaygroundPort, dm_space
from bots.playground.server import playground_of, start_site
from core.clock import ManualClock
from core.db import Database
from core.scheduling.scheduler import Scheduler
from core.service import CircleService
from tests.fakes.members import cast, welcome


async def test_a_member_downloads_the_calendar_and_nobody_else_can(db: Database, clock: ManualClock) -> None:
    port = PlaygroundPort(clock)
    service = CircleService(db, clock, lambda _workspace: port)
    playground = playground_of(service, port, clock, Scheduler(service))
    ana, ben, eve = cast(service, 3, workspace=demo.WORKSPACE)
    await ana.says("/circle new team")
    await welcome(ana, [ben])
    await eve.says("/circle new other")
    assert "every 6 weeks" in await ana.says("/circle series")
    [dm] = [p for p in port.channel(dm_space(ben.user), ben.user) if p.links]
    [(label, address)] = dm.links
    assert label == "team's meetings"
    runner, bound = await start_site(playground, "127.0.0.1", 0)
    site = f"http://127.0.0.1:{bound}"
    try:
        async with ClientSession(cookies={"playground_person": ben.user}) as as_ben:
            response = await as_ben.get(site + address)
            assert response.status == 200
            assert response.content_type == "text/calendar"
            assert Calendar.from_ical(await response.read()).walk("VEVENT")[0]["rrule"]["COUNT"] == [6]
        async with ClientSession(cookies={"playground_person": eve.user}) as as_eve:
            assert (await as_eve.get(site + address)).status == 404
        async with ClientSession(cookies={"playground_person": "UNOBODY"}) as unknown:
            assert (await unknown.get(site + address)).status == 401
    finally:
        await runner.cleanup()
