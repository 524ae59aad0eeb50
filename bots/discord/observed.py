"""Counts every call discord.py's HTTP client makes to Discord's API, and every 429, for `/metrics`.

discord.py waits out 429s itself, so the port never sees them; an aiohttp trace on its session
does, one per response. Routes are counted with their ids (and any token) replaced by `{id}`.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import discord
from aiohttp import ClientSession, TraceConfig, TraceRequestEndParams, TraceRequestExceptionParams

from bots.operations.metrics import count_platform_call

_WORD = re.compile(r"^[a-z@_-]{1,24}$")


def discord_trace() -> TraceConfig:
    trace = TraceConfig()
    trace.on_request_end.append(_ended)
    trace.on_request_exception.append(_failed)
    return trace


def route(method: str, path: str) -> str:
    """`POST /api/v10/channels/123/messages` -> `POST /channels/{id}/messages`."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api" and parts[1].startswith("v"):
        parts = parts[2:]
    return f"{method.upper()} /" + "/".join(p if _WORD.match(p) else "{id}" for p in parts)


async def _ended(_session: ClientSession, _context: SimpleNamespace, params: TraceRequestEndParams) -> None:
    count_platform_call("discord", route(params.method, params.url.path), params.response.status)


async def _failed(_session: ClientSession, _context: SimpleNamespace, params: TraceRequestExceptionParams) -> None:
    count_platform_call("discord", route(params.method, params.url.path), None, error=True)


def gateway_connected(bot: discord.Client) -> bool:
    """Ready and its gateway socket open: `is_ready()` alone stays true while discord.py reconnects."""
    socket = bot.ws
    return bot.is_ready() and not bot.is_closed() and socket is not None and bool(socket.open)
