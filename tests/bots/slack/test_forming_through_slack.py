"""`/circle form` through Slack: the proposal is an ephemeral answer to the lead alone, and its
*Create these circles* button opens a private channel per circle and DMs each member an invitation
they accept; pressed again, it creates nothing more."""

from __future__ import annotations

import pytest

from bots.slack.blocks import Json, core_action
from core.forming import FormingAction
from core.membership import MembershipAction
from tests.bots.slack.conftest import PEOPLE, Running

pytestmark = pytest.mark.usefixtures("formation_engine")  # see tests/conftest.py

LEAD = "U0ANA"
SIGNED_UP = [user for user, _, _ in PEOPLE[1:]]


def button_in(payload: Json, action: str) -> Json:
    for block in payload.get("blocks", []):
        for element in block.get("elements", []):
            if core_action(element.get("action_id", "")) == action:
                return element
    raise AssertionError(f"no {action} button in {payload}")


async def test_the_proposal_is_private_and_confirming_opens_private_channels_with_invitations(
    running: Running,
) -> None:
    assert "/circle form spring" in await running.says(LEAD, "programme spring")
    for index, user in enumerate(SIGNED_UP):
        await running.says(user, "signup spring")
        values = {
            "department": ("Finance", "Sales", "Legal")[index % 3],
            "level": "4",
            "timezone": "Europe/Berlin",
            "topics": "delegation",
            "facilitator": "yes" if index == 0 else "no",
        }
        assert (await running.fills_in(user, values)).status == 200

    sent, key = await running.sender.command(LEAD, "form spring")
    assert sent.status == 200
    await running.settle()
    [proposal] = running.slack.responses[key]
    assert proposal["response_type"] == "ephemeral"
    assert "spring: 1 circle from 5 people" in "\n".join(running.slack.response_texts(key))
    assert running.slack.private_channels() == []  # a proposal creates nothing

    confirm = button_in(proposal, FormingAction.CONFIRM)
    pressed, answer = await running.sender.press(LEAD, confirm, "C0GENERAL", "1700000000.000100")
    assert pressed.status == 200
    await running.settle()
    assert "spring-1" in "\n".join(running.slack.response_texts(answer))
    [channel] = running.slack.private_channels()
    assert (channel.name, channel.is_private) == ("circle-spring-1", True)
    assert LEAD not in channel.members
    assert not set(SIGNED_UP) & channel.members
    for user in SIGNED_UP:
        assert any("invites you to the peer circle" in m.all_text for m in running.slack.dms_to(user)), user
    assert any("as its facilitator" in m.all_text for m in running.slack.dms_to(SIGNED_UP[0]))

    await running.presses(SIGNED_UP[1], MembershipAction.ACCEPT)
    assert SIGNED_UP[1] in channel.members

    again, key = await running.sender.press(LEAD, confirm, "C0GENERAL", "1700000000.000100")
    assert again.status == 200
    await running.settle()
    assert "created already" in "\n".join(running.slack.response_texts(key))
    assert len(running.slack.private_channels()) == 1
    assert running.slack.violations == []
