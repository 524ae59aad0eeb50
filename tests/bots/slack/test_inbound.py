"""Slack's traffic into the running app as signed HTTP: slash commands, buttons, modals, thread
replies, App Home; bad signatures, stale requests, re-deliveries and double clicks."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from core.forms import Action, FormId, check_in_button
from core.messages import Actions, Message, Text
from core.models import Bid, CheckIn, Contribution, Meeting, Person, Round
from core.vocabulary import Phase
from tests.bots.slack.conftest import Running

LEAD, BEN, CHIDI, DANA = "U0ANA", "U0BEN", "U0CHIDI", "U0DANA"


async def circle_with_round(running: Running, mode: str = "live") -> None:
    """Ana leads a circle of four; Ben's bid becomes round 1, now in its present phase."""
    assert "is set up" in await running.says(LEAD, f"new team-a mode={mode}")
    assert "Invited" in await running.welcome(LEAD, [BEN, CHIDI, DANA])
    assert "open for check-in" in await running.says(LEAD, "start")
    assert "Bids are open" in await running.says(LEAD, "bids")
    assert "bid is in" in await running.says(BEN, "bid How do I say no to my boss? urgency=high")
    assert "has started" in await running.says(LEAD, "round")


async def count(running: Running, model: type[Bid] | type[Contribution]) -> int:
    async with running.db.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count(model.id))) or 0)


async def phase_of_round(running: Running) -> Phase:
    async with running.db.unit_of_work() as uow:
        round_ = await uow.session.scalar(select(Round).order_by(Round.id.desc()))
        assert round_ is not None
        return round_.phase


# Signatures ----------------------------------------------------------------------------------


async def test_a_bad_signature_is_refused_and_reaches_nothing(running: Running) -> None:
    sent, key = await running.sender.command(LEAD, "new sneaky", signature="v0=" + "0" * 64)
    await running.settle()
    assert sent.status == 401
    assert running.slack.calls == []
    assert running.slack.responses[key] == []


async def test_a_stale_timestamp_is_refused_even_when_signed_correctly(running: Running) -> None:
    sent, _ = await running.sender.command(LEAD, "new replayed", timestamp=int(time.time()) - 6 * 60)
    await running.settle()
    assert sent.status == 401
    assert running.slack.private_channels() == []


async def test_an_unsigned_malformed_body_is_refused(running: Running) -> None:
    sent = await running.sender.post("not a slack payload", "text/plain", signature="garbage")
    assert sent.status == 401


# Slash commands ------------------------------------------------------------------------------


async def test_a_slash_command_is_acked_at_once_and_answered_privately(running: Running) -> None:
    sent, key = await running.sender.command(LEAD, "status")
    assert sent.status == 200
    assert sent.body == ""  # the ack says nothing: the answer follows on the response_url
    await running.settle()
    [answer] = running.slack.responses[key]
    assert answer["response_type"] == "ephemeral"
    assert "not in any circle" in answer["text"]
    assert running.slack.violations == []


async def test_empty_unknown_and_huge_commands_get_friendly_private_answers(running: Running) -> None:
    assert "/circle new NAME" in await running.says(LEAD, "")
    assert "don't know the command" in await running.says(LEAD, "frobnicate now")
    assert "too long" in await running.says(LEAD, "checkin " + "x" * 5000)
    assert running.slack.private_channels() == []
    assert running.slack.calls_to("chat.postMessage") == []


async def test_time_zone_and_name_come_from_users_info_once(running: Running) -> None:
    await running.says(LEAD, "status")
    await running.says(LEAD, "status")
    await running.says(LEAD, "help")
    assert len(running.slack.calls_to("users.info")) == 1
    async with running.db.unit_of_work() as uow:
        person = await uow.session.scalar(select(Person).where(Person.external_id == LEAD))
    assert person is not None
    assert (person.display_name, person.timezone) == ("Ana", "Europe/Lisbon")


async def test_a_new_circle_gets_its_private_channel_and_members_follow(running: Running) -> None:
    await running.says(LEAD, "new team-a")
    await running.welcome(LEAD, [BEN, CHIDI])
    channel = running.circle_channel()
    assert channel.members == {LEAD, BEN, CHIDI, running.slack.bot_user}
    assert "stays in the circle" in channel.purpose
    assert "You have left" in await running.says(BEN, "leave")
    assert channel.members == {LEAD, CHIDI, running.slack.bot_user}
    assert "now closed" in await running.says(LEAD, "end")
    assert channel.archived
    assert running.slack.violations == []


