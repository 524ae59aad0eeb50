"""Alembic environment: the models' metadata is the target; SQLite gets batch mode for ALTERs."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

import core.models  # noqa: F401  (registers every table on the metadata)
from bots.slack.store import slack_metadata
from core.models.base import Base

config = context.config
# slack_sdk's installation and OAuth state tables live beside ours, on their own metadata.
target_metadata = [Base.metadata, slack_metadata]


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
