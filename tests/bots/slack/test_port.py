"""SlackPort against the fake Slack over HTTP: private channels, threads, DMs, errors, 429s."""

from __future__ import annotations

import pytest

from bots.slack.port import SlackPort, SlackPorts, channel_name, web_client
from core.messages import Actions, Attachment, Button, Heading, Quote, Text, message
from core.models import Workspace
from core.port import MessageRef, RateLimited, SpaceRef, Undeliverable
from core.vocabulary import Platform
from tests.fakes.slack_api import FakeSlack

pytestmark = pytest.mark.usefixtures("fake_slack")


def port_on(slack: FakeSlack, retries: int = 3) -> SlackPort:
    return SlackPort(web_client(slack.api_url, "xoxb-test", rate_limit_retries=retries))


async def test_a_circle_gets_a_private_channel_with_its_members_and_ground_rules(fake_slack: FakeSlack) -> None:
    port = port_on(fake_slack)
    space = await port.open_private_space(
        "leaders-1", "Action Learning. What is said here stays here.", ["U0ANA", "U0BEN"]
    )
    channel = fake_slack.channels[space.id]
    assert channel.is_private
    assert channel.name == "circle-leaders-1"
    assert channel.members == {"U0ANA", "U0BEN", fake_slack.bot_user}
    assert "stays here" in channel.purpose
    assert "stays here" in channel.topic
    assert fake_slack.violations == []


async def test_a_taken_channel_name_gets_a_suffix(fake_slack: FakeSlack) -> None:
    port = port_on(fake_slack)
    first = await port.open_private_space("team", "rules", ["U0ANA"])
    second = await port.open_private_space("team", "rules", ["U0BEN"])
    assert fake_slack.channels[first.id].name == "circle-team"
    assert fake_slack.channels[second.id].name == "circle-team-2"


async def test_one_unknown_member_does_not_keep_the_others_out(fake_slack: FakeSlack) -> None:
    port = port_on(fake_slack)
    space = await port.open_private_space("team", "rules", ["U0ANA", "U0GONE", "U0BEN"])
    assert fake_slack.channels[space.id].members == {"U0ANA", "U0BEN", fake_slack.bot_user}


async def test_members_come_and_go_and_the_channel_is_archived_at_the_end(fake_slack: FakeSlack) -> None:
    port = port_on(fake_slack)
    space = await port.open_private_space("team", "rules", ["U0ANA"])
    await port.add_member(space, "U0BEN")
    await port.add_member(space, "U0BEN")  # already in: no error
    await port.remove_member(space, "U0ANA")
    await port.remove_member(space, "U0ANA")  # already out: no error
    assert fake_slack.channels[space.id].members == {"U0BEN", fake_slack.bot_user}
    await port.archive_space(space)
    await port.archive_space(space)
    assert fake_slack.channels[space.id].archived
    with pytest.raises(Undeliverable):
        await port.post(space, message("too late"))


async def test_a_round_is_a_thread_whose_header_is_updated(fake_slack: FakeSlack) -> None:
    port = port_on(fake_slack)
    space = await port.open_private_space("team", "rules", ["U0ANA"])
    header = await port.post(space, message(Heading("Round 1: Ana"), Text("Phase: Present")))
    reply = await port.reply(header, message(Quote("Ben", "What have you tried?")))
    await port.update(header, message(Heading("Round 1: Ana"), Text("Phase: Clarifying questions")))
    posted = fake_slack.messages[(space.id, header.message_id)]
    assert "Clarifying" in posted.all_text
    assert "Present" in posted.edits[0][0] + str(posted.edits[0][1])
    assert fake_slack.messages[(space.id, reply.message_id)].thread_ts == header.message_id
    assert MessageRef.decode(header.encode()) == header


async def test_dm_channels_are_opened_once_per_person(fake_slack: FakeSlack) -> None:
    port = port_on(fake_slack)
    for n in range(3):
        await port.send_dm(
            "U0ANA", message(f"Check-in reminder {n}", Actions((Button("Check in", "checkin.open", "1"),)))
        )
    assert len(fake_slack.calls_to("conversations.open")) == 1
    assert len(fake_slack.dms_to("U0ANA")) == 3


@pytest.mark.parametrize(
    ("flags", "user"),
    [({}, "U0NOBODY"), ({"disabled": True}, "U0LEFT"), ({"is_bot": True}, "U0BOT2")],
)
async def test_people_slack_will_never_reach_are_undeliverable(
    fake_slack: FakeSlack, flags: dict[str, bool], user: str
) -> None:
    if flags:
        fake_slack.add_user(user, "Someone", "Europe/London", **flags)
    with pytest.raises(Undeliverable):
        await port_on(fake_slack).send_dm(user, message("hello"))


