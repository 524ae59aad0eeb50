"""The core's port on Slack: a circle's space is a private channel, a round's thread a Slack thread.

One `SlackPort` serves one workspace. Slack's refusals that will never change (a person gone, DMs
closed, a channel deleted) become `Undeliverable`; a rate limit that outlasted the SDK's own
retries becomes `RateLimited`, so the caller can wait and try again without losing the message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack import blocks
from bots.slack.observed import CountedCalls
from core.messages import Attachment, Form, Message
from core.models import Workspace
from core.port import MessageRef, RateLimited, Refused, SpaceRef, Undeliverable

log = logging.getLogger(__name__)

UNDELIVERABLE = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "users_not_found",
        "cannot_dm_bot",
        "user_disabled",
        "is_archived",
        "not_in_channel",
        "account_inactive",
        "invalid_auth",
        "token_revoked",
        "not_authed",
        "team_not_found",
    }
)
# What Slack refuses in the request itself: sending it again changes nothing.
REFUSED = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_too_long", "too_many_attachments", "no_text"})
TOKEN_GONE = frozenset({"invalid_auth", "token_revoked", "account_inactive", "not_authed"})
PURPOSE_LIMIT = 250
CHANNEL_NAME_LIMIT = 80
RATE_LIMIT_RETRIES = 3

TokenLookup = Callable[[], Awaitable[str | None]]


def web_client(api_url: str | None, token: str | None = None, rate_limit_retries: int = RATE_LIMIT_RETRIES) -> Any:
    """Every Web API client the app makes: Slack's URL or SLACK_API_URL, and patience on a 429."""
    kwargs: dict[str, Any] = {}
    if api_url:
        kwargs["base_url"] = api_url if api_url.endswith("/") else api_url + "/"
    return AsyncWebClient(
        token=token,
        retry_handlers=[
            CountedCalls(),  # counts every attempt for /metrics; never retries itself
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
        ],
        **kwargs,
    )


@contextmanager
def slack_refusals() -> Iterator[None]:
    """Translates Slack's errors into the port's: Undeliverable, RateLimited, or re-raised."""
    try:
        yield
    except SlackApiError as error:
        code = str(error.response.get("error", ""))
        if error.response.status_code == 429 or code == "ratelimited":
            raise RateLimited(_retry_after(error)) from error
        if code in UNDELIVERABLE:
            raise Undeliverable(code) from error
        if code in REFUSED:
            raise Refused(code) from error
        raise


def _retry_after(error: SlackApiError) -> float:
    for key, value in (error.response.headers or {}).items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return float(raw)
            except (TypeError, ValueError):
                break
    return 1.0


def error_code(error: SlackApiError) -> str:
    return str(error.response.get("error", ""))


NOT_TAKEN_REACTION = "no_entry_sign"


