"""The playground's chat platform: channels, threads and DMs, kept in memory (and saved by
`bots.playground.history` when the database is a SQLite file).

The port only keeps what was said. Who may read a channel is never decided here: the server asks
the database (the circle whose space it is, and its active memberships), exactly as Slack or
Discord would enforce their own private channels. Space ids are random, so a restarted playground
on an old database can never hand a new circle an id that an old circle still holds.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bots.playground.downloads import Downloads
from core.clock import Clock
from core.messages import Attachment, Form, Message, message
from core.port import MessageRef, SpaceRef
from core.privacy.erase import ERASED, FORMER_MEMBER

BOT_NAME = "Peer Circles"


@dataclass
class Posted:
    """One message as the playground shows it. `author_id` is None for the bot."""

    id: str
    seq: int
    space: str
    thread: str | None  # the id of the message this replies to
    author: str
    author_id: str | None
    at: datetime
    message: Message
    only_for: str | None = None  # a private notice: shown to this person alone
    replies: list[str] = field(default_factory=list)
    links: tuple[tuple[str, str], ...] = ()  # (label, address): downloads handed to the DM's owner

    @property
    def ref(self) -> MessageRef:
        return MessageRef(self.space, self.id)


@dataclass(frozen=True)
class Change:
    """Something new to show: in a space (its members are told), and to these people directly."""

    space: str | None = None
    users: tuple[str, ...] = ()


Listener = Callable[[Change], Awaitable[None]]


def dm_space(user_id: str) -> str:
    """A person's DM channel with the bot; only that person reads it."""
    return f"D-{user_id}"


class PlaygroundPort:
    def __init__(
        self, clock: Clock, listener: Listener | None = None, keep: Callable[[PlaygroundPort], None] | None = None
    ) -> None:
        self.clock = clock
        self.listener = listener
        self.keep = keep  # saves the history after each change (see bots.playground.history)
        self.messages: dict[str, Posted] = {}
        self.timeline: dict[str, list[str]] = {}  # space id -> top-level message ids, oldest first
        self.topics: dict[str, str] = {}
        self.archived: set[str] = set()
        self.forms: dict[str, Form] = {}  # user id -> a form the bot asked them to fill in
        self.last_seq = 0  # messages are numbered in the order they were written
        self.downloads = Downloads()  # open_playground keeps them under var/ instead

    # ChatPort ------------------------------------------------------------------------------------

    async def open_private_space(self, name: str, topic: str, member_ids: Sequence[str]) -> SpaceRef:
        space = f"C{secrets.token_hex(5)}"
        self.timeline[space] = []
        self.topics[space] = topic
        await self._tell(Change(space, tuple(member_ids)))
        return SpaceRef(space)

    async def add_member(self, space: SpaceRef, user_id: str, history: bool = True) -> None:
        await self._tell(Change(None, (user_id,)))

    async def remove_member(self, space: SpaceRef, user_id: str) -> None:
        await self._tell(Change(None, (user_id,)))

    async def archive_space(self, space: SpaceRef) -> None:
        self.archived.add(space.id)
        await self._tell(Change(space.id))

    async def post(self, space: SpaceRef, message: Message) -> MessageRef:
        return (await self.write(space.id, None, message)).ref

    async def reply(self, thread: MessageRef, message: Message) -> MessageRef:
        return (await self.write(thread.space_id, thread.message_id, message)).ref

    async def update(self, ref: MessageRef, message: Message) -> None:
        posted = self.messages.get(ref.message_id)
        if posted is not None and posted.space == ref.space_id:
            posted.message = message
            await self._tell(Change(posted.space))

    async def send_dm(self, user_id: str, message: Message) -> MessageRef:
        posted = await self.write(dm_space(user_id), None, message)
        await self._tell(Change(None, (user_id,)))
        return posted.ref

    async def send_files(self, user_id: str, message: Message, files: Sequence[Attachment]) -> MessageRef:
        """A DM with a link to each file (and to a page showing the charts, if any), for this person alone."""
        bundle = self.downloads.keep(user_id, message, files)
        charts = any(media.startswith("image/") for _, _, media in bundle.files)
        page = (("Open the report page", bundle.page),) if charts else ()
        links = (*page, *((title, bundle.url(name)) for name, title, _ in bundle.files))
        posted = await self.write(dm_space(user_id), None, message, links=links)
        await self._tell(Change(None, (user_id,)))
        return posted.ref

    async def open_form(self, trigger: str, user_id: str, form: Form) -> None:
        self.forms[user_id] = form
        await self._tell(Change(None, (user_id,)))

    async def notify_privately(self, space: SpaceRef, user_id: str, message: Message) -> None:
        await self.write(space.id, None, message, only_for=user_id)

    async def forget_author(self, user_id: str) -> None:
        """Erasure reaches the history file: what the person typed, and their DMs, are blanked."""
        for posted in self.messages.values():
            if posted.author_id == user_id or posted.only_for == user_id or posted.space == dm_space(user_id):
                posted.message, posted.author, posted.author_id = message(ERASED), FORMER_MEMBER, None
        self.forms.pop(user_id, None)
        await self._tell(Change())

    async def remove(self, ref: MessageRef) -> None:
        """Takes a member's message out of its channel or thread (one the circle did not take)."""
        posted = self.messages.get(ref.message_id)
        if posted is None or posted.space != ref.space_id:
            return
        del self.messages[posted.id]
        parent = self.messages.get(posted.thread) if posted.thread else None
        if parent is not None and posted.id in parent.replies:
            parent.replies.remove(posted.id)
        elif posted.id in self.timeline.get(posted.space, []):
            self.timeline[posted.space].remove(posted.id)
        await self._tell(Change(posted.space))

    # What members write, and reading back ----------------------------------------------------------

    async def write(
        self,
        space: str,
        thread: str | None,
        message: Message,
        author: str = BOT_NAME,
        author_id: str | None = None,
        only_for: str | None = None,
        links: tuple[tuple[str, str], ...] = (),
    ) -> Posted:
        """Stores a message in a channel or, when `thread` names one of its messages, in that thread."""
        parent = self.messages.get(thread) if thread else None
        if parent is not None and (parent.space != space or parent.thread is not None):
            parent = None
        if thread and parent is None:
            thread = None  # a message we no longer hold (the playground restarted): post in the channel
        self.last_seq += 1
        posted = Posted(
            f"m{self.last_seq}",
            self.last_seq,
            space,
            thread,
            author,
            author_id,
            self.clock.now(),
            message,
            only_for,
            links=links,
        )
        self.messages[posted.id] = posted
        if parent is not None:
            parent.replies.append(posted.id)
        else:
            self.timeline.setdefault(space, []).append(posted.id)
        await self._tell(Change(None, (only_for,)) if only_for else Change(space))
        return posted

    def channel(self, space: str, reader: str) -> list[Posted]:
        return [p for p in (self.messages[i] for i in self.timeline.get(space, [])) if _visible(p, reader)]

    def thread(self, space: str, message_id: str, reader: str) -> tuple[Posted, list[Posted]] | None:
        parent = self.messages.get(message_id)
        if parent is None or parent.space != space or parent.thread is not None or not _visible(parent, reader):
            return None
        return parent, [p for p in (self.messages[i] for i in parent.replies) if _visible(p, reader)]

    def take_form(self, user_id: str) -> Form | None:
        return self.forms.pop(user_id, None)

    async def _tell(self, change: Change) -> None:
        if self.keep is not None:
            self.keep(self)
        if self.listener is not None:
            await self.listener(change)


def _visible(posted: Posted, reader: str) -> bool:
    return posted.only_for is None or posted.only_for == reader
