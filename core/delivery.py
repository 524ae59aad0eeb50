"""Carries out a committed unit of work's effects on the platform, in order.

Runs after the commit, so a refused request sends nothing. References the platform hands back
(a circle's new space, a round's thread) are saved in a unit of work of their own.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from core import views
from core.db import Database
from core.effects import (
    AddToSpace,
    ArchiveSpace,
    DirectMessage,
    Effect,
    OpenSpace,
    PostInThread,
    PostToCircle,
    RefreshThreadHeader,
    RemoveFromSpace,
    StartThread,
)
from core.formats import GROUND_RULES, get_format
from core.meeting import load_scene
from core.messages import Message
from core.models import Circle, Meeting, Person, Round
from core.port import ChatPort, MessageRef, SpaceRef, Undeliverable

log = logging.getLogger(__name__)


async def deliver(db: Database, port: ChatPort, effects: list[Effect]) -> None:
    for effect in effects:
        try:
            await _deliver_one(db, port, effect)
        except Undeliverable as error:
            log.info("undeliverable %s: %s", type(effect).__name__, error)
        except Exception:  # one failed send must not stop the rest of the request's messages
            log.exception("delivering %s failed", type(effect).__name__)


async def _deliver_one(db: Database, port: ChatPort, effect: Effect) -> None:
    match effect:
        case OpenSpace(circle_id=circle_id):
            await _open_space(db, port, circle_id)
        case AddToSpace(circle_id=circle_id, person_id=person_id):
            space, user = await _space_and_user(db, circle_id, person_id)
            if space:
                await port.add_member(space, user)
        case RemoveFromSpace(circle_id=circle_id, person_id=person_id):
            space, user = await _space_and_user(db, circle_id, person_id)
            if space:
                await port.remove_member(space, user)
        case ArchiveSpace(circle_id=circle_id):
            space = await _space(db, circle_id)
            if space:
                await port.archive_space(space)
        case PostToCircle(circle_id=circle_id, message=message):
            space = await _space(db, circle_id)
            if space:
                await port.post(space, message)
        case StartThread(round_id=round_id):
            await _start_thread(db, port, round_id)
        case PostInThread(round_id=round_id, message=message):
            thread, space = await _thread(db, round_id)
            if thread is not None:
                await port.reply(thread, message)
            elif space is not None:
                await port.post(space, message)
        case RefreshThreadHeader(round_id=round_id):
            thread, _ = await _thread(db, round_id)
            if thread is not None:
                await port.update(thread, await _header(db, round_id))
        case DirectMessage(person_id=person_id, message=message):
            async with db.unit_of_work() as uow:
                person = await uow.session.get(Person, person_id)
            if person is not None:
                await port.send_dm(person.external_id, message)


async def _open_space(db: Database, port: ChatPort, circle_id: int) -> None:
    async with db.unit_of_work() as uow:
        circle = await uow.session.get(Circle, circle_id)
        if circle is None or circle.space_ref:
            return
        members = [m.person.external_id for m in circle.active_memberships()]
        topic = f"{get_format(circle.format_key).name}. {GROUND_RULES}"
        name = circle.name
    space = await port.open_private_space(name, topic, members)
    async with db.unit_of_work() as uow:
        circle = await uow.session.get(Circle, circle_id)
        if circle is not None:
            circle.space_ref = space.id
            await uow.commit()


async def _space(db: Database, circle_id: int) -> SpaceRef | None:
    async with db.unit_of_work() as uow:
        ref = await uow.session.scalar(select(Circle.space_ref).where(Circle.id == circle_id))
    return SpaceRef(ref) if ref else None


async def _space_and_user(db: Database, circle_id: int, person_id: int) -> tuple[SpaceRef | None, str]:
    async with db.unit_of_work() as uow:
        ref = await uow.session.scalar(select(Circle.space_ref).where(Circle.id == circle_id))
        user = await uow.session.scalar(select(Person.external_id).where(Person.id == person_id))
    return (SpaceRef(ref) if ref else None), user or ""


async def _thread(db: Database, round_id: int) -> tuple[MessageRef | None, SpaceRef | None]:
    async with db.unit_of_work() as uow:
        row = (
            await uow.session.execute(
                select(Round.thread_ref, Circle.space_ref)
                .join(Meeting, Meeting.id == Round.meeting_id)
                .join(Circle, Circle.id == Meeting.circle_id)
                .where(Round.id == round_id)
            )
        ).one_or_none()
    if row is None:
        return None, None
    thread_ref, space_ref = row
    return (MessageRef.decode(thread_ref) if thread_ref else None), (SpaceRef(space_ref) if space_ref else None)


async def _header(db: Database, round_id: int) -> Message:
    async with db.unit_of_work() as uow:
        round_ = await uow.session.get(Round, round_id)
        assert round_ is not None
        meeting = await uow.session.get(Meeting, round_.meeting_id)
        assert meeting is not None
        circle = await uow.session.get(Circle, meeting.circle_id)
        assert circle is not None
        scene = await load_scene(uow, circle, meeting, get_format(circle.format_key), round_.created_at)
        return views.round_header(scene, round_)


async def _start_thread(db: Database, port: ChatPort, round_id: int) -> None:
    thread, space = await _thread(db, round_id)
    if thread is not None or space is None:
        return
    ref = await port.post(space, await _header(db, round_id))
    async with db.unit_of_work() as uow:
        round_ = await uow.session.get(Round, round_id)
        if round_ is not None:
            round_.thread_ref = ref.encode()
            await uow.commit()
