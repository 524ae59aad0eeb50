"""A fake Slack over real HTTP: the Web API the app calls, and signed requests Slack sends the app.

`FakeSlack` is an aiohttp server on 127.0.0.1 (port 0) that answers the Web API methods the bot
uses from an in-memory model of channels, members, messages and views, so tests can say "private
channel C1 has members X and Y" or "that message's header was updated". Every call is recorded and
checked against Slack's published Web API spec (method known, required parameters present, no
unknown parameters) and every Block Kit payload against `slack_sdk.models`; anything wrong lands in
`violations`, which tests assert is empty. `rate_limit(method, times)` answers the next calls of a
method with 429 and Retry-After, as Slack does.

`SlackSender` plays Slack's side of inbound traffic: slash commands, button clicks, modal
submissions and events, signed with the signing secret exactly as Slack signs them.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import ClientSession, web
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from tests.fakes.shared import shared_path

SPEC = shared_path("specs", "slack", "slack_web_openapi_v2.json")
# The spec is from 2020 (its README lists the gaps): Bolt adds team_id; newer parameters are allowed.
ALLOWED_EXTRA = {"team_id", "metadata", "markdown_text"}
# Methods newer than the spec: (parameters, required parameters), from their method pages.
ADDED_SINCE_SPEC: dict[str, tuple[set[str], set[str]]] = {
    "apps.connections.open": (set(), set()),
    # files upload v2 (docs.slack.dev/reference/methods/files.getUploadURLExternal, …completeUploadExternal)
    "files.getUploadURLExternal": ({"filename", "length", "alt_txt", "snippet_type"}, {"filename", "length"}),
    "files.completeUploadExternal": (
        {"files", "channel_id", "channels", "initial_comment", "thread_ts", "blocks"},
        {"files"},
    ),
}
MAX_UPLOAD = 1024 * 1024 * 1024  # files.getUploadURLExternal: length up to 1 GB
NO_TOKEN_METHODS = {"oauth.v2.access", "oauth.access"}
JSON_FIELDS = ("blocks", "view", "attachments")
BROADCAST = re.compile(r"<!(channel|here|everyone|subteam\^[A-Z0-9]+)[|>]|<@[UW][A-Z0-9]+[|>]")
MESSAGE_TEXT_LIMIT = 40_000  # chat.postMessage: longer text is refused with msg_too_long
CHANNEL_NAME = re.compile(r"^[a-z0-9_-]{1,80}$")
Json = dict[str, Any]


@lru_cache(maxsize=1)
def web_api_spec() -> dict[str, Any]:
    """Loaded once per test session."""
    spec: dict[str, Any] = json.loads(SPEC.read_text())
    return spec


def spec_parameters(method: str) -> tuple[set[str], set[str]] | None:
    """(all parameters, required parameters) of a method, token aside; None for an unknown method."""
    path = web_api_spec()["paths"].get(f"/{method}")
    if path is None:
        return ADDED_SINCE_SPEC.get(method)
    names: set[str] = set()
    required: set[str] = set()
    for operation in path.values():  # the spec's verbs are ignored: slack_sdk POSTs (or GETs) as it likes
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "token":
                continue
            names.add(parameter["name"])
            if parameter.get("required"):
                required.add(parameter["name"])
    return names, required


def spec_example(method: str) -> Json:
    """The spec's own example of a successful answer: realistic fields we then fill in."""
    path = web_api_spec()["paths"].get(f"/{method}", {})
    for operation in path.values():
        example = operation.get("responses", {}).get("200", {}).get("examples", {}).get("application/json")
        if isinstance(example, dict):
            return copy.deepcopy(example)
    return {"ok": True}


