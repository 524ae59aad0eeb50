"""Through slack_sdk and the fake Slack: the longest texts the core accepts reach the channel whole,
in sections of at most 3,000 characters, with nothing refused; a rate-limited post is kept and sent
once the pause is over."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bots.slack.blocks import CONTINUES
from core.commands import MAX_SHORT_TEXT
from core.models import DueItem, DueKind, DueState
from core.scheduling.dispatcher import Dispatcher
from tests.bots.slack.conftest import PEOPLE, Running

LEAD = PEOPLE[0][0]


async def test_bids_are_open_with_the_longest_bids_arrives_whole(running: Running) -> None:
    await running.says(LEAD, "new long-bids")
    await running.welcome(LEAD, [user for user, _, _ in PEOPLE[1:]])
    await running.says(LEAD, "start")
    pairs = 0
    for n, (user, _, _) in enumerate(PEOPLE):
        topic = f"issue-{n} " + "&<" * ((MAX_SHORT_TEXT - 10 - len(f"issue-{n} ")) // 2)  # grows fivefold when escaped
        pairs += topic.count("&<")
        assert "bid is in" in await running.says(user, f"bid {topic}")
    assert "Bids are open" in await running.says(LEAD, "bids")
    channel = running.circle_channel().id
    posted = [m for m in running.slack.in_channel(channel) if m.thread_ts is None]
    start = next(i for i, m in enumerate(posted) if "Bids are open" in m.all_text)
    parts = posted[start:]
    assert running.slack.refusals == []
    sections = [b["text"]["text"] for m in parts for b in m.blocks if b["type"] == "section" and "text" in b]
    assert all(len(s) <= 3000 for s in sections)
    text = "".join(s.replace("\n" + CONTINUES, "") for s in sections)
    assert all(f"issue-{n} " in text for n in range(len(PEOPLE)))
    assert text.count("&amp;&lt;") == pairs  # nothing lost at the cuts
    assert parts[-1].blocks[-1]["type"] == "actions"


async def test_a_post_slack_rate_limits_for_long_is_kept_and_sent_once_later(running: Running) -> None:
    await running.says(LEAD, "new team-a")
    await running.says(LEAD, "start")
    running.slack.rate_limit("chat.postMessage", times=1, retry_after=30)
    assert "checked in" in await running.says(LEAD, "checkin said despite the limit")
    channel = running.circle_channel().id
    assert not any("said despite the limit" in m.all_text for m in running.slack.in_channel(channel))
    async with running.db.unit_of_work() as uow:
        waiting = list(
            await uow.session.scalars(
                select(DueItem).where(DueItem.kind == DueKind.EFFECT, DueItem.state == DueState.PENDING)
            )
        )
    assert len(waiting) == 1
    running.clock.advance(timedelta(seconds=30))
    service = running.adapter.app.service
    assert await Dispatcher(service).tick() == 1
    assert len([m for m in running.slack.in_channel(channel) if "said despite the limit" in m.all_text]) == 1
    assert [c.status for c in running.slack.calls if c.method == "chat.postMessage"][-2:] == [429, 200]
