"""a circle's series (how many meetings, how many days apart) and who volunteered to facilitate

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("circles") as batch:
        batch.add_column(sa.Column("meeting_count", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("cadence_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("volunteer", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("volunteer")
    with op.batch_alter_table("circles") as batch:
        batch.drop_column("cadence_days")
        batch.drop_column("meeting_count")
