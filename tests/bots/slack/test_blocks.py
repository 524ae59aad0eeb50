"""Block Kit rendering: escaping of member text, Slack's limits, modals and their submissions.
Every payload is judged by slack_sdk.models, the practical Block Kit validator."""

from __future__ import annotations

import json

import pytest

from bots.slack import blocks
from core import forms
from core.messages import Actions, Button, Fields, Form, Heading, Input, Message, Quote, Text
from core.vocabulary import ContributionKind
from tests.fakes.slack_api import BROADCAST, block_kit_problems, texts_in

HOSTILE = "<!channel> <!here> <!everyone> <@U0BOSS> <https://evil.example|click> & <script>"


def all_text(payload: object) -> str:
    return "\n".join(texts_in(payload))


def test_member_text_is_escaped_everywhere_so_it_notifies_nobody() -> None:
    message = Message(
        (Heading(HOSTILE), Text(HOSTILE), Fields((("Topic", HOSTILE),)), Quote(HOSTILE, HOSTILE)), HOSTILE
    )
    rendered = blocks.message_blocks(message)
    text = all_text(rendered) + blocks.fallback_text(message)
    assert BROADCAST.search(text) is None
    assert "<" not in text
    assert "&lt;!channel&gt;" in text
    assert "&amp;" in text
    assert block_kit_problems(rendered, "blocks") == []


def test_our_emphasis_survives_and_quotes_keep_line_breaks() -> None:
    rendered = blocks.message_blocks(Message((Text("*Check-in*: how are you?"), Quote("Ana", "line one\nline two"))))
    assert rendered[0]["text"]["text"] == "*Check-in*: how are you?"
    assert rendered[1]["text"]["text"] == "*Ana*\n>line one\n>line two"


def test_a_quote_cannot_break_out_of_its_block_quote() -> None:
    rendered = blocks.message_blocks(Message((Quote("Ben", "> not a quote\n*bold*"),)))
    assert rendered[0]["text"]["text"] == "*Ben*\n>&gt; not a quote\n>*bold*"


@pytest.mark.parametrize("size", [0, 1, 149, 150, 151, 2999, 3000, 3001, 10_000])
def test_huge_and_empty_text_is_split_to_slack_limits_and_nothing_is_lost(size: int) -> None:
    text = "&" * size  # every character grows to five when escaped: the worst case
    message = Message(
        (Heading(text), Text(text), Quote("Ana", text), Fields(tuple((f"k{i}", text[:300]) for i in range(12))))
    )
    parts = blocks.message_parts(message)
    for part in parts:
        assert block_kit_problems(part, "blocks") == []
    rendered = [b for part in parts for b in part]
    header = rendered[0]["text"]["text"]
    assert len(header) <= 150
    assert "&am…" not in header
    assert not header.endswith("&")
    sections = [b["text"]["text"] for b in rendered if b["type"] == "section" and "text" in b]
    assert all(len(s) <= 3000 for s in sections)
    said = "".join(s.replace(blocks.CONTINUES, "").replace(blocks.CONTINUED, "") for s in sections)
    assert said.count("&amp;") >= 2 * size  # the text and the quote, whole
    assert [len(b["fields"]) for b in rendered if "fields" in b] == [10, 2]
    assert all(blocks.CONTINUED in str(part[-1]) for part in parts[:-1])


def test_more_blocks_than_a_message_holds_go_as_two_messages_with_the_buttons_on_the_last() -> None:
    message = Message((*(Text(f"line {i}") for i in range(80)), Actions((Button("Bring an issue", "bid.open"),))))
    parts = blocks.message_parts(message)
    assert [len(p) for p in parts] == [50, 32]
    assert parts[0][-1]["text"]["text"] == blocks.CONTINUED
    assert parts[-1][-1]["type"] == "actions"
    assert [b["text"]["text"] for p in parts for b in p if b["type"] == "section"].count(blocks.CONTINUED) == 1
    one_piece = blocks.message_blocks(message)  # an update must stay one message: cut, saying so
    assert len(one_piece) == 50
    assert one_piece[-1]["type"] == "actions"
    assert "shortened" in one_piece[-2]["text"]["text"]
    home = blocks.home_view(message)
    assert len(home["blocks"]) == 81
    assert block_kit_problems(home, "view") == []


def test_buttons_sharing_an_action_get_unique_ids_that_map_back() -> None:
    rendered = blocks.message_blocks(Message((Actions(forms.commitment_buttons(7)),)))
    ids = [e["action_id"] for e in rendered[0]["elements"]]
    assert len(set(ids)) == len(ids)
    assert {blocks.core_action(i) for i in ids} == {
        forms.Action.SET_COMMITMENT_STATUS,
        forms.Action.OPEN_COMMITMENT_NOTE_FORM,
    }
    assert [e["value"] for e in rendered[0]["elements"]][:2] == ["7:done", "7:in_progress"]
    assert block_kit_problems(rendered, "blocks") == []


