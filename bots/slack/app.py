"""The Slack adapter: a Bolt AsyncApp that turns slash commands, buttons, modals, thread replies and
App Home visits into calls on the core service, and shows the core's replies to the actor only.

Every listener acknowledges Slack first and does the work afterwards in a task of its own, so a
slow database or a rate-limited Web API never costs the 3-second ack (PLATFORM-FACTS: a late ack
makes Slack deliver again). No workflow rule lives here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bots.bootstrap import App, PortsByPlatform, Settings, running
from bots.operations.server import add_operations_routes
from bots.slack import blocks
from bots.slack.port import SlackPort, SlackPorts, error_code
from bots.slack.store import installation_store, state_store
from core import reconcile
from core.clock import Clock
from core.context import Actor, Where
from core.messages import Message, Reply
from core.port import RateLimited, Undeliverable
from core.service import ALREADY_HANDLED
from core.views import plain
from core.vocabulary import Platform

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
BOT_SCOPES = (
    "commands",  # the /circle slash command
    "chat:write",  # posts, thread replies, header updates, ephemeral answers, DMs
    "groups:write",  # private circle channels: create, invite, kick, purpose, topic, archive
    "groups:history",  # thread replies in those channels, for async rounds
    "im:write",  # conversations.open, for check-in DMs
    "users:read",  # users.info, for each person's time zone; user_change, for deactivated accounts
    "groups:read",  # member_joined_channel in circle channels: someone added by hand is removed
    "files:write",  # report charts and CSVs uploaded privately into the asker's DM (files upload v2)
    "reactions:write",  # marks a thread message the circle did not take (a bot cannot delete it)
)
SOMETHING_WENT_WRONG = plain("Sorry, something went wrong on our side. Nothing was changed; please try again.")
TOO_SLOW_FOR_THE_FORM = plain("Sorry, that took us too long and Slack closed the form. Please press the button again.")
PROFILE_TTL = timedelta(hours=12)
WORKERS = 2  # requests in the core at once, per process (see Background)
# Message subtypes that still carry what a member wrote in a thread: "also send to channel", a file with a comment.
REPLY_SUBTYPES = (None, "thread_broadcast", "file_share")
_SLACK_MENTION = re.compile(r"<@([UW][A-Z0-9]{1,20})(?:\|([^<>|]{0,80}))?>")
MAX_NAMED = 10  # mentions looked up per command


@dataclass(frozen=True)
class Asker:
    """Who acted, and where an answer only they can see should go."""

    team: str
    user: str
    channel: str | None = None
    thread: str | None = None
    response_url: str | None = None
    trigger: str | None = None


@dataclass
class Profile:
    name: str
    timezone: str | None
    fetched_at: datetime
    admin: bool = False


@dataclass
class People:
    """Names and time zones from users.info, remembered for a while so most requests cost no call."""

    clock: Clock
    ttl: timedelta = PROFILE_TTL
    _known: dict[tuple[str, str], Profile] = field(default_factory=dict)

    async def actor(self, port: SlackPort, team: str, user: str, fallback_name: str = "") -> Actor:
        now = self.clock.now()
        profile = self._known.get((team, user))
        if profile is None or now - profile.fetched_at > self.ttl:
            profile = await self._fetch(port, user, fallback_name, now)
            self._known[(team, user)] = profile
        return Actor(Platform.SLACK, team, user, profile.name, profile.timezone, profile.admin)

    async def _fetch(self, port: SlackPort, user: str, fallback_name: str, now: datetime) -> Profile:
        try:
            response = await port.call("users_info", user=user)
        except (SlackApiError, Undeliverable, RateLimited) as error:
            log.info("users.info for %s failed: %s", user, error)
            return Profile(fallback_name, None, now)
        info = response.get("user") or {}
        profile = info.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or info.get("real_name") or fallback_name
        admin = bool(info.get("is_admin") or info.get("is_owner"))
        return Profile(str(name or ""), info.get("tz") or None, now, admin)


@dataclass
class Background:
    """The work that runs after the ack; tests and shutdown wait for it with `drain()`.

    At most `slots` requests run through the core at once. Their work shares the event loop with
    the acks, and every extra one in progress is another slice of CPU an ack can be queued behind;
    with SQLite they would only queue for the database anyway."""

    slots: int = 2
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _slots: asyncio.Semaphore | None = None

    @property
    def slot(self) -> asyncio.Semaphore:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.slots)
        return self._slots

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


@dataclass
class SlackAdapter:
    app: App
    ports: SlackPorts
    people: People
    bolt: AsyncApp
    background: Background = field(default_factory=Background)
    _turns: dict[tuple[str, str], asyncio.Lock] = field(default_factory=dict)

    def later(self, asker: Asker, work: Callable[[], Awaitable[None]]) -> None:
        self.background.start(self._guarded(asker, work))

    async def _guarded(self, asker: Asker, work: Callable[[], Awaitable[None]]) -> None:
        """One person's requests run in the order they made them: a double click reaches the core
        second, where the first click's change is visible and the domain's guard makes it a no-op."""
        turn = self._turns.setdefault((asker.team, asker.user), asyncio.Lock())
        try:
            async with turn, self.background.slot:
                await work()
        except Exception:
            log.exception("handling a Slack request from %s/%s failed", asker.team, asker.user)
            await self.tell(asker, SOMETHING_WENT_WRONG)

    async def named_mentions(self, team: str, line: str) -> str:
        """Each `<@U…>` in a command carries the person's name from users.info (cached, and refreshed
        as `People` ages it), so someone added before they ever used the bot shows by name."""
        port = self.ports.for_team(team)
        named: dict[str, str] = {}
        for user in list(dict.fromkeys(m[1] for m in _SLACK_MENTION.finditer(line)))[:MAX_NAMED]:
            profile = await self.people.actor(port, team, user)
            named[user] = re.sub(r"[<>|]", "", profile.name)

        def with_name(match: re.Match[str]) -> str:
            name = named.get(match[1]) or match[2] or ""
            return f"<@{match[1]}|{name}>" if name else match[0]

        return _SLACK_MENTION.sub(with_name, line)

    async def actor(self, asker: Asker, fallback_name: str = "") -> Actor:
        return await self.people.actor(self.ports.for_team(asker.team), asker.team, asker.user, fallback_name)

    # Answers only the actor sees -----------------------------------------------------------------

    async def show(self, asker: Asker, reply: Reply) -> None:
        if reply.form is not None and asker.trigger:
            port = self.ports.for_team(asker.team)
            try:
                await port.open_form(asker.trigger, asker.user, reply.form, origin=asker.channel)
            except SlackApiError as error:
                if error_code(error) not in ("expired_trigger_id", "invalid_trigger_id"):
                    raise
                await self.tell(asker, TOO_SLOW_FOR_THE_FORM)  # Slack keeps a trigger for 3 s only
            return
        await self.tell(asker, reply.message)

    async def tell(self, asker: Asker, message: Message) -> None:
        if not message.plain_text.strip():
            return
        if asker.response_url and await _respond(asker.response_url, message):
            return
        port = self.ports.for_team(asker.team)
        try:
            await port.tell_privately(asker.user, message, asker.channel, asker.thread)
        except Exception as error:  # an answer that cannot be shown must not hide the request's own outcome
            log.warning("could not answer %s/%s: %s", asker.team, asker.user, error)

    async def refresh_home(self, asker: Asker) -> None:
        actor = await self.actor(asker)
        home = await self.app.service.home(actor)
        await self.ports.for_team(asker.team).publish_home(asker.user, home.message)


async def _respond(response_url: str, message: Message) -> bool:
    """An ephemeral answer through the request's response_url; False if Slack no longer takes it."""
    try:
        response = await AsyncWebhookClient(response_url).send(
            text=blocks.fallback_text(message),
            blocks=blocks.message_blocks(message),
            response_type="ephemeral",
            replace_original=False,
        )
    except Exception as error:  # an expired or unreachable response_url: fall back to chat.postEphemeral
        log.info("response_url failed: %s", error)
        return False
    return response.status_code == 200


