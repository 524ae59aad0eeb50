"""`/circle report` through Slack: the summary comes back privately and the charts and CSV land as
files in the asker's DM only, through the real slack_sdk client against the fake Slack."""

from __future__ import annotations

from tests.bots.slack.conftest import Running
from tests.bots.slack.test_meeting_through_slack import ANA, BEN, form_circle


async def test_a_facilitator_gets_the_charts_and_csv_in_their_dm(running: Running) -> None:
    await form_circle(running, "live")
    answer = await running.says(ANA, "report", channel=running.circle_channel().id)
    assert "Circle team-a" in answer
    assert "on their way" in answer
    dm = next(c for c in running.slack.channels.values() if c.dm_user == ANA)
    shared = running.slack.files_in(dm.id)
    assert [u.filename for u in shared] == [
        "circle-team-a-attendance.png",
        "circle-team-a-follow_through.png",
        "circle-team-a-airtime.png",
        "circle-team-a-ratings.png",
        "circle-team-a.csv",
    ]
    assert all(u.content and u.content.startswith(b"\x89PNG") for u in shared[:4])
    assert shared[4].content is not None
    assert shared[4].content.startswith(b"section,circle,meeting,measure,value")
    assert "Only the circle's facilitator or lead" in await running.says(BEN, "report")
    assert [u for u in running.slack.uploads.values() if u.channel != dm.id] == []
    assert running.slack.violations == []
