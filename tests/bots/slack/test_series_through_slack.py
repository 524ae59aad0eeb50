"""`/circle series` through Slack: each member finds the circle's .ics as a file in their own DM
(files:write, through the real slack_sdk client against the fake Slack), and nowhere else; whoever is
inside their quiet hours finds it there when they end."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar

from tests.bots.slack.conftest import Running
from tests.bots.slack.test_meeting_through_slack import ANA, BEN, MEMBERS, form_circle


async def test_every_member_gets_the_circles_calendar_in_their_dm(running: Running) -> None:
    await form_circle(running, "live")
    answer = await running.says(ANA, "series", channel=running.circle_channel().id)
    assert "every 6 weeks" in answer
    assert "(6 meetings)" in answer
    dms = {c.dm_user: c.id for c in running.slack.channels.values() if c.dm_user}
    assert running.slack.files_in(dms[BEN]) == []  # 04:00 in New York: quiet hours until 08:00
    running.clock.set(datetime(2026, 12, 1, 13, 0, tzinfo=UTC))
    assert await running.adapter.app.scheduler.tick() >= 1
    for user in [ANA, *MEMBERS]:
        [shared] = running.slack.files_in(dms[user])
        assert shared.filename == "team-a.ics"
        assert shared.content is not None
        [event] = Calendar.from_ical(shared.content).walk("VEVENT")
        assert event["rrule"]["COUNT"] == [6]
    assert {u.channel for u in running.slack.uploads.values()} == {dms[u] for u in [ANA, *MEMBERS]}
    assert "Only the circle's facilitator or lead" in await running.says(BEN, "series")
    assert running.slack.violations == []