# Building the app ------------------------------------------------------------------------------


def build_slack_app(app: App, settings: Settings, ports: SlackPorts | None = None) -> AsyncApp:
    return build_slack_adapter(app, settings, ports).bolt


def build_slack_adapter(
    app: App, settings: Settings, ports: SlackPorts | None = None, workers: int = WORKERS
) -> SlackAdapter:
    """Wires Bolt to the core: single-workspace with SLACK_BOT_TOKEN, else Bolt's OAuth flow with
    slack_sdk's SQLAlchemy stores on our own database. The service and its port router come from
    bootstrap and are never replaced here: Slack's ports are registered on the router by run_slack."""
    oauth = None
    if ports is None:
        ports = SlackPorts(settings.slack_api_url, settings.slack_bot_token)
    if not settings.slack_bot_token and settings.slack_client_id and settings.slack_client_secret:
        store = installation_store(settings.slack_client_id, app.db.engine, settings.secret_key)
        ports.use_installation_store(store)
        oauth = AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            scopes=list(BOT_SCOPES),
            installation_store=store,
            state_store=state_store(app.db.engine),
        )
    bolt = AsyncApp(
        client=ports.client(settings.slack_bot_token),
        signing_secret=settings.slack_signing_secret or "",
        oauth_settings=oauth,
        process_before_response=True,  # our listeners only ack and hand off: see the module docstring
        raise_error_for_unhandled_request=False,
    )
    adapter = SlackAdapter(app, ports, People(app.clock), bolt, Background(workers))
    _listen(adapter)
    return adapter


