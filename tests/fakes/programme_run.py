"""A programme run end to end on a fake chat platform, the way its people live it.

A workspace of people with departments, levels and time zones (a few zones that share a weekday
window) on the fake Slack (signed HTTP requests to the Bolt app) or the fake Discord (interactions
through the fake gateway to the real discord.py client), all on one `App` with a `ManualClock`. What
the scenario does is platform-neutral: people type `/circle …` lines (on Discord through `/circle do`),
open and fill in forms, and press the buttons the bot showed them; the clock moves from one due moment
to the next while the scheduler ticks (no sleeps). `Inbox` records every message each person receives,
stamped with the clock's time, so a test can say "nothing reached anyone after the end".
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import discord
from aiohttp import ClientSession, web
from sqlalchemy import select

from bots.bootstrap import App, PortsByPlatform, Settings, connect
from bots.discord.client import CirclesBot, point_at
from bots.slack.app import SlackAdapter, build_slack_adapter, slack_web_app
from bots.slack.blocks import core_action
from bots.slack.port import SlackPorts
from core.clock import ManualClock
from core.db import Database
from core.membership import MembershipAction
from core.models import Circle, Meeting, Person, Workspace
from core.scheduling.scheduler import Scheduler
from core.service import CircleService
from core.vocabulary import Platform
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_api import Person as DiscordPerson
from tests.fakes.discord_spec import DiscordSpec
from tests.fakes.slack_api import FakeSlack, Posted, SlackSender

Json = dict[str, Any]
SIGNING_SECRET = "programme-run-secret"
# Zones an hour or two apart: 09:00-17:00 on weekdays in each of them overlaps by six hours.
ZONES = ("Europe/Lisbon", "Africa/Lagos", "Europe/Berlin", "Europe/Helsinki")
DEPARTMENTS = ("Finance", "Operations", "Sales", "Engineering", "People")
FIRST = (
    *("Ana", "Ben", "Chidi", "Dana", "Eero", "Fatima", "Goran", "Hana", "Ivo", "Jun", "Kofi", "Lea"),
    *("Mo", "Nia", "Omar", "Pia", "Quinn", "Rui", "Sara", "Tomas", "Uma", "Vik", "Wen", "Xia", "Yara"),
    *("Zeno", "Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal"),
)
VIEW_CHANNEL = discord.Permissions(view_channel=True).value
SEND_MESSAGES = discord.Permissions(send_messages=True).value


@dataclass(frozen=True)
class Someone:
    """One person of the workspace and what they give when they sign up."""

    index: int
    name: str
    department: str
    level: int
    timezone: str
    facilitator: bool

    def sign_up_values(self) -> dict[str, str]:
        return {
            "department": self.department,
            "level": str(self.level),
            "timezone": self.timezone,
            "topics": ("delegation; feedback", "priorities", "leading change; influence")[self.index % 3],
            "facilitator": "yes" if self.facilitator else "no",
        }


def workspace_people(count: int) -> list[Someone]:
    """`count` people across departments, levels 1-5 and the zones above; every fourth volunteers."""
    return [
        Someone(
            i,
            FIRST[i % len(FIRST)] + ("" if i < len(FIRST) else str(i)),
            DEPARTMENTS[i % len(DEPARTMENTS)],
            1 + (i * 7) % 5,
            ZONES[(i // 2) % len(ZONES)],
            i % 4 == 1,
        )
        for i in range(count)
    ]


@dataclass(frozen=True)
class Button:
    """A button the bot showed someone: the core's action and value, and what the platform needs to press it."""

    action: str
    value: str
    raw: Any


@dataclass
class Answer:
    """What only the asker was told: the text, its buttons, and a form when one opened."""

    text: str
    buttons: list[Button] = field(default_factory=list)
    form: Any = None

    def button(self, action: str) -> Button:
        found = [b for b in self.buttons if b.action == action]
        assert found, f"no {action} button in: {self.text[:300]}"
        return found[-1]


@dataclass(frozen=True)
class Received:
    at: datetime
    user: str  # the platform's user id
    where: str  # "dm", or the circle's space id
    text: str


