"""Through the real discord.py client and the fake Discord: the longest texts the core accepts reach
the channel whole (split to Discord's limits, the button on the last part), and an outbox row sent
again after a crash (its outcome never written) is absorbed by Discord's nonce."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bots.discord.render import CONTINUED
from core.commands import MAX_SHORT_TEXT
from core.context import Actor
from core.models import CheckIn, DueItem, DueKind, DueState
from core.scheduling.dispatcher import Dispatcher
from core.vocabulary import Platform
from tests.bots.discord.conftest import Guild, Harness, circle_channel
from tests.fakes.discord_api import message_problems
from tests.fakes.members import accepts_invitations

pytestmark = pytest.mark.asyncio(loop_scope="module")


def actors(g: Guild) -> list[Actor]:
    return [Actor(Platform.DISCORD, str(g.id), str(p.id), p.username) for p in g.people]


async def says(h: Harness, actor: Actor, text: str) -> str:
    return (await h.service.run_command(actor, text)).message.plain_text


async def test_bids_are_open_with_seven_of_the_longest_bids_arrives_whole(harness: Harness) -> None:
    h = harness
    g = await h.guild(size=8)
    people = actors(g)
    await says(h, people[0], "/circle new long-bids")
    await says(h, people[0], "/circle add " + " ".join(f"<@{p.id}>" for p in g.people[1:]))
    for person in people[1:]:
        await accepts_invitations(h.service, person)
    await says(h, people[0], "/circle start")
    for n, person in enumerate(people[1:]):
        topic = f"issue-{n} " + "y" * (MAX_SHORT_TEXT - 20 - len(f"issue-{n} ")) + " @everyone"
        assert "bid is in" in await says(h, person, f"/circle bid {topic}")
    refused_before = len(h.fake.refusals)
    assert "Bids are open" in await says(h, people[0], "/circle bids")
    channel = circle_channel(h, g, "long-bids")
    messages = h.fake.in_channel(int(channel["id"]))
    start = next(i for i, m in enumerate(messages) if "Bids are open" in m["content"])
    parts = messages[start:]
    text = "".join(m["content"] + "".join(e.get("description", "") for e in m["embeds"]) for m in parts)
    assert all(f"issue-{n} " in text for n in range(7))
    assert text.replace(CONTINUED, "").count("y" * (MAX_SHORT_TEXT - 40)) == 7  # nothing lost at the cuts
    assert len(h.fake.refusals) == refused_before
    assert all(message_problems(m) == [] for m in parts)
    assert [bool(m["components"]) for m in parts] == [False] * (len(parts) - 1) + [True]
    assert all("continued in the next message" in m["content"] + str(m["embeds"]) for m in parts[:-1])
    assert "@everyone" not in text  # still pings nobody


async def test_a_row_sent_again_after_a_crash_is_absorbed_by_its_nonce(harness: Harness) -> None:
    h = harness
    g = await h.guild(size=2)
    people = actors(g)
    await says(h, people[0], "/circle new nonce-team")
    await says(h, people[0], "/circle start")
    await says(h, people[0], "/circle checkin said exactly once")
    channel = int(circle_channel(h, g, "nonce-team")["id"])
    said = [m for m in h.fake.in_channel(channel) if "said exactly once" in m["content"] + str(m["embeds"])]
    assert len(said) == 1
    async with h.db.unit_of_work() as uow:  # the platform took it, then the worker died before writing so
        row = await uow.session.scalar(
            select(DueItem).where(DueItem.kind == DueKind.EFFECT).order_by(DueItem.id.desc()).limit(1)
        )
        assert row is not None
        await uow.session.execute(
            update(DueItem)
            .where(DueItem.id == row.id)
            .values(state=DueState.CLAIMED, claimed_by="dead", claimed_until=h.clock.now())
        )
        if row.payload["effect"] == "ShowCheckIn":  # the ref is written with the outcome: never written either
            await uow.session.execute(update(CheckIn).values(message_ref=None))
        await uow.commit()
    hits = h.fake.nonce_hits
    assert await Dispatcher(h.service, worker="survivor").tick() == 1
    assert h.fake.nonce_hits == hits + 1
    again = [m for m in h.fake.in_channel(channel) if "said exactly once" in m["content"] + str(m["embeds"])]
    assert len(again) == 1
