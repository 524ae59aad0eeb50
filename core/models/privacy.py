"""Consent and data rights: invitations and join requests, where the bot quoted someone, and the
workspace's retention setting. Kept apart from the circle's own nouns so a person's data can be
found, exported and erased by walking foreign keys."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, str_enum, utcnow
from core.vocabulary import Role


class InvitationKind(StrEnum):
    INVITE = "invite"  # the lead asked the person
    REQUEST = "request"  # the person asked the lead


class InvitationState(StrEnum):
    DRAFT = "draft"  # held back until the lead confirms a warning (the newcomer would see the past)
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Invitation(Base):
    """One person's way into one circle: nobody becomes a member without both sides agreeing.
    One row per circle and person; a new invitation or request reuses it."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("circle_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    kind: Mapped[InvitationKind] = mapped_column(str_enum(InvitationKind))
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.MEMBER)
    sees_history: Mapped[bool] = mapped_column(default=True)
    state: Mapped[InvitationState] = mapped_column(str_enum(InvitationState), default=InvitationState.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]


class QuotedMessage(Base):
    """A message the bot posted on the platform that carries someone's words, so that erasing
    that person can take their words off the platform too."""

    __tablename__ = "quoted_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    message_ref: Mapped[str] = mapped_column(String(200))
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)


class RetentionSetting(Base):
    """How long a workspace keeps what its circles said after a circle ends (None: until erased)."""

    __tablename__ = "retention_settings"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    days: Mapped[int]
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
