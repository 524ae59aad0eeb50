"""Core messages and forms rendered for Discord: nothing in member text can ping, nothing exceeds
Discord's limits, and the ids that come back are parsed strictly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
import pytest

from bots.discord.client import intents
from bots.discord.port import INVITE_PERMISSIONS
from bots.discord.render import (
    Rendered,
    form_errors,
    form_id,
    modal,
    modal_values,
    parse_form_id,
    render,
    render_parts,
    safe,
)
from core import forms
from core.messages import Actions, Button, Form, Heading, Input, Message, Quote, Text
from tests.fakes.discord_api import message_problems


def test_mass_and_role_mentions_in_member_text_are_broken_up() -> None:
    rendered = render(Message((Quote("Ana @here", "Hi @everyone and <@&123> <script>"),)))
    assert "@everyone" not in rendered.content
    assert "@here" not in rendered.content
    assert "<@&123>" not in rendered.content
    assert "<script>" in rendered.content  # Discord shows it as text; nothing to escape


def test_user_mentions_stay_readable_because_allowed_mentions_keeps_them_silent() -> None:
    assert safe("thanks <@42>") == "thanks <@42>"


def test_quote_keeps_every_line_inside_the_quote() -> None:
    rendered = render(Message((Quote("Ben", "line one\n\nline three"),)))
    assert rendered.content == "**Ben**\n> line one\n>\n> line three"


def as_sent(rendered: Rendered) -> dict[str, Any]:
    return {
        "content": rendered.content,
        "embeds": [e.to_dict() for e in rendered.embeds],
        "components": [{"type": 1}] * ((len(rendered.buttons) + 4) // 5),
    }


@pytest.mark.parametrize("bids", [1, 3, 7, 30])
def test_a_huge_message_goes_as_several_within_every_limit_buttons_last(bids: int) -> None:
    longest = "x" * 2999 + "@"  # the longest text the core accepts, ending in what must not ping
    blocks = (Heading("Bids are open"), *(Quote(f"Bidder {i}", longest) for i in range(bids)))
    message = Message((*blocks, Actions((forms.bid_button(7),))))
    parts = render_parts(message, 55)
    assert all(message_problems(as_sent(part)) == [] for part in parts)
    assert [bool(part.buttons) for part in parts] == [False] * (len(parts) - 1) + [True]
    assert all("continued in the next message" in _text_of(part)[-60:] for part in parts[:-1])
    said = "".join(_text_of(part) for part in parts)
    assert said.count("x" * 900) >= bids * 3  # every bid whole
    assert len(parts) >= bids * 3000 // 8000


def test_one_piece_that_must_stay_one_is_cut_saying_so() -> None:
    rendered = render(Message((Heading("Module"), *(Text("x" * 900) for _ in range(12)))))
    assert message_problems(as_sent(rendered)) == []
    assert "shortened" in _text_of(rendered)[-100:]


def _text_of(rendered: Rendered) -> str:
    return rendered.content + "".join(e.description or "" for e in rendered.embeds)


def test_empty_message_still_has_content() -> None:
    assert render(Message(())).content == "\u200b"


def test_buttons_carry_action_value_and_guild() -> None:
    rendered = render(Message((Actions((forms.bid_button(7), Button("Next", "phase.next", "3:present"))),)), 55)
    assert [b[1] for b in rendered.buttons] == ["bid.open|7|55", "phase.next|3:present|55"]
    view = rendered.view()
    assert view is not None
    assert view.timeout is None
    assert all(item.custom_id for item in view.children)  # type: ignore[attr-defined]


def components(built: discord.ui.Modal) -> list[dict[str, Any]]:
    return [item.to_component_dict() for item in built.children]  # type: ignore[attr-defined]


def test_modal_respects_discord_limits() -> None:
    long_label = Input("a", "L" * 80, placeholder="P" * 300)
    form = Form("bid", "T" * 80, (long_label, *(Input(f"i{n}", "label") for n in range(6))), context="9")
    built = modal(form, 1)
    assert len(built.title) <= 45
    parts = components(built)
    assert len(parts) == 5
    assert all(p["type"] == 18 for p in parts)  # labels, each holding one input
    assert len(parts[0]["label"]) <= 45
    assert len(parts[0]["component"]["placeholder"]) <= 100
    assert built.custom_id == "form|bid|9|1"


def test_choices_are_selects_and_ranges_are_explained() -> None:
    parts = {p["component"]["custom_id"]: p["component"] for p in components(modal(forms.bid_form(3), 1))}
    urgency = parts["urgency"]
    assert urgency["type"] == 3
    assert [o["value"] for o in urgency["options"]] == ["low", "medium", "high"]
    assert [o["value"] for o in urgency["options"] if o.get("default")] == ["medium"]
    assert parts["minutes"]["placeholder"] == "A number from 5 to 120"


def test_the_sign_up_form_fits_one_modal_whole() -> None:
    form = forms.sign_up_form(4, department="Finance", level="3", timezone="Europe/Oslo", facilitator=True)
    parts = {p["component"]["custom_id"]: p for p in components(modal(form, 1)) if p["type"] == 18}
    assert list(parts) == ["department", "level", "timezone", "topics", "facilitator"]
    assert all(len(p["label"]) <= 45 for p in parts.values())
    assert parts["timezone"]["component"]["value"] == "Europe/Oslo"
    assert [o["value"] for o in parts["facilitator"]["component"]["options"] if o.get("default")] == ["yes"]


def test_a_form_intro_is_shown_above_the_inputs() -> None:
    parts = components(modal(forms.check_in_form(3, "Last time you committed to X."), 1))
    assert parts[0] == {"type": 10, "content": "Last time you committed to X."}
    assert parts[1]["type"] == 18


@pytest.mark.parametrize("custom_id", ["", "form", "form|bid", "form|bid|1|2|3", "bid.open|7|1", "x|bid|1|2"])
def test_malformed_form_ids_are_not_ours(custom_id: str) -> None:
    assert parse_form_id(custom_id) is None


def test_form_id_round_trips() -> None:
    assert parse_form_id(form_id(forms.commit_form(12), 99)) == ("commit", "12", 99)
    assert parse_form_id("form|commit|12|") == ("commit", "12", None)


def test_modal_values_from_action_rows_and_labels() -> None:
    submitted = [
        {"type": 1, "components": [{"type": 4, "custom_id": "topic", "value": "My issue"}]},
        {"type": 18, "component": {"type": 4, "custom_id": "minutes", "value": "20"}},
        {"type": 1, "components": [{"type": 4, "custom_id": "empty", "value": None}]},
        {"type": 18, "component": {"type": 3, "custom_id": "urgency", "values": ["high"]}},
        {"type": 18, "component": {"type": 3, "custom_id": "kind", "values": []}},
    ]
    assert modal_values(submitted) == {"topic": "My issue", "minutes": "20", "empty": "", "urgency": "high", "kind": ""}


def test_form_errors_keep_what_was_written() -> None:
    message = form_errors("bid", {"minutes": "Please give a whole number from 5 to 120."}, {"topic": "Keep me"})
    assert "Minutes you'd like: Please give a whole number" in message.plain_text  # the label, not the field name
    assert "Keep me" in message.plain_text


def test_the_readme_invite_asks_for_exactly_what_the_bot_uses() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    assert f"permissions={INVITE_PERMISSIONS.value}" in readme
    assert not INVITE_PERMISSIONS.administrator
    assert not INVITE_PERMISSIONS.mention_everyone
    assert f"intents value {intents(False).value})" in readme
    assert f"intents value\n{intents(True).value})" in readme or f"intents value {intents(True).value})" in readme


def test_moments_are_shown_in_each_readers_zone_by_discord() -> None:
    from datetime import UTC, datetime

    from core.messages import Fields, Message, MomentStyle, Text, moment_token

    at = datetime(2026, 12, 1, 13, 12, tzinfo=UTC)
    unix = int(at.timestamp())
    message = Message(
        (
            Text(f"Until {moment_token(at)}, {moment_token(at, MomentStyle.RELATIVE)}"),
            Fields((("Until", moment_token(at)),)),
        ),
        "Round 1",
    )
    content = render(message).content
    assert f"Until <t:{unix}:f>, <t:{unix}:R>" in content
    assert f"**Until**: <t:{unix}:f>" in content
    assert "\u27e6" not in content
