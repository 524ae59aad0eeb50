"""The Discord client: `/circle` commands, buttons, modals and (optionally) thread messages, each
turned into one call on the core service. No workflow rule lives here.

Interactions must be answered within 3 s. The service usually answers in milliseconds, so the
reply (or the modal a button opens) is sent as the first response; when it is slower than
`ack_within`, the interaction is deferred first and the reply follows up. Every answer is
ephemeral: only the person who acted sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord
import yarl
from discord import app_commands

from bots.bootstrap import App, PortsByPlatform, Settings, running
from bots.discord.commands import circle_group
from bots.discord.observed import discord_trace, gateway_connected
from bots.discord.port import DiscordMemory, DiscordPort
from bots.discord.render import BUTTON_TEMPLATE, form_errors, modal, modal_values, parse_form_id, render
from core import reconcile
from core.context import Actor, Where
from core.messages import Form, Message, Reply, Text
from core.models import Workspace
from core.port import MessageRef, SpaceRef
from core.service import CircleService
from core.vocabulary import Platform

log = logging.getLogger(__name__)

NOBODY = discord.AllowedMentions.none()
DEFAULT_API_URL = "https://discord.com/api/v10"
SOMETHING_WENT_WRONG = "Sorry, something went wrong on my side. Nothing was changed; please try again."
ASK_TIMEZONE = (
    "One question, once: Discord doesn't tell me your time zone. "
    "Run `/circle timezone` and start typing your city, so meeting times show in your local time."
)
Answer = Callable[[], Awaitable[Reply]]


def point_at(api_url: str | None, gateway_url: str | None) -> None:
    """discord.py keeps its endpoints on classes: set them here, once, before the client connects."""
    base = (api_url or DEFAULT_API_URL).rstrip("/")
    if not re.search(r"/api/v\d+$", base):
        base += "/api/v10"
    discord.http.Route.BASE = base
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def intents(read_thread_messages: bool) -> discord.Intents:
    """Guilds only: interactions need no intent. Reading replies in round threads needs messages and
    the privileged message-content intent, which the Developer Portal must enable."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    if read_thread_messages:
        chosen.guild_messages = True
        chosen.message_content = True
    return chosen


