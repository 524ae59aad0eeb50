"""Carries out one effect of a committed request on the platform (the outbox's rows, `core.outbox`).

The dispatcher calls `Courier.carry` for each row, in its channel's order, after the commit: a
refused request sends nothing. An effect that creates platform state (a circle's space, a round's
thread, a check-in's message) returns the reference the platform handed back as a `Saved`, which the
dispatcher writes in the same statement that marks the row sent, so nothing is created twice by a later
retry. So does every post that carries someone's words (`Message.quoting`): where it went is recorded in
that write, so that erasing the person can reach it.

The request's own process sends its effects right after its commit, and hands over the rows the
request had loaded (`Known`): those are read from memory instead of the database again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any, Literal, TypeVar

from sqlalchemy import inspect, select

from core import views
from core.db import Database, UnitOfWork
from core.effects import (
    AddToSpace,
    ArchiveSpace,
    Effect,
    OpenSpace,
    PostInThread,
    PostToCircle,
    PublishMeeting,
    RedactQuotes,
    RefreshThreadHeader,
    RemoveFromSpace,
    SendFiles,
    ShowCheckIn,
    StartThread,
    TellPrivately,
    WithdrawMeeting,
)
from core.formats import GROUND_RULES, get_format
from core.meeting import Scene
from core.messages import Message
from core.models import CheckIn, Circle, Meeting, Person, QuotedMessage, Round
from core.port import ChatPort, MessageRef, PublishesMeetings, SendsFiles, SpaceRef
from core.privacy.erase import ERASED, ForgetsAuthors

log = logging.getLogger(__name__)

Row = TypeVar("Row", Circle, Meeting, Round, Person)


class Known:
    """Rows a committed request loaded, as it committed them, for its own effects' delivery.

    Only whole rows are given out (every column loaded; a circle with its members and their people).
    A platform reference (a circle's space, a round's thread) is written once, by a send, and never
    changed: a circle or round the request saw without one is read again, because an earlier send may
    have made it since. Anything else a later request changes, it sends again after this (per circle,
    in order), so what these rows say is never the last word. A row is checked when it is asked for:
    a request loads a dozen rows and its effects ask for one or two."""

    def __init__(self, rows: dict[tuple[type[Any], int], Any] | None = None) -> None:
        self.rows = rows or {}

    @classmethod
    def of(cls, loaded: Iterable[object]) -> Known:
        return cls({(type(row), row.id): row for row in loaded if isinstance(row, Circle | Meeting | Round | Person)})

    def get(self, model: type[Row], row_id: int) -> Row | None:
        row: Row | None = self.rows.get((model, row_id))
        return row if row is not None and _usable(row) else None


def _usable(row: Circle | Meeting | Round | Person) -> bool:
    if not _whole(row):
        return False
    if isinstance(row, Circle):
        return bool(row.space_ref) and _with_members(row)
    if isinstance(row, Round):
        return bool(row.thread_ref)
    return True


NOTHING_KNOWN = Known()


def _whole(row: object) -> bool:
    state = inspect(row)
    present: dict[str, Any] = state.dict
    return present.keys() >= _columns(state.mapper)


@cache
def _columns(mapper: Any) -> frozenset[str]:
    return frozenset(mapper.column_attrs.keys())


def _with_members(circle: Circle) -> bool:
    if "memberships" in inspect(circle).unloaded:
        return False
    return all("person" not in inspect(m).unloaded and _whole(m.person) for m in circle.memberships)


@dataclass(frozen=True)
class Quoted:
    """A message the bot posted that carries this person's words (a `QuotedMessage` row to write)."""

    person_id: int
    workspace_id: int
    message_ref: str


@dataclass(frozen=True)
class Saved:
    """What a send leaves for the database: a reference the platform handed back (a circle's space, a
    round's thread, a check-in's message), where someone's words were posted, and the quoted-message
    rows an erasure has dealt with."""

    table: Literal["circle", "round", "check_in"] | None = None
    row_id: int = 0
    ref: str = ""
    quoted: tuple[Quoted, ...] = ()
    unquoted: tuple[int, ...] = ()  # QuotedMessage ids whose messages were edited for an erasure


async def carry(db: Database, port: ChatPort, effect: Effect, known: Known = NOTHING_KNOWN) -> Saved | None:
    """Looks up what the effect needs (spaces, threads, people) and carries it out."""
    async with db.unit_of_work() as uow:
        return await Courier(uow, port, known).carry(effect)


