"""End to end through Slack: one whole live meeting driven by buttons, forms, slash commands and
thread replies, and one async round that the bot moves on at its deadlines."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.forms import Action
from core.models import CheckIn, Commitment, Contribution, MeetingFeedback, Round
from core.vocabulary import Phase
from tests.bots.slack.conftest import Running

ANA, BEN, CHIDI, DANA, EERO = "U0ANA", "U0BEN", "U0CHIDI", "U0DANA", "U0EERO"
MEMBERS = [BEN, CHIDI, DANA, EERO]


async def form_circle(running: Running, mode: str) -> None:
    assert "is set up" in await running.says(ANA, f"new team-a mode={mode}")
    assert "Invited" in await running.welcome(ANA, MEMBERS)


async def rows(running: Running, model: type[object]) -> list[object]:
    async with running.db.unit_of_work() as uow:
        return list(await uow.session.scalars(select(model)))


async def test_a_whole_live_meeting_through_slack(running: Running) -> None:
    await form_circle(running, "live")
    tomorrow = running.clock.now() + timedelta(days=1)
    assert "scheduled" in await running.says(ANA, f"schedule {tomorrow:%Y-%m-%d} 10:00")
    running.clock.advance(timedelta(days=1, hours=1))
    assert "open for check-in" in await running.says(ANA, "start")

    for person in [ANA, *MEMBERS]:  # check-in through the button on the opening message
        await running.presses(person, Action.OPEN_CHECK_IN_FORM)
        await running.fills_in(person, {"text": f"Arriving well, {person}"})
    assert len(await rows(running, CheckIn)) == 5

    assert "Bids are open" in await running.says(ANA, "bids")
    await running.presses(BEN, Action.OPEN_BID_FORM)
    await running.fills_in(BEN, {"topic": "Saying no to my boss", "urgency": "high", "minutes": "30"})
    await running.presses(CHIDI, Action.OPEN_BID_FORM)
    await running.fills_in(CHIDI, {"topic": "A hard hire", "urgency": "medium", "minutes": "20"})

    assert "has started" in await running.says(ANA, "round")
    thread = running.round_thread(1)
    assert "Ben" in thread.all_text
    assert "Present" in thread.all_text

    await running.presses(BEN, Action.OPEN_CONTRIBUTE_FORM)
    await running.fills_in(BEN, {"kind": "presentation", "text": "My boss asks for weekend work."})
    await running.presses(ANA, Action.NEXT_PHASE)
    await running.replies(CHIDI, thread, "What happens when you say no?")
    await running.presses(ANA, Action.NEXT_PHASE)
    await running.presses(DANA, Action.OPEN_CONTRIBUTE_FORM)
    await running.fills_in(DANA, {"kind": "advice", "text": "Agree a weekend rule with your boss."})
    await running.presses(ANA, Action.NEXT_PHASE)
    await running.replies(BEN, thread, "I see I never said what I need.")
    await running.presses(ANA, Action.NEXT_PHASE)
    await running.presses(BEN, Action.OPEN_COMMIT_FORM)
    due = (running.clock.now() + timedelta(days=14)).date().isoformat()
    await running.fills_in(BEN, {"action": "Say no to one weekend request", "due": due})
    await running.presses(ANA, Action.NEXT_PHASE)

    header = running.slack.messages[(thread.channel, thread.ts)]
    assert len(header.edits) == 5  # one chat.update per phase change
    assert "Finished" in header.all_text
    typed = [m for m in running.slack.member_messages.values() if m.thread_ts == thread.ts]
    in_thread = "\n".join(m.all_text for m in [*running.slack.in_channel(thread.channel, thread.ts), *typed])
    for said in ("weekend work", "What happens when you say no?", "weekend rule", "never said", "Round 1 is finished"):
        assert said in in_thread

    await running.presses(ANA, Action.START_ROUND)
    assert running.round_thread(2).all_text.count("Chidi") >= 1
    for _ in range(3):
        await running.presses(ANA, Action.NEXT_PHASE)
    assert "Round 2 is closed" in await running.says(CHIDI, "pass")  # passing closes the round
    assert "is closed" in await running.says(ANA, "close")
    await running.presses(BEN, Action.OPEN_FEEDBACK_FORM)
    await running.fills_in(BEN, {"rating": "5", "text": "Useful"})

    commitments = await rows(running, Commitment)
    assert [c.text for c in commitments if isinstance(c, Commitment)] == ["Say no to one weekend request"]
    assert len(await rows(running, MeetingFeedback)) == 1
    assert len(await rows(running, Contribution)) == 4
    assert running.circle_channel().members == {ANA, *MEMBERS, running.slack.bot_user}
    assert running.slack.violations == []
    assert running.slack.broadcasts == []


async def test_an_async_round_moves_on_at_its_deadlines(running: Running) -> None:
    await form_circle(running, "async")
    await running.says(ANA, "start")
    await running.says(ANA, "bids")
    await running.says(BEN, "bid Saying no to my boss urgency=high")
    await running.says(ANA, "round")
    thread = running.round_thread(1)
    assert "Until" in thread.all_text  # the async header shows the time left in the phase

    await running.replies(BEN, thread, "My boss asks for weekend work.")  # the holder has spoken: clarify
    assert await phase(running) == Phase.CLARIFY
    await running.replies(CHIDI, thread, "What have you tried?")
    await running.replies(DANA, thread, "Who else asks this of you?")

    async def past_deadline() -> int:
        running.clock.advance(timedelta(days=3))
        moved = await running.adapter.app.service.advance_due_rounds()
        await running.settle()
        return moved

    assert await past_deadline() == 1  # not everyone asked: the deadline moves it on
    assert await phase(running) == Phase.EXPLORE
    await running.replies(EERO, thread, "Try agreeing a rule.")
    assert await past_deadline() == 1
    assert await phase(running) == Phase.REFLECT
    await running.replies(BEN, thread, "I never said what I need.")
    assert await phase(running) == Phase.COMMIT
    await running.replies(BEN, thread, "Say no to one weekend request")  # the holder's reply is a commitment
    assert await phase(running) == Phase.DONE

    header = running.slack.messages[(thread.channel, thread.ts)]
    assert len(header.edits) == 5
    assert "Finished" in header.all_text
    assert [c.text for c in await rows(running, Commitment) if isinstance(c, Commitment)] == [
        "Say no to one weekend request"
    ]
    assert running.slack.violations == []


async def phase(running: Running) -> Phase:
    async with running.db.unit_of_work() as uow:
        round_ = await uow.session.scalar(select(Round).order_by(Round.id.desc()))
        assert round_ is not None
        return round_.phase
