"""The core's port on Discord: a private channel per circle, a thread per round, DMs.

Bound to one guild (the workspace). Talks to Discord through discord.py's HTTP client and partial
objects only, so nothing depends on what the gateway has cached (a channel created a second ago,
a thread from before a restart). Every send notifies nobody.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord

from bots.discord.render import Rendered, modal, render, render_parts
from core.messages import Attachment, Form, Message
from core.port import MessageRef, RateLimited, Refused, SpaceRef, Undeliverable, sending_key

if TYPE_CHECKING:
    from bots.discord.client import CirclesBot

log = logging.getLogger(__name__)

CATEGORY_NAME = "Peer circles"
TEXT_CHANNEL, VOICE_CHANNEL, CATEGORY = 0, 2, 4
VOICE_EVENT, GUILD_ONLY = 2, 2
ROLE, MEMBER = 0, 1
DMS_CLOSED = 50007
THREAD_EXISTS = 160004
WEEK_IN_MINUTES = 10080
MAX_FILES = 10  # attachments on one message

MEMBER_ALLOW = discord.Permissions(
    view_channel=True,
    send_messages=True,
    read_message_history=True,
    send_messages_in_threads=True,
    embed_links=True,
    connect=True,
    speak=True,
)
BOT_ALLOW = discord.Permissions(MEMBER_ALLOW.value, create_public_threads=True, manage_events=True)
# What the invite asks for: the channel permissions it grants members (it can only grant what it has),
# plus making channels, setting who sees them (Manage Roles) and publishing events, and Manage Messages:
# a thread message the circle did not take (advice while the issue holder presents) is removed.
INVITE_PERMISSIONS = discord.Permissions(BOT_ALLOW.value, manage_channels=True, manage_roles=True, manage_messages=True)
READ_ONLY_ALLOW = discord.Permissions(view_channel=True, read_message_history=True)
READ_ONLY_DENY = discord.Permissions(send_messages=True, send_messages_in_threads=True)
NOBODY = discord.AllowedMentions.none()


def member_permissions(history: bool) -> tuple[int, int]:
    """A member's overwrite (allow, deny): a late joiner the lead chose to spare the past gets no history."""
    if history:
        return MEMBER_ALLOW.value, 0
    no_history = discord.Permissions(read_message_history=True).value
    return MEMBER_ALLOW.value & ~no_history, no_history