@dataclass
class Courier:
    uow: UnitOfWork
    port: ChatPort
    known: Known = NOTHING_KNOWN
    # The session holds its rows weakly: kept here, a row read once is not read again for this effect.
    _read: list[object] = field(default_factory=list)

    async def _get(self, model: type[Row], row_id: int) -> Row | None:
        row = self.known.get(model, row_id)
        if row is None:
            row = await self.uow.session.get(model, row_id)
            self._read.append(row)
        return row

    async def carry(self, effect: Effect) -> Saved | None:
        match effect:
            case OpenSpace(circle_id=circle_id):
                return await self._open_space(circle_id)
            case StartThread(round_id=round_id):
                return await self._start_thread(round_id)
            case AddToSpace(circle_id=circle_id, person_id=person_id, history=history):
                if space := await self._space(circle_id):
                    await self.port.add_member(space, await self._user(person_id), history)
            case RemoveFromSpace(circle_id=circle_id, person_id=person_id):
                if space := await self._space(circle_id):
                    await self.port.remove_member(space, await self._user(person_id))
            case ArchiveSpace(circle_id=circle_id):
                if space := await self._space(circle_id):
                    await self.port.archive_space(space)
            case PostToCircle(circle_id=circle_id, message=message):
                if space := await self._space(circle_id):
                    return _quoted(await self._circle(circle_id), message, await self.port.post(space, message))
            case PostInThread(round_id=round_id, message=message):
                round_, circle = await self._round(round_id)
                if round_.thread_ref:
                    return _quoted(
                        circle, message, await self.port.reply(MessageRef.decode(round_.thread_ref), message)
                    )
                if circle.space_ref:
                    return _quoted(circle, message, await self.port.post(SpaceRef(circle.space_ref), message))
            case RefreshThreadHeader(round_id=round_id):
                round_, _ = await self._round(round_id)
                if round_.thread_ref:
                    await self.port.update(MessageRef.decode(round_.thread_ref), await self._header(round_id))
            case ShowCheckIn(check_in_id=check_in_id):
                return await self._show_check_in(check_in_id)
            case PublishMeeting(meeting_id=meeting_id):
                if isinstance(self.port, PublishesMeetings):
                    await self._publish_meeting(meeting_id)
            case WithdrawMeeting(meeting_id=meeting_id):
                if isinstance(self.port, PublishesMeetings):
                    await self._withdraw_meeting(meeting_id)
            case SendFiles(person_id=person_id, message=message, files=files):
                user = await self._user(person_id)
                if isinstance(self.port, SendsFiles):
                    await self.port.send_files(user, message, files)
                else:
                    await self.port.send_dm(user, views.files_unavailable(message))
            case TellPrivately(person_id=person_id, message=message):
                await self.port.send_dm(await self._user(person_id), message)
            case RedactQuotes(person_id=person_id, user_id=user_id):
                unquoted = await redact_quotes(self.uow, self.port, person_id)
                if isinstance(self.port, ForgetsAuthors):
                    await self.port.forget_author(user_id)
                return Saved(unquoted=unquoted) if unquoted else None
        return None

    async def _circle(self, circle_id: int) -> Circle:
        circle = await self._get(Circle, circle_id)
        assert circle is not None, f"circle {circle_id} vanished"
        return circle

    async def _space(self, circle_id: int) -> SpaceRef | None:
        circle = await self._circle(circle_id)
        return SpaceRef(circle.space_ref) if circle.space_ref else None

    async def _user(self, person_id: int) -> str:
        person = await self._get(Person, person_id)
        assert person is not None, f"person {person_id} vanished"
        return person.external_id

    async def _round(self, round_id: int) -> tuple[Round, Circle]:
        round_ = await self._get(Round, round_id)
        assert round_ is not None, f"round {round_id} vanished"
        meeting = await self._get(Meeting, round_.meeting_id)
        assert meeting is not None
        return round_, await self._circle(meeting.circle_id)

    async def _open_space(self, circle_id: int) -> Saved | None:
        circle = await self._circle(circle_id)
        if circle.space_ref:
            return None
        members = [m.person.external_id for m in circle.active_memberships()]
        topic = f"{get_format(circle.format_key).name}. {GROUND_RULES}"
        space = await self.port.open_private_space(circle.name, topic, members)
        return Saved("circle", circle_id, space.id)

    async def _header(self, round_id: int) -> Message:
        round_, circle = await self._round(round_id)
        meeting = await self._get(Meeting, round_.meeting_id)
        assert meeting is not None
        scene = Scene(self.uow, circle, meeting, get_format(circle.format_key), round_.created_at, round_)
        return views.round_header(scene, round_)

    async def _start_thread(self, round_id: int) -> Saved | None:
        round_, circle = await self._round(round_id)
        if round_.thread_ref or not circle.space_ref:
            return None
        header = await self._header(round_id)
        ref = await self.port.post(SpaceRef(circle.space_ref), header)
        return Saved("round", round_id, ref.encode(), _quotes(circle, header, ref))

    async def _show_check_in(self, check_in_id: int) -> Saved | None:
        """Posted once; checking in again edits that post (its ref is saved with the send)."""
        entry = await self.uow.session.get(CheckIn, check_in_id)
        if entry is None:
            return None
        meeting = await self._get(Meeting, entry.meeting_id)
        assert meeting is not None
        circle = await self._circle(meeting.circle_id)
        person = await self._get(Person, entry.person_id)
        assert person is not None
        shown = views.checked_in(person, entry.text)
        if entry.message_ref:
            ref = MessageRef.decode(entry.message_ref)
            await self.port.update(ref, shown)
            return await self._still_quoted(circle, shown, ref)
        if circle.space_ref:
            ref = await self.port.post(SpaceRef(circle.space_ref), shown)
            return Saved("check_in", check_in_id, ref.encode(), _quotes(circle, shown, ref))
        return None

    async def _still_quoted(self, circle: Circle, message: Message, ref: MessageRef) -> Saved | None:
        """An edited message keeps its reference: it is recorded once per person whose words it carries,
        so that erasure still reaches it (a check-in posted before its quote was recorded included)."""
        if not message.quoting:
            return None
        known = set(
            await self.uow.session.scalars(
                select(QuotedMessage.person_id).where(
                    QuotedMessage.person_id.in_(message.quoting), QuotedMessage.message_ref == ref.encode()
                )
            )
        )
        missing = Message(message.blocks, message.summary, tuple(p for p in message.quoting if p not in known))
        return _quoted(circle, missing, ref)

    async def _withdraw_meeting(self, meeting_id: int) -> None:
        assert isinstance(self.port, PublishesMeetings)
        if event := await self._meeting_event(meeting_id):
            space, title, _ = event
            await self.port.withdraw_meeting(space, title)

    async def _publish_meeting(self, meeting_id: int) -> None:
        """Platforms with a calendar of their own (Discord's scheduled events) show the meeting there."""
        assert isinstance(self.port, PublishesMeetings)
        if event := await self._meeting_event(meeting_id):
            space, title, meeting = event
            assert meeting.scheduled_start is not None
            end = meeting.scheduled_start + timedelta(minutes=meeting.duration_minutes)
            await self.port.publish_meeting(space, title, meeting.scheduled_start, end)

    async def _meeting_event(self, meeting_id: int) -> tuple[SpaceRef, str, Meeting] | None:
        """Where a scheduled meeting's calendar event lives and what it is called; None when it has none."""
        meeting = await self._get(Meeting, meeting_id)
        if meeting is None or meeting.scheduled_start is None:
            return None
        circle = await self._circle(meeting.circle_id)
        if not circle.space_ref:
            return None
        return SpaceRef(circle.space_ref), _event_title(meeting, circle), meeting


