"""Metrics through the fake Discord: a slash command is counted by kind and outcome, the REST
calls discord.py makes are counted by route (ids replaced), and a 429 that discord.py waits out
is counted too, though the port never sees it."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from bots.discord.observed import route
from bots.operations.metrics import instrument_service
from tests.bots.discord.conftest import Harness, command, said

pytestmark = pytest.mark.asyncio(loop_scope="module")
CREATE_CHANNEL = "POST /guilds/{id}/channels"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_routes_are_counted_without_ids_or_tokens() -> None:
    assert route("post", "/api/v10/guilds/123/channels") == CREATE_CHANNEL
    assert route("PATCH", "/api/v10/channels/1/messages/2") == "PATCH /channels/{id}/messages/{id}"
    assert route("POST", "/api/v10/webhooks/9/aW50ZXJhY3Rpb246MTIz/messages/@original") == (
        "POST /webhooks/{id}/{id}/messages/@original"
    )


async def test_a_slash_command_and_its_calls_are_counted(harness: Harness) -> None:
    h = harness
    instrument_service(h.service)
    g = await h.guild()
    commands = sample("circles_requests_total", kind="command", outcome="ok")
    created = sample("circles_platform_calls_total", platform="discord", method=CREATE_CHANNEL, outcome="ok")
    limited = sample("circles_platform_rate_limited_total", platform="discord", method=CREATE_CHANNEL)
    trap = h.fake.trap_rate_limit("POST", rf"/guilds/{g.id}/channels$", retry_after=0.01)
    answer = await command(h, g, g.people[0], "new", name="counted")
    assert "is set up" in said(answer)
    assert trap.sprung == 1
    assert sample("circles_requests_total", kind="command", outcome="ok") == commands + 1
    assert sample("circles_platform_rate_limited_total", platform="discord", method=CREATE_CHANNEL) == limited + 1
    assert (
        sample("circles_platform_calls_total", platform="discord", method=CREATE_CHANNEL, outcome="ok") >= created + 1
    )
    assert sample("circles_request_seconds_count", kind="command") >= 1
