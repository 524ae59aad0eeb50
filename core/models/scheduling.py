"""What the bot owes people between meetings: one row per reminder, check-in, nudge or deadline.

The database, not the scheduler's memory, says what is due, and what a committed request still
owes the platform (kind `effect`: the outbox, one mechanism for "now" and "later"). A row's `key` names what it is for
("reminder:24h:meeting:12:at:202612021000:person:5"), so planning the same thing twice is a no-op
and a row that was sent is never planned again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, str_enum, utcnow


class DueKind(StrEnum):
    MEETING_REMINDER = "meeting_reminder"
    CALL_FOR_BIDS = "call_for_bids"
    PHASE_DEADLINE = "phase_deadline"
    PHASE_NUDGE = "phase_nudge"
    COMMITMENT_CHECK_IN = "commitment_check_in"
    CHECK_IN_NUDGE = "check_in_nudge"
    FEEDBACK_REQUEST = "feedback_request"
    UNDELIVERABLE_NOTICE = "undeliverable_notice"
    TIMEZONE_QUESTION = "timezone_question"
    REPORT_DIGEST = "report_digest"  # the programme lead's monthly report (core.report)
    TIMEBOX_ALERT = "timebox_alert"  # a live phase's time is up: to today's facilitator, privately
    BREAK_OFFER = "break_offer"  # a long live meeting reached its format's break point: to the circle
    PLANNING_PROBLEM = "planning_problem"  # a circle whose reminders could not be planned: its lead is told
    REFUSED_NOTICE = "refused_notice"  # the platform refused a message to a circle: its lead is told once a day
    EFFECT = "effect"  # an outgoing effect of a committed request (core.outbox): now, not later


class DueState(StrEnum):
    PENDING = "pending"  # waiting for its moment (not_before)
    CLAIMED = "claimed"  # a worker holds it until claimed_until; after that anyone may take it again
    SENT = "sent"
    DROPPED = "dropped"  # no longer meaningful (meeting over, commitment settled, nudges off)
    UNDELIVERABLE = "undeliverable"  # the platform will never take it (DMs closed, person gone)


class DueItem(Base):
    __tablename__ = "due_items"
    __table_args__ = (
        Index("ix_due_items_state_not_before", "state", "not_before"),
        Index("ix_due_items_ordering_key_id", "ordering_key", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[DueKind] = mapped_column(str_enum(DueKind))
    state: Mapped[DueState] = mapped_column(str_enum(DueState), default=DueState.PENDING)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    circle_id: Mapped[int | None] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("commitments.id", ondelete="CASCADE"))
    due_at: Mapped[datetime]  # the moment it is meant for
    not_before: Mapped[datetime]  # the next moment it may be sent: quiet hours and back-off move it
    expires_at: Mapped[datetime | None]  # after this it is dropped unsent
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Items with the same key go out one at a time, in id order, whichever worker sends them
    # ("circle:12" for a circle's space and threads, "dm:5" for one person's DMs).
    ordering_key: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SendPause(Base):
    """A platform's "wait" (429 Retry-After) for one bucket, shared by every worker: each learns of it
    within a moment and holds its sends to that bucket until `until`, so the bucket hears one probe."""

    __tablename__ = "send_pauses"

    bucket: Mapped[str] = mapped_column(String(200), primary_key=True)
    until: Mapped[datetime]