async def test_pasted_broadcasts_and_mentions_notify_nobody(running: Running) -> None:
    await running.says(LEAD, "new team-a")
    await running.welcome(LEAD, [BEN])
    await running.says(LEAD, "start")
    hostile = "<!channel> <!here> <!everyone> hello & <script>alert(1)</script>"
    assert "checked in" in await running.says(BEN, f"checkin {hostile}")
    await running.presses(LEAD, Action.OPEN_CHECK_IN_FORM)
    await running.fills_in(LEAD, {"text": "Ask <@U0BOSS> and <!subteam^S123|leads>"})
    posted = running.slack.in_channel(running.circle_channel().id)
    assert any("&lt;!channel&gt;" in m.all_text for m in posted)
    assert any("&lt;@U0BOSS&gt;" in m.all_text for m in posted)
    assert running.slack.broadcasts == []


async def test_an_outsider_cannot_reach_a_circle_by_its_buttons(running: Running) -> None:
    await circle_with_round(running)
    answer = await running.presses("U0EERO", Action.NEXT_PHASE)
    assert "isn't available to you" in answer
    assert await phase_of_round(running) == Phase.PRESENT


# Buttons and modals --------------------------------------------------------------------------


async def test_bring_an_issue_opens_the_bid_form_and_bad_input_keeps_it_open(running: Running) -> None:
    await running.says(LEAD, "new team-a")
    await running.welcome(LEAD, [BEN])
    await running.says(LEAD, "start")
    await running.says(LEAD, "bids")
    await running.presses(BEN, Action.OPEN_BID_FORM)
    [view] = running.slack.views
    assert view["callback_id"] == FormId.BID

    refused = await running.fills_in(BEN, {"topic": "", "urgency": "high", "minutes": "500"})
    assert refused.status == 200
    assert refused.json()["response_action"] == "errors"
    assert set(refused.json()["errors"]) == {"topic", "minutes"}
    assert await count(running, Bid) == 0

    accepted = await running.fills_in(BEN, {"topic": "Saying no <!here>", "urgency": "high", "minutes": "25"})
    assert accepted.body == ""
    assert await count(running, Bid) == 1
    assert any("bid is in" in t for t in running.slack.ephemeral_texts(BEN))
    assert any("Saying no &lt;!here&gt;" in m.all_text for m in running.slack.in_channel(running.circle_channel().id))
    assert running.slack.broadcasts == []
    assert running.slack.violations == []


async def test_a_double_submitted_modal_counts_once(running: Running) -> None:
    await running.says(LEAD, "new team-a")
    await running.welcome(LEAD, [BEN])
    await running.says(LEAD, "start")
    await running.presses(BEN, Action.OPEN_BID_FORM)
    values = {"topic": "Saying no", "urgency": "low", "minutes": "10"}
    await running.fills_in(BEN, values)
    await running.fills_in(BEN, values)
    assert await count(running, Bid) == 1


async def test_a_double_clicked_next_phase_moves_the_round_once(running: Running) -> None:
    await circle_with_round(running)
    element, posted = running.button(Action.NEXT_PHASE)
    first, _ = await running.sender.press(LEAD, element, posted.channel, posted.ts)
    second, _ = await running.sender.press(LEAD, element, posted.channel, posted.ts)
    await running.settle()
    assert (first.status, second.status) == (200, 200)
    assert await phase_of_round(running) == Phase.CLARIFY
    header = running.round_thread()
    assert len(header.edits) == 1
    assert "Clarifying questions" in header.all_text
    prompts = [
        m for m in running.slack.in_channel(header.channel, header.ts) if m.text.startswith("Clarifying questions:")
    ]
    assert len(prompts) == 1


async def test_only_the_facilitator_moves_the_round_on(running: Running) -> None:
    await circle_with_round(running)
    answer = await running.presses(CHIDI, Action.NEXT_PHASE)
    assert "facilitator" in answer
    assert await phase_of_round(running) == Phase.PRESENT


# Thread replies (async contributions) --------------------------------------------------------


async def test_a_thread_reply_is_a_contribution_and_a_redelivery_counts_once(running: Running) -> None:
    await circle_with_round(running, mode="async")
    thread = running.round_thread()
    await running.replies(BEN, thread, "My boss asks for weekend work; I keep saying yes.", event_id="Ev0001")
    again = await running.replies(
        BEN, thread, "My boss asks for weekend work; I keep saying yes.", event_id="Ev0001", retry=1
    )
    assert again.status == 200
    assert await count(running, Contribution) == 1
    quoted = [m for m in running.slack.in_channel(thread.channel, thread.ts) if "weekend work" in m.all_text]
    assert quoted == []  # typed in the thread, it is there once, in Ben's own words: the bot does not repeat it
    assert running.slack.reactions == {}


