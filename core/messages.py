"""One message model that every adapter renders: Block Kit on Slack, embeds/views on Discord,
HTML in the playground.

Member text travels as plain text inside these objects; each adapter escapes it for its own
markup and sends it so that it notifies nobody. Action ids are stable strings, so a button still
works after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MAX_TEXT = 3000  # the longest member text we accept anywhere; Slack's section limit


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
        return "\n".join(lines)


def message(*blocks: Block | str, summary: str = "") -> Message:
    built = tuple(Text(b) if isinstance(b, str) else b for b in blocks)
    return Message(built, summary or _first_text(built))


def _first_text(blocks: tuple[Block, ...]) -> str:
    for block in blocks:
        if isinstance(block, Heading | Text):
            return block.text[:150]
    return ""


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
    refused: bool = False  # the request was not honoured and nothing was changed
