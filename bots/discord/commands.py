"""Discord's `/circle` application-command tree, generated from the one spec (`core.commands.SPECS`).

Each subcommand marked `discord=True` becomes a Discord subcommand whose options are its parameters,
with the same names, choices, `min_value`/`max_value` and `max_length` as the core reads, so a limit
is stated once. Discord allows 25 subcommands: the others are typed through `/circle do`. Options
reach the core structured (`CircleService.run_options`), never joined into a line and parsed again,
so a check-in that says `in=between` or mentions a colleague is the member's text.
"""

from __future__ import annotations

import inspect
import keyword
import zoneinfo
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from core.commands import MAX_ID, MAX_LINE, SPECS, Kind, Param, Spec
from core.requests import PersonRef

if TYPE_CHECKING:
    from bots.discord.client import CirclesBot

MAX_SUBCOMMANDS = 25  # Discord's limit for a command's subcommands
ZONES = sorted(zoneinfo.available_timezones())
RunOptions = Callable[[discord.Interaction[Any], str, dict[str, Any]], Awaitable[None]]


def discord_specs() -> list[Spec]:
    specs = [spec for spec in SPECS.values() if spec.discord]
    assert len(specs) < MAX_SUBCOMMANDS, "Discord allows 25 subcommands; /circle do is one of them"
    return specs


def circle_group(bot: CirclesBot) -> app_commands.Group:
    group = app_commands.Group(
        name="circle",
        description="Peer learning circles: check in, bid, work rounds, commit",
        guild_only=True,
    )
    for spec in discord_specs():
        group.add_command(subcommand(spec, bot.run_options))
    group.add_command(_do(bot))
    return group


def subcommand(spec: Spec, run: RunOptions) -> app_commands.Command[Any, ..., None]:
    """One spec as one Discord subcommand: a callback whose signature is the spec's parameters."""
    names = {_python_name(p): p for p in spec.params}

    async def callback(interaction: discord.Interaction[Any], **values: Any) -> None:
        options = {names[key].name: _structured(value) for key, value in values.items() if value is not None}
        await run(interaction, spec.name, options)

    ordered = sorted(spec.params, key=lambda p: not p.required)  # Discord wants required options first
    callback.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction),
            *(
                inspect.Parameter(
                    _python_name(p),
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=_annotation(p),
                    default=inspect.Parameter.empty if p.required else None,
                )
                for p in ordered
            ),
        ]
    )
    callback.__qualname__ = callback.__name__ = f"circle_{spec.name}"
    described = app_commands.describe(**{_python_name(p): p.label[:100] for p in spec.params})(callback)
    renamed = app_commands.rename(**{_python_name(p): p.name for p in spec.params if _python_name(p) != p.name})
    chosen = {
        _python_name(p): [app_commands.Choice(name=c.replace("_", " "), value=c) for c in p.choices]
        for p in spec.params
        if p.kind == Kind.CHOICE
    }
    decorated = app_commands.choices(**chosen)(renamed(described)) if chosen else renamed(described)
    command: app_commands.Command[Any, ..., None] = app_commands.Command(
        name=spec.name, description=_description(spec), callback=decorated
    )
    for p in spec.params:
        if p.kind == Kind.CIRCLE:
            command.autocomplete(_python_name(p))(circle_names)
        elif p.kind == Kind.ZONE:
            command.autocomplete(_python_name(p))(zone_names)
    return command


def _do(bot: CirclesBot) -> app_commands.Command[Any, ..., None]:
    async def do(interaction: discord.Interaction[Any], text: app_commands.Range[str, 1, MAX_LINE]) -> None:
        await bot.run_command(interaction, text)

    do.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction),
            inspect.Parameter(
                "text", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=app_commands.Range[str, 1, MAX_LINE]
            ),
        ]
    )
    described = app_commands.describe(text="Any /circle command as you would type it")(do)
    return app_commands.Command(
        name="do", description="Type any /circle command as text, e.g. 'pause in=team-a'", callback=described
    )


def _python_name(param: Param) -> str:
    return f"{param.name}_" if keyword.iskeyword(param.name) else param.name


def _description(spec: Spec) -> str:
    summary = spec.summary
    return (summary[0].upper() + summary[1:])[:100]


def _annotation(param: Param) -> Any:
    match param.kind:
        case Kind.PERSON:
            return discord.User
        case Kind.NUMBER:
            return app_commands.Range[int, param.low, param.high]
        case Kind.ID:
            return app_commands.Range[int, 1, MAX_ID]
        case Kind.CHOICE:
            return str
    return app_commands.Range[str, 1, param.limit]


def _structured(value: Any) -> Any:
    """Discord's resolved user becomes who they are and what the server calls them."""
    if isinstance(value, discord.abc.User):
        return PersonRef(str(value.id), value.display_name)
    return value


async def circle_names(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    from bots.discord.client import CirclesBot

    bot = interaction.client
    assert isinstance(bot, CirclesBot)
    actor = bot.actor(interaction)
    if actor is None:
        return []
    names = await bot.service.circle_names(actor)
    return [app_commands.Choice(name=n, value=n) for n in names if current.lower() in n][:25]


async def zone_names(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    wanted = current.lower().replace(" ", "_")
    return [app_commands.Choice(name=z, value=z) for z in ZONES if wanted in z.lower()][:25]
