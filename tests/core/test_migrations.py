"""The schema is made by migrations: upgrade from empty, agreement with the models, downgrade."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from core.db import alembic_config, migrate, sync_url
from core.models import Base


def test_upgrade_matches_models_and_downgrade_empties(database_url: str) -> None:
    migrate(database_url)
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            assert set(Base.metadata.tables) <= set(inspect(conn).get_table_names())
        command.check(alembic_config(database_url))  # `alembic check`: every metadata env.py targets
        migrate(database_url)  # a second start applies nothing and fails on nothing
        command.downgrade(alembic_config(database_url), "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
