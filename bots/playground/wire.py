"""The neutral message model as JSON for the browser.

Everything goes out as plain strings; the page puts them in with `textContent`, so member text
(`<script>`, `<!channel>`, `@everyone`) is shown exactly as typed and never runs or notifies.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bots.playground.port import Posted
from core.messages import Actions, Button, ButtonStyle, Fields, Form, Heading, Message, Moment, Quote, Text
from core.messages import render_moments as _render_moments

Json = dict[str, Any]


def message_json(message: Message, zone: str | None = None) -> Json:
    """`zone` shows each moment in the reader's zone; without it (the saved history) moments stay tokens."""
    blocks = [block_json(block, zone) for block in message.blocks]
    return {"blocks": blocks, "summary": _moments(message.summary, zone)}


def _moments(text: str, zone: str | None) -> str:
    if zone is None:
        return text
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")

    def show(moment: Moment) -> str:
        local = moment.at.astimezone(tz)
        return local.strftime("%a %d %b %Y, %H:%M ") + (local.tzname() or zone)

    return _render_moments(text, show)


def block_json(block: Heading | Text | Fields | Quote | Actions, zone: str | None = None) -> Json:
    match block:
        case Heading(text=text):
            return {"type": "heading", "text": _moments(text, zone)}
        case Text(text=text):
            return {"type": "text", "text": _moments(text, zone)}
        case Fields(pairs=pairs):
            return {"type": "fields", "pairs": [[k, _moments(v, zone)] for k, v in pairs]}
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


def posted_json(posted: Posted, zone: str | None = None) -> Json:
    return {
        "id": posted.id,
        "seq": posted.seq,
        "space": posted.space,
        "thread": posted.thread,
        "author": posted.author,
        "bot": posted.author_id is None,
        "at": posted.at.isoformat(),
        "private": posted.only_for is not None,
        "replies": len(posted.replies),
        "links": [{"label": label, "url": url} for label, url in posted.links],
        **message_json(posted.message, zone),
    }


def form_json(form: Form, zone: str | None = None) -> Json:
    return {
        "form_id": form.form_id,
        "title": form.title,
        "intro": _moments(form.intro, zone),
        "submit_label": form.submit_label,
        "context": form.context,
        "inputs": [
            {
                "name": i.name,
                "label": i.label,
                "multiline": i.multiline,
                "required": i.required,
                "max_length": i.max_length,
                "placeholder": i.placeholder,
                "initial": i.initial,
                "choices": [{"label": c.label, "value": c.value} for c in i.choices],
                "integer_range": list(i.integer_range) if i.integer_range else None,
            }
            for i in form.inputs
        ],
    }


def message_from_json(data: Json) -> Message:
    """The inverse of `message_json`, for the playground's saved history."""
    return Message(tuple(block_from_json(b) for b in data["blocks"]), str(data.get("summary", "")))


def block_from_json(data: Json) -> Heading | Text | Fields | Quote | Actions:
    match data["type"]:
        case "heading":
            return Heading(str(data["text"]))
        case "text":
            return Text(str(data["text"]))
        case "fields":
            return Fields(tuple((str(k), str(v)) for k, v in data["pairs"]))
        case "quote":
            return Quote(str(data["author"]), str(data["text"]))
        case "actions":
            return Actions(
                tuple(
                    Button(str(b["label"]), str(b["action_id"]), str(b["value"]), ButtonStyle(b["style"]))
                    for b in data["buttons"]
                )
            )
    raise ValueError(f"unknown block type {data['type']!r}")
