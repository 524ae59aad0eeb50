"""Whole meetings through Discord: a live one driven by commands, buttons and modals; an async
round worked in its thread; DMs that bounce; buttons after a restart; a 429 on the way."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from core.forms import Action, check_in_button
from core.messages import Actions, Message, Text
from core.models import Bid, Commitment, Contribution, Meeting, MeetingFeedback, Person, Round, Workspace
from core.vocabulary import MeetingState, Phase
from tests.bots.discord.conftest import (
    Guild,
    Harness,
    circle_channel,
    click,
    command,
    fill_in,
    is_ephemeral,
    last_with,
    said,
    welcome,
)
from tests.fakes.discord_api import Person as Someone

Json = dict[str, Any]
pytestmark = pytest.mark.asyncio(loop_scope="module")


async def form_circle(h: Harness, g: Guild, name: str, mode: str = "live", size: int = 4) -> int:
    lead = g.people[0]
    assert "is set up" in said(await command(h, g, lead, "new", name=name, mode=mode))
    for person in g.people[1:size]:
        assert "Invited" in said(await welcome(h, g, lead, person, name))
    return int(circle_channel(h, g, name)["id"])


async def facilitator_of_the_day(h: Harness, g: Guild) -> Someone:
    async with h.db.unit_of_work() as uow:
        meeting = await uow.session.scalar(
            select(Meeting).where(Meeting.state != MeetingState.CLOSED).order_by(Meeting.id.desc())
        )
        assert meeting is not None
        person = await uow.session.get(Person, meeting.facilitator_id)
    assert person is not None
    return next(p for p in g.people if str(p.id) == person.external_id)


async def latest_round(h: Harness) -> Round:
    async with h.db.unit_of_work() as uow:
        round_ = await uow.session.scalar(select(Round).order_by(Round.id.desc()).limit(1))
    assert round_ is not None
    return round_


async def test_a_whole_live_meeting_through_discord(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    people = g.people[:4]
    space = await form_circle(h, g, "live-circle")
    assert "is open" in said(await command(h, g, people[0], "start", channel=space))
    facilitator = await facilitator_of_the_day(h, g)
    opening = last_with(h, space, "Meeting 1 of live-circle is open")

    for person in people:  # the opening's button opens a modal; its submit checks them in
        opened = await click(h, g, space, opening, Action.OPEN_CHECK_IN_FORM, person)
        assert opened["type"] == 9
        answer = await fill_in(h, g, space, opened, {"text": f"{person.username} arriving"}, person)
        assert "checked in" in said(answer)
        assert is_ephemeral(answer)

    assert "Bids are open" in said(await command(h, g, facilitator, "bids", channel=space))
    bidder = next(p for p in people if p is not facilitator)
    opened = await click(h, g, space, opening, Action.OPEN_BID_FORM, bidder)
    wrong = await fill_in(h, g, space, opened, {"topic": "Saying no", "urgency": "urgent", "minutes": "500"}, bidder)
    assert "needs another look" in said(wrong)
    assert "Saying no" in said(wrong)  # what they wrote comes back to copy
    async with h.db.unit_of_work() as uow:
        assert await uow.session.scalar(select(func.count(Bid.id)).where(Bid.topic == "Saying no")) == 0
    answer = await fill_in(
        h, g, space, opened, {"topic": "Saying no to my boss", "urgency": "high", "minutes": "20"}, bidder
    )
    assert "bid is in" in said(answer)

    assert "has started" in said(await command(h, g, facilitator, "round", channel=space))
    header = last_with(h, space, "Round 1")
    thread_id = int(header["id"])
    assert h.fake.channels[thread_id]["type"] == 11  # the round's thread, started from its header
    assert h.fake.channels[thread_id]["parent_id"] == str(space)
    assert any("Present" in m["content"] for m in h.fake.in_channel(thread_id))

    others = [p for p in people if p is not bidder]
    assert "Thanks" in said(await command(h, g, bidder, "say", channel=thread_id, text="My boss asks @everyone"))
    assert any("My boss asks" in m["content"] for m in h.fake.in_channel(thread_id))
    stale = {**header, "components": list(header["components"])}
    answer = await click(h, g, space, header, Action.NEXT_PHASE, facilitator)  # the header's own button
    assert not said(answer).startswith("Sorry")
    assert "Clarifying" in header["content"]
    assert header["edits"] == 1
    again = await click(h, g, space, stale, Action.NEXT_PHASE, facilitator)  # a double click, a second later
    assert is_ephemeral(again)
    assert header["edits"] == 1  # moved on once
    assert (await latest_round(h)).phase == Phase.CLARIFY
    intruder = await click(h, g, space, header, Action.NEXT_PHASE, g.people[5])  # not in the circle
    assert is_ephemeral(intruder)
    assert (await latest_round(h)).phase == Phase.CLARIFY
    assert "Thanks" in said(await command(h, g, others[0], "say", channel=thread_id, text="What have you tried?"))
    for expected in ("Questions, feedback", "Reflection"):
        assert expected in said(await command(h, g, facilitator, "next", channel=thread_id))
        assert expected in header["content"]
        speaker = others[1] if expected.startswith("Questions") else bidder
        assert "Thanks" in said(await command(h, g, speaker, "say", channel=thread_id, text="A thought"))
    assert "Commitments" in said(await command(h, g, facilitator, "next", channel=thread_id))
    opened = await click(h, g, space, header, Action.OPEN_COMMIT_FORM, bidder)
    answer = await fill_in(h, g, thread_id, opened, {"action": "Talk to my boss on Monday", "due": ""}, bidder)
    assert "noted" in said(answer).lower()
    assert "is finished" in said(await command(h, g, facilitator, "next", channel=thread_id))
    assert "Finished" in header["content"]  # the header's phase
    assert header["edits"] == 5

    assert "is closed" in said(await command(h, g, facilitator, "close", channel=space))
    closing = last_with(h, space, "Meeting 1 is closed")
    opened = await click(h, g, space, closing, Action.OPEN_FEEDBACK_FORM, bidder)
    answer = await fill_in(h, g, space, opened, {"rating": "5", "text": "Useful"}, bidder)
    assert is_ephemeral(answer)
    async with h.db.unit_of_work() as uow:
        round_ = await latest_round(h)
        commitments = (await uow.session.scalars(select(Commitment).where(Commitment.round_id == round_.id))).all()
        meeting = await uow.session.get(Meeting, round_.meeting_id)
        assert meeting is not None
        feedback = await uow.session.scalar(
            select(func.count(MeetingFeedback.id)).where(MeetingFeedback.meeting_id == meeting.id)
        )
        state = meeting.state
    assert [c.text for c in commitments] == ["Talk to my boss on Monday"]
    assert feedback == 1
    assert state == MeetingState.CLOSED
    assert h.fake.violations == []


async def test_an_async_round_worked_in_its_thread(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    people = g.people[:4]
    space = await form_circle(h, g, "async-circle", mode="async")
    await command(h, g, people[0], "start", channel=space)
    facilitator = await facilitator_of_the_day(h, g)
    holder = next(p for p in people if p is not facilitator)
    others = [p for p in people if p is not holder]
    await command(h, g, facilitator, "bids", channel=space)
    await command(h, g, holder, "bid", channel=space, topic="Delegating more")
    await command(h, g, facilitator, "round", channel=space)
    round_ = await latest_round(h)
    thread_id = int(last_with(h, space, "Round 1")["id"])
    assert round_.thread_ref == f"{space}/{thread_id}"

    # A plain reply in the thread is the holder's presentation (message-content intent on); once the
    # holder has presented, the bot moves the round on without waiting for the deadline.
    out_of_turn = await in_thread(h, g, thread_id, others[0], "Just quit, honestly")  # advice while Ben presents
    assert await _contributions(h, round_.id) == 0
    assert out_of_turn not in h.fake.in_channel(thread_id)  # not taken: the bot removed it from the thread
    assert [m["id"] for m in h.fake.deleted] == [out_of_turn["id"]]
    dm = next(c for c in h.fake.channels.values() if c["type"] == 1 and c["recipients"][0]["id"] == str(others[0].id))
    assert "Not taken" in h.fake.in_channel(int(dm["id"]))[-1]["content"]  # told privately why

    first = await in_thread(h, g, thread_id, holder, "Here is my issue in full, @everyone")
    assert await _contributions(h, round_.id) == 1
    await in_thread(h, g, thread_id, holder, "", again=first)  # Discord delivered it twice: counted once
    assert await _contributions(h, round_.id) == 1
    header = last_with(h, space, "Round 1")
    assert "Clarifying" in header["content"]
    echoed = [m for m in h.fake.in_channel(thread_id) if m["author"]["id"] == str(h.fake.bot_id)]
    assert all(m["allowed_mentions"] == {"parse": []} for m in echoed)
    assert not any("Here is my issue" in m["content"] for m in echoed)  # typed once; the bot doesn't repeat it

    assert "<t:" in header["content"]  # the phase's end in each reader's own zone

    await in_thread(h, g, thread_id, others[0], "What have you tried so far?")
    await in_thread(h, g, thread_id, holder, "Only asking nicely")  # the holder may answer while clarifying
    assert await _contributions(h, round_.id) == 3
    h.clock.advance(timedelta(days=3))
    assert await h.service.advance_due_rounds() == 1
    assert (await latest_round(h)).phase == Phase.EXPLORE
    assert "Questions, feedback" in header["content"]

    # Without the message-content intent the modal path does the same.
    opened = await click(h, g, space, header, Action.OPEN_CONTRIBUTE_FORM, others[1])
    answer = await fill_in(h, g, thread_id, opened, {"kind": "advice", "text": "Try a pilot first"}, others[1])
    assert is_ephemeral(answer)
    assert await _contributions(h, round_.id) == 4
    assert any("Try a pilot first" in m["content"] for m in h.fake.in_channel(thread_id))
    assert h.fake.violations == []


async def in_thread(h: Harness, g: Guild, thread_id: int, who: Someone, text: str, again: Json | None = None) -> Json:
    """A member's reply in a thread, returned once the bot has handled it (no timers)."""
    message = again or h.fake.member_message(thread_id, who, text)
    handled = asyncio.ensure_future(
        h.bot.wait_for("thread_reply_handled", check=lambda m: m.id == int(message["id"]), timeout=10)
    )
    await h.fake.deliver_message(g.id, message, who)
    await handled
    return message


