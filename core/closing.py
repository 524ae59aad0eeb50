"""The end of a circle, one way whatever ends it: the close of its last meeting, or its lead's
`/circle end`.

Ending marks the circle CLOSED (from then on the planner and the dispatcher send nothing for it,
and commands that would write in it are refused), says so in its space, offers each member the
closing feedback, hands every open commitment back to its owner to settle (done, dropped, or kept
going on their own), and archives the space read-only. Ending twice does nothing the second time.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select, update

from core import views
from core.db import UnitOfWork
from core.effects import ArchiveSpace, PostToCircle, TellPrivately, WithdrawMeeting
from core.errors import CircleError
from core.formats import get_format
from core.meeting import set_commitment_status
from core.models import Circle, Commitment, Meeting, Person, Programme
from core.vocabulary import STILL_OPEN, CircleStatus, CommitmentStatus, MeetingState, Mode

# An open commitment of an ended circle waits for its owner's word in this status; any other is decided.
AWAITING_OWNER = CommitmentStatus.CARRIED_OVER
SETTLEMENTS = (CommitmentStatus.DONE, CommitmentStatus.DROPPED, CommitmentStatus.IN_PROGRESS)


async def end_circle(uow: UnitOfWork, circle: Circle, now: datetime, by: Person | None = None) -> bool:
    """Ends the circle; False when it had already ended (a second `/circle end`, two at once)."""
    claimed = await uow.session.execute(
        update(Circle)
        .where(Circle.id == circle.id, Circle.status != CircleStatus.CLOSED)
        .values(status=CircleStatus.CLOSED, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return False
    circle.status, circle.ended_at = CircleStatus.CLOSED, now  # retention counts from here
    uow.emit(PostToCircle(circle.id, views.circle_ended(circle, get_format(circle.format_key).close_out.closing, by)))
    await _offer_closing_feedback(uow, circle)
    await _hand_back_commitments(uow, circle, now)
    for meeting in await uow.session.scalars(
        select(Meeting).where(Meeting.circle_id == circle.id, Meeting.state == MeetingState.SCHEDULED)
    ):
        if circle.mode == Mode.LIVE and meeting.scheduled_start is not None:
            uow.emit(WithdrawMeeting(meeting.id))  # a meeting that will not be held leaves the calendar
    uow.emit(ArchiveSpace(circle.id))
    return True


async def _offer_closing_feedback(uow: UnitOfWork, circle: Circle) -> None:
    """The programme's closing questions, or for a circle with no programme its last meeting's feedback."""
    last = await uow.session.scalar(
        select(Meeting)
        .where(Meeting.circle_id == circle.id, Meeting.state == MeetingState.CLOSED)
        .order_by(Meeting.number.desc())
        .limit(1)
    )
    if last is None:
        return  # it never met: there is nothing to give feedback on
    programme = await uow.session.get(Programme, circle.programme_id) if circle.programme_id else None
    offer = views.closing_feedback(
        circle, last, programme.name if programme else None, programme.id if programme else None
    )
    for membership in circle.active_memberships():
        uow.emit(TellPrivately(membership.person_id, offer))


async def _hand_back_commitments(uow: UnitOfWork, circle: Circle, now: datetime) -> None:
    """Each owner gets one private message listing what they still had open, to settle themselves."""
    members = {m.person_id for m in circle.active_memberships()}
    open_ = await uow.session.scalars(
        select(Commitment)
        .where(Commitment.circle_id == circle.id, Commitment.status.in_(STILL_OPEN))
        .order_by(Commitment.id)
    )
    by_owner: dict[int, list[Commitment]] = defaultdict(list)
    for commitment in open_:
        set_commitment_status(uow, commitment, commitment.person_id, AWAITING_OWNER, "the circle ended", now)
        if commitment.person_id in members:
            by_owner[commitment.person_id].append(commitment)
    for person_id, commitments in by_owner.items():
        uow.emit(TellPrivately(person_id, views.commitments_at_the_end(circle, commitments)))


async def settle(
    uow: UnitOfWork, commitment: Commitment, circle: Circle, person: Person, status: CommitmentStatus, now: datetime
) -> str:
    """The owner's word on one commitment of an ended circle; the same word again is harmless, a
    different one after deciding is told what was decided."""
    if status not in SETTLEMENTS:
        raise CircleError("That choice isn't offered.")
    if circle.status != CircleStatus.CLOSED:
        raise CircleError(f"{circle.name} hasn't ended: update #{commitment.id} with /circle update.")
    if commitment.status == status:
        return f"#{commitment.id} is already {views.settled_words(status)}."
    if commitment.status != AWAITING_OWNER:
        return f"You already said #{commitment.id} is {views.settled_words(commitment.status)}."
    set_commitment_status(uow, commitment, person.id, status, "settled by its owner after the circle ended", now)
    return f"Noted: #{commitment.id} is {views.settled_words(status)}."
