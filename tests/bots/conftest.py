"""Fixtures shared by the adapters' tests."""

from __future__ import annotations

import pytest

from tests.fakes.discord_spec import DiscordSpec


@pytest.fixture(scope="session")
def discord_spec() -> DiscordSpec:
    """Discord's OpenAPI description takes seconds to load: once per session, for every test that
    runs the fake Discord (tests/bots/discord and the two-platform scenarios beside it)."""
    return DiscordSpec()