class SlackPort:
    """`core.port.ChatPort` for one Slack workspace."""

    def __init__(self, client: AsyncWebClient, find_token: TokenLookup | None = None) -> None:
        self.client = client
        self._find_token = find_token
        self._dm_channels: dict[str, str] = {}

    async def _ready(self) -> AsyncWebClient:
        """The client with this workspace's bot token; installed workspaces are looked up once."""
        if self.client.token is None and self._find_token is not None:
            token = await self._find_token()
            if token is None:
                raise Undeliverable("the app is not installed in this workspace")
            self.client.token = token
        return self.client

    async def call(self, method: str, **kwargs: Any) -> Any:
        client = await self._ready()
        try:
            with slack_refusals():
                return await getattr(client, method)(**kwargs)
        except Undeliverable as error:
            if str(error) in TOKEN_GONE and self._find_token is not None:
                self.client.token = None  # reinstalled workspaces get a new token: read it again next time
            raise

    # Spaces ----------------------------------------------------------------------------------

    async def open_private_space(self, name: str, topic: str, member_ids: Sequence[str]) -> SpaceRef:
        channel = await self._create_channel(channel_name(name))
        space = SpaceRef(channel)
        await self.call("conversations_setPurpose", channel=channel, purpose=_clip(topic, PURPOSE_LIMIT))
        await self.call("conversations_setTopic", channel=channel, topic=_clip(topic, PURPOSE_LIMIT))
        await self._invite(space, list(dict.fromkeys(member_ids)))
        return space

    async def _create_channel(self, name: str) -> str:
        """A new private channel; a taken name gets a numbered suffix rather than failing the circle."""
        for attempt in range(1, 6):
            candidate = name if attempt == 1 else f"{name[: CHANNEL_NAME_LIMIT - 3]}-{attempt}"
            try:
                response = await self.call("conversations_create", name=candidate, is_private=True)
            except SlackApiError as error:
                if error_code(error) == "name_taken":
                    continue
                raise
            return str(response["channel"]["id"])
        raise Undeliverable(f"no free channel name near '{name}'")

    async def _invite(self, space: SpaceRef, users: list[str]) -> None:
        if not users:
            return
        try:
            await self.call("conversations_invite", channel=space.id, users=",".join(users))
        except (SlackApiError, Undeliverable) as error:
            code = error_code(error) if isinstance(error, SlackApiError) else str(error)
            if code in ("channel_not_found", "is_archived", "not_in_channel") or (
                len(users) == 1 and code not in ("already_in_channel", "cant_invite_self")
            ):
                raise
            if len(users) > 1:
                for user in users:  # one bad id must not keep the others out of their circle
                    await self._invite_one(space, user)

    async def _invite_one(self, space: SpaceRef, user: str) -> None:
        try:
            await self._invite(space, [user])
        except (SlackApiError, Undeliverable) as error:
            log.info("could not invite %s to %s: %s", user, space.id, error)

    async def add_member(self, space: SpaceRef, user_id: str, history: bool = True) -> None:
        await self._invite(space, [user_id])

    async def remove_member(self, space: SpaceRef, user_id: str) -> None:
        try:
            await self.call("conversations_kick", channel=space.id, user=user_id)
        except Undeliverable as error:
            if str(error) != "not_in_channel":
                raise

    async def archive_space(self, space: SpaceRef) -> None:
        try:
            await self.call("conversations_archive", channel=space.id)
        except SlackApiError as error:
            if error_code(error) != "already_archived":
                raise

    # Messages --------------------------------------------------------------------------------

    async def post(self, space: SpaceRef, message: Message) -> MessageRef:
        return await self._post_parts(space.id, message)

    async def reply(self, thread: MessageRef, message: Message) -> MessageRef:
        return await self._post_parts(thread.space_id, message, thread_ts=thread.message_id)

    async def _post_parts(self, channel: str, message: Message, **extra: Any) -> MessageRef:
        """A message longer than Slack takes in one goes as several, in order; the first one is its
        reference (a round's thread hangs from it)."""
        first: MessageRef | None = None
        for part in blocks.message_parts(message):
            response = await self.call(
                "chat_postMessage", channel=channel, text=blocks.fallback_text(message), blocks=part, **extra
            )
            first = first or MessageRef(str(response.get("channel") or channel), str(response["ts"]))
        assert first is not None
        return first

    async def update(self, ref: MessageRef, message: Message) -> None:
        await self.call("chat_update", channel=ref.space_id, ts=ref.message_id, **_content(message))

    async def send_dm(self, user_id: str, message: Message) -> MessageRef:
        channel = await self._dm_channel(user_id)
        return await self._post_parts(channel, message)

    async def send_files(self, user_id: str, message: Message, files: Sequence[Attachment]) -> MessageRef:
        """The explanation first, then the files in the same DM (files upload v2: an upload URL per
        file, the bytes, then one completeUploadExternal that shares them in the DM channel)."""
        ref = await self.send_dm(user_id, message)
        if files:
            uploads = [
                {"content": f.content, "filename": f.filename, "title": f.title or f.filename, "alt_txt": f.title}
                for f in files
            ]
            await self.call("files_upload_v2", channel=ref.space_id, file_uploads=uploads)
        return ref

    async def _dm_channel(self, user_id: str) -> str:
        """The DM channel with a person, opened once per process (PLATFORM-FACTS: cache it)."""
        channel = self._dm_channels.get(user_id)
        if channel is None:
            response = await self.call("conversations_open", users=user_id)
            channel = str(response["channel"]["id"])
            self._dm_channels[user_id] = channel
        return channel

    async def open_form(self, trigger: str, user_id: str, form: Form, origin: str | None = None) -> None:
        await self.call("views_open", trigger_id=trigger, view=blocks.modal_view(form, origin))

    async def notify_privately(self, space: SpaceRef, user_id: str, message: Message) -> None:
        await self.call("chat_postEphemeral", channel=space.id, user=user_id, **_content(message))

    async def tell_privately(self, user_id: str, message: Message, channel: str | None, thread: str | None) -> None:
        """An answer only `user_id` sees: ephemeral where they acted, else in their DM."""
        if channel and not channel.startswith("D"):
            extra = {"thread_ts": thread} if thread else {}
            try:
                await self.call("chat_postEphemeral", channel=channel, user=user_id, **extra, **_content(message))
                return
            except (Undeliverable, SlackApiError) as error:  # gone, left, or never ours: their DM still works
                log.info("ephemeral answer in %s failed (%s): answering in a DM", channel, error)
        await self.send_dm(user_id, message)

    async def mark_not_taken(self, channel: str, ts: str) -> None:
        """A member's thread message the circle did not take. A bot token cannot delete it on Slack,
        so it is marked plainly instead (the reason went to them privately)."""
        await self.call("reactions_add", channel=channel, timestamp=ts, name=NOT_TAKEN_REACTION)

    async def publish_home(self, user_id: str, message: Message) -> None:
        await self.call("views_publish", user_id=user_id, view=blocks.home_view(message))


