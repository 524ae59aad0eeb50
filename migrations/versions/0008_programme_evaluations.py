"""programme evaluations (the close-out's closing questions) and the lead's monthly report digest

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-01 14:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programme_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("usefulness", sa.Integer(), nullable=False),
        sa.Column("would_recommend", sa.Boolean(), nullable=False),
        sa.Column(
            "applied",
            sa.Enum("none", "some", "most", "all", name="applied", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("share_with_lead", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("usefulness BETWEEN 1 AND 5", name=op.f("ck_programme_evaluations_usefulness_1_to_5")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_programme_evaluations_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_evaluations_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_evaluations")),
        sa.UniqueConstraint("programme_id", "person_id", name=op.f("uq_programme_evaluations_programme_id_person_id")),
    )
    op.create_index(op.f("ix_programme_evaluations_person_id"), "programme_evaluations", ["person_id"], unique=False)
    op.create_index(
        op.f("ix_programme_evaluations_programme_id"), "programme_evaluations", ["programme_id"], unique=False
    )
    op.create_table(
        "report_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("next_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_report_digests_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_report_digests_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_digests")),
        sa.UniqueConstraint("programme_id", "person_id", name=op.f("uq_report_digests_programme_id_person_id")),
    )
    op.create_index(op.f("ix_report_digests_programme_id"), "report_digests", ["programme_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_report_digests_programme_id"), table_name="report_digests")
    op.drop_table("report_digests")
    op.drop_index(op.f("ix_programme_evaluations_programme_id"), table_name="programme_evaluations")
    op.drop_index(op.f("ix_programme_evaluations_person_id"), table_name="programme_evaluations")
    op.drop_table("programme_evaluations")
