"""One message model that every adapter renders: Block Kit on Slack, embeds/views on Discord,
HTML in the playground.

Member text travels as plain text inside these objects; each adapter escapes it for its own
markup and sends it so that it notifies nobody. Action ids are stable strings, so a button still
works after a restart.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

MAX_TEXT = 3000  # the longest member text we accept anywhere; Slack's section limit


# Moments -------------------------------------------------------------------------------------


class MomentStyle(StrEnum):
    FULL = "f"  # "Tue 1 Dec 2026, 13:12" in the reader's zone
    RELATIVE = "R"  # "in 5 minutes"


@dataclass(frozen=True)
class Moment:
    """A point in time each reader sees in their own zone: Slack's `<!date^…>`, Discord's `<t:…>`, the
    playground in the viewer's zone. It travels inline in our own text as a token (`moment_token`),
    with a UTC fallback for plain text and notifications."""

    at: datetime
    style: MomentStyle = MomentStyle.FULL

    @property
    def unix(self) -> int:
        return int(self.at.timestamp())

    @property
    def fallback(self) -> str:
        return self.at.astimezone(UTC).strftime("%a %d %b %Y, %H:%M UTC")

    @property
    def token(self) -> str:
        return f"\u27e6t:{self.unix}:{self.style.value}\u27e7"


MOMENT_TOKEN = re.compile("\u27e6t:(-?\\d{1,12}):([fR])\u27e7")


def moment_token(at: datetime, style: MomentStyle = MomentStyle.FULL) -> str:
    return Moment(at, style).token


def render_moments(text: str, show: Callable[[Moment], str]) -> str:
    """Replaces each moment token in `text` with what `show` makes of it (each adapter its own way)."""
    return MOMENT_TOKEN.sub(lambda m: show(_moment_of(m)), text)


def without_moments(text: str) -> str:
    """Plain text: each moment as its UTC fallback."""
    return render_moments(text, lambda moment: moment.fallback)


def _moment_of(match: re.Match[str]) -> Moment:
    return Moment(datetime.fromtimestamp(int(match.group(1)), UTC), MomentStyle(match.group(2)))


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Text:
    """A paragraph. `emphasis` runs (wrapped in *…*) are ours, never from member text."""

    text: str


@dataclass(frozen=True)
class Fields:
    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Quote:
    """Member-written text shown as a quotation, attributed."""

    author: str
    text: str


class ButtonStyle(StrEnum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True)
class Button:
    label: str
    action_id: str  # "<verb>" e.g. "bid.open"; the value says on what
    value: str = ""
    style: ButtonStyle = ButtonStyle.DEFAULT


@dataclass(frozen=True)
class Attachment:
    """A file the bot hands one person privately: a data export, a report's chart or CSV, a calendar."""

    filename: str
    content: bytes
    media_type: str  # e.g. "application/json", "image/png", "text/csv", "text/calendar"
    title: str = ""


@dataclass(frozen=True)
class Actions:
    buttons: tuple[Button, ...]


Block = Heading | Text | Fields | Quote | Actions


@dataclass(frozen=True)
class Message:
    blocks: tuple[Block, ...]
    summary: str = ""  # plain-text fallback for notifications
    # People whose own words it carries (erasing them edits it on the platform); not part of what it says.
    quoting: tuple[int, ...] = field(default=(), compare=False)

    @property
    def plain_text(self) -> str:
        """All of it as plain text: notifications, logs and simple renderers."""
        lines: list[str] = []
        for block in self.blocks:
            match block:
                case Heading(text=t) | Text(text=t):
                    lines.append(t)
                case Quote(author=a, text=t):
                    lines.append(f"{a}: {t}")
                case Fields(pairs=pairs):
                    lines.extend(f"{k}: {v}" for k, v in pairs)
                case Actions(buttons=buttons):
                    lines.append(" ".join(f"[{b.label}]" for b in buttons))
        return without_moments("\n".join(lines))


def message(*blocks: Block | str, summary: str = "") -> Message:
    built = tuple(Text(b) if isinstance(b, str) else b for b in blocks)
    return Message(built, without_moments(summary or _first_text(built)))


def _first_text(blocks: tuple[Block, ...]) -> str:
    for block in blocks:
        if isinstance(block, Heading | Text):
            return without_moments(block.text)[:150]
    return ""


# JSON -------------------------------------------------------------------------------------------


def message_to_json(message: Message) -> dict[str, Any]:
    """The one JSON form of a message: the outbox stores it, the playground keeps its history in it."""
    encoded: dict[str, Any] = {"summary": message.summary, "blocks": [_block_to_json(b) for b in message.blocks]}
    if message.quoting:
        encoded["quoting"] = list(message.quoting)
    return encoded


def message_from_json(data: dict[str, Any]) -> Message:
    quoting = tuple(int(p) for p in data.get("quoting", ()))
    return Message(tuple(_block_from_json(b) for b in data["blocks"]), data.get("summary", ""), quoting)


def _block_to_json(block: Block) -> dict[str, Any]:
    match block:
        case Heading(text=text):
            return {"type": "heading", "text": text}
        case Text(text=text):
            return {"type": "text", "text": text}
        case Fields(pairs=pairs):
            return {"type": "fields", "pairs": [list(p) for p in pairs]}
        case Quote(author=author, text=text):
            return {"type": "quote", "author": author, "text": text}
        case Actions(buttons=buttons):
            return {
                "type": "actions",
                "buttons": [
                    {"label": b.label, "action_id": b.action_id, "value": b.value, "style": b.style.value}
                    for b in buttons
                ],
            }
    raise TypeError(f"no encoding for {type(block).__name__}")


def _block_from_json(data: dict[str, Any]) -> Block:
    match data["type"]:
        case "heading":
            return Heading(data["text"])
        case "text":
            return Text(data["text"])
        case "fields":
            return Fields(tuple((str(k), str(v)) for k, v in data["pairs"]))
        case "quote":
            return Quote(data["author"], data["text"])
        case "actions":
            return Actions(
                tuple(
                    Button(b["label"], b["action_id"], b.get("value", ""), ButtonStyle(b.get("style", "default")))
                    for b in data["buttons"]
                )
            )
    raise ValueError(f"unknown block type {data['type']!r}")


# Forms ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    label: str
    value: str


@dataclass(frozen=True)
class Input:
    name: str
    label: str
    multiline: bool = False
    required: bool = True
    max_length: int = MAX_TEXT
    min_length: int = 0
    placeholder: str = ""
    initial: str = ""
    choices: tuple[Choice, ...] = ()  # a select when not empty
    integer_range: tuple[int, int] | None = None  # a whole number in this range


@dataclass(frozen=True)
class Form:
    """A modal. `form_id` names the handler; `context` round-trips opaque state (e.g. a meeting id).
    Its inputs come from the spec's parameters (`core.forms`), which also check what comes back."""

    form_id: str
    title: str
    inputs: tuple[Input, ...]
    submit_label: str = "Submit"
    context: str = ""
    intro: str = ""


@dataclass(frozen=True)
class Reply:
    """What the core says back to the person who acted: shown only to them."""

    message: Message
    form: Form | None = None
    refused: bool = False  # not honoured, nothing changed: a message that carried it was not taken
