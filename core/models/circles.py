"""Who is where: workspaces, people, programmes, circles and memberships."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, str_enum, utcnow
from core.vocabulary import CircleStatus, Facilitation, Mode, Platform, Role


class Workspace(Base):
    """A Slack team, a Discord guild or the playground: the boundary no content crosses."""

    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[Platform] = mapped_column(str_enum(Platform))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    default_timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("workspace_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str | None] = mapped_column(String(64))
    timezone_asked_at: Mapped[datetime | None]
    department: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[int | None]
    quiet_from: Mapped[time] = mapped_column(default=lambda: time(21, 0))
    quiet_until: Mapped[time] = mapped_column(default=lambda: time(8, 0))
    weekends_quiet: Mapped[bool] = mapped_column(default=False)
    nudges_enabled: Mapped[bool] = mapped_column(default=True)
    nudges_paused_until: Mapped[datetime | None]
    dm_undeliverable_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    workspace: Mapped[Workspace] = relationship(lazy="raise")


class Programme(Base):
    """A cohort of circles that a programme lead sets up together."""

    __tablename__ = "programmes"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    format_key: Mapped[str] = mapped_column(String(64))
    cadence_days: Mapped[int]
    meeting_count: Mapped[int]
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProgrammeSignUp(Base):
    """Someone who asked to be placed in one of a programme's circles. Department, level and time
    zone live on the `Person` (they outlast one programme); what is particular to this programme
    is kept here."""

    __tablename__ = "programme_sign_ups"
    __table_args__ = (UniqueConstraint("programme_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    topics: Mapped[str] = mapped_column(String(300), default="")  # separated by ;
    facilitator: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(lazy="joined")


class Circle(Base):
    __tablename__ = "circles"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(80))
    format_key: Mapped[str] = mapped_column(String(64))
    module_key: Mapped[str | None] = mapped_column(String(64))
    mode: Mapped[Mode] = mapped_column(str_enum(Mode), default=Mode.LIVE)
    status: Mapped[CircleStatus] = mapped_column(str_enum(CircleStatus), default=CircleStatus.FORMING)
    facilitation: Mapped[Facilitation] = mapped_column(str_enum(Facilitation))
    space_ref: Mapped[str | None] = mapped_column(String(100), index=True)
    open: Mapped[bool] = mapped_column(default=False, server_default="0")  # anyone may join without asking
    # The series: how many meetings the circle holds and how many days apart. After the last one the
    # circle closes. None on circles made before series existed: they run until someone ends them.
    meeting_count: Mapped[int | None]
    cadence_days: Mapped[int | None]
    # The weekly slot the series was given (`core.scheduling.series`): where meeting 1 falls on it, in
    # which zone its wall-clock time holds, and how often its calendar changed (the .ics SEQUENCE).
    series_start: Mapped[datetime | None]
    series_zone: Mapped[str | None] = mapped_column(String(64))
    calendar_sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    ended_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="circle", lazy="selectin", order_by="Membership.id"
    )

    def active_memberships(self) -> list[Membership]:
        return [m for m in self.memberships if m.left_at is None]


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("circle_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.MEMBER)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]
    ground_rules_accepted_at: Mapped[datetime | None]
    sees_history: Mapped[bool] = mapped_column(default=True, server_default="1")
    removed: Mapped[bool] = mapped_column(default=False, server_default="0")  # back only by a new invitation
    volunteer: Mapped[bool] = mapped_column(default=False, server_default="0")  # willing to facilitate
    note: Mapped[str] = mapped_column(Text, default="")

    circle: Mapped[Circle] = relationship(back_populates="memberships", lazy="raise")
    person: Mapped[Person] = relationship(lazy="joined")
