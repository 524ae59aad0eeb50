"""The meeting as members and facilitators live it, through the core with the recording port: refusals
that name the next step, passing that closes the round, a withdrawal asked once, commitments by anyone,
a re-check-in that edits the posted one, times as moments, and the facilitator's view of who is here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core import views
from core.clock import ManualClock
from core.commands import Refused
from core.context import NOT_YOURS
from core.db import Database
from core.forms import Action, FormId
from core.handlers import form_request
from core.messages import MOMENT_TOKEN, Form, Text, without_moments
from core.models import Bid, Circle, Commitment, Round
from core.scheduling.views import check_in_nudge
from core.service import CircleService
from core.vocabulary import BidStatus, CommitmentStatus, Phase
from tests.fakes.members import Member, cast, welcome
from tests.fakes.recording_port import RecordingPort


@pytest.fixture
async def circle(service: CircleService) -> list[Member]:
    """A facilitated circle of five at check-in; people[0] facilitates."""
    people = cast(service, 5)
    await people[0].says("/circle new lived")
    assert "Invited" in await welcome(people[0], people[1:])
    await people[0].says("/circle start")
    return people


async def latest_round(db: Database) -> Round:
    async with db.unit_of_work() as uow:
        round_ = await uow.session.scalar(select(Round).order_by(Round.id.desc()))
    assert round_ is not None
    return round_


async def to_reflection(people: list[Member]) -> None:
    facilitator, holder = people[0], people[1]
    await facilitator.says("/circle bids")
    await holder.says("/circle bid Saying no")
    await facilitator.says("/circle round")
    for _ in range(3):
        await facilitator.says("/circle next")


async def test_every_refusal_names_the_next_step(circle: list[Member]) -> None:
    facilitator, member = circle[0], circle[1]
    assert "Open bids first: /circle bids" in await facilitator.says("/circle round")
    await facilitator.says("/circle bids")
    assert "Start a round first: /circle round" in await facilitator.says("/circle next")
    assert "Bids are already open" in await facilitator.says("/circle bids")
    assert "hasn't closed a meeting yet" in await member.says("/circle feedback 5")
    assert "No bids are waiting" in await facilitator.says("/circle round")
    assert "/circle bid TOPIC" in await facilitator.says("/circle round")
    await member.says("/circle bid Saying no")
    await facilitator.says("/circle round")
    assert "Close this round first: *Next phase* or /circle pass" in await facilitator.says("/circle round")


async def test_passing_closes_the_round(circle: list[Member], db: Database, port: RecordingPort) -> None:
    await to_reflection(circle)
    assert "Round 1 is closed" in await circle[1].says("/circle pass")
    assert (await latest_round(db)).phase == Phase.DONE
    assert any("Ben passed on committing" in t for t in port.texts("reply"))
    assert "is closed" in await circle[0].says("/circle close")


async def test_a_round_closed_with_a_commitment_does_not_say_the_holder_passed(
    circle: list[Member], port: RecordingPort
) -> None:
    await to_reflection(circle)
    await circle[0].says("/circle next")
    await circle[1].says("/circle commit Say no once")
    assert "is finished" in await circle[0].says("/circle next")
    finished = next(t for t in port.texts("reply") if "Round 1 is finished" in t)
    assert "passed" not in finished


async def test_withdrawing_a_bid_asks_once(circle: list[Member], db: Database) -> None:
    member, other = circle[1], circle[2]
    await member.says("/circle bid Saying no")
    asked = await member.says("/circle withdraw")
    assert "You can't bid again for this meeting" in asked
    async with db.unit_of_work() as uow:
        bid = await uow.session.scalar(select(Bid))
    assert bid is not None
    assert bid.status == BidStatus.WAITING  # asking changed nothing
    assert (await other.presses(Action.WITHDRAW_BID, str(bid.id)))[0] == NOT_YOURS
    async with db.unit_of_work() as uow:
        assert (await uow.session.get(Bid, bid.id)).status == BidStatus.WAITING  # type: ignore[union-attr]
    assert "withdrawn" in (await member.presses(Action.WITHDRAW_BID, str(bid.id)))[0]
    assert "no bid waiting" in (await member.presses(Action.WITHDRAW_BID, str(bid.id)))[0]
    assert "Bring it next time" in await member.says("/circle bid Something else")
    assert "no bid waiting" in await other.says("/circle withdraw")


async def test_any_member_commits_at_check_in_or_from_reflection_on_and_it_comes_back_in_the_report(
    circle: list[Member], db: Database, port: RecordingPort, clock: ManualClock
) -> None:
    facilitator, holder, member, other = circle[0], circle[1], circle[2], circle[3]
    assert "noted" in await other.says("/circle commit Book the offsite to=circle")  # at check-in
    assert "please choose me or circle" in await other.says("/circle commit Something to=everyone")
    await facilitator.says("/circle bids")
    assert "once a round reaches Reflection" in await member.says("/circle commit Too early")
    await to_reflection(circle)
    assert "noted" in await member.says("/circle commit Ask my team what they need")
    assert "noted" in await holder.says("/circle commit Say no once")
    await facilitator.says("/circle next")
    assert "is finished" in await facilitator.says("/circle next")
    await facilitator.says("/circle close")
    async with db.unit_of_work() as uow:
        rows = list(await uow.session.scalars(select(Commitment).order_by(Commitment.id)))
    assert [(c.text, c.to_circle, c.round_id is None) for c in rows] == [
        ("Book the offsite", True, True),
        ("Ask my team what they need", False, False),
        ("Say no once", False, False),
    ]
    assert any("Chidi: commits: Ask my team what they need (#2)" in t for t in port.texts("reply"))

    clock.advance(timedelta(days=30))
    await facilitator.says("/circle start")
    opening = next(t for t in port.texts("post") if "Meeting 2 of lived" in t)
    assert "Dana: #1 Book the offsite (open, to the circle)" in opening
    assert "Chidi: #2 Ask my team what they need (open)" in opening
    assert "Ben: #3 Say no once (open)" in opening


async def test_checking_in_again_edits_the_posted_check_in(circle: list[Member], port: RecordingPort) -> None:
    port.clear()
    await circle[1].says("/circle checkin Tired but here")
    await circle[1].says("/circle checkin Actually, rested and ready")
    [posted] = port.of_kind("post")
    [edited] = port.of_kind("update")
    assert "Tired but here" in posted.text
    assert "rested and ready" in edited.text
    assert edited.target.endswith("/m" + edited.target.split("/m")[-1])
    assert len(port.transcript) == 2


async def test_the_issue_holder_answers_clarifying_questions(circle: list[Member], port: RecordingPort) -> None:
    facilitator, holder, member = circle[0], circle[1], circle[2]
    await facilitator.says("/circle bids")
    await holder.says("/circle bid Saying no")
    await facilitator.says("/circle round")
    await facilitator.says("/circle next")
    assert "Thanks" in await member.says("/circle say Who asks?")
    assert "Thanks" in await holder.says("/circle say My manager, mostly")
    assert any("Ben (answers): My manager, mostly" in t for t in port.texts("reply"))
    assert "not reflection yet" in await holder.says("/circle say kind=reflection Too early")


async def test_round_times_are_moments_each_reader_sees_in_their_own_zone(
    circle: list[Member], port: RecordingPort, db: Database
) -> None:
    await circle[0].says("/circle bids")
    await circle[1].says("/circle bid Saying no")
    await circle[0].says("/circle round")
    round_ = await latest_round(db)
    assert round_.phase_deadline is not None
    header = next(s.message for s in port.of_kind("post") if s.text.startswith("Round 1"))
    assert header is not None
    until = dict(next(b.pairs for b in header.blocks if hasattr(b, "pairs")))["Until"]
    assert MOMENT_TOKEN.fullmatch(until)
    assert f"Until: {round_.phase_deadline:%a %d %b %Y, %H:%M} UTC" in header.plain_text  # the plain fallback
    assert not MOMENT_TOKEN.search(header.summary)
    assert without_moments(views.at(round_.phase_deadline)).endswith("UTC")


async def test_the_facilitator_sees_who_is_here_and_who_has_not_spoken(
    circle: list[Member], port: RecordingPort
) -> None:
    facilitator, holder, member = circle[0], circle[1], circle[2]
    await member.says("/circle checkin Here")
    await facilitator.says("/circle bids")
    await holder.says("/circle bid Saying no")
    await facilitator.says("/circle round")
    await holder.says("/circle say My issue")
    said = await facilitator.says("/circle next")
    assert "Checked in: 1 of 5 (not yet: Ana, Ben, " in said  # names, to the facilitator alone
    assert "Spoken in round 1: 0 of 4 (not yet: Ana, Chidi, " in said
    await member.says("/circle say Who asks?")
    await facilitator.says("/circle next")
    prompt = port.texts("reply")[-1]
    assert "So far 1 of 4 have spoken in this round." in prompt  # counts, never names, to the circle
    assert "Dana" not in prompt


async def test_two_more_minutes_is_the_facilitators(circle: list[Member], db: Database) -> None:
    facilitator, holder = circle[0], circle[1]
    await facilitator.says("/circle bids")
    await holder.says("/circle bid Saying no")
    await facilitator.says("/circle round")
    round_ = await latest_round(db)
    assert round_.phase_deadline is not None
    value = f"{round_.id}:{Phase.PRESENT.value}"
    assert "Only today's facilitator" in (await holder.presses(Action.EXTEND_TIMEBOX, value))[0]
    said, _ = await facilitator.presses(Action.EXTEND_TIMEBOX, value)
    assert "Two more minutes for Present" in said
    later = await latest_round(db)
    assert later.phase_deadline == round_.phase_deadline + timedelta(minutes=2)
    stale, _ = await facilitator.presses(Action.EXTEND_TIMEBOX, f"{round_.id}:{Phase.CLARIFY.value}")
    assert "already moved on" in stale


def test_form_errors_do_not_quote_a_question_into_a_sentence() -> None:
    with pytest.raises(Refused) as refused:
        form_request(FormId.CHECK_IN, "1", {"text": "  "}, datetime(2026, 12, 1, tzinfo=UTC).date())
    assert refused.value.errors == {"text": "Please answer this one."}


async def test_the_check_in_form_shows_no_markup(circle: list[Member], db: Database) -> None:
    await to_reflection(circle)
    await circle[1].says("/circle commit Say no once")
    intro = views.form_intro([Text("*Your open commitments*"), Text("plain")])
    assert "*" not in intro
    meeting_id = (await latest_round(db)).meeting_id
    _, form = await circle[1].presses(Action.OPEN_CHECK_IN_FORM, str(meeting_id))
    assert form is not None
    assert isinstance(form, Form)
    assert "*" not in form.intro
    assert "Say no once" in form.intro


@pytest.mark.parametrize(
    ("status", "said", "not_said"),
    [
        (CommitmentStatus.STUCK, "Last time you said #7 was stuck", "haven't heard"),
        (CommitmentStatus.IN_PROGRESS, "was in progress", "haven't heard"),
        (CommitmentStatus.OPEN, "we haven't heard how #7 is going", "Last time"),
    ],
)
def test_a_nudge_never_says_we_havent_heard_after_an_answer(status: CommitmentStatus, said: str, not_said: str) -> None:
    circle = Circle(name="lived")
    commitment = Commitment(id=7, text="Say no once", status=status)
    text = check_in_nudge(circle, commitment, datetime(2026, 12, 20, 10, tzinfo=UTC), "UTC").plain_text
    assert said in text
    assert not_said not in text


async def test_the_circle_sees_counts_and_the_facilitators_home_sees_names(
    circle: list[Member], port: RecordingPort
) -> None:
    await circle[2].says("/circle checkin Here")
    port.clear()
    await circle[0].says("/circle bids")
    [bids] = [t for t in port.texts("post") if "Bids are open" in t]
    assert "1 of 5 have checked in." in bids
    assert "not yet" not in bids  # no names to the circle
    home = (await circle[0].service.home(circle[0].actor)).message.plain_text
    assert "Checked in: 1 of 5 (not yet: Ana, " in home
    assert "not yet" not in (await circle[1].service.home(circle[1].actor)).message.plain_text
