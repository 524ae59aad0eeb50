"""What a programme's members say of it at the close-out, and the lead's wish for a monthly digest.

The closing questions are answered once per person and programme (answering again edits). The free
text is the only member text the programme lead can ever reach, and only under the rules of
`core.report.privacy`: the member ticked "share anonymously with the programme lead", and at least
three have.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, str_enum, utcnow


class Applied(StrEnum):
    """How much of what they committed to a member says they applied."""

    NONE = "none"
    SOME = "some"
    MOST = "most"
    ALL = "all"


class ProgrammeEvaluation(Base):
    __tablename__ = "programme_evaluations"
    __table_args__ = (
        UniqueConstraint("programme_id", "person_id"),
        CheckConstraint("usefulness BETWEEN 1 AND 5", name="usefulness_1_to_5"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    usefulness: Mapped[int]
    would_recommend: Mapped[bool]
    applied: Mapped[Applied] = mapped_column(str_enum(Applied))
    text: Mapped[str] = mapped_column(Text, default="")
    share_with_lead: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportDigest(Base):
    """A programme lead asked for the report by DM every month (`/circle report PROGRAMME monthly=on`)."""

    __tablename__ = "report_digests"
    __table_args__ = (UniqueConstraint("programme_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    next_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
