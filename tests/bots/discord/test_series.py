"""`/circle do series` on Discord: one scheduled event per meeting of the series in the circle's own
voice channel, and the circle's .ics as an attachment in each member's DM; moving one meeting
moves its event (edited, not duplicated)."""

from __future__ import annotations

import pytest
from icalendar import Calendar

from tests.bots.discord.conftest import Harness, command, said
from tests.bots.discord.test_meetings import form_circle

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_the_series_becomes_scheduled_events_and_an_ics_in_every_dm(harness: Harness) -> None:
    h = harness
    g = await h.guild(size=3)
    ana, ben = g.people[:2]
    space = await form_circle(h, g, "series-room", size=3)
    answer = await command(h, g, ana, "do", text="series", channel=space)
    assert "every 6 weeks" in said(answer)
    events = sorted(
        (e for e in h.fake.events.values() if e["guild_id"] == str(g.id)), key=lambda e: e["scheduled_start_time"]
    )
    assert [e["name"] for e in events] == [f"Meeting {n} of series-room" for n in range(1, 7)]
    for person in g.people:
        dms = [c for c in h.fake.channels.values() if c["type"] == 1 and c["recipients"][0]["id"] == str(person.id)]
        [sent] = [m for dm in dms for m in h.fake.in_channel(int(dm["id"])) if m["attachments"]]
        [(name, content)] = h.fake.files[int(sent["id"])]
        assert name == "series-room.ics"
        assert Calendar.from_ical(content).walk("VEVENT")[0]["rrule"]["COUNT"] == [6]
    third = events[2]["scheduled_start_time"][:10]
    moved = await command(h, g, ana, "schedule", date=third, time="16:00", tz="UTC", meeting=3, channel=space)
    assert "Meeting 3 of series-room is scheduled for" in said(moved)
    events = [e for e in h.fake.events.values() if e["guild_id"] == str(g.id)]
    assert len(events) == 6  # moved, not duplicated
    [event] = [e for e in events if e["name"] == "Meeting 3 of series-room"]
    assert event["scheduled_start_time"].startswith(f"{third}T16:00:00")
    refused = await command(h, g, ben, "do", text="series", channel=space)
    assert "Only the circle's facilitator or lead" in said(refused)
    assert h.fake.violations == []