@dataclass
class Inbox:
    """Every message each person received, stamped with the clock's time when it arrived."""

    clock: ManualClock
    received: list[Received] = field(default_factory=list)

    def add(self, user: str, where: str, text: str) -> None:
        self.received.append(Received(self.clock.now(), user, where, text))

    def after(self, moment: datetime) -> list[Received]:
        return [r for r in self.received if r.at > moment]


@dataclass(frozen=True)
class Scheduled:
    """One meeting of a circle's series, as the database has it."""

    circle: str
    number: int
    start: datetime | None
    minutes: int
    facilitator: str | None  # platform user id


class Chat(ABC):
    """One fake platform with its people: the platform-neutral verbs a scenario uses."""

    platform: Platform

    def __init__(self, app: App, clock: ManualClock, people: Sequence[Someone]) -> None:
        self.app = app
        self.clock = clock
        self.people = list(people)
        self.inbox = Inbox(clock)
        self.requests = 0
        self.accepted: set[tuple[int, str]] = set()  # (person, circle) invitations accepted

    # The people -------------------------------------------------------------------------------

    @abstractmethod
    def user(self, someone: Someone) -> str:
        """The platform's user id of a person."""

    @abstractmethod
    def mention(self, someone: Someone) -> str: ...

    def by_user(self, user: str) -> Someone:
        return next(p for p in self.people if self.user(p) == user)

    @property
    @abstractmethod
    def workspace(self) -> str: ...

    # What people do ----------------------------------------------------------------------------

    @abstractmethod
    async def says(self, who: Someone, line: str) -> Answer:
        """`/circle LINE` typed by `who`; the answer only they see (with a form if one opened)."""

    @abstractmethod
    async def submits(self, who: Someone, opened: Answer, values: dict[str, str]) -> Answer:
        """Fills in and sends the form `opened` showed."""

    @abstractmethod
    async def presses(self, who: Someone, button: Button) -> Answer:
        """A button in a message the bot posted (a DM, a circle's space)."""

    @abstractmethod
    async def presses_answer_button(self, who: Someone, button: Button) -> Answer:
        """A button in an answer only its asker saw (it may be pressed by someone else, as a forged
        request would)."""

    @abstractmethod
    def dm_buttons(self, who: Someone, action: str) -> list[Button]:
        """Buttons with this action in the person's DMs from the bot, oldest first."""

    async def accepts_invitations(self, who: Someone) -> int:
        """Presses Accept on each invitation in their DMs (each once)."""
        pressed = 0
        for button in self.dm_buttons(who, MembershipAction.ACCEPT):
            if (who.index, button.value) in self.accepted:
                continue
            self.accepted.add((who.index, button.value))
            answer = await self.presses(who, button)
            assert "Welcome" in answer.text or "joined" in answer.text.lower(), answer.text
            pressed += 1
        return pressed

    # What the platform shows --------------------------------------------------------------------

    @abstractmethod
    def space_of(self, circle: str) -> str:
        """The circle's private space (Slack channel id, Discord channel id)."""

    @abstractmethod
    def space_members(self, space: str) -> set[str]: ...

    @abstractmethod
    def is_archived_read_only(self, space: str) -> bool:
        """Still there for its members to read, closed for writing."""

    @abstractmethod
    def calendar_files(self, who: Someone) -> list[tuple[str, bytes]]:
        """(.ics file name, content) the bot sent the person."""

    @abstractmethod
    def violations(self) -> list[str]:
        """What the fake platform refused or found against its spec."""

    @abstractmethod
    def collect(self) -> None:
        """Stamps into the inbox what reached people since the last look."""

    # Time -----------------------------------------------------------------------------------------

    async def tick(self) -> int:
        sent = await self.app.scheduler.tick()
        await self.settle()
        self.collect()
        return sent

    @abstractmethod
    async def settle(self) -> None:
        """Waits for work the adapter does after acknowledging (no sleeping)."""

    async def run_until(self, until: datetime) -> None:
        """Every due moment up to `until` in turn (the scheduler ticking at each), then `until`."""
        self.collect()
        await self.tick()
        for _ in range(5000):
            due = await self.app.scheduler.next_due_at()
            if due is None or due > until:
                break
            self.clock.set(max(due, self.clock.now()))
            await self.tick()
        else:
            raise AssertionError("the schedule never settled")
        self.clock.set(max(until, self.clock.now()))
        await self.tick()

    # The database's view ------------------------------------------------------------------------

    async def series(self, circle_names: Sequence[str] | None = None) -> list[Scheduled]:
        """Every meeting of the workspace's circles (or those named), by start then circle."""
        async with self.app.db.unit_of_work() as uow:
            query = (
                select(
                    Circle.name, Meeting.number, Meeting.scheduled_start, Meeting.duration_minutes, Person.external_id
                )
                .join(Meeting, Meeting.circle_id == Circle.id)
                .join(Workspace, Workspace.id == Circle.workspace_id)
                .outerjoin(Person, Person.id == Meeting.facilitator_id)
                .where(Workspace.external_id == self.workspace)
            )
            if circle_names is not None:
                query = query.where(Circle.name.in_(list(circle_names)))
            rows = (await uow.session.execute(query)).all()
        found = [Scheduled(name, number, _aware(start), minutes, user) for name, number, start, minutes, user in rows]
        return sorted(found, key=lambda s: (s.start or datetime.max.replace(tzinfo=self.clock.now().tzinfo), s.circle))

    async def members_of(self, circle: str) -> list[Someone]:
        """The circle's active members (accepted), from the database."""
        async with self.app.db.unit_of_work() as uow:
            found = await uow.session.scalar(
                select(Circle)
                .join(Workspace, Workspace.id == Circle.workspace_id)
                .where(Workspace.external_id == self.workspace, Circle.name == circle)
            )
            assert found is not None, circle
            ids = [m.person_id for m in found.active_memberships()]
            users = list(await uow.session.scalars(select(Person.external_id).where(Person.id.in_(ids))))
        return [self.by_user(u) for u in users]

    async def circles(self) -> list[Circle]:
        async with self.app.db.unit_of_work() as uow:
            return list(
                await uow.session.scalars(
                    select(Circle)
                    .join(Workspace, Workspace.id == Circle.workspace_id)
                    .where(Workspace.external_id == self.workspace)
                    .order_by(Circle.name)
                )
            )


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def quiet_app(settings: Settings, db: Database, clock: ManualClock, router: PortsByPlatform) -> App:
    """The app as bootstrap assembles it, with the dispatcher's pacing off: a rate limit is about
    the wire and real seconds, and this scenario sends hundreds of messages."""
    service = CircleService(db, clock, router.port_for)
    scheduler = Scheduler(service, rates=None)
    connect(service, scheduler)
    return App(settings, db, clock, service, scheduler)


