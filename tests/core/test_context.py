"""How a request finds its actor, circles and meeting: what is read ahead with the actor answers
exactly what a fresh query would, and never after the request has changed it."""

from __future__ import annotations

from core.context import Actor, RequestContext, Where
from core.db import Database
from core.service import CircleService
from core.statement_count import StatementCount
from core.vocabulary import MeetingState, Phase, Platform
from tests.conftest import START
from tests.fakes.members import Member, cast, welcome


async def mid_round(service: CircleService) -> list[Member]:
    lead, *others = cast(service, 4)
    assert "is set up" in await lead.says("/circle new team")
    assert "Invited" in await welcome(lead, others)
    for step in ("start", "bids"):
        await lead.says(f"/circle {step}")
    assert "bid is in" in await others[0].says("/circle bid First")
    assert "bid is in" in await others[1].says("/circle bid Second")
    assert "has started" in await lead.says("/circle round")
    return [lead, *others]


async def test_the_meeting_and_its_latest_round_come_with_the_circles(service: CircleService, db: Database) -> None:
    lead, first, second, _ = await mid_round(service)
    for step in ("next", "next", "next", "next"):
        await lead.says(f"/circle {step}")
    assert "Round 1 is closed" in await first.says("/circle pass")  # passing closes the round
    assert "Round 2 has started" in await lead.says("/circle round")
    async with db.unit_of_work() as uow:
        ctx = await RequestContext.load(uow, second.actor, START, Where())
        with StatementCount(db.engine) as count:
            circle = await ctx.circle_for(None)
            meeting = await ctx.current_meeting(circle)
            assert meeting is not None
            scene = await ctx.scene(circle, meeting)
        assert count.total == 0
        assert scene.current_round is not None
        assert (scene.current_round.number, scene.current_round.phase) == (2, Phase.PRESENT)
        assert len(scene.members) == 4
        assert scene.person(scene.current_round.issue_holder_id).display_name == "Chidi"


async def test_what_was_read_ahead_is_handed_out_once(service: CircleService, db: Database) -> None:
    lead, *_ = await mid_round(service)
    async with db.unit_of_work() as uow:
        ctx = await RequestContext.load(uow, lead.actor, START, Where())
        circle = await ctx.circle_for("team")
        meeting = await ctx.current_meeting(circle)
        assert meeting is not None
        assert meeting.number == 1
        meeting.state = MeetingState.CLOSED
        assert await ctx.current_meeting(circle) is None  # asked again: read again, and it is closed now
        created = await ctx.next_meeting(circle)
        assert created.number == 2
        with StatementCount(db.engine) as count:
            scene = await ctx.scene(circle, created)
        assert scene.current_round is None
        assert count.total == 0


async def test_a_meeting_closed_before_the_first_ask_is_not_answered_from_the_read(
    service: CircleService, db: Database
) -> None:
    lead, *_ = await mid_round(service)
    async with db.unit_of_work() as uow:
        ctx = await RequestContext.load(uow, lead.actor, START, Where())
        circle = (await ctx.my_circles())[0]
        read_ahead, _ = ctx._meetings_ahead[circle.id]
        assert read_ahead is not None
        read_ahead.state = MeetingState.CLOSED
        assert await ctx.current_meeting(circle) is None


async def test_circles_left_or_closed_are_not_among_mine(service: CircleService, db: Database) -> None:
    lead, member, *_ = cast(service, 2)
    for name in ("alpha", "beta", "gamma"):
        assert "is set up" in await lead.says(f"/circle new {name}")
        assert "Invited" in await welcome(lead, [member], f"in={name}")
    assert "left" in await member.says("/circle leave in=alpha")
    assert "closed" in await lead.says("/circle end in=beta")
    async with db.unit_of_work() as uow:
        ctx = await RequestContext.load(uow, member.actor, START, Where())
        assert [c.name for c in await ctx.my_circles()] == ["gamma"]
        lead_ctx = await RequestContext.load(uow, lead.actor, START, Where())
        assert [c.name for c in await lead_ctx.my_circles()] == ["alpha", "gamma"]


async def test_first_sight_creates_the_workspace_and_the_person_with_no_circles(db: Database) -> None:
    actor = Actor(Platform.SLACK, "TNEW", "UNEW", "Newcomer", "Europe/Paris")
    async with db.unit_of_work() as uow:
        ctx = await RequestContext.load(uow, actor, START, Where())
        assert ctx.workspace.external_id == "TNEW"
        assert (ctx.person.display_name, ctx.person.timezone) == ("Newcomer", "Europe/Paris")
        assert await ctx.my_circles() == []
        await uow.commit()
    renamed = Actor(Platform.SLACK, "TNEW", "UNEW", "New name", "Asia/Tokyo")
    async with db.unit_of_work() as uow:
        ctx = await RequestContext.load(uow, renamed, START, Where())
        assert (ctx.person.display_name, ctx.person.timezone) == ("New name", "Europe/Paris")
