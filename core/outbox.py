"""The outbox: every effect of a committed request is a row, written in the request's own transaction.

A request's effects (posts, thread replies, header updates, DMs, membership changes, calendar
events, files) become `due_items` of kind `effect`, inserted before the commit. So a request that
commits owes exactly those effects, and a request that fails owes nothing. The rows are born
claimed by this process's fast path (`Outbox.worker_now`), which sends them right after the commit;
whatever it does not confirm stays in the table, and the dispatcher (any worker) sends it once the
fast path's short lease runs out or it hands the rows back. Reminders and nudges travel the same
way: one mechanism for "now" and "later".

A DM that someone else's action sends (an invitation, a join request for the lead, a calendar file)
keeps the person's quiet hours, as `/circle quiet` promises: during them its row is born waiting,
not claimed, for the moment they end, and the dispatcher looks again when it falls due. A DM the
person asked for themselves (their data, a report) comes at once: they are at the keyboard.

Effects are stored as JSON: the neutral `Message` as typed blocks (time markers stay inline tokens in
their text) with the people it quotes, attachments' bytes as base64.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm.util import identity_key

from core import effects as fx
from core.db import UnitOfWork
from core.messages import Attachment, Message, message_from_json, message_to_json
from core.models import CheckIn, DueItem, DueKind, DueState, Meeting, Person, Round, Workspace
from core.scheduling.hours import hours_of

FAST_LEASE = timedelta(seconds=30)  # the fast path's hold on a request's effects; then anyone may send them

EFFECT_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        fx.OpenSpace,
        fx.AddToSpace,
        fx.RemoveFromSpace,
        fx.ArchiveSpace,
        fx.PostToCircle,
        fx.StartThread,
        fx.PostInThread,
        fx.RefreshThreadHeader,
        fx.PublishMeeting,
        fx.WithdrawMeeting,
        fx.SendFiles,
        fx.ShowCheckIn,
        fx.TellPrivately,
        fx.RedactQuotes,
    )
}


# Encoding ------------------------------------------------------------------------------------------


def encode_effect(effect: fx.Effect) -> dict[str, Any]:
    encoded: dict[str, Any] = {"effect": type(effect).__name__}
    for field_ in fields(effect):
        value = getattr(effect, field_.name)
        if isinstance(value, Message):
            value = message_to_json(value)
        elif field_.name == "files":
            value = [
                {
                    "filename": f.filename,
                    "media_type": f.media_type,
                    "title": f.title,
                    "content": base64.b64encode(f.content).decode("ascii"),
                }
                for f in value
            ]
        encoded[field_.name] = value
    return encoded


def decode_effect(data: dict[str, Any]) -> fx.Effect:
    cls = EFFECT_TYPES[data["effect"]]
    values: dict[str, Any] = {}
    for field_ in fields(cls):
        if field_.name not in data and field_.default is not MISSING:
            continue  # written before the field existed: its default
        value = data[field_.name]
        if field_.name == "message":
            value = message_from_json(value)
        elif field_.name == "files":
            value = tuple(
                Attachment(f["filename"], base64.b64decode(f["content"]), f["media_type"], f.get("title", ""))
                for f in value
            )
        values[field_.name] = value
    effect: fx.Effect = cls(**values)
    return effect


# Writing ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ahead:
    """What stood before a request's effects as it committed: per channel (ordering key), the
    earlier effects still unsent; `{0}` when there were too many to list, so the channel waits."""

    waiting: Mapping[str, frozenset[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Written:
    """A committed request's outbox rows, the effects they hold (sent from memory, not decoded
    again), and what was ahead of them: what its fast path needs."""

    items: list[DueItem]
    effects: Sequence[fx.Effect]
    ahead: Ahead = field(default_factory=Ahead)


async def ordering_key(uow: UnitOfWork, effect: fx.Effect) -> str:
    """Everything in one circle's space and its threads goes in one order; one person's files in theirs."""
    match effect:
        case fx.SendFiles(person_id=person_id) | fx.TellPrivately(person_id=person_id):
            return f"dm:{person_id}"
        case fx.RedactQuotes(person_id=person_id):
            return f"erase:{person_id}"
        case fx.ShowCheckIn(check_in_id=check_in_id):
            circle_id = await uow.session.scalar(
                select(Meeting.circle_id)
                .join(CheckIn, CheckIn.meeting_id == Meeting.id)
                .where(CheckIn.id == check_in_id)
            )
            return f"circle:{circle_id}"
        case (
            fx.StartThread(round_id=round_id)
            | fx.PostInThread(round_id=round_id)
            | fx.RefreshThreadHeader(round_id=round_id)
        ):
            round_ = _in_memory(uow, Round, round_id)
            meeting = _in_memory(uow, Meeting, round_.meeting_id) if round_ is not None else None
            if meeting is not None:
                return f"circle:{meeting.circle_id}"
            circle_id = await uow.session.scalar(
                select(Meeting.circle_id).join(Round, Round.meeting_id == Meeting.id).where(Round.id == round_id)
            )
            return f"circle:{circle_id}"
        case fx.PublishMeeting(meeting_id=meeting_id) | fx.WithdrawMeeting(meeting_id=meeting_id):
            if (meeting := _in_memory(uow, Meeting, meeting_id)) is not None:
                return f"circle:{meeting.circle_id}"
            return f"circle:{await uow.session.scalar(select(Meeting.circle_id).where(Meeting.id == meeting_id))}"
        case _:
            return f"circle:{effect.circle_id}"


Row = TypeVar("Row", Meeting, Round)


def _in_memory(uow: UnitOfWork, model: type[Row], row_id: int) -> Row | None:
    """A row this unit of work already holds (which circle a round or meeting is in never changes)."""
    row: Row | None = uow.session.identity_map.get(identity_key(model, row_id))
    return row


async def _ordering_key_once(uow: UnitOfWork, effect: fx.Effect, looked_up: dict[tuple[str, int], str]) -> str:
    """A request's effects mostly share one round or meeting (a reply and its header refresh): one lookup each."""
    match effect:
        case fx.StartThread(round_id=row) | fx.PostInThread(round_id=row) | fx.RefreshThreadHeader(round_id=row):
            lookup = ("round", row)
        case fx.PublishMeeting(meeting_id=row) | fx.WithdrawMeeting(meeting_id=row):
            lookup = ("meeting", row)
        case _:
            return await ordering_key(uow, effect)
    if lookup not in looked_up:
        looked_up[lookup] = await ordering_key(uow, effect)
    return looked_up[lookup]