# Slack --------------------------------------------------------------------------------------------


class SlackChat(Chat):
    platform = Platform.SLACK
    lobby = "C0GENERAL"

    def __init__(
        self, app: App, clock: ManualClock, people: Sequence[Someone], slack: FakeSlack, adapter: SlackAdapter
    ) -> None:
        super().__init__(app, clock, people)
        self.slack = slack
        self.adapter = adapter
        self.sender: SlackSender | None = None
        self._seen_messages = 0
        self._seen_files: set[str] = set()
        self._seen_ephemerals = 0

    @property
    def workspace(self) -> str:
        return "T1"

    def user(self, someone: Someone) -> str:
        return f"U{someone.index:03d}"

    def mention(self, someone: Someone) -> str:
        return f"<@{self.user(someone)}|{someone.name.lower()}>"

    async def settle(self) -> None:
        await self.adapter.background.drain()

    def _answer(self, key: str) -> Answer:
        payloads = self.slack.responses.get(key, [])
        texts = self.slack.response_texts(key)
        buttons = [
            Button(core_action(element["action_id"]), str(element.get("value", "")), element)
            for payload in payloads
            for block in payload.get("blocks") or []
            for element in block.get("elements", [])
            if isinstance(element, dict) and element.get("type") == "button"
        ]
        return Answer("\n".join(texts), buttons)

    async def says(self, who: Someone, line: str) -> Answer:
        assert self.sender is not None
        views = len(self.slack.views)
        sent, key = await self.sender.command(self.user(who), line, self.lobby)
        assert sent.status == 200, sent.body
        self.requests += 1
        await self.settle()
        self.collect()
        answer = self._answer(key)
        if len(self.slack.views) > views:
            answer.form = self.slack.views[-1]
        return answer

    async def submits(self, who: Someone, opened: Answer, values: dict[str, str]) -> Answer:
        """A modal's answer is field errors in the acknowledgement, else a private message after it."""
        assert self.sender is not None
        assert opened.form is not None
        user = self.user(who)
        before = len(self.slack.ephemeral_texts(user)), len(self.slack.dms_to(user))
        sent = await self.sender.submit(user, opened.form, values)
        self.requests += 1
        await self.settle()
        self.collect()
        body = sent.json() or {}
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            return Answer("needs another look: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
        said = [
            *self.slack.ephemeral_texts(user)[before[0] :],
            *(m.all_text for m in self.slack.dms_to(user)[before[1] :]),
        ]
        return Answer("\n".join(said))

    async def presses(self, who: Someone, button: Button) -> Answer:
        assert self.sender is not None
        element, channel, ts = button.raw
        sent, key = await self.sender.press(self.user(who), element, channel, ts)
        assert sent.status == 200, sent.body
        self.requests += 1
        await self.settle()
        self.collect()
        return self._answer(key)

    async def presses_answer_button(self, who: Someone, button: Button) -> Answer:
        """A button in an answer only the asker saw (its response_url message)."""
        return await self.presses(who, Button(button.action, button.value, (button.raw, self.lobby, None)))

    def dm_buttons(self, who: Someone, action: str) -> list[Button]:
        return [
            Button(action, str(element.get("value", "")), (element, posted.channel, posted.ts))
            for posted in self.slack.dms_to(self.user(who))
            for block in posted.blocks
            for element in block.get("elements", [])
            if isinstance(element, dict) and core_action(element.get("action_id", "")) == action
        ]

    def space_of(self, circle: str) -> str:
        return self.slack.channel_named(f"circle-{circle}").id

    def space_members(self, space: str) -> set[str]:
        return self.slack.channels[space].members - {self.slack.bot_user}

    def is_archived_read_only(self, space: str) -> bool:
        channel = self.slack.channels[space]
        archived = any(c["channel"] == space for c in self.slack.calls_to("conversations.archive"))
        return channel.archived and archived

    def calendar_files(self, who: Someone) -> list[tuple[str, bytes]]:
        dm = next((c.id for c in self.slack.channels.values() if c.dm_user == self.user(who)), None)
        if dm is None:
            return []
        return [(u.filename, u.content or b"") for u in self.slack.files_in(dm) if u.filename.endswith(".ics")]

    def violations(self) -> list[str]:
        return [*self.slack.violations, *self.slack.refusals]

    def collect(self) -> None:
        posted: list[Posted] = list(self.slack.messages.values())
        for message in posted[self._seen_messages :]:
            channel = self.slack.channels.get(message.channel)
            if channel is None:
                continue
            if channel.dm_user is not None:
                self.inbox.add(channel.dm_user, "dm", message.all_text)
            elif channel.is_private:
                for user in channel.members - {self.slack.bot_user}:
                    self.inbox.add(user, channel.id, message.all_text)
        self._seen_messages = len(posted)
        for upload in self.slack.uploads.values():
            if upload.channel is None or upload.id in self._seen_files:
                continue
            self._seen_files.add(upload.id)
            channel = self.slack.channels[upload.channel]
            for user in {channel.dm_user} if channel.dm_user else channel.members - {self.slack.bot_user}:
                self.inbox.add(user, "dm" if channel.dm_user else channel.id, f"file {upload.filename}")
        for call in self.slack.ephemerals[self._seen_ephemerals :]:
            self.inbox.add(str(call.params.get("user")), str(call.params.get("channel")), str(call.params.get("text")))
        self._seen_ephemerals = len(self.slack.ephemerals)


@asynccontextmanager
async def slack_chat(db: Database, clock: ManualClock, people: Sequence[Someone]) -> AsyncIterator[SlackChat]:
    """The Bolt app on 127.0.0.1 (signed HTTP from `SlackSender`), the fake Slack for its Web API."""
    slack = FakeSlack()
    await slack.start()
    settings = Settings(
        database_url=db.url,
        slack_bot_token="xoxb-test",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
    )
    router = PortsByPlatform()
    app = quiet_app(settings, db, clock, router)
    ports = SlackPorts(settings.slack_api_url, settings.slack_bot_token)
    router.register(Platform.SLACK, ports.port_for)
    adapter = build_slack_adapter(app, settings, ports)
    chat = SlackChat(app, clock, people, slack, adapter)
    for someone in people:
        slack.add_user(chat.user(someone), someone.name, someone.timezone)
    runner = web.AppRunner(slack_web_app(adapter.bolt), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with ClientSession() as session:
            chat.sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, slack, session)
            yield chat
            await adapter.background.drain()
    finally:
        await runner.cleanup()
        await slack.close()


# Discord ------------------------------------------------------------------------------------------


class DiscordChat(Chat):
    platform = Platform.DISCORD

    def __init__(
        self,
        app: App,
        clock: ManualClock,
        people: Sequence[Someone],
        fake: FakeDiscord,
        bot: CirclesBot,
        guild: int,
        lobby: int,
        members: dict[int, DiscordPerson],
    ) -> None:
        super().__init__(app, clock, people)
        self.fake = fake
        self.bot = bot
        self.guild = guild
        self.lobby = lobby
        self.members = members  # index -> the fake's person
        self._seen: dict[int, int] = {}
        self._seen_files: set[int] = set()

    @property
    def workspace(self) -> str:
        return str(self.guild)

    def user(self, someone: Someone) -> str:
        return str(self.members[someone.index].id)

    def mention(self, someone: Someone) -> str:
        return f"<@{self.user(someone)}>"

    async def settle(self) -> None:
        """Interactions are answered after their effects went out: nothing left to wait for."""

    def _answer(self, answer: Json) -> Answer:
        data = answer.get("data") or {}
        embeds = [str(e.get("description", "")) for e in data.get("embeds") or []]
        text = "\n".join([str(data.get("content") or ""), *embeds])
        if answer.get("type") == 9:
            return Answer(text, [], answer)
        message = self.fake._bot_message(self.lobby, data)
        buttons = [
            Button(custom_id.split("|")[0], custom_id.split("|")[1], (message, self.lobby, True))
            for custom_id in self.fake.button_ids(message)
        ]
        return Answer(text, buttons)

    async def says(self, who: Someone, line: str) -> Answer:
        interaction = await self.fake.slash(self.guild, self.lobby, self.members[who.index], "do", text=line)
        answer = await self.fake.answer_to(interaction, within=30)
        self.requests += 1
        self.collect()
        return self._answer(answer)

    async def submits(self, who: Someone, opened: Answer, values: dict[str, str]) -> Answer:
        form = opened.form
        assert form is not None
        assert form["type"] == 9
        selects = {
            part["component"]["custom_id"]
            for part in form["data"]["components"]
            if part.get("component", {}).get("type") == 3
        }
        typed = {k: v for k, v in values.items() if k not in selects}
        chosen = {k: v for k, v in values.items() if k in selects}
        interaction = await self.fake.submit_modal(
            self.guild, self.lobby, form["data"]["custom_id"], typed, self.members[who.index], chosen
        )
        answer = await self.fake.answer_to(interaction, within=30)
        self.requests += 1
        self.collect()
        return self._answer(answer)

    async def presses(self, who: Someone, button: Button) -> Answer:
        message, channel, in_guild = button.raw
        custom_id = next(c for c in self.fake.button_ids(message) if c.startswith(button.action + "|"))
        interaction = await self.fake.click(
            self.guild if in_guild else None, channel, message, custom_id, self.members[who.index]
        )
        answer = await self.fake.answer_to(interaction, within=30)
        self.requests += 1
        self.collect()
        return self._answer(answer)

    async def presses_answer_button(self, who: Someone, button: Button) -> Answer:
        return await self.presses(who, button)

    def _dm(self, who: Someone) -> int | None:
        return next(
            (
                int(c["id"])
                for c in self.fake.channels.values()
                if c["type"] == 1 and c["recipients"][0]["id"] == self.user(who)
            ),
            None,
        )

    def dm_buttons(self, who: Someone, action: str) -> list[Button]:
        dm = self._dm(who)
        if dm is None:
            return []
        return [
            Button(action, custom_id.split("|")[1], (message, dm, False))
            for message in self.fake.in_channel(dm)
            for custom_id in self.fake.button_ids(message)
            if custom_id.split("|")[0] == action
        ]

    def _circle_channels(self) -> list[Json]:
        return [c for c in self.fake.channels.values() if c.get("guild_id") == str(self.guild) and c["type"] == 0]

    def space_of(self, circle: str) -> str:
        """By the name it was opened with (an archived channel is renamed `archived-…`)."""
        named = [c for c in self._circle_channels() if c["name"] in (circle, f"archived-{circle}")]
        assert len(named) == 1, [c["name"] for c in self._circle_channels()]
        return str(named[0]["id"])

    def space_members(self, space: str) -> set[str]:
        channel = self.fake.channels[int(space)]
        return {
            str(o["id"])
            for o in channel.get("permission_overwrites", [])
            if int(o["type"]) == 1 and str(o["id"]) != str(self.fake.bot_id) and int(o["allow"]) & VIEW_CHANNEL
        }

    def is_archived_read_only(self, space: str) -> bool:
        channel = self.fake.channels.get(int(space))
        if channel is None:
            return False
        members = [
            o
            for o in channel.get("permission_overwrites", [])
            if int(o["type"]) == 1 and str(o["id"]) != str(self.fake.bot_id)
        ]
        return bool(members) and all(
            int(o["allow"]) & VIEW_CHANNEL and int(o["deny"]) & SEND_MESSAGES and not int(o["allow"]) & SEND_MESSAGES
            for o in members
        )

    def calendar_files(self, who: Someone) -> list[tuple[str, bytes]]:
        dm = self._dm(who)
        if dm is None:
            return []
        return [
            (name, content)
            for message in self.fake.in_channel(dm)
            for name, content in self.fake.files.get(int(message["id"]), [])
            if name.endswith(".ics")
        ]

    def violations(self) -> list[str]:
        return [*self.fake.violations, *self.fake.refusals]

    def collect(self) -> None:
        bot = str(self.fake.bot_id)
        for channel_id, messages in self.fake.messages.items():
            seen = self._seen.get(channel_id, 0)
            fresh = [m for m in messages[seen:] if m["author"]["id"] == bot]
            self._seen[channel_id] = len(messages)
            if not fresh:
                continue
            channel = self.fake.channels.get(channel_id)
            if channel is None:
                continue
            if channel["type"] == 1:
                readers, where = {str(channel["recipients"][0]["id"])}, "dm"
            else:
                parent = str(channel.get("parent_id")) if channel["type"] == 11 else str(channel_id)
                readers, where = self.space_members(parent), parent
            for message in fresh:
                text = "\n".join([message["content"], *(str(e.get("description", "")) for e in message["embeds"])])
                for user in readers:
                    self.inbox.add(user, where, text)


@asynccontextmanager
async def discord_chat(
    db: Database, clock: ManualClock, people: Sequence[Someone], spec: DiscordSpec | None
) -> AsyncIterator[DiscordChat]:
    """The real discord.py client connected to the fake Discord, in a guild of `people`."""
    fake = FakeDiscord(spec=spec, checked_per_shape=3)
    await fake.start()
    old_base, old_gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    point_at(fake.api_url, fake.gateway_url)
    router = PortsByPlatform()
    app = quiet_app(Settings(database_url=db.url), db, clock, router)
    bot = CirclesBot(app.service, read_thread_messages=True, guild_ready_timeout=0.01, ack_within=10.0)
    router.register(Platform.DISCORD, bot.port_for)
    await bot.login(fake.token)
    connection = asyncio.create_task(bot.connect(reconnect=False))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 10)
        guild = fake.add_guild()
        members = {p.index: fake.add_person(guild, p.name.lower()) for p in people}
        lobby = fake.add_text_channel(guild, "general")
        joined = asyncio.ensure_future(bot.wait_for("guild_join", check=lambda g: g.id == guild))
        payload = {k: v for k, v in fake.guild_payload(guild).items() if k != "unavailable"}
        await fake.dispatch("GUILD_CREATE", payload)
        await asyncio.wait_for(joined, 10)
        yield DiscordChat(app, clock, people, fake, bot, guild, lobby, members)
    finally:
        await bot.close()
        await connection
        await fake.stop()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway


