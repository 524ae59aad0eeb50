"""a circle's weekly slot (where meeting 1 falls, in which zone) and its calendar's sequence

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 17:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("circles") as batch:
        batch.add_column(sa.Column("series_start", core.models.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("series_zone", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("calendar_sequence", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("circles") as batch:
        batch.drop_column("calendar_sequence")
        batch.drop_column("series_zone")
        batch.drop_column("series_start")
