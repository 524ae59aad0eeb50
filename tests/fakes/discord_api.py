"""A fake Discord on 127.0.0.1: the REST routes the bot uses and a gateway WebSocket.

The real discord.py client logs in, connects and talks to it as to Discord. Every request it sends,
and every answer the fake gives, is checked against Discord's OpenAPI description; what fails is
collected in `violations`, which tests assert empty. Tests drive members by injecting gateway
dispatches (INTERACTION_CREATE, MESSAGE_CREATE) and read the fake's state: channels with their
permission overwrites, messages, threads, DMs and the answers to each interaction.
"""

from __future__ import annotations

import asyncio
import email
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_spec import DiscordSpec, SpecRequest, SpecResponse

API = "/api/v10"
FILES = web.RequestKey("files", list)  # the file parts of a multipart request
EVERYONE_PERMISSIONS = "1071698660929"  # a default @everyone role: view, send, read history, threads…
Json = dict[str, Any]
Handler = Callable[[web.Request, re.Match[str], Any], Awaitable[tuple[int, Any]]]


class FakeError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class Person:
    id: int
    username: str
    dms_open: bool = True

    def user(self) -> Json:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.username.title(),
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "bot": False,
            "primary_guild": None,
        }

    def member(self) -> Json:
        return {
            "user": self.user(),
            "roles": [],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "communication_disabled_until": None,
        }


@dataclass
class RateLimitTrap:
    method: str
    path: re.Pattern[str]
    retry_after: float
    sprung: int = 0