class CirclesBot(discord.Client):
    def __init__(
        self,
        service: CircleService,
        *,
        read_thread_messages: bool = False,
        sync_commands: bool = True,
        ack_within: float = 2.0,
        **options: Any,
    ) -> None:
        options.setdefault("http_trace", discord_trace())  # counts API calls and 429s for /metrics
        super().__init__(intents=intents(read_thread_messages), allowed_mentions=NOBODY, **options)
        self.service = service
        self.read_thread_messages = read_thread_messages
        self.sync_commands = sync_commands
        self.ack_within = ack_within
        self.memory = DiscordMemory()
        self.waiting_interactions: dict[str, discord.Interaction[Any]] = {}
        self.thread_parents: dict[int, int] = {}  # channel id -> parent channel id (0: not a thread)
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(circle_group(self))
        self.tree.error(self.on_command_error)

    def port_for(self, workspace: Workspace) -> DiscordPort:
        return DiscordPort(self, int(workspace.external_id))

    async def setup_hook(self) -> None:
        self.add_dynamic_items(CircleButton)
        if self.sync_commands:
            await self.tree.sync()

    # Who and where ------------------------------------------------------------------------------

    def actor(self, interaction: discord.Interaction[Any], guild_id: int | None = None) -> Actor | None:
        guild = interaction.guild_id or guild_id
        if guild is None:
            return None
        user = interaction.user
        admin = interaction.guild_id is not None and interaction.permissions.manage_guild
        return Actor(Platform.DISCORD, str(guild), str(user.id), user.display_name, admin=admin)

    def where(self, interaction: discord.Interaction[Any]) -> Where:
        channel = interaction.channel
        if isinstance(channel, discord.Thread) and channel.parent_id:
            return Where(
                space=str(channel.parent_id), thread=MessageRef(str(channel.parent_id), str(channel.id)).encode()
            )
        return Where(space=str(interaction.channel_id)) if interaction.channel_id else Where()

    # Answering ----------------------------------------------------------------------------------

    async def answer(self, interaction: discord.Interaction[Any], work: Answer, actor: Actor | None) -> None:
        """Runs the service call; answers in time whatever it takes, and privately."""
        key = str(interaction.id)
        self.waiting_interactions[key] = interaction
        task = asyncio.ensure_future(work())
        try:
            done, _ = await asyncio.wait({task}, timeout=self.ack_within)
            if not done:
                await interaction.response.defer(ephemeral=True, thinking=True)
            reply = await task
            message = reply.message
            if actor is not None and reply.form is None and await self.service.should_ask_timezone(actor):
                message = Message((*message.blocks, Text(ASK_TIMEZONE)), message.summary)
            await self.respond(interaction, message, reply.form)
        finally:
            self.waiting_interactions.pop(key, None)

    async def respond(self, interaction: discord.Interaction[Any], message: Message, form: Form | None) -> None:
        guild = interaction.guild_id or _guild_of(interaction)
        if form is not None and not interaction.response.is_done():
            await interaction.response.send_modal(modal(form, guild))
            return
        if form is not None:  # the service was too slow to open it in time
            message = Message((*message.blocks, Text("Press the button again to open the form.")), message.summary)
        rendered = render(message, guild)
        view = rendered.view() or discord.utils.MISSING
        if interaction.response.is_done():
            await interaction.followup.send(
                content=rendered.content, embeds=rendered.embeds, view=view, ephemeral=True, allowed_mentions=NOBODY
            )
        else:
            await interaction.response.send_message(
                content=rendered.content, embeds=rendered.embeds, view=view, ephemeral=True, allowed_mentions=NOBODY
            )

    async def run_command(self, interaction: discord.Interaction[Any], text: str) -> None:
        """`/circle do`: a line of the text grammar, as typed."""
        await self._run(interaction, lambda actor, where, key: self.service.run_command(actor, text, where, key=key))

    async def run_options(self, interaction: discord.Interaction[Any], command: str, options: dict[str, Any]) -> None:
        """A generated subcommand: its options go to the core as they arrived, structured."""
        await self._run(
            interaction,
            lambda actor, where, key: self.service.run_options(actor, command, options, where, key=key),
        )

    async def _run(
        self, interaction: discord.Interaction[Any], work: Callable[[Actor, Where, str], Awaitable[Reply]]
    ) -> None:
        actor = self.actor(interaction)
        if actor is None:
            await self.tell(interaction, "Please use /circle in a server, not in a DM.")
            return
        where = self.where(interaction)
        await self.answer(interaction, lambda: work(actor, where, f"discord:{interaction.id}"), actor)

    async def press(self, interaction: discord.Interaction[Any], action: str, value: str, guild: int | None) -> None:
        actor = self.actor(interaction, guild)
        if actor is None:
            await self.tell(interaction, "That button has lost track of its server. Use /circle status there.")
            return
        if not await self.still_in_server(interaction, actor):
            return
        where = self.where(interaction) if interaction.guild_id else Where()
        await self.answer(
            interaction,
            lambda: self.service.press(actor, action, value, where, key=f"discord:{interaction.id}"),
            actor,
        )

    async def still_in_server(self, interaction: discord.Interaction[Any], actor: Actor) -> bool:
        """A button or form from a DM: only someone still in the server may use it. Someone who left
        is refused, and their circle access ends (Discord tells bots of departures only with the
        privileged members intent, so this is where we learn it)."""
        if interaction.guild_id is not None:
            return True
        try:
            await self.http.get_member(int(actor.workspace), interaction.user.id)
            return True
        except discord.NotFound:
            pass
        await self.service.on_platform(actor, reconcile.person_gone, key=f"discord:gone:{interaction.id}")
        await self.tell(interaction, "You're no longer in that server, so its circles are closed to you.")
        return False

    async def reconcile_guild(self, guild_id: int, only: str | None = None) -> int:
        """Re-applies each circle channel's permission overwrites from the circle's members."""
        spaces = await reconcile.circle_spaces(self.service.db, Platform.DISCORD, str(guild_id))
        port = DiscordPort(self, guild_id)
        fixed = 0
        for space, members in spaces.items():
            if only is None or space == only:
                try:
                    fixed += await port.reconcile_space(SpaceRef(space), members)
                except discord.HTTPException as error:
                    log.warning("re-applying the overwrites of %s failed: %s", space, error.status)
        return fixed

    async def on_ready(self) -> None:
        """After a restart: permissions changed while the bot was away are put back."""
        for guild in self.guilds:
            await self.reconcile_guild(guild.id)

    async def on_guild_channel_update(self, before: Any, after: Any) -> None:
        """Someone edited a channel's permissions by hand: a circle's are re-applied at once."""
        if getattr(after, "guild", None) is not None:
            await self.reconcile_guild(after.guild.id, only=str(after.id))

    async def tell(self, interaction: discord.Interaction[Any], text: str) -> None:
        await self.respond(interaction, Message((Text(text),), text), None)

    # Events -------------------------------------------------------------------------------------

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Modal submits are ours to route (by custom id), so a form opened before a restart still lands."""
        if interaction.type != discord.InteractionType.modal_submit or not isinstance(interaction.data, dict):
            return
        data: dict[str, Any] = dict(interaction.data)
        parsed = parse_form_id(str(data.get("custom_id", "")))
        if parsed is None:
            return
        form_id, context, guild = parsed
        actor = self.actor(interaction, guild)
        if actor is None:
            await self.tell(interaction, "That form has lost track of its server. Use /circle there.")
            return
        if not await self.still_in_server(interaction, actor):
            return
        values = modal_values(list(data.get("components", [])))

        async def submit() -> Reply:
            result = await self.service.submit(actor, form_id, context, values, key=f"discord:{interaction.id}")
            if result.errors:
                return Reply(form_errors(form_id, result.errors, values))
            assert result.reply is not None
            return result.reply

        try:
            await self.answer(interaction, submit, actor)
        except Exception as error:
            await self.on_interaction_error(interaction, error)

    async def on_message(self, message: discord.Message) -> None:
        """A reply in a round's thread is a contribution (needs the message-content intent)."""
        if not self.read_thread_messages or message.author.bot or message.guild is None or not message.content:
            return
        parent = await self._thread_parent(message.channel)
        if not parent:
            return
        actor = Actor(Platform.DISCORD, str(message.guild.id), str(message.author.id), message.author.display_name)
        thread = MessageRef(str(parent), str(message.channel.id)).encode()
        try:
            reply = await self.service.reply_in_thread(
                actor, thread, message.content, key=f"discord:message:{message.id}"
            )
            if reply is not None and reply.refused:  # not taken: it leaves the thread (Manage Messages)
                with contextlib.suppress(discord.Forbidden, discord.NotFound):
                    await message.delete()
            if reply is not None and reply.message.plain_text.strip():
                await self._tell_by_dm(message.author, reply.message)
        finally:
            self.dispatch("thread_reply_handled", message)

    async def _tell_by_dm(self, person: discord.User | discord.Member, message: Message) -> None:
        """A thread message has no private answer on Discord: what the core says back goes by DM."""
        rendered = render(message, None)
        with contextlib.suppress(discord.Forbidden):  # DMs closed: the thread reply stands as it is
            await person.send(content=rendered.content, embeds=rendered.embeds, allowed_mentions=NOBODY)

    async def _thread_parent(self, channel: Any) -> int:
        if isinstance(channel, discord.Thread):
            return channel.parent_id or 0
        known = self.thread_parents.get(channel.id)
        if known is None:
            data: dict[str, Any] = dict(await self.http.get_channel(channel.id))
            is_thread = data.get("type") in (10, 11, 12)
            known = self.thread_parents[channel.id] = int(data["parent_id"]) if is_thread else 0
        return known

    async def on_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        await self.on_interaction_error(interaction, error)

    async def on_interaction_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:
        log.error("interaction %s failed", interaction.id, exc_info=error)
        try:
            await self.tell(interaction, SOMETHING_WENT_WRONG)
        except discord.HTTPException:
            log.warning("could not tell the user interaction %s failed", interaction.id)


class CircleButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=BUTTON_TEMPLATE):
    """Every core button, whatever message carries it and whenever the process started."""

    def __init__(self, item: discord.ui.Button[Any], action: str, value: str, guild: int | None) -> None:
        super().__init__(item)
        self.action, self.value, self.guild = action, value, guild

    @classmethod
    def make(cls, label: str, custom_id: str, style: discord.ButtonStyle, row: int) -> CircleButton:
        match = re.fullmatch(BUTTON_TEMPLATE, custom_id)
        if match is None:
            raise ValueError(f"not a circle button id: {custom_id[:40]}")
        button: discord.ui.Button[Any] = discord.ui.Button(label=label, custom_id=custom_id, style=style, row=row)
        return cls(button, *_parts(match))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CircleButton:
        assert isinstance(item, discord.ui.Button)
        return cls(item, *_parts(match))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = interaction.client
        assert isinstance(bot, CirclesBot)
        try:
            await bot.press(interaction, self.action, self.value, self.guild)
        except Exception as error:
            await bot.on_interaction_error(interaction, error)


def _guild_of(interaction: discord.Interaction[Any]) -> int | None:
    """The guild a DM's button belongs to, from its custom id: a form opened there must find it again."""
    data: dict[str, Any] = dict(interaction.data) if isinstance(interaction.data, dict) else {}
    match = re.fullmatch(BUTTON_TEMPLATE, str(data.get("custom_id", "")))
    return _parts(match)[2] if match else None


def _parts(match: re.Match[str]) -> tuple[str, str, int | None]:
    guild = match["guild"]
    return match["action"], match["value"], int(guild) if guild else None


async def run_discord(settings: Settings, shared: App | None = None, platforms: PortsByPlatform | None = None) -> None:
    """`circles run` with DISCORD_TOKEN set: migrate, wire the service to this client, connect."""
    point_at(settings.discord_api_url, settings.discord_gateway_url)
    assert settings.discord_token is not None
    async with running(settings, shared, platforms) as (app, by_platform):
        bot = CirclesBot(app.service, read_thread_messages=settings.discord_message_content)
        by_platform.register(Platform.DISCORD, bot.port_for)
        if app.health is not None:
            app.health.platform("discord", lambda: gateway_connected(bot))
        async with bot:
            await bot.start(settings.discord_token)
