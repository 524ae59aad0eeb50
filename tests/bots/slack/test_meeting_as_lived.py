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
    await running.fills_in(CHIDI, {"text": "Share our hiring notes", "due": "", "to": "circle"})
    async with running.db.unit_of_work() as uow:
        [commitment] = list(await uow.session.scalars(select(Commitment)))
    assert commitment.text == "Share our hiring notes"
    assert commitment.to_circle
    assert running.slack.violations == []
