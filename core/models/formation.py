"""The circles `/circle form` proposed for a programme, kept as the lead saw them.

One standing proposal per programme: a re-run or a move replaces what it holds and raises its
`revision`, and the buttons under a proposal carry the revision they showed, so a confirm creates
exactly what the lead saw or nothing. `sign_ups` fingerprints what formation read, so a proposal
made before someone signed up (or changed their answers) is refused rather than confirmed.
`confirmed_at` is set by one conditional UPDATE: whoever sets it creates the circles, once. The
revision is also the row's version: a re-run or move that read it before someone else changed it
(a confirm, another re-run) writes nothing and is told so.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, utcnow


class FormationProposal(Base):
    __tablename__ = "formation_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), unique=True)
    revision: Mapped[int] = mapped_column(default=1)
    seed: Mapped[int]
    sign_ups: Mapped[str] = mapped_column(String(64))  # sha256 of what formation read
    circles: Mapped[list[list[int]]] = mapped_column(JSON)  # person ids, circle by circle, as shown
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)  # the rules it relaxed, in words
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]

    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}  # noqa: RUF012