@dataclass
class FakeDiscord:
    spec: DiscordSpec | None = None
    # Check only the first N requests of each shape (route, and the body's keys and types) against
    # the spec (None: every one). A long scenario sends the same few shapes hundreds of times, and
    # checking one costs tens of milliseconds.
    checked_per_shape: int | None = None
    token: str = "fake-bot-token"
    app_id: int = 900000000000000001
    bot_id: int = 900000000000000002
    guilds: dict[int, Json] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)
    channels: dict[int, Json] = field(default_factory=dict)
    messages: dict[int, list[Json]] = field(default_factory=dict)  # channel id -> messages
    interactions: dict[int, list[Json]] = field(default_factory=dict)  # interaction id -> responses
    commands: list[Json] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    identified: list[Json] = field(default_factory=list)
    traps: list[RateLimitTrap] = field(default_factory=list)
    events: dict[int, Json] = field(default_factory=dict)  # scheduled events by id
    files: dict[int, list[tuple[str, bytes]]] = field(default_factory=dict)  # message id -> attachments
    deleted: list[Json] = field(default_factory=list)  # messages the bot deleted
    refusals: list[str] = field(default_factory=list)  # messages refused for breaking Discord's limits
    nonces: dict[tuple[int, str], tuple[float, Json]] = field(default_factory=dict)
    nonce_hits: int = 0  # sends absorbed by enforce_nonce

    def __post_init__(self) -> None:
        self._ids = itertools.count(1_200_000_000_000_000_000)
        self._seq = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._tokens: dict[str, int] = {}  # interaction token -> interaction id
        self._checked: dict[str, int] = {}  # shape -> requests seen, for checked_per_shape
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            (m, re.compile(p + "$"), h)
            for m, p, h in (
                ("GET", r"/users/@me", self._me),
                ("GET", r"/oauth2/applications/@me", self._application),
                ("GET", r"/gateway", self._gateway),
                ("GET", r"/gateway/bot", self._gateway_bot),
                ("PUT", r"/applications/(?P<app>\d+)/commands", self._put_commands),
                ("GET", r"/guilds/(?P<guild>\d+)/channels", self._list_channels),
                ("GET", r"/guilds/(?P<guild>\d+)/members/(?P<user>\d+)", self._get_member),
                ("POST", r"/guilds/(?P<guild>\d+)/channels", self._create_channel),
                ("GET", r"/channels/(?P<channel>\d+)", self._get_channel),
                ("PATCH", r"/channels/(?P<channel>\d+)", self._edit_channel),
                ("PUT", r"/channels/(?P<channel>\d+)/permissions/(?P<target>\d+)", self._put_overwrite),
                ("DELETE", r"/channels/(?P<channel>\d+)/permissions/(?P<target>\d+)", self._delete_overwrite),
                ("POST", r"/channels/(?P<channel>\d+)/messages", self._create_message),
                ("PATCH", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)", self._edit_message),
                ("DELETE", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)", self._delete_message),
                ("POST", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)/threads", self._start_thread),
                ("POST", r"/users/@me/channels", self._open_dm),
                ("GET", r"/guilds/(?P<guild>\d+)/scheduled-events", self._list_events),
                ("POST", r"/guilds/(?P<guild>\d+)/scheduled-events", self._create_event),
                ("PATCH", r"/guilds/(?P<guild>\d+)/scheduled-events/(?P<event>\d+)", self._edit_event),
                ("DELETE", r"/guilds/(?P<guild>\d+)/scheduled-events/(?P<event>\d+)", self._delete_event),
                ("POST", r"/interactions/(?P<interaction>\d+)/(?P<token>[^/]+)/callback", self._callback),
                ("POST", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)", self._followup),
                ("PATCH", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/@original", self._edit_original),
            )
        ]

    # Running ------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway-ws", self._gateway_socket)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway-ws"

    # Setting the scene --------------------------------------------------------------------------

    def snowflake(self) -> int:
        return next(self._ids)

    def add_guild(self, name: str = "Test guild") -> int:
        guild_id = self.snowflake()
        self.guilds[guild_id] = {"id": guild_id, "name": name, "members": {}}
        return guild_id

    def add_person(self, guild_id: int, username: str, dms_open: bool = True) -> Person:
        person = Person(self.snowflake(), username, dms_open)
        self.people[person.id] = person
        self.guilds[guild_id]["members"][person.id] = person
        return person

    def add_text_channel(self, guild_id: int, name: str) -> int:
        """A public channel where members type commands (everyone can see it)."""
        channel = self._channel_payload(guild_id, 0, name, None, [])
        self.channels[int(channel["id"])] = channel
        return int(channel["id"])

    def trap_rate_limit(self, method: str, path: str, retry_after: float = 0.05) -> RateLimitTrap:
        """The next matching request is answered 429 with `retry_after`, as Discord does."""
        trap = RateLimitTrap(method, re.compile(path), retry_after)
        self.traps.append(trap)
        return trap

    # Waiting on what the bot does ---------------------------------------------------------------

    async def until(self, check: Callable[[], Any], within: float = 10.0) -> Any:
        """Waits for the bot to make `check()` true: woken by every request, never by a timer."""
        async with self._changed:
            return await asyncio.wait_for(self._changed.wait_for(check), within)

    async def answer_to(self, interaction_id: int, within: float = 10.0) -> Json:
        """The interaction's final answer: a message, a modal or autocomplete choices."""

        def final() -> Json | None:
            for response in self.interactions.get(interaction_id, []):
                if response["type"] in (4, 7, 8, 9) or response["type"] == "followup":
                    return response
            return None

        return dict(await self.until(final, within))

    async def _changed_now(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # Gateway ------------------------------------------------------------------------------------

    async def dispatch(self, event: str, data: Json) -> None:
        if not self._sockets:
            raise RuntimeError("no client is connected to the fake gateway")
        payload = {"op": 0, "t": event, "s": next(self._seq), "d": data}
        for socket in self._sockets:
            await socket.send_str(json.dumps(payload))

    async def _gateway_socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        try:
            async for frame in socket:
                if frame.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(frame.data)
                if payload["op"] == 1:
                    await socket.send_json({"op": 11, "d": None, "s": None, "t": None})
                elif payload["op"] == 2:
                    self.identified.append(payload["d"])
                    await self._ready(socket)
                await self._changed_now()
        finally:
            self._sockets.remove(socket)
        return socket

    async def _ready(self, socket: web.WebSocketResponse) -> None:
        ready = {
            "v": 10,
            "user": self._bot_user(),
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.app_id), "flags": 0},
        }
        await socket.send_json({"op": 0, "t": "READY", "s": next(self._seq), "d": ready})
        for guild_id in self.guilds:
            await socket.send_json(
                {"op": 0, "t": "GUILD_CREATE", "s": next(self._seq), "d": self.guild_payload(guild_id)}
            )

    def guild_payload(self, guild_id: int) -> Json:
        guild = self.guilds[guild_id]
        members = [p.member() for p in guild["members"].values()]
        return {
            "id": str(guild_id),
            "name": guild["name"],
            "icon": None,
            "owner_id": str(next(iter(guild["members"]), self.bot_id)),
            "roles": [self._everyone(guild_id)],
            "emojis": [],
            "stickers": [],
            "features": [],
            "members": [*members, self._bot_member()],
            "member_count": len(members) + 1,
            "channels": [c for c in self.channels.values() if c.get("guild_id") == str(guild_id)],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "large": False,
            "unavailable": False,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "system_channel_flags": 0,
            "joined_at": "2026-01-01T00:00:00+00:00",
        }

    def _everyone(self, guild_id: int) -> Json:
        return {
            "id": str(guild_id),
            "name": "@everyone",
            "permissions": EVERYONE_PERMISSIONS,
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }

    def _bot_user(self) -> Json:
        return {
            "id": str(self.bot_id),
            "username": "peer-circles",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "public_flags": 0,
            "flags": 0,
            "mfa_enabled": False,
            "locale": "en-US",
            "primary_guild": None,
        }

    def _bot_member(self) -> Json:
        return {
            "user": self._bot_user(),
            "roles": [],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
        }

    # Injecting what members do ------------------------------------------------------------------

    def interaction(self, kind: int, guild_id: int | None, channel_id: int, user: Person, data: Json) -> Json:
        payload: Json = {
            "id": str(self.snowflake()),
            "application_id": str(self.app_id),
            "type": kind,
            "data": data,
            "token": f"itoken{self.snowflake()}",
            "version": 1,
            "channel_id": str(channel_id),
            "channel": self.channels[channel_id],
            "app_permissions": "2251799813685247",
            "locale": "en-GB",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id or user.id)},
            "context": 0 if guild_id else 1,
            "attachment_size_limit": 10_485_760,
        }
        self._tokens[payload["token"]] = int(payload["id"])
        if guild_id is not None:
            payload["guild_id"] = str(guild_id)
            payload["guild_locale"] = "en-US"
            payload["member"] = {**user.member(), "permissions": EVERYONE_PERMISSIONS}
        else:
            payload["user"] = user.user()
        return payload

    async def slash(self, guild_id: int, channel_id: int, user: Person, sub: str, **options: str | int | Person) -> int:
        """`/circle SUB option:value …` typed by `user`; returns the interaction id."""
        resolved: Json = {}
        typed: list[Json] = []
        for name, value in options.items():
            if isinstance(value, Person):
                resolved.setdefault("users", {})[str(value.id)] = value.user()
                resolved.setdefault("members", {})[str(value.id)] = {
                    k: v for k, v in value.member().items() if k != "user"
                } | {"permissions": EVERYONE_PERMISSIONS}
                typed.append({"name": name, "type": 6, "value": str(value.id)})
            else:
                typed.append({"name": name, "type": 4 if isinstance(value, int) else 3, "value": value})
        data: Json = {
            "id": str(self._command_id("circle")),
            "name": "circle",
            "type": 1,
            "options": [{"name": sub, "type": 1, "options": typed}],
        }
        if resolved:
            data["resolved"] = resolved
        return await self._inject(self.interaction(2, guild_id, channel_id, user, data))

    async def autocomplete(
        self, guild_id: int, channel_id: int, user: Person, sub: str, option: str, typed: str
    ) -> int:
        data = {
            "id": str(self._command_id("circle")),
            "name": "circle",
            "type": 1,
            "options": [
                {"name": sub, "type": 1, "options": [{"name": option, "type": 3, "value": typed, "focused": True}]}
            ],
        }
        return await self._inject(self.interaction(4, guild_id, channel_id, user, data))

    async def click(self, guild_id: int | None, channel_id: int, message: Json, custom_id: str, user: Person) -> int:
        payload = self.interaction(3, guild_id, channel_id, user, {"custom_id": custom_id, "component_type": 2})
        payload["message"] = message
        return await self._inject(payload)

    async def submit_modal(
        self,
        guild_id: int | None,
        channel_id: int,
        custom_id: str,
        values: dict[str, str],
        user: Person,
        chosen: dict[str, str] | None = None,
    ) -> int:
        """Text inputs in `values`; select menus in `chosen`, sent as Discord sends them (a list)."""
        rows = [
            {"type": 18, "id": index, "component": {"type": 4, "id": index + 10, "custom_id": name, "value": value}}
            for index, (name, value) in enumerate(values.items(), start=1)
        ]
        rows.extend(
            {"type": 18, "id": 50 + index, "component": {"type": 3, "id": 60 + index, "custom_id": n, "values": [v]}}
            for index, (n, v) in enumerate((chosen or {}).items())
        )
        payload = self.interaction(5, guild_id, channel_id, user, {"custom_id": custom_id, "components": rows})
        return await self._inject(payload)

    def member_message(self, channel_id: int, user: Person, content: str) -> Json:
        message = self._message(channel_id, content, user.user(), [], None)
        self.messages.setdefault(channel_id, []).append(message)
        return message

    async def deliver_message(self, guild_id: int, message: Json, user: Person) -> None:
        """MESSAGE_CREATE for a member's message (again, to test a re-delivery)."""
        member = {k: v for k, v in user.member().items() if k != "user"}
        await self.dispatch("MESSAGE_CREATE", {**message, "guild_id": str(guild_id), "member": member})

    async def _inject(self, payload: Json) -> int:
        self.interactions[int(payload["id"])] = []
        await self.dispatch("INTERACTION_CREATE", payload)
        return int(payload["id"])

    def _command_id(self, name: str) -> int:
        found = next((c for c in self.commands if c["name"] == name), None)
        return int(found["id"]) if found else self.app_id + 1

    # Reading the outcome ------------------------------------------------------------------------

    def channel_named(self, name: str) -> Json:
        return next(c for c in self.channels.values() if c.get("name") == name)

    def in_channel(self, channel_id: int) -> list[Json]:
        return self.messages.get(channel_id, [])

    def button_ids(self, message: Json) -> list[str]:
        return [b["custom_id"] for row in message.get("components", []) for b in row.get("components", [])]

    def bot_requests(self, method: str, pattern: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and re.fullmatch(pattern, r.path)]

    # REST ---------------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = request.path[len(API) :]
        raw = await request.read()
        body: Any = None
        if raw and request.content_type == "application/json":
            body = json.loads(raw)
        elif raw and request.content_type.startswith("multipart/"):
            body = await self._multipart_json(request, raw)
            request[FILES] = _multipart_files(request.headers.get("Content-Type", ""), raw)
        checked, content_type = raw, request.headers.get("Content-Type", "")
        if body is not None and content_type.startswith("multipart/"):
            # openapi-core cannot decode the spec's multipart schemas (their nullable type lists): the
            # payload_json part is checked as the JSON body it stands for; _attachments checks the files.
            checked, content_type = json.dumps(body).encode(), "application/json"
        spec_request = SpecRequest(
            request.method.lower(),
            request.path,
            checked or None,
            content_type,
            dict(request.query),
            {**request.headers, "Content-Type": content_type},
        )
        checking = self.spec is not None and self._worth_checking(request.method, path, body)
        refused = self.spec.request_errors(spec_request) if self.spec is not None and checking else []
        self.violations.extend(refused)
        recorded = Recorded(request.method, path, dict(request.query), body)
        self.requests.append(recorded)
        if refused:  # as Discord does: the request changes nothing
            status, payload, headers = 400, {"code": 50035, "message": "Invalid Form Body", "errors": {}}, {}
        else:
            status, payload, headers = await self._route(request, path, body)
        recorded.status = status
        data = None if payload is None else json.dumps(payload).encode()
        headers = {
            "X-RateLimit-Limit": "50",
            "X-RateLimit-Remaining": "49",
            "X-RateLimit-Reset": f"{datetime.now(UTC).timestamp() + 1:.3f}",
            "X-RateLimit-Reset-After": "1.000",
            "X-RateLimit-Bucket": f"fake-{request.method}-{re.sub(r'[0-9]+', 'N', path)}",
            **headers,
        }
        if self.spec is not None and checking:
            spec_response = SpecResponse(status, data, "application/json" if data is not None else "", headers)
            self.violations.extend(self.spec.response_errors(spec_request, spec_response))
        if data is None:
            response = web.Response(status=status, headers=headers)
        else:
            response = web.Response(status=status, body=data, headers={**headers, "Content-Type": "application/json"})
        await self._changed_now()
        return response

    def _worth_checking(self, method: str, path: str, body: Any) -> bool:
        if self.checked_per_shape is None:
            return True
        shape = f"{method} {re.sub(r'[0-9]+', 'N', path)} {_shape(body)}"
        self._checked[shape] = self._checked.get(shape, 0) + 1
        return self._checked[shape] <= self.checked_per_shape

    async def _multipart_json(self, request: web.Request, raw: bytes) -> Any:
        match = re.search(rb'name="payload_json"\r\n(?:[^\r\n]+\r\n)*\r\n(.*?)\r\n--', raw, re.S)
        return json.loads(match.group(1)) if match else None

    async def _route(self, request: web.Request, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        for trap in self.traps:
            if trap.sprung == 0 and trap.method == request.method and trap.path.fullmatch(path):
                trap.sprung += 1
                return (
                    429,
                    {
                        "message": "You are being rate limited.",
                        "retry_after": trap.retry_after,
                        "global": False,
                        "code": 0,
                    },
                    {
                        "Via": "1.1 google",
                        "Retry-After": "1",
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset-After": f"{trap.retry_after:.3f}",
                        "X-RateLimit-Scope": "user",
                    },
                )
        needs_token = not path.startswith(("/interactions/", "/webhooks/"))
        if needs_token and request.headers.get("Authorization") != f"Bot {self.token}":
            return 401, {"message": "401: Unauthorized", "code": 0}, {}
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and method == request.method:
                try:
                    status, payload = await handler(request, match, body)
                except FakeError as error:
                    return error.status, {"message": error.message, "code": error.code}, {}
                return status, payload, {}
        return 404, {"message": "404: Not Found", "code": 0}, {}

    async def _me(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        return 200, self._bot_user()

    async def _application(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        owner = {k: v for k, v in self._bot_user().items() if k not in ("mfa_enabled", "locale", "bot")}
        owner["id"] = str(self.bot_id + 100)
        owner["username"] = "owner"
        return 200, {
            "id": str(self.app_id),
            "name": "Peer Circles",
            "icon": None,
            "description": "",
            "type": None,
            "bot": {k: v for k, v in self._bot_user().items() if k not in ("mfa_enabled", "locale")},
            "verify_key": "0" * 64,
            "flags": 0,
            "flags_new": "0",
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "owner": owner,
            "approximate_guild_count": len(self.guilds),
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "team": None,
            "eligible_oauth2_scopes": [],
            "bot_public": False,
            "bot_require_code_grant": False,
            "max_participants": None,
            "tags": [],
        }

    async def _gateway(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    async def _gateway_bot(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}

    async def _put_commands(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        self.commands = [
            {
                "id": str(self.snowflake()),
                "application_id": str(self.app_id),
                "version": str(self.snowflake()),
                "type": command.get("type", 1),
                "name": command["name"],
                "description": command.get("description", ""),
                "default_member_permissions": command.get("default_member_permissions"),
                "contexts": command.get("contexts"),
                "integration_types": command.get("integration_types") or [0],
                "options": command.get("options") or [],
                "nsfw": bool(command.get("nsfw")),
            }
            for command in body
        ]
        return 200, self.commands

    def _channel_payload(
        self, guild_id: int, kind: int, name: str, parent: int | None, overwrites: list[Json], topic: str | None = None
    ) -> Json:
        return {
            "id": str(self.snowflake()),
            "type": kind,
            "guild_id": str(guild_id),
            "name": name,
            "position": len(self.channels),
            "flags": 0,
            "parent_id": str(parent) if parent else None,
            "permission_overwrites": [
                {"id": str(o["id"]), "type": int(o["type"]), "allow": str(o["allow"]), "deny": str(o["deny"])}
                for o in overwrites
            ],
            "nsfw": False,
            **({"topic": topic, "last_message_id": None, "rate_limit_per_user": 0} if kind == 0 else {}),
        }

    def _channel(self, channel_id: str) -> Json:
        channel = self.channels.get(int(channel_id))
        if channel is None:
            raise FakeError(404, 10003, "Unknown Channel")
        return channel

    async def _list_channels(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        guild = match["guild"]
        return 200, [c for c in self.channels.values() if c.get("guild_id") == guild and c["type"] in (0, 2, 4)]

    async def _create_channel(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        guild_id = int(match["guild"])
        if guild_id not in self.guilds:
            raise FakeError(404, 10004, "Unknown Guild")
        parent = body.get("parent_id")
        channel = self._channel_payload(
            guild_id,
            int(body.get("type", 0)),
            body["name"],
            int(parent) if parent else None,
            body.get("permission_overwrites", []),
            body.get("topic"),
        )
        self.channels[int(channel["id"])] = channel
        return 201, channel

    async def _get_member(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        guild = self.guilds.get(int(match["guild"]))
        if guild is None:
            raise FakeError(404, 10004, "Unknown Guild")
        person = guild["members"].get(int(match["user"]))
        if person is None:
            raise FakeError(404, 10007, "Unknown Member")
        return 200, {"banner": None, **person.member()}

    async def _get_channel(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        return 200, self._channel(match["channel"])

    async def _edit_channel(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        channel = self._channel(match["channel"])
        channel.update({k: v for k, v in body.items() if k in ("name", "topic", "parent_id")})
        return 200, channel

    async def _put_overwrite(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        channel = self._channel(match["channel"])
        kept = [o for o in channel["permission_overwrites"] if o["id"] != match["target"]]
        entry = {
            "id": match["target"],
            "type": int(body["type"]),
            "allow": str(body["allow"]),
            "deny": str(body["deny"]),
        }
        channel["permission_overwrites"] = [*kept, entry]
        return 204, None

    async def _delete_overwrite(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        channel = self._channel(match["channel"])
        before = len(channel["permission_overwrites"])
        channel["permission_overwrites"] = [o for o in channel["permission_overwrites"] if o["id"] != match["target"]]
        if len(channel["permission_overwrites"]) == before:
            raise FakeError(404, 10009, "Unknown Overwrite")
        return 204, None

    def _message(self, channel_id: int, content: str, author: Json, components: list[Json], guild: int | None) -> Json:
        return {
            "id": str(self.snowflake()),
            "channel_id": str(channel_id),
            "type": 0,
            "content": content,
            "author": author,
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "attachments": [],
            "embeds": [],
            "components": components,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "flags": 0,
            "pinned": False,
            "tts": False,
        }

    def _bot_message(self, channel_id: int, body: Json) -> Json:
        message = self._message(
            channel_id, body.get("content") or "", self._bot_user(), _numbered(body.get("components") or []), None
        )
        message["embeds"] = [{"type": "rich", **e} for e in body.get("embeds") or []]
        message["allowed_mentions"] = body.get("allowed_mentions")  # kept for tests; not in Discord's answer
        return message

    @staticmethod
    def _public(message: Json) -> Json:
        return {k: v for k, v in message.items() if k != "allowed_mentions"}

    async def _create_message(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        channel = self._channel(match["channel"])
        if channel["type"] == 1:
            recipient = self.people.get(int(channel["recipients"][0]["id"]))
            if recipient is not None and not recipient.dms_open:
                raise FakeError(403, 50007, "Cannot send messages to this user")
        if problems := message_problems(body):  # Discord refuses the whole message
            self.refusals.extend(problems)
            raise FakeError(400, 50035, "Invalid Form Body")
        nonce = str(body["nonce"]) if body.get("nonce") is not None else None
        if nonce is not None and body.get("enforce_nonce"):
            # As Discord documents: the same author and nonce within a few minutes gets the message
            # created the first time, and nothing new is posted.
            earlier = self.nonces.get((int(channel["id"]), nonce))
            if earlier is not None and time.monotonic() - earlier[0] < NONCE_WINDOW:
                self.nonce_hits += 1
                return 200, self._public(earlier[1])
        message = self._bot_message(int(channel["id"]), body)
        files = request.get(FILES) or []
        if files:
            message["attachments"] = self._attachments(body, files)
            self.files[int(message["id"])] = [(name, content) for name, content, _ in files]
        if nonce is not None:
            message["nonce"] = nonce
            self.nonces[(int(channel["id"]), nonce)] = (time.monotonic(), message)
        self.messages.setdefault(int(channel["id"]), []).append(message)
        return 200, self._public(message)

    def _attachments(self, body: Json, files: list[tuple[str, bytes, str]]) -> list[Json]:
        """Uploaded files[n] parts, each announced in payload_json's attachments, ten at most."""
        if len(files) > 10:
            raise FakeError(400, 50035, "Invalid Form Body: too many attachments")
        announced = {str(a.get("id")): a for a in body.get("attachments") or []}
        out = []
        for index, (name, content, part) in enumerate(files):
            if part != f"files[{index}]" or str(index) not in announced:
                self.violations.append(f"attachment {name}: part {part} not announced in payload_json")
            attachment = {
                "id": str(self.snowflake()),
                "filename": name,
                "size": len(content),
                "url": f"https://cdn.discordapp.com/attachments/{index}/{name}",
                "proxy_url": f"https://media.discordapp.net/attachments/{index}/{name}",
            }
            if description := announced.get(str(index), {}).get("description"):
                attachment["description"] = description
            out.append(attachment)
        return out

    async def _edit_message(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        found = next((m for m in self.in_channel(int(match["channel"])) if m["id"] == match["message"]), None)
        if found is None:
            raise FakeError(404, 10008, "Unknown Message")
        found["content"] = body.get("content", found["content"])
        found["components"] = _numbered(body.get("components") or [])
        found["embeds"] = [{"type": "rich", **e} for e in body.get("embeds", found["embeds"]) or []]
        found["allowed_mentions"] = body.get("allowed_mentions")
        found["edited_timestamp"] = datetime.now(UTC).isoformat()
        found["edits"] = found.get("edits", 0) + 1
        return 200, {k: v for k, v in self._public(found).items() if k != "edits"}

    async def _delete_message(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        """A bot with Manage Messages (in the invite) may delete a member's message in its channels."""
        kept = self.in_channel(int(match["channel"]))
        found = next((m for m in kept if m["id"] == match["message"]), None)
        if found is None:
            raise FakeError(404, 10008, "Unknown Message")
        kept.remove(found)
        self.deleted.append(found)
        return 204, None

    async def _start_thread(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        parent = self._channel(match["channel"])
        if int(match["message"]) in self.channels:
            raise FakeError(400, 160004, "A thread has already been created for this message")
        if not any(m["id"] == match["message"] for m in self.in_channel(int(parent["id"]))):
            raise FakeError(404, 10008, "Unknown Message")
        thread = {
            "id": match["message"],
            "type": 11,
            "guild_id": parent["guild_id"],
            "parent_id": parent["id"],
            "name": body["name"],
            "owner_id": str(self.bot_id),
            "flags": 0,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 4320),
                "archive_timestamp": datetime.now(UTC).isoformat(),
                "locked": False,
            },
        }
        self.channels[int(thread["id"])] = thread
        return 201, thread

    async def _open_dm(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        person = self.people.get(int(body["recipient_id"]))
        if person is None:
            raise FakeError(400, 50033, "Invalid Recipients")
        existing = next(
            (c for c in self.channels.values() if c["type"] == 1 and c["recipients"][0]["id"] == str(person.id)), None
        )
        if existing is None:
            existing = {
                "id": str(self.snowflake()),
                "type": 1,
                "flags": 0,
                "last_message_id": None,
                "recipients": [person.user()],
            }
            self.channels[int(existing["id"])] = existing
        return 200, existing

    async def _list_events(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        return 200, [e for e in self.events.values() if e["guild_id"] == match["guild"]]

    async def _create_event(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        channel = self._channel(str(body.get("channel_id")))
        if body["entity_type"] == 2 and channel["type"] != 2:
            raise FakeError(400, 50035, "Invalid Form Body: channel_id must be a voice channel")
        event = {
            "id": str(self.snowflake()),
            "guild_id": match["guild"],
            "name": body["name"],
            "description": body.get("description"),
            "channel_id": channel["id"],
            "creator_id": str(self.bot_id),
            "image": None,
            "scheduled_start_time": body["scheduled_start_time"],
            "scheduled_end_time": body.get("scheduled_end_time"),
            "status": 1,
            "entity_type": body["entity_type"],
            "entity_id": None,
            "recurrence_rule": None,
            "privacy_level": body["privacy_level"],
            "guild_scheduled_event_exceptions": [],
            "entity_metadata": None,
        }
        self.events[int(event["id"])] = event
        return 200, event

    async def _edit_event(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        event = self.events.get(int(match["event"]))
        if event is None:
            raise FakeError(404, 10070, "Unknown Guild Scheduled Event")
        event.update({k: v for k, v in body.items() if k in ("scheduled_start_time", "scheduled_end_time", "name")})
        return 200, event

    async def _delete_event(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        if self.events.pop(int(match["event"]), None) is None:
            raise FakeError(404, 10070, "Unknown Guild Scheduled Event")
        return 204, None

    async def _callback(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        interaction_id = int(match["interaction"])
        responses = self.interactions.setdefault(interaction_id, [])
        if responses:
            raise FakeError(400, 40060, "Interaction has already been acknowledged.")
        responses.append(dict(body))
        answer: Json = {
            "interaction": {
                "id": str(interaction_id),
                "type": 2,
                "response_message_loading": body["type"] == 5,
                "response_message_ephemeral": bool((body.get("data") or {}).get("flags", 0) & 64),
            }
        }
        if body["type"] == 4:
            message = self._bot_message(0, body.get("data") or {})
            answer["interaction"]["response_message_id"] = message["id"]
            answer["resource"] = {"type": 4, "message": self._public(message)}
        if request.query.get("with_response") in ("1", "true", "True"):
            return 200, answer
        return 204, None

    async def _followup(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        interaction_id = self._tokens.get(match["token"])
        if interaction_id is None:
            raise FakeError(404, 10015, "Unknown Webhook")
        message = self._bot_message(0, body)
        self.interactions[interaction_id].append({"type": "followup", "data": body})
        return 200, self._public(message)

    async def _edit_original(self, request: web.Request, match: re.Match[str], body: Any) -> tuple[int, Any]:
        interaction_id = self._tokens.get(match["token"])
        if interaction_id is None:
            raise FakeError(404, 10015, "Unknown Webhook")
        message = self._bot_message(0, body)
        self.interactions[interaction_id].append({"type": "followup", "data": body})
        return 200, self._public(message)


def _shape(value: Any) -> str:
    """A JSON value's keys and types, not its values: requests alike in shape pass or fail the spec alike."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_shape(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list):
        return "[" + "|".join(sorted({_shape(v) for v in value})) + "]"
    return type(value).__name__


def _multipart_files(content_type: str, raw: bytes) -> list[tuple[str, bytes, str]]:
    """(filename, bytes, part name) of each file part of a multipart/form-data body."""
    parsed = email.message_from_bytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    files = []
    for part in parsed.walk():
        filename = part.get_filename()
        if filename is not None:
            payload = part.get_payload(decode=True)
            name = part.get_param("name", header="content-disposition")
            files.append((filename, payload if isinstance(payload, bytes) else b"", str(name)))
    return files


NONCE_WINDOW = 300.0  # "the past few minutes"
LIMITS = {"content": 2000, "embeds": 10, "description": 4096, "embeds_total": 6000, "fields": 25, "rows": 5}


def message_problems(body: Json) -> list[str]:
    """What Discord answers 400/50035 for in a message: its documented size limits."""
    problems = []
    content = body.get("content") or ""
    embeds = body.get("embeds") or []
    if len(content) > LIMITS["content"]:
        problems.append(f"content of {len(content)} characters (limit 2,000)")
    if len(embeds) > LIMITS["embeds"]:
        problems.append(f"{len(embeds)} embeds (limit 10)")
    total = 0
    for embed in embeds:
        description = embed.get("description") or ""
        if len(description) > LIMITS["description"]:
            problems.append(f"embed description of {len(description)} characters (limit 4,096)")
        if len(embed.get("fields") or []) > LIMITS["fields"]:
            problems.append("more than 25 fields in an embed")
        total += len(description) + len(embed.get("title") or "")
        total += sum(len(f.get("name", "")) + len(f.get("value", "")) for f in embed.get("fields") or [])
        total += len((embed.get("footer") or {}).get("text", "")) + len((embed.get("author") or {}).get("name", ""))
    if total > LIMITS["embeds_total"]:
        problems.append(f"{total} characters across embeds (limit 6,000)")
    if len(body.get("components") or []) > LIMITS["rows"]:
        problems.append(f"{len(body['components'])} action rows (limit 5)")
    return problems


def _numbered(components: list[Json]) -> list[Json]:
    """Discord numbers every component of a message it returns (from 1, depth first)."""
    counter = itertools.count(1)

    def number(component: Json) -> Json:
        children = [number(c) for c in component.get("components", [])]
        numbered = {**component, "id": component.get("id") or next(counter)}
        if children:
            numbered["components"] = children
        return numbered

    return [number(c) for c in components]
