"""The core's neutral messages and forms as Block Kit, and submitted modals back as plain values.

Every string that reaches Slack passes through `escape`, so member text such as `<!channel>` or
`<@U123>` shows as typed and notifies nobody. Block Kit's limits are applied here, so that a long
check-in never makes Slack refuse a whole message: a message is split into sections of at most 3,000
characters and into several messages of at most 50 blocks (`message_parts`), buttons on the last,
each cut saying so; surfaces that must be one piece (an update, the App Home) are trimmed, saying so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from core.messages import (
    Actions,
    Block,
    Button,
    ButtonStyle,
    Fields,
    Form,
    Heading,
    Input,
    Message,
    Moment,
    MomentStyle,
    Quote,
    Text,
    render_moments,
    without_moments,
)

Json = dict[str, Any]

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
BUTTONS_PER_BLOCK = 25
BUTTON_LABEL_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
ACTION_ID_LIMIT = 255
MESSAGE_BLOCKS = 50
SURFACE_BLOCKS = 100  # modals and the App Home
MODAL_TITLE_LIMIT = 24
INPUT_LABEL_LIMIT = 2000
PLACEHOLDER_LIMIT = 150
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
OPTIONS_LIMIT = 100
METADATA_LIMIT = 3000
FALLBACK_LIMIT = 3000
DUPLICATE_MARK = "#"  # Slack wants action ids unique within a block; core ids never contain '#'

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str) -> str:
    """Slack's three control characters as entities: no mention, link or broadcast survives."""
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


def clipped(text: str, limit: int) -> str:
    """Escaped, and cut with an ellipsis to fit `limit` characters without splitting an entity."""
    out: list[str] = []
    used = 0
    for ch in text:
        piece = _ENTITIES.get(ch, ch)
        if used + len(piece) > limit - 1:
            out.append("…")
            return "".join(out)
        out.append(piece)
        used += len(piece)
    return "".join(out)


