"""Typed SQLAlchemy 2 models: one table each for the nouns of a circle's life."""

from core.models.base import Base, utcnow
from core.models.circles import Circle, Membership, Person, Programme, ProgrammeSignUp, Workspace
from core.models.meetings import (
    Bid,
    CheckIn,
    Commitment,
    CommitmentUpdate,
    Contribution,
    HandledRequest,
    Meeting,
    MeetingFeedback,
    ReportBack,
    Round,
)
from core.models.scheduling import DueItem, DueKind, DueState, SendPause

__all__ = [
    "Base",
    "Bid",
    "CheckIn",
    "Circle",
    "Commitment",
    "CommitmentUpdate",
    "Contribution",
    "DueItem",
    "DueKind",
    "DueState",
    "HandledRequest",
    "Meeting",
    "MeetingFeedback",
    "Membership",
    "Person",
    "Programme",
    "ProgrammeSignUp",
    "ReportBack",
    "Round",
    "SendPause",
    "Workspace",
    "utcnow",
]
