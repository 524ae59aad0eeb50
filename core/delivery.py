"""Carries out a committed unit of work's effects on the platform, in order.

Runs after the commit, so a refused request sends nothing. One unit of work serves the whole
batch: it looks up spaces, threads and people once, and saves the references the platform hands
back (a circle's new space, a round's thread) as soon as it has them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

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
from core.port import ChatPort, MessageRef, PublishesMeetings, SendsFiles, SpaceRef, Undeliverable
from core.privacy.erase import ERASED, ForgetsAuthors

log = logging.getLogger(__name__)


async def deliver(db: Database, port: ChatPort, effects: list[Effect]) -> None:
    if not effects:
        return
    async with db.unit_of_work() as uow:
        courier = Courier(uow, port)
        for effect in effects:
            try:
                await courier.carry(effect)
            except Undeliverable as error:
                log.info("undeliverable %s: %s", type(effect).__name__, error)
            except Exception:  # one failed send must not stop the rest of the request's messages
                log.exception("delivering %s failed", type(effect).__name__)
        await uow.commit()


@dataclass
class Courier:
    uow: UnitOfWork
    port: ChatPort

    async def carry(self, effect: Effect) -> None:
        match effect:
            case OpenSpace(circle_id=circle_id):
                await self._open_space(circle_id)
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
                    self._quoted(await self._circle(circle_id), message, await self.port.post(space, message))
            case StartThread(round_id=round_id):
                await self._start_thread(round_id)
            case PostInThread(round_id=round_id, message=message):
                round_, circle = await self._round(round_id)
                if round_.thread_ref:
                    self._quoted(circle, message, await self.port.reply(MessageRef.decode(round_.thread_ref), message))
                elif circle.space_ref:
                    self._quoted(circle, message, await self.port.post(SpaceRef(circle.space_ref), message))
            case RefreshThreadHeader(round_id=round_id):
                round_, _ = await self._round(round_id)
                if round_.thread_ref:
                    await self.port.update(MessageRef.decode(round_.thread_ref), await self._header(round_id))
            case ShowCheckIn(check_in_id=check_in_id):
                await self._show_check_in(check_in_id)
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
                await redact_quotes(self.uow, self.port, person_id)
                if isinstance(self.port, ForgetsAuthors):
                    await self.port.forget_author(user_id)

    def _quoted(self, circle: Circle, message: Message, ref: MessageRef) -> None:
        """Remembers where the bot posted someone's words, so erasing them can reach the platform too."""
        for person_id in message.quoting:
            self.uow.session.add(
                QuotedMessage(person_id=person_id, workspace_id=circle.workspace_id, message_ref=ref.encode())
            )

    async def _circle(self, circle_id: int) -> Circle:
        circle = await self.uow.session.get(Circle, circle_id)
        assert circle is not None, f"circle {circle_id} vanished"
        return circle

    async def _space(self, circle_id: int) -> SpaceRef | None:
        circle = await self._circle(circle_id)
        return SpaceRef(circle.space_ref) if circle.space_ref else None

    async def _user(self, person_id: int) -> str:
        person = await self.uow.session.get(Person, person_id)
        assert person is not None, f"person {person_id} vanished"
        return person.external_id

    async def _round(self, round_id: int) -> tuple[Round, Circle]:
        round_ = await self.uow.session.get(Round, round_id)
        assert round_ is not None, f"round {round_id} vanished"
        meeting = await self.uow.session.get(Meeting, round_.meeting_id)
        assert meeting is not None
        return round_, await self._circle(meeting.circle_id)

    async def _open_space(self, circle_id: int) -> None:
        circle = await self._circle(circle_id)
        if circle.space_ref:
            return
        members = [m.person.external_id for m in circle.active_memberships()]
        topic = f"{get_format(circle.format_key).name}. {GROUND_RULES}"
        space = await self.port.open_private_space(circle.name, topic, members)
        circle.space_ref = space.id
        await self.uow.session.commit()

    async def _header(self, round_id: int) -> Message:
        round_, circle = await self._round(round_id)
        meeting = await self.uow.session.get(Meeting, round_.meeting_id)
        assert meeting is not None
        scene = Scene(self.uow, circle, meeting, get_format(circle.format_key), round_.created_at, round_)
        return views.round_header(scene, round_)

    async def _start_thread(self, round_id: int) -> None:
        round_, circle = await self._round(round_id)
        if round_.thread_ref or not circle.space_ref:
            return
        header = await self._header(round_id)
        ref = await self.port.post(SpaceRef(circle.space_ref), header)
        round_.thread_ref = ref.encode()
        self._quoted(circle, header, ref)
        await self.uow.session.commit()

    async def _show_check_in(self, check_in_id: int) -> None:
        entry = await self.uow.session.get(CheckIn, check_in_id)
        assert entry is not None, f"check-in {check_in_id} vanished"
        meeting = await self.uow.session.get(Meeting, entry.meeting_id)
        assert meeting is not None
        circle = await self._circle(meeting.circle_id)
        person = await self.uow.session.get(Person, entry.person_id)
        assert person is not None
        shown = views.checked_in(person, entry.text)
        if entry.message_ref:
            ref = MessageRef.decode(entry.message_ref)
            await self.port.update(ref, shown)
            await self._still_quoted(circle, shown, ref)
        elif circle.space_ref:
            ref = await self.port.post(SpaceRef(circle.space_ref), shown)
            entry.message_ref = ref.encode()
            self._quoted(circle, shown, ref)
            await self.uow.session.commit()

    async def _still_quoted(self, circle: Circle, message: Message, ref: MessageRef) -> None:
        """An edited message keeps its reference: it is recorded once per person whose words it carries,
        so that erasure still reaches it (a check-in posted before its quote was recorded included)."""
        if not message.quoting:
            return
        known = set(
            await self.uow.session.scalars(
                select(QuotedMessage.person_id).where(
                    QuotedMessage.person_id.in_(message.quoting), QuotedMessage.message_ref == ref.encode()
                )
            )
        )
        missing = Message(message.blocks, message.summary, tuple(p for p in message.quoting if p not in known))
        self._quoted(circle, missing, ref)

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
        meeting = await self.uow.session.get(Meeting, meeting_id)
        if meeting is None or meeting.scheduled_start is None:
            return None
        circle = await self._circle(meeting.circle_id)
        if not circle.space_ref:
            return None
        return SpaceRef(circle.space_ref), _event_title(meeting, circle), meeting


async def redact_quotes(uow: UnitOfWork, port: ChatPort, person_id: int) -> None:
    """Edits every message the bot posted with this person's words; one that fails is logged and forgotten,
    since the person's data is already gone from the database."""
    quoted = list(await uow.session.scalars(select(QuotedMessage).where(QuotedMessage.person_id == person_id)))
    for row in quoted:
        try:
            await port.update(MessageRef.decode(row.message_ref), views.plain(ERASED))
        except Exception:
            log.warning("could not edit an erased person's quoted message %s", row.id)
        await uow.session.delete(row)


def _event_title(meeting: Meeting, circle: Circle) -> str:
    """The title names the event on the platform: publishing again finds it by this, as does withdrawing."""
    return f"Meeting {meeting.number} of {circle.name}"