def _listen(adapter: SlackAdapter) -> None:
    bolt, service = adapter.bolt, adapter.app.service

    @bolt.command("/circle")
    async def circle_command(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        asker = Asker(
            team=str(context.team_id or command.get("team_id") or ""),
            user=str(command["user_id"]),
            channel=command.get("channel_id"),
            response_url=command.get("response_url"),
            trigger=command.get("trigger_id"),
        )
        adapter.ports.remember_token(asker.team, context.bot_token)

        async def work() -> None:
            actor = await adapter.actor(asker, str(command.get("user_name") or ""))
            line = await adapter.named_mentions(asker.team, decoded(str(command.get("text") or "")))
            reply = await service.run_command(actor, line, Where(space=asker.channel), key=_key("cmd", asker.trigger))
            await adapter.show(asker, reply)

        adapter.later(asker, work)

    @bolt.action(re.compile(".+"))
    async def button(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        container = body.get("container") or {}
        from_home = (body.get("view") or {}).get("type") == "home"
        asker = Asker(
            team=str(context.team_id or (body.get("team") or {}).get("id") or ""),
            user=str((body.get("user") or {}).get("id") or ""),
            channel=(body.get("channel") or {}).get("id") or container.get("channel_id"),
            thread=container.get("thread_ts"),
            response_url=body.get("response_url"),
            trigger=body.get("trigger_id"),
        )
        adapter.ports.remember_token(asker.team, context.bot_token)

        async def work() -> None:
            actor = await adapter.actor(asker)
            reply = await service.press(
                actor,
                blocks.core_action(str(action.get("action_id", ""))),
                str(action.get("value") or ""),
                Where(space=asker.channel),
                key=_key("press", asker.trigger, action.get("action_ts")),
            )
            await adapter.show(asker, reply)
            if from_home:
                await adapter.refresh_home(asker)

        adapter.later(asker, work)

    @bolt.view(re.compile(".+"))
    async def form_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        values = blocks.submitted_values(view)
        origin = blocks.FormOrigin.decode(str(view.get("private_metadata") or ""))
        form_id = str(view.get("callback_id") or "")
        errors = service.check_form(form_id, origin.context, values)
        if errors:
            await ack(**blocks.field_errors(errors))
            return
        await ack()
        asker = Asker(
            team=str(context.team_id or (body.get("team") or {}).get("id") or ""),
            user=str((body.get("user") or {}).get("id") or ""),
            channel=origin.channel,
        )
        adapter.ports.remember_token(asker.team, context.bot_token)

        async def work() -> None:
            actor = await adapter.actor(asker)
            result = await service.submit(actor, form_id, origin.context, values, key=_key("view", view.get("id")))
            if result.errors:
                await adapter.tell(asker, plain(" ".join(result.errors.values())))
            elif result.reply is not None and result.reply is not ALREADY_HANDLED:
                await adapter.show(asker, result.reply)

        adapter.later(asker, work)

    @bolt.event("message")
    async def thread_reply(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        thread_ts = event.get("thread_ts")
        if event.get("subtype") not in REPLY_SUBTYPES or event.get("bot_id"):
            return  # edits, deletions, joins and bots are not contributions
        if not thread_ts or (thread_ts == event.get("ts") and event.get("subtype") != "thread_broadcast"):
            return  # top-level chatter
        asker = Asker(
            team=str(context.team_id or body.get("team_id") or ""),
            user=str(event.get("user") or ""),
            channel=event.get("channel"),
            thread=thread_ts,
        )
        if not asker.user or not asker.channel:
            return
        adapter.ports.remember_token(asker.team, context.bot_token)

        async def work() -> None:
            actor = await adapter.actor(asker)
            thread = f"{asker.channel}/{thread_ts}"
            said = await adapter.named_mentions(asker.team, decoded(str(event.get("text") or "")))
            reply = await service.reply_in_thread(actor, thread, said, key=_key("event", body.get("event_id")))
            if reply is not None and reply is not ALREADY_HANDLED:
                if reply.refused and event.get("ts"):
                    with contextlib.suppress(SlackApiError, Undeliverable):
                        await adapter.ports.for_team(asker.team).mark_not_taken(str(asker.channel), str(event["ts"]))
                await adapter.tell(asker, reply.message)

        adapter.later(asker, work)

    @bolt.event("member_joined_channel")
    async def member_joined(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        """Someone added to a circle's channel by hand, not through the circle: the core decides."""
        user, channel = str(event.get("user") or ""), str(event.get("channel") or "")
        if not user or not channel or user == context.bot_user_id:
            return
        asker = Asker(team=str(context.team_id or body.get("team_id") or ""), user=user)
        adapter.ports.remember_token(asker.team, context.bot_token)
        inviter = event.get("inviter")

        async def work() -> None:
            actor = await adapter.actor(asker)
            key = _key("event", body.get("event_id"))
            await service.on_platform(actor, lambda ctx: reconcile.stray_joined(ctx, channel, inviter), key)

        adapter.background.start(_quietly(work))

    @bolt.event("user_change")
    async def user_changed(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        """A deactivated account (Slack's way of saying someone left the workspace) loses circle access."""
        user = event.get("user") or {}
        if not isinstance(user, dict) or not user.get("deleted") or not user.get("id"):
            return
        team = str(user.get("team_id") or context.team_id or body.get("team_id") or "")
        adapter.ports.remember_token(team, context.bot_token)
        actor = Actor(Platform.SLACK, team, str(user["id"]))
        key = _key("event", body.get("event_id"))
        adapter.background.start(_quietly(lambda: service.on_platform(actor, reconcile.person_gone, key)))

    @bolt.event("app_home_opened")
    async def home_opened(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        asker = Asker(team=str(context.team_id or body.get("team_id") or ""), user=str(event["user"]))
        adapter.ports.remember_token(asker.team, context.bot_token)
        adapter.later(asker, lambda: adapter.refresh_home(asker))


async def _quietly(work: Callable[[], Awaitable[object]]) -> None:
    """Platform events have nobody to answer: a failure is logged, never shown to anyone."""
    try:
        await work()
    except Exception:
        log.exception("reconciling a Slack event failed")


def decoded(text: str) -> str:
    """Slack's entity encoding undone once on the way in (`blocks.escape` does it once on the way out),
    so `a &lt; b` is stored and shown as `a < b`."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _key(kind: str, *parts: object) -> str | None:
    """A request key for the core's once-only guard; None when Slack gave nothing to key on."""
    if not parts or parts[0] in (None, ""):
        return None
    return ":".join(["slack", kind, *(str(p) for p in parts if p not in (None, ""))])[:200]


# Running it ------------------------------------------------------------------------------------


def slack_web_app(bolt: AsyncApp, port: int = 0) -> web.Application:
    """HTTP mode: Slack posts to /slack/events (signature checked by Bolt); OAuth install routes too."""
    return bolt.server(port=port, path=EVENTS_PATH).web_app


async def run_slack(settings: Settings, shared: App | None = None, platforms: PortsByPlatform | None = None) -> None:
    """Socket Mode when SLACK_APP_TOKEN is set (a laptop, no public URL), else HTTP on settings.port."""
    async with running(settings, shared, platforms) as (app, by_platform):
        ports = SlackPorts(settings.slack_api_url, settings.slack_bot_token)
        by_platform.register(Platform.SLACK, ports.port_for)
        await _serve_slack(settings, app, ports)


async def _serve_slack(settings: Settings, app: App, ports: SlackPorts) -> None:
    adapter = build_slack_adapter(app, settings, ports)
    try:
        if settings.slack_app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            handler = AsyncSocketModeHandler(adapter.bolt, settings.slack_app_token)
            if app.health is not None:
                app.health.platform("slack", handler.client.is_connected)
            log.info("Slack: Socket Mode")
            try:
                await handler.start_async()  # type: ignore[no-untyped-call]
            finally:
                await handler.close_async()  # type: ignore[no-untyped-call]
            return
        web_app = slack_web_app(adapter.bolt, settings.port)
        if app.health is not None:  # probes for the load balancer; /metrics too unless it has a port of its own
            separate = settings.metrics_port not in (None, settings.port)
            add_operations_routes(web_app, app.health, app.clock.now, metrics=not separate)
        runner = web.AppRunner(web_app)
        await runner.setup()
        await web.TCPSite(runner, settings.host, settings.port).start()
        log.info("Slack: listening on http://%s:%s%s", settings.host, settings.port, EVENTS_PATH)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
    finally:
        await adapter.background.drain()


__all__ = ["BOT_SCOPES", "SlackAdapter", "build_slack_adapter", "build_slack_app", "run_slack"]
