"""programme sign-ups: who asked to be placed in a programme's circles; programme names unique per workspace

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 15:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programme_sign_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("topics", sa.String(length=300), nullable=False),
        sa.Column("facilitator", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_programme_sign_ups_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_sign_ups_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_sign_ups")),
        sa.UniqueConstraint("programme_id", "person_id", name=op.f("uq_programme_sign_ups_programme_id_person_id")),
    )
    op.create_index(op.f("ix_programme_sign_ups_person_id"), "programme_sign_ups", ["person_id"], unique=False)
    op.create_index(op.f("ix_programme_sign_ups_programme_id"), "programme_sign_ups", ["programme_id"], unique=False)
    with op.batch_alter_table("programmes") as batch:
        batch.create_unique_constraint("uq_programmes_workspace_id_name", ["workspace_id", "name"])


def downgrade() -> None:
    with op.batch_alter_table("programmes") as batch:
        batch.drop_constraint("uq_programmes_workspace_id_name", type_="unique")
    op.drop_index(op.f("ix_programme_sign_ups_programme_id"), table_name="programme_sign_ups")
    op.drop_index(op.f("ix_programme_sign_ups_person_id"), table_name="programme_sign_ups")
    op.drop_table("programme_sign_ups")
