"""What happens in and between meetings: check-ins, bids, rounds, contributions, commitments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, str_enum, utcnow
from core.vocabulary import BidStatus, CommitmentStatus, ContributionKind, MeetingState, Phase, Urgency


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("circle_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    scheduled_start: Mapped[datetime | None]
    duration_minutes: Mapped[int]
    state: Mapped[MeetingState] = mapped_column(str_enum(MeetingState), default=MeetingState.SCHEDULED)
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Optimistic locking: two workers moving the same meeting on at once cannot both succeed.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class CheckIn(Base):
    __tablename__ = "check_ins"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    message_ref: Mapped[str | None] = mapped_column(String(200))  # where it was posted: checking in again edits it


class Bid(Base):
    """A member asking for airtime with a live issue; at most one per person per meeting."""

    __tablename__ = "bids"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(Text)
    urgency: Mapped[Urgency] = mapped_column(str_enum(Urgency), default=Urgency.MEDIUM)
    minutes: Mapped[int] = mapped_column(default=20)
    status: Mapped[BidStatus] = mapped_column(str_enum(BidStatus), default=BidStatus.WAITING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Round(Base):
    """One issue worked by the circle, from the holder's presentation to their commitments."""

    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("meeting_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    issue_holder_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    bid_id: Mapped[int | None] = mapped_column(ForeignKey("bids.id", ondelete="SET NULL"))
    topic: Mapped[str] = mapped_column(Text)
    phase: Mapped[Phase] = mapped_column(str_enum(Phase), default=Phase.PRESENT)
    phase_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    phase_deadline: Mapped[datetime | None] = mapped_column(index=True)
    thread_ref: Mapped[str | None] = mapped_column(String(200), index=True)  # a thread reply finds its round
    slot_start: Mapped[datetime | None]
    slot_end: Mapped[datetime | None]
    holder_passed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)  # see Meeting.version

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    contributions: Mapped[list[Contribution]] = relationship(
        lazy="raise", order_by="Contribution.id", back_populates="round"
    )


class Contribution(Base):
    __tablename__ = "contributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    phase: Mapped[Phase] = mapped_column(str_enum(Phase))
    kind: Mapped[ContributionKind] = mapped_column(str_enum(ContributionKind))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    round: Mapped[Round] = relationship(back_populates="contributions", lazy="raise")


class Commitment(Base):
    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    # indexed: a round's commit phase counts its commitments at every step
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id", ondelete="SET NULL"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None]
    to_circle: Mapped[bool] = mapped_column(default=False, server_default=false())  # owed to the circle, not oneself
    status: Mapped[CommitmentStatus] = mapped_column(str_enum(CommitmentStatus), default=CommitmentStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    updates: Mapped[list[CommitmentUpdate]] = relationship(
        lazy="selectin", order_by="CommitmentUpdate.id", back_populates="commitment"
    )


class CommitmentUpdate(Base):
    """The history of a commitment: every status change with its note, oldest first."""

    __tablename__ = "commitment_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    status: Mapped[CommitmentStatus] = mapped_column(str_enum(CommitmentStatus))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    commitment: Mapped[Commitment] = relationship(back_populates="updates", lazy="raise")


class ReportBack(Base):
    """What a member says at a meeting about a commitment made at an earlier one."""

    __tablename__ = "report_backs"
    __table_args__ = (UniqueConstraint("meeting_id", "commitment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id", ondelete="CASCADE"))
    status: Mapped[CommitmentStatus] = mapped_column(str_enum(CommitmentStatus))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MeetingFeedback(Base):
    __tablename__ = "meeting_feedback"
    __table_args__ = (
        UniqueConstraint("meeting_id", "person_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_1_to_5"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    rating: Mapped[int]
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HandledRequest(Base):
    """Keys of requests already applied, so a re-delivered event or a double click is applied once."""

    __tablename__ = "handled_requests"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
