"""The port: what the core asks of a chat platform. Slack, Discord and the playground implement it.

Identities are the platform's own ids as strings (a Slack user id, a Discord snowflake); the core
never looks inside them. A port object is bound to one workspace.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from core.messages import Attachment, Form, Message


@dataclass(frozen=True)
class SpaceRef:
    """A circle's private space: a Slack private channel, a Discord text channel."""

    id: str


@dataclass(frozen=True)
class MessageRef:
    space_id: str
    message_id: str

    def encode(self) -> str:
        return f"{self.space_id}/{self.message_id}"

    @classmethod
    def decode(cls, text: str) -> MessageRef:
        space_id, _, message_id = text.partition("/")
        return cls(space_id, message_id)


class Undeliverable(Exception):
    """The platform will never take this message (DMs closed, person gone): do not retry."""


class Refused(Exception):
    """The platform rejected the request as it stands (a 4xx no retry can fix): recorded, never retried."""


class RateLimited(Exception):
    """The platform asked us to wait; `retry_after` is in seconds. `scope` says who must wait with
    this send: "channel" (sends to the same channel), "workspace" (every send of this app in the
    workspace, e.g. one Slack method) or "global" (every send to the platform)."""

    def __init__(self, retry_after: float, scope: str = "workspace") -> None:
        super().__init__(f"rate limited for {retry_after:.1f}s ({scope})")
        self.retry_after = retry_after
        self.scope = scope


# The outbox row being sent, for platforms with idempotent sends (Discord's message nonce): a resend
# of the same row after a crash carries the same key, and the platform absorbs it.
sending_key: ContextVar[str | None] = ContextVar("sending_key", default=None)


class ChatPort(Protocol):
    async def open_private_space(self, name: str, topic: str, member_ids: Sequence[str]) -> SpaceRef: ...

    async def add_member(self, space: SpaceRef, user_id: str, history: bool = True) -> None: ...

    async def remove_member(self, space: SpaceRef, user_id: str) -> None: ...

    async def archive_space(self, space: SpaceRef) -> None: ...

    async def post(self, space: SpaceRef, message: Message) -> MessageRef: ...

    async def reply(self, thread: MessageRef, message: Message) -> MessageRef: ...

    async def update(self, ref: MessageRef, message: Message) -> None: ...

    async def send_dm(self, user_id: str, message: Message) -> MessageRef: ...

    async def open_form(self, trigger: str, user_id: str, form: Form) -> None: ...

    async def notify_privately(self, space: SpaceRef, user_id: str, message: Message) -> None: ...


@runtime_checkable
class PublishesMeetings(Protocol):
    """Optional: a platform with its own calendar events. Publishing the same title again moves the event;
    withdrawing a title that has no event does nothing."""

    async def publish_meeting(self, space: SpaceRef, title: str, start: datetime, end: datetime) -> None: ...

    async def withdraw_meeting(self, space: SpaceRef, title: str) -> None: ...


@runtime_checkable
class SendsFiles(Protocol):
    """Optional: a platform that can hand one person files privately (Slack file upload to their DM,
    Discord attachments, the playground's downloads)."""

    async def send_files(self, user_id: str, message: Message, files: Sequence[Attachment]) -> MessageRef: ...
