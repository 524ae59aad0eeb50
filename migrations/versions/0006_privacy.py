"""privacy: invitations and join requests, open circles, history choice, quoted messages, retention

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = core.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("circles") as batch:
        batch.add_column(sa.Column("open", sa.Boolean(), server_default="0", nullable=False))
        batch.add_column(sa.Column("ended_at", UTC, nullable=True))
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("sees_history", sa.Boolean(), server_default="1", nullable=False))
        batch.add_column(sa.Column("removed", sa.Boolean(), server_default="0", nullable=False))
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind", sa.Enum("invite", "request", name="invitationkind", native_enum=False, length=32), nullable=False
        ),
        sa.Column("role", sa.Enum("member", "facilitator", name="role", native_enum=False, length=32), nullable=False),
        sa.Column("sees_history", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("draft", "pending", "accepted", "declined", name="invitationstate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("decided_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_invitations_circle_id_circles"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["people.id"], name=op.f("fk_invitations_invited_by_id_people"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_invitations_person_id_people"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("circle_id", "person_id", name=op.f("uq_invitations_circle_id_person_id")),
    )
    op.create_index(op.f("ix_invitations_circle_id"), "invitations", ["circle_id"], unique=False)
    op.create_index(op.f("ix_invitations_person_id"), "invitations", ["person_id"], unique=False)
    op.create_table(
        "quoted_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("message_ref", sa.String(length=200), nullable=False),
        sa.Column("posted_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_quoted_messages_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_quoted_messages_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quoted_messages")),
    )
    op.create_index(op.f("ix_quoted_messages_person_id"), "quoted_messages", ["person_id"], unique=False)
    op.create_table(
        "retention_settings",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["people.id"], name=op.f("fk_retention_settings_set_by_id_people"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_retention_settings_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_retention_settings")),
    )


def downgrade() -> None:
    op.drop_table("retention_settings")
    op.drop_index(op.f("ix_quoted_messages_person_id"), table_name="quoted_messages")
    op.drop_table("quoted_messages")
    op.drop_index(op.f("ix_invitations_person_id"), table_name="invitations")
    op.drop_index(op.f("ix_invitations_circle_id"), table_name="invitations")
    op.drop_table("invitations")
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("removed")
        batch.drop_column("sees_history")
    with op.batch_alter_table("circles") as batch:
        batch.drop_column("ended_at")
        batch.drop_column("open")