async def test_a_deleted_channel_is_undeliverable(fake_slack: FakeSlack) -> None:
    with pytest.raises(Undeliverable, match="channel_not_found"):
        await port_on(fake_slack).post(SpaceRef("C0DELETED"), message("hello"))


async def test_a_burst_that_hits_the_rate_limit_is_retried_and_delivered(fake_slack: FakeSlack) -> None:
    port = port_on(fake_slack)
    space = await port.open_private_space("team", "rules", ["U0ANA"])
    fake_slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    ref = await port.post(space, message("Meeting 1 is open"))
    assert (space.id, ref.message_id) in fake_slack.messages
    statuses = [c.status for c in fake_slack.calls if c.method == "chat.postMessage"]
    assert statuses == [429, 200]


async def test_a_rate_limit_that_outlasts_the_retries_is_reported_not_lost(fake_slack: FakeSlack) -> None:
    port = port_on(fake_slack, retries=1)
    space = await port.open_private_space("team", "rules", ["U0ANA"])
    fake_slack.rate_limit("chat.postMessage", times=2, retry_after=0)
    with pytest.raises(RateLimited) as raised:
        await port.post(space, message("Meeting 1 is open"))
    assert raised.value.retry_after == 0
    ref = await port.post(space, message("Meeting 1 is open"))  # the caller tries again later: delivered
    assert fake_slack.messages[(space.id, ref.message_id)].text == "Meeting 1 is open"


async def test_private_notice_and_modal(fake_slack: FakeSlack) -> None:
    from core import forms

    port = port_on(fake_slack)
    space = await port.open_private_space("team", "rules", ["U0ANA"])
    await port.notify_privately(space, "U0ANA", message("only you"))
    await port.open_form("123.456.abc", "U0ANA", forms.bid_form(1))
    assert fake_slack.ephemeral_texts("U0ANA") == ["only you\nonly you"]
    assert fake_slack.views[0]["callback_id"] == "bid"
    assert fake_slack.violations == []


async def test_tell_privately_falls_back_to_a_dm_when_the_channel_is_gone(fake_slack: FakeSlack) -> None:
    port = port_on(fake_slack)
    await port.tell_privately("U0ANA", message("your answer"), channel="C0DELETED", thread=None)
    assert [m.text for m in fake_slack.dms_to("U0ANA")] == ["your answer"]


async def test_ports_are_per_workspace_and_honour_slack_api_url(fake_slack: FakeSlack) -> None:
    ports = SlackPorts(fake_slack.api_url.rstrip("/"), "xoxb-test")
    workspace = Workspace(platform=Platform.SLACK, external_id="T1", name="T1")
    port = ports.port_for(workspace)
    assert ports.port_for(workspace) is port
    assert ports.for_team("T9") is not port
    assert port.client.base_url == fake_slack.api_url
    await port.send_dm("U0ANA", message("hi"))
    assert fake_slack.calls_to("chat.postMessage")


def test_channel_names_follow_slack_rules() -> None:
    assert channel_name("Leaders 1!") == "circle-leaders-1"
    assert channel_name("___") == "circle-___"
    assert channel_name("!!!") == "circle-circle"
    assert len(channel_name("x" * 200)) == 80


async def test_tell_privately_uses_a_dm_when_the_person_is_not_in_that_channel(fake_slack: FakeSlack) -> None:
    port = port_on(fake_slack)
    space = await port.open_private_space("team", "rules", ["U0ANA"])
    await port.tell_privately("U0BEN", message("only for Ben"), channel=space.id, thread=None)
    assert [m.text for m in fake_slack.dms_to("U0BEN")] == ["only for Ben"]
    assert fake_slack.ephemerals == []


async def test_files_reach_one_person_in_their_dm_through_files_upload_v2(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0ANA", "Ana")
    port = port_on(fake_slack)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    files = [
        Attachment("attendance.png", png, "image/png", "Attendance"),
        Attachment("report.csv", b"section,value\nattendance,5\n", "text/csv"),
    ]
    ref = await port.send_files("U0ANA", message(Heading("Programme spring"), "Your charts"), files)
    dm = fake_slack.channels[ref.space_id]
    assert dm.dm_user == "U0ANA"
    [explained] = fake_slack.dms_to("U0ANA")
    assert "Programme spring" in explained.all_text
    shared = fake_slack.files_in(dm.id)
    assert [(u.filename, u.title, u.content) for u in shared] == [
        ("attendance.png", "Attendance", png),
        ("report.csv", "report.csv", files[1].content),
    ]
    assert [c.method for c in fake_slack.calls if c.method.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    assert fake_slack.violations == []


async def test_files_for_someone_gone_are_undeliverable(fake_slack: FakeSlack) -> None:
    port = port_on(fake_slack)
    with pytest.raises(Undeliverable):
        await port.send_files("U0GONE", message("x"), [Attachment("a.csv", b"a", "text/csv")])
    assert fake_slack.uploads == {}