def _quotes(circle: Circle, message: Message, ref: MessageRef) -> tuple[Quoted, ...]:
    return tuple(Quoted(person_id, circle.workspace_id, ref.encode()) for person_id in message.quoting)


def _quoted(circle: Circle, message: Message, ref: MessageRef) -> Saved | None:
    """Where the bot posted someone's words, so erasing them can reach the platform too."""
    quoted = _quotes(circle, message, ref)
    return Saved(quoted=quoted) if quoted else None


async def redact_quotes(uow: UnitOfWork, port: ChatPort, person_id: int) -> tuple[int, ...]:
    """Edits every message the bot posted with this person's words; one that fails is logged and forgotten,
    since the person's data is already gone from the database. Returns the rows dealt with (deleted with
    the send's outcome; a resend edits again, to the same words)."""
    quoted = list(await uow.session.scalars(select(QuotedMessage).where(QuotedMessage.person_id == person_id)))
    for row in quoted:
        try:
            await port.update(MessageRef.decode(row.message_ref), views.plain(ERASED))
        except Exception:
            log.warning("could not edit an erased person's quoted message %s", row.id)
    return tuple(row.id for row in quoted)


def _event_title(meeting: Meeting, circle: Circle) -> str:
    """The title names the event on the platform: publishing again finds it by this, as does withdrawing."""
    return f"Meeting {meeting.number} of {circle.name}"