async def test_replies_out_of_turn_get_a_private_answer_and_are_marked_not_taken(running: Running) -> None:
    await circle_with_round(running, mode="async")
    thread = running.round_thread()
    await running.replies(CHIDI, thread, "Have you tried saying no?")  # the present phase is Ben's
    assert await count(running, Contribution) == 0
    [answer] = [c for c in running.slack.ephemerals if c.params["user"] == CHIDI]
    assert answer.params["thread_ts"] == thread.ts
    assert "Not taken" in answer.params["text"]
    [(typed, reactions)] = running.slack.reactions.items()  # a bot token cannot delete it: it is marked
    assert running.slack.member_messages[typed].text == "Have you tried saying no?"
    assert reactions == ["no_entry_sign"]
    assert running.slack.violations == []


async def test_bot_messages_edits_and_other_threads_are_ignored(running: Running) -> None:
    await circle_with_round(running, mode="async")
    thread = running.round_thread()
    base = {"type": "message", "channel": thread.channel, "user": BEN, "text": "hi", "ts": "1.1"}
    await running.sender.event({**base, "thread_ts": thread.ts, "bot_id": "B1"})
    await running.sender.event({**base, "thread_ts": thread.ts, "subtype": "message_changed"})
    await running.sender.event({**base, "thread_ts": "999.999"})
    await running.sender.event(base)
    await running.settle()
    assert await count(running, Contribution) == 0
    assert running.slack.ephemerals == []


async def test_the_contribute_form_asks_the_kind(running: Running) -> None:
    await circle_with_round(running)
    await running.presses(LEAD, Action.NEXT_PHASE)
    await running.presses(LEAD, Action.NEXT_PHASE)  # explore: questions, feedback, advice...
    await running.presses(CHIDI, Action.OPEN_CONTRIBUTE_FORM)
    kinds = next(b for b in running.slack.views[-1]["blocks"] if b["block_id"] == "kind")["element"]["options"]
    assert "advice" in {o["value"] for o in kinds}
    await running.fills_in(CHIDI, {"kind": "advice", "text": "Agree a rule with your boss."})
    thread = running.round_thread()
    assert any("Chidi (advice)" in m.all_text for m in running.slack.in_channel(thread.channel, thread.ts))


# App Home ------------------------------------------------------------------------------------


async def test_app_home_shows_my_circles_and_open_commitments(running: Running) -> None:
    await circle_with_round(running)
    for _ in range(4):
        await running.presses(LEAD, Action.NEXT_PHASE)
    await running.says(BEN, "commit Say no to one weekend request")
    sent = await running.sender.event({"type": "app_home_opened", "user": BEN, "channel": "D0BEN", "tab": "home"})
    await running.settle()
    assert sent.status == 200
    home = running.slack.homes[BEN]
    text = str(home)
    assert home["type"] == "home"
    assert "team-a" in text
    assert "Say no to one weekend request" in text
    assert running.slack.violations == []


async def test_a_commitment_button_on_the_home_tab_updates_it_and_refreshes_home(running: Running) -> None:
    await circle_with_round(running)
    for _ in range(4):
        await running.presses(LEAD, Action.NEXT_PHASE)
    await running.says(BEN, "commit Say no to one weekend request")
    await running.sender.event({"type": "app_home_opened", "user": BEN, "channel": "D0BEN", "tab": "home"})
    await running.settle()
    homes_before = len(running.slack.calls_to("views.publish"))
    element = {
        "action_id": Action.SET_COMMITMENT_STATUS,
        "text": {"type": "plain_text", "text": "Done"},
        "value": "1:done",
    }
    await running.sender.press(BEN, element, home=True)
    await running.settle()
    assert len(running.slack.calls_to("views.publish")) == homes_before + 1
    assert any("#1 is done" in m.text for m in running.slack.dms_to(BEN))
    assert "Say no to one weekend request" not in str(running.slack.homes[BEN])


# Failures ------------------------------------------------------------------------------------


