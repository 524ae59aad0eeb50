"""Discord and the circles agree on who is in: overwrites changed by hand are put back after a restart
and when they drift, and someone who left the server is refused on their next interaction."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bots.discord.port import MEMBER_ALLOW
from core.forms import Action, check_in_button
from core.messages import Actions, Message, Text
from core.models import Meeting, Membership, Person, Workspace
from core.vocabulary import MeetingState
from tests.bots.discord.conftest import Guild, Harness, circle_channel, click, command, said, welcome

pytestmark = pytest.mark.asyncio(loop_scope="module")
Json = dict[str, Any]


BOT = "900000000000000002"


def members_in(channel: Json) -> set[str]:
    """The people (not the bot) the channel's overwrites let in."""
    return {o["id"] for o in channel["permission_overwrites"] if int(o["type"]) == 1 and o["id"] != BOT}


def tamper(channel: Json, add: int | None = None, drop: int | None = None) -> None:
    """What someone with Manage Roles does in Discord's own settings."""
    kept = [o for o in channel["permission_overwrites"] if o["id"] != str(drop)]
    if add is not None:
        kept.append({"id": str(add), "type": 1, "allow": str(MEMBER_ALLOW.value), "deny": "0"})
    channel["permission_overwrites"] = kept


async def circle_of_two(h: Harness, name: str) -> tuple[Guild, Json]:
    g = await h.guild()
    ana, ben = g.people[:2]
    await command(h, g, ana, "new", name=name)
    await welcome(h, g, ana, ben, name)
    return g, circle_channel(h, g, name)


async def test_overwrites_changed_while_the_bot_was_away_are_put_back_after_a_restart(harness: Harness) -> None:
    h = harness
    g, channel = await circle_of_two(h, "kept")
    ana, ben, eve = g.people[0], g.people[1], g.people[4]
    tamper(channel, add=eve.id, drop=ben.id)
    assert members_in(channel) == {str(ana.id), str(eve.id)}
    await h.restart()
    await h.fake.until(lambda: members_in(channel) == {str(ana.id), str(ben.id)})
    assert h.fake.violations == []


async def test_a_drift_is_undone_when_discord_reports_the_channel_changed(harness: Harness) -> None:
    h = harness
    g, channel = await circle_of_two(h, "drifting")
    ana, ben, eve = g.people[0], g.people[1], g.people[4]
    await h.restart()  # the client now knows the channel (GUILD_CREATE lists it)
    tamper(channel, add=eve.id)
    await h.fake.dispatch("CHANNEL_UPDATE", channel)
    await h.fake.until(lambda: members_in(channel) == {str(ana.id), str(ben.id)})
    assert h.fake.violations == []


async def test_someone_who_left_the_server_is_refused_and_loses_their_circles(harness: Harness) -> None:
    h = harness
    g, channel = await circle_of_two(h, "leavers")
    ana, ben = g.people[:2]
    await command(h, g, ana, "start", **{"in": "leavers"})
    async with h.db.unit_of_work() as uow:
        meeting = await uow.session.scalar(
            select(Meeting).where(Meeting.state == MeetingState.CHECK_IN).order_by(Meeting.id.desc())
        )
        workspace_id = (await uow.session.scalar(select(Person).where(Person.external_id == str(ana.id)))).workspace_id  # type: ignore[union-attr]
    assert meeting is not None
    async with h.db.unit_of_work() as uow:
        workspace = await uow.session.get(Workspace, workspace_id)
    assert workspace is not None
    nudge = Message((Text("Check in?"), Actions((check_in_button(meeting.id),))), "Check in?")
    await h.bot.port_for(workspace).send_dm(str(ben.id), nudge)
    dm = next(c for c in h.fake.channels.values() if c["type"] == 1 and c["recipients"][0]["id"] == str(ben.id))
    message = h.fake.in_channel(int(dm["id"]))[-1]
    del h.fake.guilds[g.id]["members"][ben.id]  # Ben left the server
    answer = await click(h, None, int(dm["id"]), message, Action.OPEN_CHECK_IN_FORM, ben)
    assert "no longer in that server" in said(answer)
    assert answer["type"] != 9  # no form opened
    async with h.db.unit_of_work() as uow:
        left = await uow.session.scalar(
            select(Membership.left_at).join(Person).where(Person.external_id == str(ben.id))
        )
    assert left is not None
    await h.fake.until(lambda: str(ben.id) not in members_in(channel))
