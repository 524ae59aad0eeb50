"""The real discord.py client, connected to the fake Discord, with a real service and database.

One fake and one client per test module (starting them costs more than a test); each test uses its
own guild, so what one test does never shows in another.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest
import pytest_asyncio
from sqlalchemy import create_engine, text

from bots.discord.client import CirclesBot, point_at
from core.clock import ManualClock
from core.db import Database, sync_url
from core.membership import MembershipAction
from core.models import Base
from core.service import CircleService
from tests.conftest import START
from tests.fakes.discord_api import FakeDiscord, Person
from tests.fakes.discord_spec import DiscordSpec


@dataclass
class Guild:
    id: int
    lobby: int  # a public channel where people type /circle
    people: list[Person] = field(default_factory=list)


@dataclass
class Harness:
    fake: FakeDiscord
    bot: CirclesBot
    service: CircleService
    clock: ManualClock
    db: Database
    connection: asyncio.Task[None]

    async def guild(self, size: int = 6, closed_dms: tuple[int, ...] = ()) -> Guild:
        """A fresh guild that adds the bot: Discord tells the connected bot with GUILD_CREATE."""
        guild_id = self.fake.add_guild()
        names = ["ana", "ben", "chidi", "dana", "eero", "fatima", "goran", "hana"]
        people = [self.fake.add_person(guild_id, names[i], dms_open=i not in closed_dms) for i in range(size)]
        lobby = self.fake.add_text_channel(guild_id, "general")
        joined = asyncio.ensure_future(self.bot.wait_for("guild_join", check=lambda guild: guild.id == guild_id))
        payload = {k: v for k, v in self.fake.guild_payload(guild_id).items() if k != "unavailable"}
        await self.fake.dispatch("GUILD_CREATE", payload)
        await asyncio.wait_for(joined, 10)
        return Guild(guild_id, lobby, people)

    async def restart(self) -> None:
        """A new process: a new client (empty memory) on the same database, logging in again."""
        await self.bot.close()
        await self.connection
        self.bot, self.connection = await connect(self.fake, self.service)


async def connect(fake: FakeDiscord, service: CircleService) -> tuple[CirclesBot, asyncio.Task[None]]:
    bot = CirclesBot(service, read_thread_messages=True, guild_ready_timeout=0.01)
    service.port_for = bot.port_for
    await bot.login(fake.token)
    connection = asyncio.create_task(bot.connect(reconnect=False))
    await asyncio.wait_for(bot.wait_until_ready(), 10)
    return bot, connection


def module_database(tmp: pytest.TempPathFactory, pg_admin_url: str | None) -> tuple[str, Callable[[], None]]:
    """A database for the module: a SQLite file, or a PostgreSQL schema of its own on the PostgreSQL run."""
    if pg_admin_url is None:
        return f"sqlite+aiosqlite:///{tmp.mktemp('discord') / 'circles.sqlite3'}", lambda: None
    schema = f"d_{uuid.uuid4().hex[:12]}"
    base = pg_admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(sync_url(base))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff", drop


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def harness(
    tmp_path_factory: pytest.TempPathFactory, discord_spec: DiscordSpec, pg_admin_url: str | None
) -> AsyncIterator[Harness]:
    fake = FakeDiscord(spec=discord_spec)
    await fake.start()
    old_base, old_gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    point_at(fake.api_url, fake.gateway_url)
    url, drop = module_database(tmp_path_factory, pg_admin_url)
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    clock = ManualClock(START)
    service = CircleService(db, clock, lambda _workspace: None)  # type: ignore[arg-type,return-value]
    bot, connection = await connect(fake, service)
    yield Harness(fake, bot, service, clock, db, connection)
    await bot.close()
    await connection
    await fake.stop()
    await db.dispose()
    drop()
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway


# Driving members -----------------------------------------------------------------------------------

Json = dict[str, Any]


def said(answer: Json) -> str:
    """The text of an interaction's answer (a message or a follow-up)."""
    data = answer.get("data") or {}
    embeds = [str(embed.get("description", "")) for embed in data.get("embeds") or []]
    return "\n".join([str(data.get("content", "")), *embeds])


def is_ephemeral(answer: Json) -> bool:
    return bool((answer.get("data") or {}).get("flags", 0) & 64)


async def command(
    h: Harness, g: Guild, who: Person, sub: str, channel: int | None = None, within: float = 10.0, **options: Any
) -> Json:
    interaction = await h.fake.slash(g.id, channel or g.lobby, who, sub, **options)
    return await h.fake.answer_to(interaction, within)


async def click(h: Harness, g: Guild | None, channel: int, message: Json, action: str, who: Person) -> Json:
    custom_id = next(c for c in h.fake.button_ids(message) if c.startswith(action + "|"))
    interaction = await h.fake.click(g.id if g else None, channel, message, custom_id, who)
    return await h.fake.answer_to(interaction)


async def fill_in(h: Harness, g: Guild | None, channel: int, opened: Json, values: dict[str, str], who: Person) -> Json:
    """Submits the modal that `opened` (a type-9 answer) showed."""
    assert opened["type"] == 9, opened
    custom_id = opened["data"]["custom_id"]
    selects = {
        part["component"]["custom_id"]
        for part in opened["data"]["components"]
        if part.get("component", {}).get("type") == 3
    }
    typed = {k: v for k, v in values.items() if k not in selects}
    chosen = {k: v for k, v in values.items() if k in selects}
    interaction = await h.fake.submit_modal(g.id if g else None, channel, custom_id, typed, who, chosen)
    return await h.fake.answer_to(interaction)


async def welcome(h: Harness, g: Guild, lead: Person, person: Person, circle: str = "", **options: Any) -> Json:
    """The lead invites the person (`/circle add`); they press Accept in the DM the bot sent them, or,
    when their DMs are closed, accept with `/circle join NAME`."""
    told = await command(h, g, lead, "add", person=person, **options)
    dm = next(
        (c for c in h.fake.channels.values() if c["type"] == 1 and c["recipients"][0]["id"] == str(person.id)), None
    )
    invitations = [m for m in h.fake.in_channel(int(dm["id"])) if "invites you" in m["content"]] if dm else []
    if invitations:
        await click(h, None, int(dm["id"]), invitations[-1], MembershipAction.ACCEPT, person)  # type: ignore[index]
    else:
        assert "Welcome" in said(await command(h, g, person, "join", name=circle))
    return told


def circle_channel(h: Harness, g: Guild, name: str) -> Json:
    return next(
        c for c in h.fake.channels.values() if c.get("guild_id") == str(g.id) and c["name"] == name and c["type"] == 0
    )


def last_with(h: Harness, channel_id: int, text: str) -> Json:
    return next(m for m in reversed(h.fake.in_channel(channel_id)) if text in m["content"])