def plain_text(text: str, limit: int) -> Json:
    return {"type": "plain_text", "text": clipped(without_moments(text), limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_LIMIT) -> Json:
    return {"type": "mrkdwn", "text": render_moments(clipped(text, limit), slack_date) or " "}


def slack_date(moment: Moment) -> str:
    """Slack shows `<!date^…>` in each reader's own zone; the fallback is for clients that can't."""
    shown = "{ago}" if moment.style == MomentStyle.RELATIVE else "{date_short_pretty} {time}"
    return f"<!date^{moment.unix}^{shown}|{moment.fallback}>"


# Messages --------------------------------------------------------------------------------------


CONTINUED = "_(continued in the next message)_"
CONTINUES = "_(continued below)_"
SHORTENED = "_(shortened: too long for one Slack message; see /circle status)_"


def message_blocks(message: Message, limit: int = MESSAGE_BLOCKS) -> list[Json]:
    """One piece of at most `limit` blocks (an update, the App Home): the rest is cut, saying so, and
    the buttons are kept."""
    rendered = _all_blocks(message)
    if len(rendered) <= limit:
        return rendered
    actions = [b for b in rendered if b["type"] == "actions"][: limit - 1]
    others = [b for b in rendered if b["type"] != "actions"][: limit - 1 - len(actions)]
    return [*others, _section(SHORTENED), *actions]


def message_parts(message: Message) -> list[list[Json]]:
    """The message as one or more Slack messages of at most 50 blocks each, in order; the buttons go
    on the last one, and every part but the last ends saying the message goes on."""
    rendered = _all_blocks(message)
    if len(rendered) <= MESSAGE_BLOCKS:
        return [rendered]
    actions = [b for b in rendered if b["type"] == "actions"]
    others = [b for b in rendered if b["type"] != "actions"]
    room = MESSAGE_BLOCKS - 1
    parts = [others[i : i + room] for i in range(0, len(others), room)]
    if len(parts[-1]) + len(actions) > MESSAGE_BLOCKS:
        parts.append([])
    for part in parts[:-1]:
        part.append(_section(CONTINUED))
    parts[-1].extend(actions[:MESSAGE_BLOCKS])
    return parts


def _all_blocks(message: Message) -> list[Json]:
    return [json_block for block in message.blocks for json_block in _render(block)]


def _pieces(escaped: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Escaped mrkdwn cut into pieces of at most `limit` characters, at a line break when one is near,
    never inside an entity; each piece but the last says the text goes on."""
    room = limit - len(CONTINUES) - 1
    pieces: list[str] = []
    rest = escaped
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, room)
        if cut < room // 2:
            cut = room
            entity = rest.rfind("&", cut - 5, cut)
            if entity != -1 and ";" not in rest[entity:cut]:
                cut = entity
            marker = rest.rfind("<", 0, cut)  # escaped text has no "<" but a time marker's
            if marker > 0 and ">" not in rest[marker:cut]:
                cut = marker
        pieces.append(rest[:cut] + "\n" + CONTINUES)
        rest = rest[cut:].lstrip("\n")
    pieces.append(rest)
    return pieces


def _with_moments(text: str) -> str:
    """Escaped, then each time marker as Slack's `<!date^…>`: before any cut, which never halves one."""
    return render_moments(escape(text), slack_date)


def fallback_text(message: Message) -> str:
    """The notification text and the screen readers' version of a message."""
    return clipped(without_moments(message.summary) or message.plain_text, FALLBACK_LIMIT) or " "


def _render(block: Block) -> list[Json]:
    match block:
        case Heading(text=text):
            return [{"type": "header", "text": plain_text(text, HEADER_LIMIT)}]
        case Text(text=text):
            return [
                {"type": "section", "text": {"type": "mrkdwn", "text": p or " "}} for p in _pieces(_with_moments(text))
            ]
        case Quote(author=author, text=text):
            return [{"type": "section", "text": {"type": "mrkdwn", "text": p}} for p in _quote(author, text)]
        case Fields(pairs=pairs):
            fields = [mrkdwn(f"*{key}*\n{value}", FIELD_LIMIT) for key, value in pairs]
            return [
                {"type": "section", "fields": fields[i : i + FIELDS_PER_SECTION]}
                for i in range(0, len(fields), FIELDS_PER_SECTION)
            ]
        case Actions(buttons=buttons):
            return [
                {"type": "actions", "elements": _buttons(buttons[i : i + BUTTONS_PER_BLOCK])}
                for i in range(0, len(buttons), BUTTONS_PER_BLOCK)
            ]
    return []


def _quote(author: str, text: str) -> list[str]:
    """`*Author*` then the member's words as a block quote (their own `>` is escaped, ours is not), in
    as many sections as it takes."""
    head = f"*{clipped(author, 200)}*\n"
    quoted = "\n".join(">" + _with_moments(line) if line else ">" for line in text.splitlines() or [""])
    pieces = _pieces(quoted, SECTION_LIMIT - len(head) - 1)
    return [head + (p if p.startswith(">") else ">" + p) for p in pieces]


def _buttons(buttons: tuple[Button, ...]) -> list[Json]:
    elements: list[Json] = []
    seen: dict[str, int] = {}
    for button in buttons:
        count = seen.get(button.action_id, 0)
        seen[button.action_id] = count + 1
        action_id = button.action_id if count == 0 else f"{button.action_id}{DUPLICATE_MARK}{count}"
        element: Json = {
            "type": "button",
            "text": plain_text(button.label, BUTTON_LABEL_LIMIT),
            "action_id": action_id[:ACTION_ID_LIMIT],
            "value": button.value[:BUTTON_VALUE_LIMIT],
        }
        if button.style != ButtonStyle.DEFAULT:
            element["style"] = button.style.value
        elements.append(element)
    return elements


def core_action(action_id: str) -> str:
    """The core's action id behind a rendered one (duplicates in a block carry a `#n` suffix)."""
    return action_id.partition(DUPLICATE_MARK)[0]


def home_view(message: Message) -> Json:
    return {"type": "home", "blocks": message_blocks(message, SURFACE_BLOCKS) or [_section(" ")]}


def _section(text: str) -> Json:
    return {"type": "section", "text": mrkdwn(text)}


# Forms -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormOrigin:
    """What a modal carries in `private_metadata`: the core's context, and where it was opened,
    so that the answer to the submission goes back there, privately."""

    context: str
    channel: str | None = None

    def encode(self) -> str:
        return json.dumps({"context": self.context, "channel": self.channel})[:METADATA_LIMIT]

    @classmethod
    def decode(cls, raw: str) -> FormOrigin:
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            return cls(raw)
        if not isinstance(data, dict):
            return cls(raw)
        channel = data.get("channel")
        return cls(str(data.get("context", "")), channel if isinstance(channel, str) else None)


def modal_view(form: Form, channel: str | None = None) -> Json:
    blocks: list[Json] = []
    if form.intro:
        blocks.append(_section(form.intro))
    blocks.extend(_input(field) for field in form.inputs)
    return {
        "type": "modal",
        "callback_id": form.form_id,
        "private_metadata": FormOrigin(form.context, channel).encode(),
        "title": plain_text(form.title, MODAL_TITLE_LIMIT),
        "submit": plain_text(form.submit_label, MODAL_TITLE_LIMIT),
        "close": plain_text("Cancel", MODAL_TITLE_LIMIT),
        "blocks": blocks[:SURFACE_BLOCKS],
    }


def _input(field: Input) -> Json:
    return {
        "type": "input",
        "block_id": field.name,
        "label": plain_text(field.label, INPUT_LABEL_LIMIT),
        "optional": not field.required,
        "element": _element(field),
    }


def _element(field: Input) -> Json:
    if field.choices:
        options = [
            {"text": plain_text(c.label, OPTION_TEXT_LIMIT), "value": c.value[:OPTION_VALUE_LIMIT]}
            for c in field.choices[:OPTIONS_LIMIT]
        ]
        element: Json = {"type": "static_select", "action_id": field.name, "options": options}
        initial = next((o for o in options if o["value"] == field.initial), None)
        if initial is not None:
            element["initial_option"] = initial
        return element
    if field.integer_range is not None:
        low, high = field.integer_range
        element = {
            "type": "number_input",
            "action_id": field.name,
            "is_decimal_allowed": False,
            "min_value": str(low),
            "max_value": str(high),
        }
        if field.initial:
            element["initial_value"] = field.initial
        return element
    element = {
        "type": "plain_text_input",
        "action_id": field.name,
        "multiline": field.multiline,
        "max_length": min(field.max_length, SECTION_LIMIT),
    }
    if field.min_length:
        element["min_length"] = field.min_length
    if field.placeholder:
        element["placeholder"] = plain_text(field.placeholder, PLACEHOLDER_LIMIT)
    if field.initial:
        element["initial_value"] = field.initial
    return element


def submitted_values(view: Json) -> dict[str, str]:
    """A view_submission's state as {input name: text}; unanswered optional inputs are ''."""
    values: dict[str, str] = {}
    state = view.get("state", {}).get("values", {})
    for block_id, actions in state.items():
        for action in actions.values():
            values[str(block_id)] = _value_of(action)
    return values


def _value_of(action: Json) -> str:
    selected = action.get("selected_option")
    if isinstance(selected, dict):
        return str(selected.get("value") or "")
    value = action.get("value")
    return "" if value is None else str(value)


def field_errors(errors: dict[str, str]) -> Json:
    """The ack body that keeps the modal open with each message under its input."""
    return {"response_action": "errors", "errors": {name: text[:INPUT_LABEL_LIMIT] for name, text in errors.items()}}
