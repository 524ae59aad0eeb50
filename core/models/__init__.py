"""Typed SQLAlchemy 2 models: one table each for the nouns of a circle's life."""

from core.models.base import Base, utcnow
from core.models.circles import Circle, Membership, Person, Programme, ProgrammeSignUp, Workspace
from core.models.evaluation import Applied, ProgrammeEvaluation, ReportDigest
from core.models.formation import FormationProposal
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
from core.models.privacy import Invitation, InvitationKind, InvitationState, QuotedMessage, RetentionSetting
from core.models.scheduling import DueItem, DueKind, DueState, SendPause

__all__ = [
    "Applied",
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
    "FormationProposal",
    "HandledRequest",
    "Invitation",
    "InvitationKind",
    "InvitationState",
    "Meeting",
    "MeetingFeedback",
    "Membership",
    "Person",
    "Programme",
    "ProgrammeEvaluation",
    "ProgrammeSignUp",
    "QuotedMessage",
    "ReportBack",
    "ReportDigest",
    "RetentionSetting",
    "Round",
    "SendPause",
    "Workspace",
    "utcnow",
]
