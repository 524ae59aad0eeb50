"""Files the bot hands one person in the playground (a report's charts and CSV): the playground's
version of a Slack file in a DM or a Discord attachment.

Kept under `var/downloads/` beside the database when there is one (folders 0700, files 0600, so only
the account running the playground can read them on disk), else in memory. Each bundle belongs to
one person: the server hands it out only to the person whose cookie it is, and any other asker,
guessing a token or not, is told there is nothing there.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.messages import Attachment, Message

TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class Bundle:
    token: str
    owner: str
    title: str
    lines: tuple[str, ...]  # the explanation, as plain lines (figures only: it is the bot's own text)
    files: tuple[tuple[str, str, str], ...]  # (filename, title, media type)

    def url(self, filename: str) -> str:
        return f"/files/{self.token}/{filename}"

    @property
    def page(self) -> str:
        return f"/report/{self.token}"


class Downloads:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._memory: dict[tuple[str, str], tuple[Bundle, dict[str, bytes]]] = {}

    def keep(self, owner: str, message: Message, files: Sequence[Attachment]) -> Bundle:
        token = secrets.token_urlsafe(18)
        names: list[str] = []
        for i, f in enumerate(files):
            name = _safe_name(f.filename, i)
            names.append(name if name not in names else f"{i}-{name}")
        bundle = Bundle(
            token,
            owner,
            message.summary or "Your files",
            tuple(message.plain_text.splitlines()),
            tuple((name, f.title or name, f.media_type) for name, f in zip(names, files, strict=True)),
        )
        contents = {name: f.content for name, f in zip(names, files, strict=True)}
        if self.folder is None:
            self._memory[owner, token] = (bundle, contents)
            return bundle
        where = self._dir(owner, token)
        where.mkdir(mode=0o700, parents=True)
        os.chmod(where.parent, 0o700)
        os.chmod(self.folder, 0o700)
        for name, content in contents.items():
            _write_private(where / name, content)
        manifest = {"title": bundle.title, "lines": list(bundle.lines), "files": [list(f) for f in bundle.files]}
        _write_private(where / "manifest.json", json.dumps(manifest).encode())
        return bundle

    def bundle(self, owner: str, token: str) -> Bundle | None:
        if not TOKEN.match(token):
            return None
        if self.folder is None:
            kept = self._memory.get((owner, token))
            return kept[0] if kept else None
        manifest = self._dir(owner, token) / "manifest.json"
        if not manifest.is_file():
            return None
        data = json.loads(manifest.read_text())
        files = tuple((str(n), str(t), str(m)) for n, t, m in data["files"])
        return Bundle(token, owner, str(data["title"]), tuple(str(x) for x in data["lines"]), files)

    def file(self, owner: str, token: str, filename: str) -> tuple[bytes, str] | None:
        """The file's bytes and media type, for its owner only."""
        bundle = self.bundle(owner, token)
        media = next((m for n, _, m in bundle.files if n == filename), None) if bundle else None
        if bundle is None or media is None:
            return None
        if self.folder is None:
            return self._memory[owner, token][1][filename], media
        return (self._dir(owner, token) / filename).read_bytes(), media

    def _dir(self, owner: str, token: str) -> Path:
        assert self.folder is not None
        return self.folder / hashlib.sha256(owner.encode()).hexdigest()[:24] / token


def _safe_name(filename: str, index: int) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip(".-")[:100]
    return name if name and name != "manifest.json" else f"file-{index}"


def _write_private(path: Path, content: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(content)