async def write(
    uow: UnitOfWork,
    workspace_id: int,
    effects: list[fx.Effect],
    now: datetime,
    worker: str,
    lease: timedelta = FAST_LEASE,
    actor_id: int | None = None,
) -> list[DueItem]:
    """Adds the effects as rows of this unit of work, claimed by `worker` (the fast path) for a short
    lease; a DM to someone other than `actor_id` during their quiet hours waits for them instead."""
    rows = []
    batch = uuid.uuid4().hex[:16]
    looked_up: dict[tuple[str, int], str] = {}
    for index, effect in enumerate(effects):
        row = DueItem(
            key=f"effect:{batch}:{index}",
            kind=DueKind.EFFECT,
            state=DueState.CLAIMED,
            workspace_id=workspace_id,
            due_at=now,
            not_before=now,
            claimed_by=worker,
            claimed_until=now + lease,
            attempts=1,
            payload=encode_effect(effect),
            ordering_key=await _ordering_key_once(uow, effect, looked_up),
        )
        person_id = _recipient(effect)
        if person_id not in (None, actor_id) and (until := await _quiet_until(uow, person_id, workspace_id, now)):
            _hold_for(row, until, person_id)
        rows.append(row)
    uow.session.add_all(rows)
    if rows:
        await uow.session.flush()
    return rows


def _recipient(effect: fx.Effect) -> int | None:
    """The one person an effect reaches in their DMs."""
    match effect:
        case fx.SendFiles(person_id=person_id) | fx.TellPrivately(person_id=person_id):
            return person_id
    return None


async def _quiet_until(uow: UnitOfWork, person_id: int, workspace_id: int, now: datetime) -> datetime | None:
    """When the end of this person's quiet hours lets a DM reach them, if not now."""
    person = await uow.session.get(Person, person_id)
    workspace = await uow.session.get(Workspace, workspace_id)
    if person is None or workspace is None:
        return None
    return hours_of(person, workspace).held_until(now)


def _hold_for(row: DueItem, until: datetime, person_id: int) -> None:
    """Waiting for the dispatcher, which looks at the person's hours again when it falls due (`person_id`
    says whose). It keeps no channel order: what the person asks for meanwhile is not held behind it."""
    row.state = DueState.PENDING
    row.not_before = until
    row.claimed_by = row.claimed_until = None
    row.attempts = 0
    row.person_id = person_id
    row.ordering_key = None