def test_thirty_buttons_split_into_blocks_of_twenty_five() -> None:
    buttons = tuple(Button("x" * 100, f"act.{i}", "v" * 3000) for i in range(30))
    rendered = blocks.message_blocks(Message((Actions(buttons),)))
    assert [len(b["elements"]) for b in rendered] == [25, 5]
    assert block_kit_problems(rendered, "blocks") == []


@pytest.mark.parametrize(
    "form",
    [
        forms.bid_form(3),
        forms.check_in_form(3, "Your open commitments: " + HOSTILE * 40),
        forms.contribute_form(5, tuple(ContributionKind)),
        forms.commit_form(5),
        forms.feedback_form(3),
        forms.commitment_note_form(9),
        forms.sign_up_form(4, department=HOSTILE[:100], level="3", timezone="Asia/Tokyo", topics="a; b"),
    ],
)
def test_every_core_form_is_a_valid_modal(form: Form) -> None:
    view = blocks.modal_view(form, channel="C123")
    assert block_kit_problems(view, "view") == []
    assert view["callback_id"] == form.form_id
    assert blocks.FormOrigin.decode(view["private_metadata"]) == blocks.FormOrigin(form.context, "C123")
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == [i.name for i in form.inputs]
    assert all(b["element"]["action_id"] == b["block_id"] for b in inputs)
    assert BROADCAST.search(all_text(view)) is None


def test_bid_form_offers_urgency_as_a_select_and_minutes_as_a_number() -> None:
    view = blocks.modal_view(forms.bid_form(3))
    by_name = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert by_name["urgency"]["type"] == "static_select"
    assert by_name["urgency"]["initial_option"]["value"] == "medium"
    assert by_name["minutes"]["type"] == "number_input"
    assert (by_name["minutes"]["min_value"], by_name["minutes"]["max_value"]) == ("5", "120")
    assert by_name["topic"]["multiline"] is True


def test_a_huge_form_is_cut_to_a_hundred_blocks() -> None:
    form = Form("bid", "A very long title that Slack would refuse", tuple(Input(f"i{n}", "Label") for n in range(150)))
    view = blocks.modal_view(form)
    assert len(view["blocks"]) == 100
    assert block_kit_problems(view, "view") == []


def test_submitted_state_reads_back_as_plain_values() -> None:
    view = {
        "state": {
            "values": {
                "topic": {"topic": {"type": "plain_text_input", "value": "My issue"}},
                "urgency": {"urgency": {"type": "static_select", "selected_option": {"value": "high"}}},
                "minutes": {"minutes": {"type": "number_input", "value": "25"}},
                "note": {"note": {"type": "plain_text_input", "value": None}},
            }
        }
    }
    assert blocks.submitted_values(view) == {"topic": "My issue", "urgency": "high", "minutes": "25", "note": ""}
    assert blocks.submitted_values({}) == {}


@pytest.mark.parametrize("raw", ["", "not json", "[1, 2]", json.dumps({"context": 5, "channel": 7})])
def test_malformed_private_metadata_is_read_as_bare_context(raw: str) -> None:
    origin = blocks.FormOrigin.decode(raw)
    assert origin.channel is None
    assert isinstance(origin.context, str)


def test_field_errors_become_a_response_action() -> None:
    assert blocks.field_errors({"minutes": "Please give a whole number from 5 to 120."}) == {
        "response_action": "errors",
        "errors": {"minutes": "Please give a whole number from 5 to 120."},
    }


def test_moments_are_shown_in_each_readers_zone_by_slack() -> None:
    from datetime import UTC, datetime

    from core.messages import MomentStyle, moment_token

    at = datetime(2026, 12, 1, 13, 12, tzinfo=UTC)
    message = Message(
        (
            Heading(f"Until {moment_token(at)}"),
            Text(f"Reply until {moment_token(at)} ({moment_token(at, MomentStyle.RELATIVE)})"),
            Fields((("Until", moment_token(at)),)),
        ),
        "Round 1",
    )
    rendered = blocks.message_blocks(message)
    unix = int(at.timestamp())
    section = rendered[1]["text"]["text"]
    assert f"<!date^{unix}^{{date_short_pretty}} {{time}}|Tue 01 Dec 2026, 13:12 UTC>" in section
    assert f"<!date^{unix}^{{ago}}|" in section
    assert f"<!date^{unix}^" in rendered[2]["fields"][0]["text"]
    assert rendered[0]["text"]["text"] == "Until Tue 01 Dec 2026, 13:12 UTC"  # a header is plain text: the fallback
    assert "\u27e6" not in blocks.fallback_text(Message(message.blocks))
    assert block_kit_problems(rendered, "moments") == []
