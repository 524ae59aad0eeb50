"""A recording, in-memory implementation of the core's port: the transcript tests assert on."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from core.messages import Attachment, Form, Message
from core.port import MessageRef, SpaceRef, Undeliverable


@dataclass
class Sent:
    kind: str  # "post", "reply", "update", "dm", "files", "notice", "form", "open", "add", "remove", "archive", "event"
    target: str  # space id, thread ref, or user id
    message: Message | None = None
    form: Form | None = None
    files: tuple[Attachment, ...] = ()

    @property
    def text(self) -> str:
        return self.message.plain_text if self.message else ""


@dataclass
class RecordingPort:
    transcript: list[Sent] = field(default_factory=list)
    spaces: dict[str, set[str]] = field(default_factory=dict)  # space id -> member user ids
    archived: set[str] = field(default_factory=set)
    closed_dms: set[str] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def copied(self) -> RecordingPort:
        """The platform as it stands (its spaces, archive, closed DMs and transcript so far), for a test
        that starts from a copy of the database this port served."""
        following = next(self._ids)
        self._ids = itertools.count(following)
        return RecordingPort(
            list(self.transcript),
            {space: set(members) for space, members in self.spaces.items()},
            set(self.archived),
            set(self.closed_dms),
            itertools.count(following),
        )

    def _next(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    async def open_private_space(self, name: str, topic: str, member_ids: Sequence[str]) -> SpaceRef:
        space = self._next("C")
        self.spaces[space] = set(member_ids)
        self.transcript.append(Sent("open", space))
        return SpaceRef(space)

    async def add_member(self, space: SpaceRef, user_id: str, history: bool = True) -> None:
        self.spaces[space.id].add(user_id)
        self.transcript.append(Sent("add", f"{space.id}:{user_id}" + ("" if history else ":no-history")))

    async def remove_member(self, space: SpaceRef, user_id: str) -> None:
        self.spaces[space.id].discard(user_id)
        self.transcript.append(Sent("remove", f"{space.id}:{user_id}"))

    async def archive_space(self, space: SpaceRef) -> None:
        self.archived.add(space.id)
        self.transcript.append(Sent("archive", space.id))

    async def post(self, space: SpaceRef, message: Message) -> MessageRef:
        ref = MessageRef(space.id, self._next("m"))
        self.transcript.append(Sent("post", space.id, message))
        return ref

    async def reply(self, thread: MessageRef, message: Message) -> MessageRef:
        self.transcript.append(Sent("reply", thread.encode(), message))
        return MessageRef(thread.space_id, self._next("m"))

    async def update(self, ref: MessageRef, message: Message) -> None:
        self.transcript.append(Sent("update", ref.encode(), message))

    async def send_dm(self, user_id: str, message: Message) -> MessageRef:
        if user_id in self.closed_dms:
            raise Undeliverable(f"{user_id} does not accept DMs")
        self.transcript.append(Sent("dm", user_id, message))
        return MessageRef(f"D{user_id}", self._next("m"))

    async def send_files(self, user_id: str, message: Message, files: Sequence[Attachment]) -> MessageRef:
        if user_id in self.closed_dms:
            raise Undeliverable(f"{user_id} does not accept DMs")
        self.transcript.append(Sent("files", user_id, message, files=tuple(files)))
        return MessageRef(f"D{user_id}", self._next("m"))

    async def open_form(self, trigger: str, user_id: str, form: Form) -> None:
        self.transcript.append(Sent("form", user_id, form=form))

    async def publish_meeting(self, space: SpaceRef, title: str, start: datetime, end: datetime) -> None:
        self.transcript.append(Sent("event", f"{space.id}:{title}:{start.isoformat()}:{end.isoformat()}"))

    async def withdraw_meeting(self, space: SpaceRef, title: str) -> None:
        self.transcript.append(Sent("event withdrawn", f"{space.id}:{title}"))

    async def notify_privately(self, space: SpaceRef, user_id: str, message: Message) -> None:
        self.transcript.append(Sent("notice", f"{space.id}:{user_id}", message))

    # Reading the transcript ----------------------------------------------------------------------

    def of_kind(self, kind: str) -> list[Sent]:
        return [s for s in self.transcript if s.kind == kind]

    def texts(self, kind: str | None = None) -> list[str]:
        return [s.text for s in self.transcript if kind is None or s.kind == kind]

    def clear(self) -> None:
        self.transcript.clear()
