"""The neutral message model as JSON for the browser.

Everything goes out as plain strings; the page puts them in with `textContent`, so member text
(`<script>`, `<!channel>`, `@everyone`) is shown exactly as typed and never runs or notifies.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bots.playground.port import Posted
from core.messages import Form, Message, Moment, message_to_json
from core.messages import render_moments as _render_moments

Json = dict[str, Any]


def message_json(message: Message, zone: str | None = None) -> Json:
    """`zone` shows each moment in the reader's zone; without it (the saved history) the message is kept
    in the core's own JSON form, moments as tokens."""
    data = message_to_json(message)
    if zone is None:
        return data
    data.pop("quoting", None)  # whose words a message carries is for erasure on the server, not for the page
    data["summary"] = _moments(data["summary"], zone)
    for block in data["blocks"]:
        if block["type"] in ("heading", "text"):
            block["text"] = _moments(block["text"], zone)
        elif block["type"] == "fields":
            block["pairs"] = [[key, _moments(value, zone)] for key, value in block["pairs"]]
    return data


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