# The scenario's steps ------------------------------------------------------------------------------


async def signs_up(chat: Chat, who: Someone, programme: str) -> str:
    """`/circle signup PROGRAMME` opens the form; the person fills it in and sends it."""
    opened = await chat.says(who, f"signup {programme}")
    assert opened.form is not None, opened.text
    answer = await chat.submits(who, opened, who.sign_up_values())
    return answer.text


async def runs_meeting(
    chat: Chat, circle: str, facilitator: Someone, members: Sequence[Someone], number: int, *, rounds: bool = True
) -> str:
    """The facilitator of the day opens the meeting; with `rounds`, one member checks in, bids and has
    a round worked through every phase to a commitment; the facilitator closes. Returns the close's
    answer. Without rounds it is the shortest meeting there is: opened and closed."""
    at = f"in={circle}"
    opened = await chat.says(facilitator, f"start {at}")
    assert "is open" in opened.text, opened.text
    if rounds:
        holder = next(m for m in members if m != facilitator)
        assert "checked in" in (await chat.says(holder, f"checkin Arriving for meeting {number} {at}")).text
        assert "Bids are open" in (await chat.says(facilitator, f"bids {at}")).text
        assert "bid is in" in (await chat.says(holder, f"bid Issue {number} of {holder.name} {at}")).text
        assert "has started" in (await chat.says(facilitator, f"round {at}")).text
        said = await chat.says(holder, f"say Here is my issue {at}")
        assert "Thanks" in said.text, said.text
        for _ in range(4):  # clarifying questions, questions and advice, reflection, commitments
            await chat.says(facilitator, f"next {at}")
        noted = await chat.says(holder, f"commit Act on issue {number} {at}")
        assert "noted" in noted.text.lower(), noted.text
        assert "is finished" in (await chat.says(facilitator, f"next {at}")).text
    closed = await chat.says(facilitator, f"close {at}")
    return closed.text


async def runs_close_out(chat: Chat, circle: str, facilitator: Someone, members: Sequence[Someone]) -> str:
    """The last meeting of a series: opened, every member's reflection on the whole programme (the
    close-out's check-in), closed. Returns the close's answer."""
    at = f"in={circle}"
    opened = await chat.says(facilitator, f"start {at}")
    assert "is open" in opened.text, opened.text
    for member in members:
        reflected = await chat.says(member, f"checkin What changed for me, {member.name} {at}")
        assert "checked in" in reflected.text, reflected.text
    closed = await chat.says(facilitator, f"close {at}")
    return closed.text


def within_working_hours(start: datetime, minutes: int, zone: str) -> bool:
    """Inside 09:00-17:00 on a weekday in `zone`, start to end."""
    local = start.astimezone(ZoneInfo(zone))
    end = local + timedelta(minutes=minutes)
    return (
        local.weekday() < 5
        and local.date() == end.date()
        and (local.hour, local.minute) >= (9, 0)
        and (end.hour, end.minute) <= (17, 0)
    )