@dataclass
class DiscordMemory:
    """What the bot remembers between requests in one process: lookups it need not repeat."""

    categories: dict[int, int] = field(default_factory=dict)  # guild id -> "Peer circles" category id
    threads: set[int] = field(default_factory=set)  # thread ids known to exist
    voice: dict[int, int] = field(default_factory=dict)  # circle text channel id -> its voice channel id
    thread_names: dict[int, str] = field(default_factory=dict)  # header message id -> thread name
    dm_channels: dict[str, int] = field(default_factory=dict)  # user id -> DM channel id
    dms_closed: set[str] = field(default_factory=set)  # users who refused a DM: never retried here
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class DiscordPort:
    """Permission bits go out as integers, as Discord's OpenAPI description types them (discord.py's
    own helpers send strings, which Discord also takes)."""

    def __init__(self, bot: CirclesBot, guild_id: int) -> None:
        self.bot = bot
        self.guild_id = guild_id
        self.memory = bot.memory

    @property
    def http(self) -> Any:  # discord.py's HTTPClient is internal and only partly typed
        return self.bot.http

    # Spaces --------------------------------------------------------------------------------------

    async def open_private_space(self, name: str, topic: str, member_ids: Sequence[str]) -> SpaceRef:
        """A text channel under "Peer circles" that only the members and the bot can see."""
        category = await self._category()
        bot_id = self.bot.user.id if self.bot.user else 0
        overwrites = [
            {"id": str(self.guild_id), "type": ROLE, "allow": 0, "deny": discord.Permissions(view_channel=True).value},
            {"id": str(bot_id), "type": MEMBER, "allow": BOT_ALLOW.value, "deny": 0},
        ]
        overwrites.extend(
            {"id": user, "type": MEMBER, "allow": MEMBER_ALLOW.value, "deny": 0}
            for user in dict.fromkeys(member_ids)
            if user.isdigit() and int(user) != bot_id
        )
        channel = await self.http.create_channel(
            self.guild_id,
            TEXT_CHANNEL,
            name=channel_name(name),
            topic=topic[:1024],
            parent_id=category,
            permission_overwrites=overwrites,
            reason="Peer circle's private space",
        )
        return SpaceRef(str(channel["id"]))

    async def _category(self) -> int:
        async with self.memory.lock:
            known = self.memory.categories.get(self.guild_id)
            if known is not None:
                return known
            channels = await self.http.get_all_guild_channels(self.guild_id)
            found = next((c for c in channels if c["type"] == CATEGORY and c["name"] == CATEGORY_NAME), None)
            if found is None:
                found = await self.http.create_channel(self.guild_id, CATEGORY, name=CATEGORY_NAME)
            self.memory.categories[self.guild_id] = int(found["id"])
            return int(found["id"])

    async def add_member(self, space: SpaceRef, user_id: str, history: bool = True) -> None:
        """Without `history` the newcomer sees only what is said from now on (Read Message History denied)."""
        allow, deny = member_permissions(history)
        for channel in await self._circle_channels(space):
            await self.http.edit_channel_permissions(
                channel, int(user_id), allow, deny, MEMBER, reason="Joined the circle"
            )

    async def remove_member(self, space: SpaceRef, user_id: str) -> None:
        """Leaving takes away the text channel and, for a live circle, its voice channel too."""
        for channel in await self._circle_channels(space):
            with contextlib.suppress(discord.NotFound):  # already gone: leaving twice is not an error
                await self.http.delete_channel_permissions(channel, int(user_id), reason="Left the circle")

    async def reconcile_space(self, space: SpaceRef, members: dict[str, bool]) -> int:
        """Re-applies a circle's member overwrites from its members (user id -> sees history): anyone
        else given access by hand loses it, a member whose overwrite went missing or changed gets it
        back. Returns how many overwrites it fixed."""
        bot_id = str(self.bot.user.id) if self.bot.user else ""
        fixed = 0
        for channel in await self._circle_channels(space):
            data: Any = await self.http.get_channel(channel)
            current = {
                str(o["id"]): (int(o["allow"]), int(o["deny"]))
                for o in data.get("permission_overwrites", [])
                if int(o["type"]) == MEMBER and str(o["id"]) != bot_id
            }
            for user in current.keys() - members.keys():
                with contextlib.suppress(discord.NotFound):
                    await self.http.delete_channel_permissions(channel, int(user), reason="Not in the circle")
                fixed += 1
            for user, history in members.items():
                wanted = member_permissions(history)
                if user.isdigit() and user != bot_id and current.get(user) != wanted:
                    await self.http.edit_channel_permissions(
                        channel, int(user), *wanted, MEMBER, reason="In the circle"
                    )
                    fixed += 1
        return fixed

    async def _circle_channels(self, space: SpaceRef) -> list[int]:
        voice = await self._voice_channel(space, create=False)
        return [int(space.id)] + ([voice] if voice else [])

    async def _voice_channel(self, space: SpaceRef, create: bool) -> int | None:
        """A live circle's voice channel: same name, same category, same people as its text channel."""
        text_id = int(space.id)
        if text_id in self.memory.voice:
            return self.memory.voice[text_id]
        text = await self.http.get_channel(text_id)
        channels = await self.http.get_all_guild_channels(self.guild_id)
        found = next(
            (
                c
                for c in channels
                if c["type"] == VOICE_CHANNEL
                and c["name"] == text["name"]
                and c.get("parent_id") == text.get("parent_id")
            ),
            None,
        )
        if found is None and create:
            found = await self.http.create_channel(
                self.guild_id,
                VOICE_CHANNEL,
                name=text["name"],
                parent_id=text.get("parent_id"),
                permission_overwrites=[
                    {"id": o["id"], "type": o["type"], "allow": int(o["allow"]), "deny": int(o["deny"])}
                    for o in text.get("permission_overwrites", [])
                ],
                reason="Live circle's meeting room",
            )
        if found is None:
            return None
        self.memory.voice[text_id] = int(found["id"])
        return int(found["id"])

    async def publish_meeting(self, space: SpaceRef, title: str, start: datetime, end: datetime) -> None:
        """A scheduled event in the circle's private voice channel, so only its members see it."""
        voice = await self._voice_channel(space, create=True)
        events = await self.http.get_scheduled_events(self.guild_id, False)
        existing = next((e for e in events if e["name"] == title and e.get("channel_id") == str(voice)), None)
        when = {"scheduled_start_time": start.isoformat(), "scheduled_end_time": end.isoformat()}
        if existing is not None:
            await self.http.edit_scheduled_event(self.guild_id, int(existing["id"]), **when)
            return
        await self.http.create_guild_scheduled_event(
            self.guild_id,
            name=title[:100],
            channel_id=str(voice),
            entity_type=VOICE_EVENT,
            privacy_level=GUILD_ONLY,
            description="Peer circle meeting. What is said in the circle stays in the circle.",
            reason="Circle meeting scheduled",
            **when,
        )

    async def withdraw_meeting(self, space: SpaceRef, title: str) -> None:
        """A closed meeting's event is deleted rather than cancelled: it happened, it just is not coming up."""
        voice = await self._voice_channel(space, create=False)
        if voice is None:
            return
        events = await self.http.get_scheduled_events(self.guild_id, False)
        for event in events:
            if event["name"] == title and event.get("channel_id") == str(voice):
                await self.http.delete_scheduled_event(self.guild_id, int(event["id"]), reason="Circle meeting closed")

    async def archive_space(self, space: SpaceRef) -> None:
        """Members keep reading the record but can no longer write in it."""
        channel = await self.http.get_channel(int(space.id))
        bot_id = str(self.bot.user.id) if self.bot.user else ""
        for overwrite in channel.get("permission_overwrites", []):
            if overwrite["type"] == MEMBER and str(overwrite["id"]) != bot_id:
                await self.http.edit_channel_permissions(
                    int(space.id), int(overwrite["id"]), READ_ONLY_ALLOW.value, READ_ONLY_DENY.value, MEMBER
                )
        await self.http.edit_channel(int(space.id), name=channel_name(f"archived-{channel.get('name', '')}"))

    # Messages ------------------------------------------------------------------------------------

    async def post(self, space: SpaceRef, message: Message) -> MessageRef:
        sent = await self._send_parts(int(space.id), message)
        self.memory.thread_names[sent.id] = (message.summary or "Round")[:100]
        return MessageRef(space.id, str(sent.id))

    async def reply(self, thread: MessageRef, message: Message) -> MessageRef:
        """Posts in the thread started from `thread`'s message (same id), starting it the first time."""
        thread_id = await self._thread(thread)
        sent = await self._send_parts(thread_id, message)
        return MessageRef(thread.space_id, str(sent.id))

    async def _thread(self, header: MessageRef) -> int:
        thread_id = int(header.message_id)
        if thread_id in self.memory.threads:
            return thread_id
        try:
            await self.http.start_thread_with_message(
                int(header.space_id),
                thread_id,
                name=self.memory.thread_names.get(thread_id, "Round"),
                auto_archive_duration=WEEK_IN_MINUTES,
                reason="A round of the circle",
            )
        except discord.HTTPException as error:
            if error.code != THREAD_EXISTS:
                raise
        self.memory.threads.add(thread_id)
        return thread_id

    async def update(self, ref: MessageRef, message: Message) -> None:
        rendered = render(message, self.guild_id)
        partial = self.bot.get_partial_messageable(int(ref.space_id)).get_partial_message(int(ref.message_id))
        await partial.edit(
            content=rendered.content, embeds=rendered.embeds, view=rendered.view(), allowed_mentions=NOBODY
        )
        if message.summary:
            self.memory.thread_names[int(ref.message_id)] = message.summary[:100]

    async def send_dm(self, user_id: str, message: Message) -> MessageRef:
        """A DM; a person whose DMs are closed (50007) is remembered and never asked again here."""
        if user_id in self.memory.dms_closed:
            raise Undeliverable(f"{user_id} does not accept direct messages")
        channel_id = self.memory.dm_channels.get(user_id)
        if channel_id is None:
            channel = await self.http.start_private_message(int(user_id))
            channel_id = self.memory.dm_channels[user_id] = int(channel["id"])
        try:
            sent = await self._send_parts(channel_id, message)
        except Undeliverable as error:
            if isinstance(error.__cause__, discord.Forbidden) and error.__cause__.code == DMS_CLOSED:
                self.memory.dms_closed.add(user_id)
                raise Undeliverable(f"{user_id} does not accept direct messages") from error
            raise
        return MessageRef(str(channel_id), str(sent.id))

    async def send_files(self, user_id: str, message: Message, files: Sequence[Attachment]) -> MessageRef:
        """Files as attachments of a DM (multipart), at most ten to a message as Discord allows."""
        if user_id in self.memory.dms_closed:
            raise Undeliverable(f"{user_id} does not accept direct messages")
        first = await self.send_dm(user_id, message) if not files else None
        channel_id = int(first.space_id) if first else self.memory.dm_channels.get(user_id)
        if channel_id is None:
            channel_id = int((await self.http.start_private_message(int(user_id)))["id"])
            self.memory.dm_channels[user_id] = channel_id
        rendered = render(message, self.guild_id)
        channel = self.bot.get_partial_messageable(channel_id)
        for start in range(0, len(files), MAX_FILES):
            batch = [
                discord.File(io.BytesIO(f.content), filename=f.filename, description=f.title or None)
                for f in files[start : start + MAX_FILES]
            ]
            content = rendered.content if start == 0 else None
            embeds = rendered.embeds if start == 0 else []
            try:
                sent = await channel.send(content=content, embeds=embeds, files=batch, allowed_mentions=NOBODY)
            except discord.Forbidden as error:
                if error.code == DMS_CLOSED:
                    self.memory.dms_closed.add(user_id)
                    raise Undeliverable(f"{user_id} does not accept direct messages") from error
                raise
            first = first or MessageRef(str(channel_id), str(sent.id))
        assert first is not None
        return first

    async def open_form(self, trigger: str, user_id: str, form: Form) -> None:
        """A modal can only answer an interaction still waiting for its first response."""
        interaction = self.bot.waiting_interactions.get(trigger)
        if interaction is None or interaction.response.is_done():
            raise Undeliverable("a form can only open in answer to a click or a command")
        await interaction.response.send_modal(modal(form, self.guild_id))

    async def notify_privately(self, space: SpaceRef, user_id: str, message: Message) -> None:
        """Discord has no per-person message in a channel outside an interaction: the circle's own
        private channel, pinging that one person and nobody else, is as private as it gets."""
        rendered = render(message, self.guild_id)
        channel = self.bot.get_partial_messageable(int(space.id))
        await channel.send(
            content=f"<@{int(user_id)}> {rendered.content}"[:2000],
            embeds=rendered.embeds,
            allowed_mentions=discord.AllowedMentions(
                everyone=False, roles=False, replied_user=False, users=[discord.Object(int(user_id))]
            ),
        )

    async def _send_parts(self, channel_id: int, message: Message) -> discord.Message:
        """Each part of the message in turn (see render_parts); the first is the message's reference.
        An outbox row's parts carry nonces made from its id, with enforce_nonce: if a crash makes the
        outbox send the row again within Discord's few minutes, Discord hands back the message it
        already has instead of posting it twice."""
        key = sending_key.get()
        first: discord.Message | None = None
        for index, rendered in enumerate(render_parts(message, self.guild_id)):
            nonce = f"{key}.{index}"[:25] if key else None
            sent = await self._send(channel_id, rendered, nonce)
            first = first or sent
        assert first is not None
        return first

    async def _send(self, channel_id: int, rendered: Rendered, nonce: str | None = None) -> discord.Message:
        channel = self.bot.get_partial_messageable(channel_id)
        view = rendered.view()
        extra: dict[str, Any] = {} if nonce is None else {"nonce": nonce}
        if view is not None:
            extra["view"] = view
        with discord_refusals():
            return await channel.send(
                content=rendered.content, embeds=rendered.embeds, allowed_mentions=NOBODY, **extra
            )


@contextlib.contextmanager
def discord_refusals() -> Any:
    """Discord's answers in the port's terms: a 429 discord.py did not wait out itself is RateLimited
    (the whole bot when Discord says global, else this channel's bucket); a request Discord found
    invalid (400) is Refused; a channel or person we may no longer reach is Undeliverable."""
    try:
        yield
    except discord.RateLimited as limited:
        raise RateLimited(limited.retry_after, "channel") from limited
    except discord.HTTPException as error:
        if error.status == 429:
            headers = getattr(error.response, "headers", {}) or {}
            is_global = str(headers.get("X-RateLimit-Global", "")).lower() == "true"
            retry_after = float(headers.get("Retry-After") or 1.0)
            raise RateLimited(retry_after, "global" if is_global else "channel") from error
        if error.status in (403, 404):
            raise Undeliverable(f"discord {error.status}/{error.code}") from error
        if 400 <= error.status < 500:
            raise Refused(f"discord {error.status}/{error.code}") from error
        raise


def channel_name(name: str) -> str:
    """Discord text channel names: lower case, no spaces, at most 100 characters."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")
    return (slug or "circle")[:100]
