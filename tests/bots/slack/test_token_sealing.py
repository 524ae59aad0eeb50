"""Slack installation tokens at rest: sealed with CIRCLES_SECRET_KEY, plain text without it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.fernet import InvalidToken
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import text

from bots.slack.store import BOTS_TABLE, INSTALLATIONS_TABLE, installation_store, slack_metadata
from core.db import Database

TOKEN = "xoxb-T9-a-real-looking-bot-token-0123456789"


def installation() -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=None,
        team_id="T9",
        bot_token=TOKEN,
        bot_id="B1",
        bot_user_id="UB1",
        bot_scopes="chat:write",
        user_id="U1",
        user_token="xoxp-user-secret",
        installed_at=datetime(2026, 12, 1, tzinfo=UTC).timestamp(),
    )


async def stored_tokens(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        rows = list(await conn.execute(text(f"SELECT bot_token FROM {BOTS_TABLE}")))
        rows += list(await conn.execute(text(f"SELECT bot_token FROM {INSTALLATIONS_TABLE}")))
        rows += list(await conn.execute(text(f"SELECT user_token FROM {INSTALLATIONS_TABLE}")))
    return [str(r[0]) for r in rows]


async def test_tokens_are_sealed_with_the_key_and_opened_on_use(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(slack_metadata.create_all)
    store = installation_store("111.222", db.engine, "a long random secret for the tests")
    await store.async_save(installation())
    stored = await stored_tokens(db)
    assert len(stored) == 3
    assert all(t.startswith("fernet:") for t in stored)
    assert not any(TOKEN in t or "xoxp-user-secret" in t for t in stored)
    bot = await store.async_find_bot(enterprise_id=None, team_id="T9")
    assert bot is not None
    assert bot.bot_token == TOKEN
    found = await store.async_find_installation(enterprise_id=None, team_id="T9")
    assert found is not None
    assert (found.bot_token, found.user_token) == (TOKEN, "xoxp-user-secret")
    wrong = installation_store("111.222", db.engine, "another secret")
    with pytest.raises(InvalidToken):  # a wrong key cannot open them
        await wrong.async_find_bot(enterprise_id=None, team_id="T9")


async def test_without_a_key_tokens_are_plain_and_still_read_after_a_key_is_set(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(slack_metadata.create_all)
    await installation_store("111.222", db.engine).async_save(installation())
    assert TOKEN in await stored_tokens(db)
    bot = await installation_store("111.222", db.engine, "new secret").async_find_bot(enterprise_id=None, team_id="T9")
    assert bot is not None
    assert bot.bot_token == TOKEN


async def test_a_sealed_rotating_token_fits_its_column(db: Database) -> None:
    """Token rotation hands out xoxe.xoxb-… tokens of about 150 characters; sealed they are twice that,
    which PostgreSQL refused in slack_sdk's 200-character columns (the tables come from our migrations,
    whose agreement with this metadata tests/core/test_migrations.py checks)."""
    async with db.engine.begin() as conn:
        await conn.run_sync(slack_metadata.create_all)
    rotating = "xoxe.xoxb-1-" + "MS0yLTEyMzQ1Njc4OTAxMi0" * 7
    refresh = "xoxe-1-" + "My0xLTEyMzQ1Njc4OTAxMi0" * 7
    long_lived = installation()
    long_lived.bot_token, long_lived.bot_refresh_token = rotating, refresh
    long_lived.user_token, long_lived.user_refresh_token = rotating, refresh
    store = installation_store("111.222", db.engine, "a long random secret for the tests")
    await store.async_save(long_lived)
    assert max(len(t) for t in await stored_tokens(db)) > 200
    bot = await store.async_find_bot(enterprise_id=None, team_id="T9")
    assert bot is not None
    assert (bot.bot_token, bot.bot_refresh_token) == (rotating, refresh)
    found = await store.async_find_installation(enterprise_id=None, team_id="T9")
    assert found is not None
    assert (found.user_token, found.user_refresh_token) == (rotating, refresh)
