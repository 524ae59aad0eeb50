"""What Slack sends as text, read as the member meant it: replies with a subtype, Slack's entity
encoding (decoded once coming in, encoded once going out), and people's names from users.info."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bots.slack.app import BOT_SCOPES
from core.membership import MembershipAction
from core.models import Contribution, Person
from tests.bots.slack.conftest import Running
from tests.bots.slack.test_inbound import BEN, CHIDI, LEAD, circle_with_round

# Slack's text and names as the member meant them: the same on any database (tests/conftest.py).
pytestmark = pytest.mark.one_database("Slack's text encoding and names, over the core")


async def contributions(running: Running) -> list[str]:
    async with running.db.unit_of_work() as uow:
        return list(await uow.session.scalars(select(Contribution.text).order_by(Contribution.id)))


async def test_replies_sent_to_the_channel_too_or_with_a_file_are_contributions(running: Running) -> None:
    await circle_with_round(running, mode="async")
    thread = running.round_thread()
    base = {"type": "message", "channel": thread.channel, "user": BEN, "thread_ts": thread.ts}
    await running.sender.event({**base, "subtype": "thread_broadcast", "text": "Also to the channel", "ts": "2.1"})
    await running.settle()  # Ben's presentation moves the round on to questions
    shared = {**base, "user": CHIDI, "subtype": "file_share", "text": "Is this your plan?", "ts": "2.2"}
    await running.sender.event(shared)
    await running.sender.event({**base, "subtype": "message_deleted", "text": "gone", "ts": "2.3"})
    await running.settle()
    assert await contributions(running) == ["Also to the channel", "Is this your plan?"]


async def test_slack_entities_are_decoded_once_in_and_encoded_once_out(running: Running) -> None:
    await circle_with_round(running, mode="async")
    thread = running.round_thread()
    await running.replies(BEN, thread, "costs &lt; benefits &amp; risks &gt; 0")
    await running.settle()  # Ben's presentation moves the round on to questions
    assert await contributions(running) == ["costs < benefits & risks > 0"]
    # a reply typed in the thread is not quoted again (main's clean thread); one by command is, encoded once
    await running.says(CHIDI, "say Why &lt; now &amp; not later?")
    assert await contributions(running) == ["costs < benefits & risks > 0", "Why < now & not later?"]
    posted = [m for m in running.slack.in_channel(thread.channel, thread.ts) if "not later" in m.all_text]
    assert len(posted) == 1
    assert "Why &lt; now &amp; not later?" in posted[0].all_text
    assert "&amp;lt;" not in posted[0].all_text


async def test_people_added_before_they_used_the_bot_show_by_their_slack_name(running: Running) -> None:
    running.slack.add_user("U0GRACE", "Grace Hopper", "Europe/London")
    await running.says(LEAD, "new team-a")
    answer = await running.says(LEAD, "add <@U0GRACE>")
    assert "Invited Grace Hopper" in answer
    await running.presses("U0GRACE", MembershipAction.ACCEPT)
    channel = running.circle_channel()
    assert any("Grace Hopper joined" in m.all_text for m in running.slack.in_channel(channel.id))
    assert "U0GRACE" not in "\n".join(m.all_text for m in running.slack.in_channel(channel.id))


async def test_a_changed_name_is_picked_up_when_the_person_is_named_again(running: Running) -> None:
    await running.says(LEAD, "new team-a")
    await running.says(LEAD, f"add <@{CHIDI}>")
    await running.presses(CHIDI, MembershipAction.ACCEPT)
    running.slack.users[CHIDI].name = "Chidi Anagonye"
    running.clock.advance(timedelta(days=1))  # the cached profile has aged
    await running.says(LEAD, f"remove <@{CHIDI}>")
    async with running.db.unit_of_work() as uow:
        person = await uow.session.scalar(select(Person).where(Person.external_id == CHIDI))
    assert person is not None
    assert person.display_name == "Chidi Anagonye"


def test_the_manifest_asks_for_users_read_which_users_info_needs() -> None:
    assert "users:read" in BOT_SCOPES


async def test_a_colleague_mentioned_in_member_text_reads_as_their_name_and_pings_nobody(running: Running) -> None:
    await circle_with_round(running, mode="async")
    await running.replies(BEN, running.round_thread(), f"As <@{CHIDI}> said, I should ask")
    assert await contributions(running) == ["As @Chidi said, I should ask"]
