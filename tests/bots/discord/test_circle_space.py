"""A circle's private channel on Discord, the /circle commands around it, and what members see.

The real discord.py client runs against the fake Discord; every request is checked against
Discord's OpenAPI description (zero violations)."""

from __future__ import annotations

import discord
import pytest
from sqlalchemy import select

from bots.discord.port import BOT_ALLOW, CATEGORY_NAME, MEMBER_ALLOW
from core.models import Person, ProgrammeSignUp
from tests.bots.discord.conftest import Harness, circle_channel, command, fill_in, is_ephemeral, said, welcome

pytestmark = pytest.mark.asyncio(loop_scope="module")
VIEW = discord.Permissions(view_channel=True).value


def overwrites(channel: dict[str, object]) -> dict[str, tuple[int, int]]:
    return {o["id"]: (int(o["allow"]), int(o["deny"])) for o in channel["permission_overwrites"]}  # type: ignore[attr-defined,index]


async def test_a_new_circle_gets_a_private_channel_under_peer_circles(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana, ben = g.people[0], g.people[1]
    answer = await command(h, g, ana, "new", name="team-a")
    assert "is set up" in said(answer)
    assert is_ephemeral(answer)
    channel = circle_channel(h, g, "team-a")
    category = h.fake.channels[int(channel["parent_id"])]
    assert category["name"] == CATEGORY_NAME
    assert category["type"] == 4
    rules = overwrites(channel)
    assert rules[str(g.id)] == (0, VIEW)  # @everyone cannot see it
    assert rules[str(h.fake.bot_id)][0] == BOT_ALLOW.value
    assert rules[str(ana.id)] == (MEMBER_ALLOW.value, 0)
    assert str(ben.id) not in rules
    assert h.fake.violations == []

    await command(h, g, ana, "new", name="team-b")
    assert circle_channel(h, g, "team-b")["parent_id"] == channel["parent_id"]  # one category, found again


async def test_added_members_see_the_channel_and_lose_it_when_they_leave(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana, ben, chidi = g.people[:3]
    await command(h, g, ana, "new", name="circle-x")
    assert "Invited" in said(await welcome(h, g, ana, ben))
    await welcome(h, g, ana, chidi)
    channel = circle_channel(h, g, "circle-x")
    assert overwrites(channel)[str(ben.id)] == (MEMBER_ALLOW.value, 0)

    await command(h, g, ana, "remove", person=ben)
    await command(h, g, chidi, "leave")
    assert str(ben.id) not in overwrites(channel)
    assert str(chidi.id) not in overwrites(channel)
    assert str(ana.id) in overwrites(channel)
    assert h.fake.violations == []


async def test_someone_outside_the_circle_cannot_run_it(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana, eve = g.people[0], g.people[5]
    await command(h, g, ana, "new", name="secret")
    answer = await command(h, g, eve, "start", **{"in": "secret"})
    assert "not in a circle called" in said(answer)
    assert is_ephemeral(answer)
    answer = await command(h, g, eve, "add", person=eve, **{"in": "secret"})
    assert is_ephemeral(answer)
    assert str(eve.id) not in overwrites(circle_channel(h, g, "secret"))


async def test_malformed_and_empty_text_get_usage_privately(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana = g.people[0]
    answer = await command(h, g, ana, "do", text="frobnicate now")
    assert "I don't know the command 'frobnicate'" in said(answer)
    assert is_ephemeral(answer)
    answer = await command(h, g, ana, "do", text="bid")
    assert "Usage: /circle bid" in said(answer)
    answer = await command(h, g, ana, "do", text="x" * 3000 + " more")
    assert "too long" in said(answer) or "I don't know" in said(answer)
    assert h.fake.violations == []


async def test_circle_names_autocomplete_lists_only_my_circles(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana, ben = g.people[:2]
    await command(h, g, ana, "new", name="alpha")
    await command(h, g, ana, "new", name="beta")
    await command(h, g, ben, "new", name="bens-own")
    interaction = await h.fake.autocomplete(g.id, g.lobby, ana, "status", "in", "")
    answer = await h.fake.answer_to(interaction)
    assert answer["type"] == 8
    assert [c["value"] for c in answer["data"]["choices"]] == ["alpha", "beta"]
    interaction = await h.fake.autocomplete(g.id, g.lobby, ana, "status", "in", "bet")
    assert [c["value"] for c in (await h.fake.answer_to(interaction))["data"]["choices"]] == ["beta"]


async def test_time_zone_is_asked_once_then_stored(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    dana = g.people[3]
    first = await command(h, g, dana, "help")
    assert "time zone" in said(first)
    second = await command(h, g, dana, "help")
    assert "Discord doesn't tell me your time zone" not in said(second)

    interaction = await h.fake.autocomplete(g.id, g.lobby, dana, "timezone", "zone", "lond")
    choices = [c["value"] for c in (await h.fake.answer_to(interaction))["data"]["choices"]]
    assert "Europe/London" in choices
    assert len(choices) <= 25
    await command(h, g, dana, "timezone", zone="Europe/London")
    async with h.db.unit_of_work() as uow:
        zone = await uow.session.scalar(select(Person.timezone).where(Person.external_id == str(dana.id)))
    assert zone == "Europe/London"
    bad = await command(h, g, dana, "timezone", zone="Mars/Olympus")
    assert is_ephemeral(bad)
    assert "Europe/London" not in said(bad)


async def test_member_text_pings_nobody(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana = g.people[0]
    await command(h, g, ana, "new", name="loud")
    await command(h, g, ana, "start")
    channel_id = int(circle_channel(h, g, "loud")["id"])
    await command(h, g, ana, "checkin", channel=channel_id, text="Hello @everyone and @here <@&999> <!channel>")
    posted = next(m for m in h.fake.in_channel(channel_id) if "Hello" in m["content"])
    assert posted["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in posted["content"]
    assert "<@&999>" not in posted["content"]
    every_send = [r for r in h.fake.requests if r.method in ("POST", "PATCH") and r.path.endswith("/messages")]
    assert every_send
    assert all(r.body["allowed_mentions"]["parse"] == [] for r in every_send if r.status < 300)


async def test_a_live_meeting_is_a_scheduled_event_in_the_circles_own_voice_channel(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana, ben, chidi = g.people[:3]
    await command(h, g, ana, "new", name="live-room")
    await welcome(h, g, ana, ben)
    text = circle_channel(h, g, "live-room")
    answer = await command(h, g, ana, "schedule", date="2026-12-03", time="10:00", tz="Europe/Paris")
    assert "scheduled" in said(answer)
    voice = next(c for c in h.fake.channels.values() if c["type"] == 2 and c["guild_id"] == str(g.id))
    assert voice["name"] == "live-room"
    assert voice["parent_id"] == text["parent_id"]
    assert overwrites(voice) == overwrites(text)  # the same people, and @everyone still shut out
    events = [e for e in h.fake.events.values() if e["guild_id"] == str(g.id)]
    assert len(events) == 1
    assert events[0]["channel_id"] == voice["id"]
    assert events[0]["name"] == "Meeting 1 of live-room"
    assert events[0]["scheduled_start_time"].startswith("2026-12-03T09:00:00")  # 10:00 in Paris

    await command(h, g, ana, "schedule", date="2026-12-04", time="11:00", tz="Europe/Paris")
    events = [e for e in h.fake.events.values() if e["guild_id"] == str(g.id)]
    assert len(events) == 1  # moved, not duplicated
    assert events[0]["scheduled_start_time"].startswith("2026-12-04T10:00:00")

    await welcome(h, g, ana, chidi)
    await command(h, g, ana, "remove", person=ben)
    assert str(chidi.id) in overwrites(voice)
    assert str(ben.id) not in overwrites(voice)

    assert "is open" in said(await command(h, g, ana, "start", channel=int(text["id"])))
    assert "is closed" in said(await command(h, g, ana, "close", channel=int(text["id"])))
    assert not [e for e in h.fake.events.values() if e["guild_id"] == str(g.id)]  # no longer "coming up"
    assert h.fake.violations == []


async def test_an_async_circle_gets_no_voice_channel_or_event(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana = g.people[0]
    await command(h, g, ana, "new", name="slow-circle", mode="async")
    assert "scheduled" in said(await command(h, g, ana, "schedule", date="2026-12-03", time="10:00"))
    assert not [c for c in h.fake.channels.values() if c["type"] == 2 and c["guild_id"] == str(g.id)]
    assert not [e for e in h.fake.events.values() if e["guild_id"] == str(g.id)]


async def test_a_slow_answer_is_deferred_then_followed_up(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana = g.people[0]
    await command(h, g, ana, "new", name="slow-answers")
    await command(h, g, ana, "start")
    h.bot.ack_within = 0.0  # as if the service took longer than Discord's 3 s allow
    try:
        interaction = await h.fake.slash(g.id, g.lobby, ana, "status")
        answer = await h.fake.answer_to(interaction)
        first = h.fake.interactions[interaction][0]
        space = int(circle_channel(h, g, "slow-answers")["id"])
        opening = next(m for m in h.fake.in_channel(space) if "is open" in m["content"])
        custom_id = next(c for c in h.fake.button_ids(opening) if c.startswith("checkin.open|"))
        clicked = await h.fake.answer_to(await h.fake.click(g.id, space, opening, custom_id, ana))
    finally:
        h.bot.ack_within = 2.0
    assert first["type"] == 5  # deferred, privately
    assert first["data"]["flags"] == 64
    assert answer["type"] == "followup"
    assert "slow-answers" in said(answer)
    assert is_ephemeral(answer)
    assert clicked["type"] == "followup"  # too late for a modal: says so instead
    assert "Press the button again" in said(clicked)
    assert h.fake.violations == []


async def test_an_unexpected_failure_is_answered_privately(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness
    g = await h.guild()
    ana = g.people[0]

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(h.service, "run_options", broken)
    answer = await command(h, g, ana, "help")
    monkeypatch.undo()
    assert "Sorry, something went wrong" in said(answer)
    assert "fire" not in said(answer)
    assert is_ephemeral(answer)


async def test_ending_a_circle_leaves_a_read_only_record(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana, ben = g.people[:2]
    await command(h, g, ana, "new", name="ending")
    await welcome(h, g, ana, ben)
    channel = circle_channel(h, g, "ending")
    answer = await command(h, g, ana, "do", text="end in=ending")
    assert is_ephemeral(answer)
    assert channel["name"] == "archived-ending"
    allow, deny = overwrites(channel)[str(ben.id)]
    assert allow & VIEW
    assert deny & discord.Permissions(send_messages=True).value
    assert overwrites(channel)[str(g.id)] == (0, VIEW)  # still private
    assert h.fake.violations == []


async def test_joining_a_programme_through_circle_do_and_its_modal(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    lead, dana = g.people[0], g.people[3]
    assert "open for sign-ups" in said(await command(h, g, lead, "do", text="programme spring"))
    opened = await command(h, g, dana, "do", text="signup spring")
    assert opened["type"] == 9  # the modal, not a message
    values = {"department": "Ops", "level": "3", "timezone": "Mars/Base", "topics": "", "facilitator": "no"}
    wrong = await fill_in(h, g, g.lobby, opened, values, dana)
    assert is_ephemeral(wrong)
    assert "time zone" in said(wrong)
    answer = await fill_in(h, g, g.lobby, opened, {**values, "timezone": "Europe/Oslo"}, dana)
    assert "signed up for 'spring'" in said(answer)
    async with h.db.unit_of_work() as uow:
        stored = await uow.session.scalar(
            select(ProgrammeSignUp.person_id).join(Person).where(Person.department == "Ops")
        )
    assert stored is not None


async def test_a_late_joiner_the_lead_spares_the_past_cannot_read_history(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana, ben, chidi = g.people[:3]
    await command(h, g, ana, "new", name="late")
    await command(h, g, ana, "checkin", text="Said before anyone else came", **{"in": "late"})
    await welcome(h, g, ana, ben, "late", history="no")
    await welcome(h, g, ana, chidi, "late", history="yes")
    no_history = discord.Permissions(read_message_history=True).value
    rules = overwrites(circle_channel(h, g, "late"))
    assert rules[str(ben.id)] == (MEMBER_ALLOW.value & ~no_history, no_history)
    assert rules[str(chidi.id)] == (MEMBER_ALLOW.value, 0)
    assert h.fake.violations == []


async def test_an_uninvited_join_on_discord_gets_the_same_answer_as_a_missing_circle(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    ana, eve = g.people[0], g.people[5]
    await command(h, g, ana, "new", name="hidden")
    await command(h, g, eve, "status")  # the one-time time-zone question out of the way
    existing = said(await command(h, g, eve, "join", name="hidden"))
    missing = said(await command(h, g, eve, "join", name="nowhere"))
    assert existing == missing
    assert str(eve.id) not in overwrites(circle_channel(h, g, "hidden"))
