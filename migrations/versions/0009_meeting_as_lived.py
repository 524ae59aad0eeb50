"""the meeting as members live it: a check-in remembers where it was posted (checking in again edits it);
a commitment may be owed to the circle rather than to oneself

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("check_ins") as batch:
        batch.add_column(sa.Column("message_ref", sa.String(length=200), nullable=True))
    with op.batch_alter_table("commitments") as batch:
        batch.add_column(sa.Column("to_circle", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("commitments") as batch:
        batch.drop_column("to_circle")
    with op.batch_alter_table("check_ins") as batch:
        batch.drop_column("message_ref")
