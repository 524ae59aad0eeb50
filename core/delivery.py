"""Carries out one effect of a committed request on the platform (the outbox's rows, `core.outbox`).

The dispatcher calls `Courier.carry` for each row, in its channel's order, after the commit: a
refused request sends nothing. An effect that creates platform state (a circle's space, a round's
thread) returns the reference the platform handed back as a `Saved`, which the dispatcher writes
in the same statement that marks the row sent, so nothing is created twice by a later retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

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
    RefreshThreadHeader,
    RemoveFromSpace,
    SendFiles,
    StartThread,
    WithdrawMeeting,
)
from core.formats import GROUND_RULES, get_format
from core.meeting import Scene
from core.messages import Message
from core.models import Circle, Meeting, Person, Round
from core.port import ChatPort, MessageRef, PublishesMeetings, SendsFiles, SpaceRef

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Saved:
    """A reference the platform handed back: a circle's space, or a round's thread."""

    table: Literal["circle", "round"]
    row_id: int
    ref: str


async def carry(db: Database, port: ChatPort, effect: Effect) -> Saved | None:
    """Looks up what the effect needs (spaces, threads, people) and carries it out."""
    async with db.unit_of_work() as uow:
        return await Courier(uow, port).carry(effect)


@dataclass
class Courier:
    uow: UnitOfWork
    port: ChatPort

    async def carry(self, effect: Effect) -> Saved | None:
        match effect:
            case OpenSpace(circle_id=circle_id):
                return await self._open_space(circle_id)
            case StartThread(round_id=round_id):
                return await self._start_thread(round_id)
            case AddToSpace(circle_id=circle_id, person_id=person_id):
                if space := await self._space(circle_id):
                    await self.port.add_member(space, await self._user(person_id))
            case RemoveFromSpace(circle_id=circle_id, person_id=person_id):
                if space := await self._space(circle_id):
                    await self.port.remove_member(space, await self._user(person_id))
            case ArchiveSpace(circle_id=circle_id):
                if space := await self._space(circle_id):
                    await self.port.archive_space(space)
            case PostToCircle(circle_id=circle_id, message=message):
                if space := await self._space(circle_id):
                    await self.port.post(space, message)
            case PostInThread(round_id=round_id, message=message):
                round_, circle = await self._round(round_id)
                if round_.thread_ref:
                    await self.port.reply(MessageRef.decode(round_.thread_ref), message)
                elif circle.space_ref:
                    await self.port.post(SpaceRef(circle.space_ref), message)
            case RefreshThreadHeader(round_id=round_id):
                round_, _ = await self._round(round_id)
                if round_.thread_ref:
                    await self.port.update(MessageRef.decode(round_.thread_ref), await self._header(round_id))
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
        return None

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
        meeting = await self.uow.session.get(Meeting, round_.meeting_id)
        assert meeting is not None
        scene = Scene(self.uow, circle, meeting, get_format(circle.format_key), round_.created_at, round_)
        return views.round_header(scene, round_)

    async def _start_thread(self, round_id: int) -> Saved | None:
        round_, circle = await self._round(round_id)
        if round_.thread_ref or not circle.space_ref:
            return None
        ref = await self.port.post(SpaceRef(circle.space_ref), await self._header(round_id))
        return Saved("round", round_id, ref.encode())

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


def _event_title(meeting: Meeting, circle: Circle) -> str:
    """The title names the event on the platform: publishing again finds it by this, as does withdrawing."""
    return f"Meeting {meeting.number} of {circle.name}"
