"""Where installations into many workspaces live: slack_sdk's own SQLAlchemy stores, on the
project's database, with their tables created by our migrations (revision 0003), not by the SDK.

With `CIRCLES_SECRET_KEY` set, the tokens are sealed with Fernet (AES with an HMAC) before they reach
the database and opened when read, so a copy of the database alone cannot act as the bot. Without it
they are stored in plain text (the README says so). Tokens written before the key was set still read.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from typing import Any, TypeVar

from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, String
from sqlalchemy.ext.asyncio import AsyncEngine

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
OAUTH_STATES_TABLE = "slack_oauth_states"
STATE_EXPIRY_SECONDS = 600
TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
SEALED = "fernet:"

# A sealed token is longer than the token: Fernet adds 57 bytes and pads to 16 before base64, so a
# rotating token (xoxe.xoxb-…, about 150 characters) sealed is about 300, past slack_sdk's 200.
SEALED_TOKEN_LENGTH = 1000

slack_metadata = MetaData()
AsyncSQLAlchemyInstallationStore.build_installations_table(slack_metadata, INSTALLATIONS_TABLE)
AsyncSQLAlchemyInstallationStore.build_bots_table(slack_metadata, BOTS_TABLE)
AsyncSQLAlchemyOAuthStateStore.build_oauth_states_table(slack_metadata, OAUTH_STATES_TABLE)
for _table in (slack_metadata.tables[INSTALLATIONS_TABLE], slack_metadata.tables[BOTS_TABLE]):
    for _column in _table.columns:
        if _column.name in TOKEN_FIELDS:
            _column.type = String(SEALED_TOKEN_LENGTH)

Held = TypeVar("Held", Installation, Bot)


def fernet(secret: str) -> Fernet:
    """Any long random string will do as the secret: it is stretched to Fernet's 32-byte key."""
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


class SealedInstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's store with the tokens sealed at rest."""

    def __init__(self, secret: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fernet = fernet(secret)

    async def async_save(self, installation: Installation) -> None:
        await super().async_save(self._seal(installation))

    async def async_save_bot(self, bot: Bot) -> None:
        await super().async_save_bot(self._seal(bot))

    async def async_find_bot(self, **kwargs: Any) -> Bot | None:
        found = await super().async_find_bot(**kwargs)
        return None if found is None else self._open(found)

    async def async_find_installation(self, **kwargs: Any) -> Installation | None:
        found = await super().async_find_installation(**kwargs)
        return None if found is None else self._open(found)

    def _seal(self, held: Held) -> Held:
        sealed = copy.copy(held)
        for name in TOKEN_FIELDS:
            value = getattr(sealed, name, None)
            if isinstance(value, str) and not value.startswith(SEALED):  # async_save hands its bot on sealed
                setattr(sealed, name, SEALED + self.fernet.encrypt(value.encode()).decode())
        return sealed

    def _open(self, held: Held) -> Held:
        for name in TOKEN_FIELDS:
            value = getattr(held, name, None)
            if isinstance(value, str) and value.startswith(SEALED):
                setattr(held, name, self.fernet.decrypt(value[len(SEALED) :].encode()).decode())
        return held


def installation_store(
    client_id: str, engine: AsyncEngine, secret: str | None = None
) -> AsyncSQLAlchemyInstallationStore:
    tables = {"client_id": client_id, "engine": engine, "bots_table_name": BOTS_TABLE}
    tables["installations_table_name"] = INSTALLATIONS_TABLE
    if secret:
        return SealedInstallationStore(secret, **tables)
    return AsyncSQLAlchemyInstallationStore(**tables)  # type: ignore[arg-type]


def state_store(engine: AsyncEngine) -> AsyncSQLAlchemyOAuthStateStore:
    return AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_EXPIRY_SECONDS, engine=engine, table_name=OAUTH_STATES_TABLE
    )