def _content(message: Message) -> dict[str, Any]:
    return {"text": blocks.fallback_text(message), "blocks": blocks.message_blocks(message)}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def channel_name(circle_name: str) -> str:
    """Slack channel names: lowercase letters, digits, - and _, at most 80 characters."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", circle_name.lower()).strip("-") or "circle"
    return f"circle-{slug}"[:CHANNEL_NAME_LIMIT]


class SlackPorts:
    """One port per workspace, kept for the process so DM channel ids stay cached. The bot token is
    SLACK_BOT_TOKEN (one workspace) or the workspace's installation, found in the installation store."""

    def __init__(self, api_url: str | None, bot_token: str | None) -> None:
        self.api_url = api_url
        self.bot_token = bot_token
        self._store: AsyncInstallationStore | None = None
        self._ports: dict[str, SlackPort] = {}

    def use_installation_store(self, store: AsyncInstallationStore) -> None:
        self._store = store

    def client(self, token: str | None = None) -> AsyncWebClient:
        return web_client(self.api_url, token)  # type: ignore[no-any-return]

    def sending_client(self, token: str | None) -> AsyncWebClient:
        """The ports' client waits out no 429 on its own: the dispatcher pauses the whole bucket
        for Retry-After and keeps the message, rather than each message knocking again by itself."""
        return web_client(self.api_url, token, rate_limit_retries=0)  # type: ignore[no-any-return]

    def port_for(self, workspace: Workspace) -> SlackPort:
        """The core's `PortFor`: the port of the workspace an effect belongs to."""
        return self.for_team(workspace.external_id)

    def for_team(self, team_id: str) -> SlackPort:
        port = self._ports.get(team_id)
        if port is None:
            if self._store is None:
                port = SlackPort(self.sending_client(self.bot_token))
            else:
                port = SlackPort(self.sending_client(None), self._token_finder(team_id))
            self._ports[team_id] = port
        return port

    def remember_token(self, team_id: str, token: str | None) -> None:
        """Bolt already found this team's token for the request: spare the port a store lookup."""
        if token and self._store is not None:
            port = self.for_team(team_id)
            if port.client.token is None:
                port.client.token = token

    def _token_finder(self, team_id: str) -> TokenLookup:
        store = self._store
        assert store is not None

        async def find() -> str | None:
            bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
            return bot.bot_token if bot is not None else None

        return find
