"""outbox: every effect of a committed request is a due item; an ordering key keeps a channel's order;
rate-limit pauses shared by every worker

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 14:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "send_pauses",
        sa.Column("bucket", sa.String(length=200), nullable=False),
        sa.Column("until", core.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_send_pauses")),
    )
    with op.batch_alter_table("due_items") as batch:
        batch.add_column(sa.Column("ordering_key", sa.String(length=60), nullable=True))
        batch.create_index("ix_due_items_ordering_key_id", ["ordering_key", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("due_items") as batch:
        batch.drop_index("ix_due_items_ordering_key_id")
        batch.drop_column("ordering_key")
    op.drop_table("send_pauses")
