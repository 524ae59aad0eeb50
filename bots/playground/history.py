"""The playground's channels saved beside its SQLite file, so a restart loses no conversation.

The database holds circles, meetings and commitments; this file holds only what the playground
plays the part of Slack or Discord for: channel topics, messages, threads and DMs, and the
playground's clock (skipped ahead, it stays ahead after a restart, so a meeting can never be
scheduled before one already held). It is rewritten whole (to a temporary file, then renamed)
after each change; a playground's history is small.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bots.playground.clock import MovableClock
from bots.playground.port import PlaygroundPort, Posted
from bots.playground.wire import message_json
from core.db import write_private
from core.messages import message_from_json

log = logging.getLogger(__name__)

VERSION = 1


def history_path(database_url: str) -> Path | None:
    """`var/circles.sqlite3` keeps its channels in `var/circles.playground.json`; other databases
    (PostgreSQL) keep them in memory only."""
    parsed = make_url(database_url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).with_suffix(".playground.json")


def save(port: PlaygroundPort, path: Path) -> None:
    snapshot = {
        "version": VERSION,
        "last_seq": port.last_seq,
        "now": port.clock.now().isoformat(),
        "topics": port.topics,
        "archived": sorted(port.archived),
        "timeline": port.timeline,
        "messages": [_posted(p) for p in port.messages.values()],
    }
    partial = path.with_name(path.name + ".partial")
    write_private(partial, json.dumps(snapshot))
    os.replace(partial, path)


def load(port: PlaygroundPort, path: Path, clock: MovableClock | None = None) -> bool:
    """Fills the port from the file, and moves `clock` on to the saved time (never back); an
    unreadable file is set aside and the channels start empty."""
    if not path.exists():
        return False
    try:
        snapshot = json.loads(path.read_text(encoding="utf-8"))
        if snapshot.get("version") != VERSION:
            raise ValueError(f"version {snapshot.get('version')!r}")
        messages = {m["id"]: _unposted(m) for m in snapshot["messages"]}
        port.topics = {str(k): str(v) for k, v in snapshot["topics"].items()}
        port.archived = set(snapshot["archived"])
        port.timeline = {str(k): [str(i) for i in v if i in messages] for k, v in snapshot["timeline"].items()}
        port.messages = messages
        port.last_seq = int(snapshot["last_seq"])
        saved_now = datetime.fromisoformat(snapshot["now"]) if "now" in snapshot else None
    except (OSError, ValueError, KeyError, TypeError) as error:
        aside = path.with_name(path.name + ".unreadable")
        os.replace(path, aside)
        log.warning("the playground's history in %s could not be read (%s); moved it to %s", path, error, aside)
        return False
    if clock is not None and saved_now is not None and saved_now > clock.now():
        clock.set(saved_now)
    return True


def _posted(posted: Posted) -> dict[str, Any]:
    return {
        "id": posted.id,
        "seq": posted.seq,
        "space": posted.space,
        "thread": posted.thread,
        "author": posted.author,
        "author_id": posted.author_id,
        "at": posted.at.isoformat(),
        "only_for": posted.only_for,
        "replies": posted.replies,
        "message": message_json(posted.message),
        "links": [list(link) for link in posted.links],
    }


def _unposted(data: dict[str, Any]) -> Posted:
    return Posted(
        id=str(data["id"]),
        seq=int(data["seq"]),
        space=str(data["space"]),
        thread=data["thread"],
        author=str(data["author"]),
        author_id=data["author_id"],
        at=datetime.fromisoformat(data["at"]),
        message=message_from_json(data["message"]),
        only_for=data["only_for"],
        replies=[str(r) for r in data["replies"]],
        links=tuple((str(label), str(url)) for label, url in data.get("links", [])),
    )
