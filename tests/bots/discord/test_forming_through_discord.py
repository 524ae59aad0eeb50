"""`/circle do form` on Discord: the proposal is an ephemeral answer to the lead alone, and its
*Create these circles* button opens a private channel per circle and DMs each member an invitation."""

from __future__ import annotations

import pytest

from core.forming import FormingAction
from tests.bots.discord.conftest import Harness, circle_channel, click, command, fill_in, is_ephemeral, said

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("formation_engine")]


async def test_the_proposal_is_ephemeral_and_confirming_opens_a_private_channel(harness: Harness) -> None:
    h = harness
    g = await h.guild()
    lead, signed_up = g.people[0], g.people[1:]
    assert "/circle form spring" in said(await command(h, g, lead, "do", text="programme spring"))
    for index, person in enumerate(signed_up):
        opened = await command(h, g, person, "do", text="signup spring")
        values = {
            "department": ("Ops", "Sales")[index % 2],
            "level": "3",
            "timezone": "Europe/Oslo",
            "topics": "",
            "facilitator": "yes" if index == 0 else "no",
        }
        assert "signed up" in said(await fill_in(h, g, g.lobby, opened, values, person))
    proposal = await command(h, g, lead, "do", text="form spring", within=60)  # a search, deferred first
    assert is_ephemeral(proposal)
    assert "spring: 1 circle from 5 people" in said(proposal)
    shown = h.fake._bot_message(g.lobby, proposal["data"])  # the ephemeral message as Discord shows it
    told = await click(h, g, g.lobby, shown, FormingAction.CONFIRM, lead)
    assert "spring-1" in said(told)
    channel = circle_channel(h, g, "spring-1")
    allowed = {o["id"] for o in channel["permission_overwrites"]}
    assert str(lead.id) not in allowed  # the lead set it up, and is not in it
    assert not {str(p.id) for p in signed_up} & allowed  # nobody enters uninvited
    for person in signed_up:
        dm = next(c for c in h.fake.channels.values() if c["type"] == 1 and c["recipients"][0]["id"] == str(person.id))
        assert any("invites you" in m["content"] for m in h.fake.in_channel(int(dm["id"])))
    assert h.fake.violations == []