def block_kit_problems(payload: Any, where: str) -> list[str]:
    """What Slack would refuse in a list of blocks or a view, judged by slack_sdk.models."""
    problems: list[str] = []
    try:
        if where == "view":
            View(**payload).validate_json()
            items = payload.get("blocks", [])
        else:
            items = payload
            if len(items) > 50:
                problems.append(f"{len(items)} blocks in a message (limit 50)")
        for item in items:
            block = Block.parse(item)
            if block is None:
                problems.append(f"unknown block {item!r:.80}")
                continue
            block.validate_json()
            ids = [e.get("action_id") for e in item.get("elements", []) if isinstance(e, dict)]
            if len(ids) != len(set(ids)):
                problems.append(f"duplicate action_id in a block: {ids}")
    except Exception as error:
        problems.append(f"{where}: {error}")
    return problems


def texts_in(payload: Any) -> Iterator[str]:
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from texts_in(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from texts_in(item)


@dataclass
class Call:
    method: str
    params: Json
    token: str | None
    status: int = 200

    def __getitem__(self, key: str) -> Any:
        return self.params[key]


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool
    team: str
    members: set[str] = field(default_factory=set)
    purpose: str = ""
    topic: str = ""
    archived: bool = False
    dm_user: str | None = None


@dataclass
class Posted:
    channel: str
    ts: str
    text: str
    blocks: list[Json]
    thread_ts: str | None = None
    edits: list[tuple[str, list[Json]]] = field(default_factory=list)

    @property
    def all_text(self) -> str:
        return "\n".join([self.text, *texts_in(self.blocks)])


@dataclass
class Upload:
    """A file on its way: announced (getUploadURLExternal), sent (the upload URL), then shared."""

    id: str
    filename: str
    length: int
    alt_txt: str = ""
    content: bytes | None = None
    title: str = ""
    channel: str | None = None


@dataclass
class User:
    id: str
    name: str
    tz: str = "Europe/London"
    team: str = "T1"
    disabled: bool = False
    is_bot: bool = False


class SlackError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.broadcasts: list[str] = []
        self.refusals: list[str] = []  # requests refused as Slack would (too long, invalid blocks)
        self.channels: dict[str, Channel] = {}
        self.messages: dict[tuple[str, str], Posted] = {}
        self.reactions: dict[tuple[str, str], list[str]] = {}  # (channel, ts) -> reaction names
        self.member_messages: dict[tuple[str, str], Posted] = {}  # what people typed (thread replies)
        self.ephemerals: list[Call] = []
        self.views: list[Json] = []
        self.homes: dict[str, Json] = {}
        self.uploads: dict[str, Upload] = {}
        self.responses: dict[str, list[Json]] = {}
        self.users: dict[str, User] = {}
        self.tokens: dict[str, str] = {"xoxb-test": "T1", "xapp-test": "T1"}
        self.socket: web.WebSocketResponse | None = None
        self._acks: dict[str, asyncio.Future[Json]] = {}
        self.bot_user = "UBOT"
        self.oauth_team = "T2"
        self._limits: dict[str, list[int]] = {}
        self._failures: dict[str, list[str]] = {}
        self._ids = itertools.count(1)
        self._clock = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # Life cycle ------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{id}", self._response_url)
        app.router.add_post("/upload/{id}", self._upload)
        app.router.add_get("/socket", self._socket_mode)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    @property
    def api_url(self) -> str:
        return self.url + "api/"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # Test controls ---------------------------------------------------------------------------

    def add_user(self, user_id: str, name: str, tz: str = "Europe/London", **flags: Any) -> User:
        user = User(user_id, name, tz, **flags)
        self.users[user_id] = user
        return user

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` get 429 with Retry-After, as Slack answers a burst."""
        self._limits.setdefault(method, []).extend([retry_after] * times)

    def fail(self, method: str, error: str, times: int = 1) -> None:
        self._failures.setdefault(method, []).extend([error] * times)

    def new_response_url(self) -> tuple[str, str]:
        key = uuid.uuid4().hex
        self.responses[key] = []
        return key, f"{self.url}response/{key}"

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        """Waits until a call makes `condition` true (a safety timeout, not a timing sleep)."""
        async with asyncio.timeout(10), self._changed:
            await self._changed.wait_for(condition)

    # Reading what happened -------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    def private_channels(self) -> list[Channel]:
        return [c for c in self.channels.values() if c.is_private and c.dm_user is None]

    def channel_named(self, name: str) -> Channel:
        return next(c for c in self.channels.values() if c.name == name)

    def in_channel(self, channel: str, thread_ts: str | None = None) -> list[Posted]:
        return [
            m
            for m in self.messages.values()
            if m.channel == channel and (thread_ts is None or m.thread_ts == thread_ts or m.ts == thread_ts)
        ]

    def dms_to(self, user: str) -> list[Posted]:
        dm = next((c.id for c in self.channels.values() if c.dm_user == user), None)
        return [m for m in self.messages.values() if m.channel == dm]

    def files_in(self, channel: str) -> list[Upload]:
        """Files shared in a channel (a DM included), in the order they were completed."""
        return [u for u in self.uploads.values() if u.channel == channel]

    def ephemeral_texts(self, user: str) -> list[str]:
        texts = ["\n".join([c.params.get("text", ""), *texts_in(c.params.get("blocks"))]) for c in self.ephemerals]
        users = [c.params.get("user") for c in self.ephemerals]
        return [t for t, u in zip(texts, users, strict=True) if u == user]

    def response_texts(self, key: str) -> list[str]:
        return ["\n".join([p.get("text", ""), *texts_in(p.get("blocks"))]) for p in self.responses.get(key, [])]

    # HTTP ------------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        token = _token(request, params)
        params.pop("token", None)
        call = Call(method, params, token)
        self.calls.append(call)
        try:
            limits = self._limits.get(method)
            if limits:
                call.status = 429
                retry_after = limits.pop(0)
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(retry_after)}
                )
            self._check(call)
            failures = self._failures.get(method)
            if failures:
                raise SlackError(failures.pop(0))
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            if handler is None:
                raise SlackError("unknown_method")
            body: Json = {"ok": True, **handler(call)}
            return web.json_response(body)
        except SlackError as error:
            call.status = 400  # Slack answers 200 with ok=false; the status here only marks it for tests
            return web.json_response({"ok": False, "error": error.code})
        finally:
            async with self._changed:
                self._changed.notify_all()

    async def _response_url(self, request: web.Request) -> web.Response:
        key = request.match_info["id"]
        if key not in self.responses:
            return web.Response(status=404, text="no_active_hooks")
        payload = await request.json()
        self._check_content(f"response_url {key}", payload)
        self.responses[key].append(payload)
        async with self._changed:
            self._changed.notify_all()
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL of files upload v2: the raw bytes, which must be as long as announced."""
        upload = self.uploads.get(request.match_info["id"])
        if upload is None or upload.content is not None:
            return web.Response(status=404, text="upload_not_found")
        body = await request.read()
        if len(body) != upload.length:
            self.violations.append(f"upload {upload.filename}: {len(body)} bytes, {upload.length} announced")
            return web.Response(status=400, text="length_mismatch")
        upload.content = body
        return web.Response(text=f"OK - {len(body)}")

    async def _socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: Slack's side of the WebSocket the app opens with its app-level token."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.socket = socket
        await socket.send_json({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}})
        async with self._changed:
            self._changed.notify_all()
        async for frame in socket:
            if frame.type.name != "TEXT":
                continue
            answer = json.loads(frame.data)
            waiting = self._acks.pop(str(answer.get("envelope_id")), None)
            if waiting is not None and not waiting.done():
                waiting.set_result(answer)
        return socket

    async def send_envelope(self, kind: str, payload: Json) -> Json:
        """Delivers one request over Socket Mode and returns the app's acknowledgement."""
        assert self.socket is not None, "the app has not connected"
        envelope_id = uuid.uuid4().hex
        self._acks[envelope_id] = asyncio.get_running_loop().create_future()
        await self.socket.send_json(
            {"envelope_id": envelope_id, "type": kind, "payload": payload, "accepts_response_payload": True}
        )
        async with asyncio.timeout(10):
            return await self._acks[envelope_id]

    def _check(self, call: Call) -> None:
        known = spec_parameters(call.method)
        if known is None:
            self.violations.append(f"{call.method}: not a Web API method")
            raise SlackError("unknown_method")
        names, required = known
        missing = required - set(call.params)
        unknown = set(call.params) - names - ALLOWED_EXTRA
        if missing:
            self.violations.append(f"{call.method}: missing required {sorted(missing)}")
        if unknown:
            self.violations.append(f"{call.method}: unknown parameters {sorted(unknown)}")
        if call.method not in NO_TOKEN_METHODS:
            if not call.token:
                self.violations.append(f"{call.method}: no token")
                raise SlackError("not_authed")
            if call.token not in self.tokens:
                raise SlackError("invalid_auth")
        problems = self._check_content(call.method, call.params)
        if len(str(call.params.get("text") or "")) > MESSAGE_TEXT_LIMIT:
            self.refusals.append(f"{call.method}: text over {MESSAGE_TEXT_LIMIT} characters")
            raise SlackError("msg_too_long")
        if problems:  # as Slack does: the whole request is refused
            self.refusals.extend(problems)
            raise SlackError("invalid_blocks" if "blocks" in call.params else "invalid_arguments")

    def _check_content(self, where: str, params: Json) -> list[str]:
        problems: list[str] = []
        if "blocks" in params and params["blocks"] is not None:
            problems.extend(f"{where}: {p}" for p in block_kit_problems(params["blocks"], "blocks"))
        if "view" in params:
            problems.extend(f"{where}: {p}" for p in block_kit_problems(params["view"], "view"))
        self.violations.extend(problems)
        for text in texts_in(params):
            if BROADCAST.search(text):
                self.broadcasts.append(f"{where}: {text[:200]}")
        return problems

    # Model helpers ---------------------------------------------------------------------------

    def _team(self, call: Call) -> str:
        return self.tokens.get(call.token or "", "T1")

    def _channel(self, channel_id: str) -> Channel:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _user(self, user_id: str) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise SlackError("user_not_found")
        return user

    def _ts(self) -> str:
        return f"{1_790_000_000 + next(self._clock)}.{next(self._ids):06d}"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    # Web API methods -------------------------------------------------------------------------

    def _auth_test(self, call: Call) -> Json:
        team = self._team(call)
        return {
            "url": f"https://{team.lower()}.slack.com/",
            "team": f"Team {team}",
            "user": "circles",
            "team_id": team,
            "user_id": self.bot_user,
            "bot_id": "BBOT",
            "is_enterprise_install": False,
        }

    def _users_info(self, call: Call) -> Json:
        user = self._user(str(call.params.get("user", "")))
        info = spec_example("users.info").get("user", {})
        info.update(
            id=user.id,
            team_id=user.team,
            name=user.name.lower(),
            real_name=user.name,
            tz=user.tz,
            tz_label=user.tz,
            deleted=user.disabled,
            is_bot=user.is_bot,
        )
        info["profile"] = {**info.get("profile", {}), "display_name": user.name, "real_name": user.name}
        return {"user": info}

    def _conversations_create(self, call: Call) -> Json:
        name = str(call.params.get("name", ""))
        if not CHANNEL_NAME.match(name):
            raise SlackError("invalid_name_specials")
        if any(c.name == name for c in self.channels.values()):
            raise SlackError("name_taken")
        is_private = str(call.params.get("is_private", "false")).lower() in ("1", "true")
        channel = Channel(self._new_id("C"), name, is_private, self._team(call), {self.bot_user})
        self.channels[channel.id] = channel
        body = spec_example("conversations.create")["channel"]
        body.update(id=channel.id, name=name, name_normalized=name, is_private=is_private, creator=self.bot_user)
        return {"channel": body}

    def _conversations_invite(self, call: Call) -> Json:
        channel = self._open_channel(call)
        users = [u for u in str(call.params.get("users", "")).split(",") if u]
        if not users:
            raise SlackError("no_user")
        for user in users:
            if user == self.bot_user:
                raise SlackError("cant_invite_self")
            if self._user(user).disabled:
                raise SlackError("user_is_restricted")
        if all(u in channel.members for u in users):
            raise SlackError("already_in_channel")
        channel.members.update(users)
        return {"channel": {"id": channel.id, "name": channel.name, "is_private": channel.is_private}}

    def _conversations_kick(self, call: Call) -> Json:
        channel = self._open_channel(call)
        user = str(call.params.get("user", ""))
        if user not in channel.members:
            raise SlackError("not_in_channel")
        channel.members.discard(user)
        return {}

    def _conversations_archive(self, call: Call) -> Json:
        channel = self._channel(str(call.params.get("channel", "")))
        if channel.archived:
            raise SlackError("already_archived")
        channel.archived = True
        return {}

    def _conversations_setPurpose(self, call: Call) -> Json:
        channel = self._open_channel(call)
        channel.purpose = _limited(str(call.params.get("purpose", "")), 250)
        return {"purpose": channel.purpose}

    def _conversations_setTopic(self, call: Call) -> Json:
        channel = self._open_channel(call)
        channel.topic = _limited(str(call.params.get("topic", "")), 250)
        return {"channel": {"id": channel.id, "topic": {"value": channel.topic}}}

    def _conversations_open(self, call: Call) -> Json:
        user = self._user(str(call.params.get("users", "")))
        if user.is_bot:
            raise SlackError("cannot_dm_bot")
        if user.disabled:
            raise SlackError("user_disabled")
        channel = next((c for c in self.channels.values() if c.dm_user == user.id), None)
        if channel is None:
            channel = Channel(self._new_id("D"), user.id, True, user.team, {self.bot_user, user.id}, dm_user=user.id)
            self.channels[channel.id] = channel
        return {"channel": {"id": channel.id}}

    def _chat_postMessage(self, call: Call) -> Json:
        channel = self._open_channel(call)
        self._require_content(call)
        thread_ts = call.params.get("thread_ts")
        if thread_ts and (channel.id, str(thread_ts)) not in self.messages:
            raise SlackError("thread_not_found")
        posted = Posted(
            channel.id,
            self._ts(),
            str(call.params.get("text", "")),
            _blocks(call),
            str(thread_ts) if thread_ts else None,
        )
        self.messages[(channel.id, posted.ts)] = posted
        return {"channel": channel.id, "ts": posted.ts, "message": {"text": posted.text, "ts": posted.ts}}

    def _reactions_add(self, call: Call) -> Json:
        key = (str(call["channel"]), str(call["timestamp"]))
        if key not in self.messages and key not in self.member_messages:
            raise SlackError("message_not_found")
        self.reactions.setdefault(key, []).append(str(call["name"]))
        return {}

    def _chat_update(self, call: Call) -> Json:
        channel = self._open_channel(call)
        posted = self.messages.get((channel.id, str(call.params.get("ts", ""))))
        if posted is None:
            raise SlackError("message_not_found")
        self._require_content(call)
        posted.edits.append((posted.text, posted.blocks))
        posted.text, posted.blocks = str(call.params.get("text", "")), _blocks(call)
        return {"channel": channel.id, "ts": posted.ts, "text": posted.text}

    def _chat_postEphemeral(self, call: Call) -> Json:
        channel = self._open_channel(call)
        user = str(call.params.get("user", ""))
        self._user(user)
        if user not in channel.members:
            raise SlackError("user_not_in_channel")
        self._require_content(call)
        self.ephemerals.append(call)
        return {"message_ts": self._ts()}

    def _views_open(self, call: Call) -> Json:
        view = _json_field(call.params.get("view"))
        if not str(call.params.get("trigger_id", "")):
            raise SlackError("invalid_trigger_id")
        opened = {**view, "id": self._new_id("V"), "hash": uuid.uuid4().hex[:12]}
        self.views.append(opened)
        return {"view": opened}

    def _views_publish(self, call: Call) -> Json:
        view = _json_field(call.params.get("view"))
        user = str(call.params.get("user_id", ""))
        self._user(user)
        self.homes[user] = view
        return {"view": {**view, "id": self._new_id("V")}}

    def _files_getUploadURLExternal(self, call: Call) -> Json:
        filename = str(call.params.get("filename", ""))
        length = str(call.params.get("length", ""))
        if not filename:
            raise SlackError("invalid_arguments")
        if not length.isdigit() or not 0 < int(length) <= MAX_UPLOAD:
            raise SlackError("invalid_length")
        upload = Upload(self._new_id("F"), filename, int(length), str(call.params.get("alt_txt", "")))
        self.uploads[upload.id] = upload
        return {"upload_url": f"{self.url}upload/{upload.id}", "file_id": upload.id}

    def _files_completeUploadExternal(self, call: Call) -> Json:
        entries = _json_field_list(call.params.get("files"))
        channel_id = call.params.get("channel_id")
        channel = self._channel(str(channel_id)) if channel_id else None
        if channel is not None and (channel.archived or self.bot_user not in channel.members):
            raise SlackError("not_in_channel")
        if call.params.get("channels"):
            self.violations.append("files.completeUploadExternal: shared to several channels at once")
        shared = []
        for entry in entries:
            upload = self.uploads.get(str(entry.get("id", "")))
            if upload is None or upload.content is None or upload.channel is not None:
                raise SlackError("file_not_found")
            upload.title = str(entry.get("title") or upload.filename)
            upload.channel = channel.id if channel else None
            shared.append({"id": upload.id, "name": upload.filename, "title": upload.title, "size": upload.length})
        return {"files": shared}

    def _apps_connections_open(self, call: Call) -> Json:
        if not (call.token or "").startswith("xapp-"):
            raise SlackError("not_allowed_token_type")
        return {"url": self.url.replace("http://", "ws://") + "socket"}

    def _oauth_v2_access(self, call: Call) -> Json:
        if str(call.params.get("code", "")) != "good-code":
            raise SlackError("invalid_code")
        token = f"xoxb-{self.oauth_team}-installed"
        self.tokens[token] = self.oauth_team
        return {
            "app_id": "A0FAKE",
            "authed_user": {"id": "UINSTALLER"},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": self.bot_user,
            "team": {"id": self.oauth_team, "name": "Second team"},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _open_channel(self, call: Call) -> Channel:
        channel = self._channel(str(call.params.get("channel", "")))
        if channel.archived:
            raise SlackError("is_archived")
        if self.bot_user not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _require_content(self, call: Call) -> None:
        if not call.params.get("text") and not call.params.get("blocks"):
            raise SlackError("no_text")


async def _params(request: web.Request) -> Json:
    """Query string, form body or JSON body: slack_sdk uses each for different methods."""
    params: Json = dict(request.query)
    raw = await request.read()
    if raw:
        if request.content_type == "application/json":
            params.update(json.loads(raw))
        else:
            params.update(dict(parse_qsl(raw.decode(), keep_blank_values=True)))
    for key in JSON_FIELDS:
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


def _token(request: web.Request, params: Json) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer ") :]
    token = params.get("token")
    return str(token) if token else None


def _blocks(call: Call) -> list[Json]:
    value = call.params.get("blocks") or []
    return list(value) if isinstance(value, list) else []


def _json_field(value: Any) -> Json:
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        raise SlackError("invalid_arguments")
    return value


def _json_field_list(value: Any) -> list[Json]:
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise SlackError("invalid_arguments")
    return value


def _limited(text: str, limit: int) -> str:
    if len(text) > limit:
        raise SlackError("too_long")
    return text


# Inbound: Slack's side -------------------------------------------------------------------------


@dataclass
class Sent:
    status: int
    body: str
    elapsed: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class SlackSender:
    """Posts to the app's /slack/events exactly as Slack does: form or JSON body, signed."""

    url: str
    signing_secret: str
    slack: FakeSlack
    session: ClientSession
    team: str = "T1"
    _triggers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def trigger(self) -> str:
        return f"{next(self._triggers)}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Sent:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        base = f"v0:{stamp}:{body}".encode()
        digest = "v0=" + hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature or digest,
            **(headers or {}),
        }
        started = time.perf_counter()
        async with self.session.post(self.url, data=body.encode(), headers=all_headers) as response:
            text = await response.text()
            return Sent(response.status, text, time.perf_counter() - started)

    async def command(self, user: str, text: str, channel: str = "C0GENERAL", **kwargs: Any) -> tuple[Sent, str]:
        """`/circle TEXT`; returns the ack and the key of its response_url (see FakeSlack.responses)."""
        key, response_url = self.slack.new_response_url()
        form = {
            "token": "legacy-verification-token",
            "team_id": self.team,
            "team_domain": "circles",
            "channel_id": channel,
            "channel_name": "somewhere",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/circle",
            "text": text,
            "api_app_id": "A0FAKE",
            "response_url": response_url,
            "trigger_id": self.trigger(),
        }
        sent = await self.post(urlencode(form), "application/x-www-form-urlencoded", **kwargs)
        return sent, key

    async def press(
        self, user: str, button: Json, channel: str | None = None, message_ts: str | None = None, home: bool = False
    ) -> tuple[Sent, str]:
        """A click on a rendered button (a Block Kit element dict as we sent it)."""
        key, response_url = self.slack.new_response_url()
        payload: Json = {
            "type": "block_actions",
            "team": {"id": self.team, "domain": "circles"},
            "user": {"id": user, "name": user.lower(), "team_id": self.team},
            "api_app_id": "A0FAKE",
            "trigger_id": self.trigger(),
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "block_id": "b1",
                    "text": button["text"],
                    "value": button.get("value", ""),
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if home:
            payload["container"] = {"type": "view", "view_id": "VHOME"}
            payload["view"] = {"id": "VHOME", "type": "home"}
        else:
            payload["container"] = {"type": "message", "message_ts": message_ts, "channel_id": channel}
            payload["channel"] = {"id": channel, "name": "circle"}
            payload["response_url"] = response_url
        return await self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"), key

    async def submit(self, user: str, view: Json, values: dict[str, str]) -> Sent:
        """Submits an opened modal (as we sent it) with `values` typed into its inputs."""
        state: dict[str, Json] = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            element = block["element"]
            raw = values.get(block["block_id"])
            if element["type"] == "static_select":
                chosen = None if raw is None else {"text": {"type": "plain_text", "text": raw}, "value": raw}
                answer: Json = {"type": "static_select", "selected_option": chosen}
            else:
                answer = {"type": element["type"], "value": raw}
            state[block["block_id"]] = {element["action_id"]: answer}
        payload = {
            "type": "view_submission",
            "team": {"id": self.team, "domain": "circles"},
            "user": {"id": user, "name": user.lower(), "team_id": self.team},
            "api_app_id": "A0FAKE",
            "trigger_id": self.trigger(),
            "view": {**view, "state": {"values": state}},
        }
        return await self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    async def event(self, event: Json, event_id: str | None = None, retry: int | None = None) -> Sent:
        envelope = {
            "token": "legacy-verification-token",
            "team_id": self.team,
            "api_app_id": "A0FAKE",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team, "user_id": self.slack.bot_user, "is_bot": True}],
        }
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return await self.post(json.dumps(envelope), "application/json", headers=headers)

    async def thread_reply(self, user: str, channel: str, thread_ts: str, text: str, **kwargs: Any) -> Sent:
        event = {
            "type": "message",
            "channel": channel,
            "channel_type": "group",
            "user": user,
            "text": text,
            "ts": f"{time.time():.6f}",
            "thread_ts": thread_ts,
        }
        self.slack.member_messages[(channel, event["ts"])] = Posted(channel, event["ts"], text, [], thread_ts)
        return await self.event(event, **kwargs)
