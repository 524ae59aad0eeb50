"""The circle's own words: every enumerated value the workflow and the database share."""

from __future__ import annotations

from enum import StrEnum


class Platform(StrEnum):
    SLACK = "slack"
    DISCORD = "discord"
    PLAYGROUND = "playground"


class Mode(StrEnum):
    LIVE = "live"  # on a call, timeboxed; the facilitator of the day moves it on
    ASYNC = "async"  # in a thread; each phase runs for hours or days and the bot moves it on


class CircleStatus(StrEnum):
    FORMING = "forming"
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class Facilitation(StrEnum):
    FACILITATED = "facilitated"  # one named facilitator for every meeting
    ROTATING = "rotating"  # the facilitator of the day rotates among members
    FACILITATED_THEN_ROTATING = "facilitated_then_rotating"


class Role(StrEnum):
    MEMBER = "member"
    FACILITATOR = "facilitator"


class MeetingState(StrEnum):
    SCHEDULED = "scheduled"
    CHECK_IN = "check_in"
    BIDDING = "bidding"
    ROUNDS = "rounds"
    CLOSED = "closed"


class Phase(StrEnum):
    PRESENT = "present"
    CLARIFY = "clarify"
    EXPLORE = "explore"
    REFLECT = "reflect"
    COMMIT = "commit"
    DONE = "done"


class ContributionKind(StrEnum):
    PRESENTATION = "presentation"
    CLARIFYING_QUESTION = "clarifying_question"
    QUESTION = "question"
    FEEDBACK = "feedback"
    CHALLENGE = "challenge"
    SUGGESTION = "suggestion"
    ADVICE = "advice"
    REFLECTION = "reflection"
    ANSWER = "answer"  # the issue holder answering a clarifying question


class CommitmentStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    STUCK = "stuck"
    DROPPED = "dropped"
    CARRIED_OVER = "carried_over"


class Urgency(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def weight(self) -> int:
        return {"low": 0, "medium": 1, "high": 2}[self.value]


class BidStatus(StrEnum):
    WAITING = "waiting"
    TAKEN = "taken"
    WITHDRAWN = "withdrawn"


# Statuses that still call for action, so they carry into the next meeting's report-back.
STILL_OPEN = (
    CommitmentStatus.OPEN,
    CommitmentStatus.IN_PROGRESS,
    CommitmentStatus.STUCK,
    CommitmentStatus.CARRIED_OVER,
)