async def test_a_burst_rate_limited_by_slack_is_delivered_after_backing_off(running: Running) -> None:
    await running.says(LEAD, "new team-a")
    await running.welcome(LEAD, [BEN])
    await running.says(LEAD, "start")
    running.slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    assert "checked in" in await running.says(BEN, "checkin Arriving tired but here")
    posted = running.slack.in_channel(running.circle_channel().id)
    assert any("Arriving tired but here" in m.all_text for m in posted)
    assert [c.status for c in running.slack.calls if c.method == "chat.postMessage"][-2:] == [429, 200]


async def test_a_failure_inside_the_app_is_told_only_to_the_actor(running: Running) -> None:
    async with running.db.engine.begin() as conn:
        await conn.exec_driver_sql("DROP TABLE handled_requests")
    answer = await running.says(LEAD, "new team-a")
    assert "something went wrong" in answer
    assert running.slack.private_channels() == []
    assert running.slack.calls_to("chat.postMessage") == []


async def test_a_check_in_dm_with_a_button_opens_the_form_and_answers_in_the_dm(running: Running) -> None:
    await running.says(LEAD, "new team-a")
    await running.welcome(LEAD, [BEN])
    await running.says(LEAD, "start")
    async with running.db.unit_of_work() as uow:
        meeting_id = await uow.session.scalar(select(Meeting.id))
    assert meeting_id is not None
    reminder = Message(
        (Text("Meeting 1 of team-a is open: how are you arriving?"), Actions((check_in_button(meeting_id),)))
    )
    await running.adapter.ports.for_team("T1").send_dm(BEN, reminder)  # as the between-meetings dispatch does
    dm = running.slack.dms_to(BEN)[-1]  # after the invitation
    element = dm.blocks[-1]["elements"][0]
    sent, key = await running.sender.press(BEN, element, dm.channel, dm.ts)
    await running.settle()
    assert sent.status == 200
    assert running.slack.views[-1]["callback_id"] == FormId.CHECK_IN
    await running.fills_in(BEN, {"text": "Arriving curious"})
    assert any("checked in" in m.text for m in running.slack.dms_to(BEN))
    assert running.slack.responses[key] == []  # the form opened: nothing else to say
    async with running.db.unit_of_work() as uow:
        assert await uow.session.scalar(select(func.count(CheckIn.id))) == 1


async def test_a_form_whose_trigger_expired_asks_to_press_again(running: Running) -> None:
    await running.says(LEAD, "new team-a")
    await running.says(LEAD, "start")
    running.slack.fail("views.open", "expired_trigger_id")
    answer = await running.presses(LEAD, Action.OPEN_BID_FORM)
    assert "press the button again" in answer
    assert running.slack.views == []


async def test_a_profile_is_read_again_after_a_while(running: Running) -> None:
    await running.says(LEAD, "status")
    running.clock.advance(timedelta(hours=13))
    await running.says(LEAD, "status")
    assert len(running.slack.calls_to("users.info")) == 2


async def test_someone_added_to_a_circle_channel_by_hand_is_removed_and_the_lead_told_once(running: Running) -> None:
    await running.says(LEAD, "new team-a")
    await running.welcome(LEAD, [BEN])
    channel = running.circle_channel()
    running.slack.channels[channel.id].members.add(DANA)  # Ben used Slack's own "Add people"
    event = {"type": "member_joined_channel", "user": DANA, "channel": channel.id, "team": "T1", "inviter": BEN}
    for retry in (None, 1):  # Slack re-sends an event it thinks was lost: one removal, one notice
        sent = await running.sender.event(event, event_id="EvJOIN1", retry=retry)
        assert sent.status == 200
        await running.settle()
    assert DANA not in running.slack.channels[channel.id].members
    assert BEN in running.slack.channels[channel.id].members
    notices = [m for m in running.slack.dms_to(LEAD) if "without being in the circle" in m.text]
    assert len(notices) == 1
    assert "by Ben" in notices[0].text
    assert not any("team-a" in m.text for m in running.slack.dms_to(DANA))  # the outsider learns nothing

    # A member joining (the bot's own invitation) is left alone.
    await running.sender.event({**event, "user": BEN}, event_id="EvJOIN2")
    await running.settle()
    assert BEN in running.slack.channels[channel.id].members


async def test_a_deactivated_account_loses_its_circles(running: Running) -> None:
    await running.says(LEAD, "new team-a")
    await running.welcome(LEAD, [BEN])
    channel = running.circle_channel()
    await running.sender.event({"type": "user_change", "user": {"id": BEN, "team_id": "T1", "deleted": True}})
    await running.settle()
    assert BEN not in running.slack.channels[channel.id].members
    assert "not in any circle" in await running.says(BEN, "status")