async def _contributions(h: Harness, round_id: int) -> int:
    async with h.db.unit_of_work() as uow:
        query = select(func.count(Contribution.id)).where(Contribution.round_id == round_id)
        return int(await uow.session.scalar(query) or 0)


async def people_ids(h: Harness, g: Guild) -> tuple[Workspace, dict[int, int]]:
    async with h.db.unit_of_work() as uow:
        workspace = await uow.session.scalar(select(Workspace).where(Workspace.external_id == str(g.id)))
        assert workspace is not None
        rows = (
            await uow.session.execute(select(Person.external_id, Person.id).where(Person.workspace_id == workspace.id))
        ).all()
    return workspace, {int(external): pid for external, pid in rows}


async def test_a_dm_button_finds_its_guild(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana, ben = g.people[:2]
    space = await form_circle(h, g, "dm-buttons", size=2)
    await command(h, g, ana, "start", channel=space)
    workspace, _ = await people_ids(h, g)
    async with h.db.unit_of_work() as uow:
        meeting = await uow.session.scalar(
            select(Meeting).where(Meeting.state == MeetingState.CHECK_IN).order_by(Meeting.id.desc())
        )
    assert meeting is not None
    nudge = Message((Text("Check in?"), Actions((check_in_button(meeting.id),))), "Check in?")
    await h.bot.port_for(workspace).send_dm(str(ben.id), nudge)  # as the scheduler sends a check-in
    dm = next(c for c in h.fake.channels.values() if c["type"] == 1 and c["recipients"][0]["id"] == str(ben.id))
    message = h.fake.in_channel(int(dm["id"]))[-1]
    assert h.fake.button_ids(message) == [f"checkin.open|{meeting.id}|{g.id}"]

    opened = await click(h, None, int(dm["id"]), message, Action.OPEN_CHECK_IN_FORM, ben)
    answer = await fill_in(h, None, int(dm["id"]), opened, {"text": "From my DMs"}, ben)
    assert "checked in" in said(answer)
    assert any("From my DMs" in m["content"] for m in h.fake.in_channel(space))


async def test_buttons_and_forms_still_answer_after_a_restart(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana, ben, chidi = g.people[:3]
    space = await form_circle(h, g, "restart-circle", size=3)
    await command(h, g, ana, "start", channel=space)
    opening = last_with(h, space, "Meeting 1 of restart-circle is open")
    opened_before = await click(h, g, space, opening, Action.OPEN_CHECK_IN_FORM, chidi)
    old_bot = h.bot

    await h.restart()
    assert h.bot is not old_bot
    assert old_bot.is_closed()
    opened = await click(h, g, space, opening, Action.OPEN_CHECK_IN_FORM, ben)
    assert opened["type"] == 9
    assert "checked in" in said(await fill_in(h, g, space, opened, {"text": "After the restart"}, ben))
    answer = await fill_in(h, g, space, opened_before, {"text": "Opened before, sent after"}, chidi)
    assert "checked in" in said(answer)
    assert h.fake.violations == []


async def test_a_429_is_waited_out_and_the_message_sent_once(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana = g.people[0]
    space = await form_circle(h, g, "busy-circle", size=2)
    trap = h.fake.trap_rate_limit("POST", rf"/channels/{space}/messages", retry_after=0.05)
    answer = await command(h, g, ana, "start", channel=space)
    assert "is open" in said(answer)
    assert trap.sprung == 1
    attempts = h.fake.bot_requests("POST", rf"/channels/{space}/messages")
    assert [r.status for r in attempts[-2:]] == [429, 200]
    assert len([m for m in h.fake.in_channel(space) if "Meeting 1 of busy-circle" in m["content"]]) == 1
    assert h.fake.violations == []
