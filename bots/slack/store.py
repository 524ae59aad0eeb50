"""Where installations into many workspaces live: slack_sdk's own SQLAlchemy stores, on the
project's database, with their tables created by our migrations (revision 0003), not by the SDK."""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
OAUTH_STATES_TABLE = "slack_oauth_states"
STATE_EXPIRY_SECONDS = 600

slack_metadata = MetaData()
AsyncSQLAlchemyInstallationStore.build_installations_table(slack_metadata, INSTALLATIONS_TABLE)
AsyncSQLAlchemyInstallationStore.build_bots_table(slack_metadata, BOTS_TABLE)
AsyncSQLAlchemyOAuthStateStore.build_oauth_states_table(slack_metadata, OAUTH_STATES_TABLE)


def installation_store(client_id: str, engine: AsyncEngine) -> AsyncSQLAlchemyInstallationStore:
    return AsyncSQLAlchemyInstallationStore(
        client_id=client_id,
        engine=engine,
        bots_table_name=BOTS_TABLE,
        installations_table_name=INSTALLATIONS_TABLE,
    )


def state_store(engine: AsyncEngine) -> AsyncSQLAlchemyOAuthStateStore:
    return AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_EXPIRY_SECONDS, engine=engine, table_name=OAUTH_STATES_TABLE
    )
