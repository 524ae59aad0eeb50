"""indexes for the lookups a request makes by something other than a key: a thread reply finds its
round by the thread's reference, and a round's commit phase counts the round's commitments

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-01 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_rounds_thread_ref"), "rounds", ["thread_ref"], unique=False)
    op.create_index(op.f("ix_commitments_round_id"), "commitments", ["round_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_commitments_round_id"), table_name="commitments")
    op.drop_index(op.f("ix_rounds_thread_ref"), table_name="rounds")
