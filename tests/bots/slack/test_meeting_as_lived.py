"""Through Slack: a re-check-in edits the posted check-in, a member other than the issue holder commits
to the circle with the form, and the round's header carries its time as a `<!date^…>`."""

from __future__ import annotations

from sqlalchemy import select

from core.forms import Action
from core.models import Commitment
from tests.bots.slack.conftest import Running
from tests.bots.slack.test_meeting_through_slack import ANA, BEN, CHIDI, form_circle


async def test_the_meeting_as_lived_through_slack(running: Running) -> None:
    await form_circle(running, "live")
    await running.says(ANA, "start")
    channel = running.circle_channel()
    await running.says(BEN, "checkin Tired but here")
    await running.says(BEN, "checkin Actually rested and ready")
    [posted] = [m for m in running.slack.in_channel(channel.id) if m.text == "Ben checked in"]
    assert len(posted.edits) == 1  # edited in place (chat.update), not posted twice
    assert "rested and ready" in posted.all_text
    assert "Tired but here" not in posted.all_text

    await running.says(ANA, "bids")
    await running.says(BEN, "bid Saying no to my boss")
    await running.says(ANA, "round")
    thread = running.round_thread(1)
    assert "<!date^" in thread.all_text  # the phase's end, in each reader's own zone
    for _ in range(3):
        await running.presses(ANA, Action.NEXT_PHASE)
    await running.presses(CHIDI, Action.OPEN_COMMIT_FORM)  # not the issue holder
    await running.fills_in(CHIDI, {"action": "Share our hiring notes", "due": "", "to": "circle"})
    async with running.db.unit_of_work() as uow:
        [commitment] = list(await uow.session.scalars(select(Commitment)))
    assert commitment.text == "Share our hiring notes"
    assert commitment.to_circle
    assert running.slack.violations == []


async def test_times_up_reaches_the_facilitator_by_dm_through_slack(running: Running) -> None:
    from datetime import timedelta

    from core.models import Round

    await form_circle(running, "live")
    await running.says(ANA, "start")
    await running.says(ANA, "bids")
    await running.says(BEN, "bid Saying no to my boss")
    await running.says(ANA, "round")
    async with running.db.unit_of_work() as uow:
        round_ = await uow.session.scalar(select(Round))
    assert round_ is not None
    assert round_.phase_deadline is not None
    scheduler = running.adapter.app.scheduler
    await scheduler.tick()
    running.clock.set(round_.phase_deadline)
    assert await scheduler.tick() == 1
    [notice] = [m for m in running.slack.dms_to(ANA) if "Time's up" in m.all_text]
    assert "Time's up for Present in round 1" in notice.all_text
    assert "not yet:" in notice.all_text
    assert not any("Time's up" in m.all_text for m in running.slack.in_channel(running.circle_channel().id))
    assert "Two more minutes for Present" in await running.presses(ANA, Action.EXTEND_TIMEBOX)
    async with running.db.unit_of_work() as uow:
        later = await uow.session.scalar(select(Round))
    assert later is not None
    assert later.phase_deadline == round_.phase_deadline + timedelta(minutes=2)
    assert running.slack.violations == []
