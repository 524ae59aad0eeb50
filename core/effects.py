"""What a handler wants done on the platform once its unit of work has committed.

Handlers never call the platform while a transaction is open: they record effects, and
`core.delivery` carries them out after the commit, in order. A refused request therefore sends
nothing, and a crash before the commit sends nothing either.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.messages import Attachment, Message


@dataclass(frozen=True)
class OpenSpace:
    circle_id: int


@dataclass(frozen=True)
class AddToSpace:
    circle_id: int
    person_id: int
    history: bool = True  # False: a late joiner the lead chose not to show what was said before


@dataclass(frozen=True)
class RemoveFromSpace:
    circle_id: int
    person_id: int


@dataclass(frozen=True)
class ArchiveSpace:
    circle_id: int


@dataclass(frozen=True)
class PostToCircle:
    circle_id: int
    message: Message


@dataclass(frozen=True)
class StartThread:
    """Posts the round's header in the circle's space; its reference becomes the round's thread."""

    round_id: int


@dataclass(frozen=True)
class PostInThread:
    round_id: int
    message: Message


@dataclass(frozen=True)
class RefreshThreadHeader:
    round_id: int


@dataclass(frozen=True)
class ShowCheckIn:
    """A member's check-in in the circle's space: posted once, then edited in place when they check in again."""

    check_in_id: int


@dataclass(frozen=True)
class PublishMeeting:
    """A live meeting's time, for platforms with calendar events (Discord's scheduled events)."""

    meeting_id: int


@dataclass(frozen=True)
class WithdrawMeeting:
    """A meeting that has closed: its calendar event goes, so it no longer shows as coming up."""

    meeting_id: int


@dataclass(frozen=True)
class SendFiles:
    """Files for one person only, with a message that explains them, in their DM (a download in the
    playground). Platforms that cannot send files get the message with a note instead."""

    person_id: int
    message: Message
    files: tuple[Attachment, ...]


@dataclass(frozen=True)
class TellPrivately:
    """A DM to one person: an invitation to accept, a join request for the lead to decide."""

    person_id: int
    message: Message


@dataclass(frozen=True)
class RedactQuotes:
    """The bot's own messages that quoted this person are edited to say their words were erased."""

    person_id: int
    user_id: str  # their platform id, kept here because erasure clears it from the database


Effect = (
    OpenSpace
    | AddToSpace
    | RemoveFromSpace
    | ArchiveSpace
    | PostToCircle
    | StartThread
    | PostInThread
    | RefreshThreadHeader
    | ShowCheckIn
    | PublishMeeting
    | WithdrawMeeting
    | SendFiles
    | TellPrivately
    | RedactQuotes
)
