"""Claims the due items, decides what each still means, sends it through the workspace's port and
records the outcome.

Exactly once, as far as a chat platform allows:
- A claim is one atomic UPDATE: on PostgreSQL the rows are picked `FOR UPDATE SKIP LOCKED`, so two
  workers never claim the same item; on SQLite one process is assumed (its writes are serialised).
- A claim is a lease (`claimed_until`). A worker killed between claiming and sending leaves the
  item claimed; once the lease runs out another worker takes it and sends it once.
- An item is marked sent only after the platform accepted it, and right after: sent items are
  written in group commits (those that arrive during one write go in the next, optionally after
  `record_window` seconds), so the window in which a crash could send something twice is one
  short write. Nothing is ever marked sent that was not sent.
- Refused sends come back later: 429 pauses the platform and retries after `retry_after`; other
  errors back off exponentially; `Undeliverable` (DMs closed, person gone) is final, and the
  circle's facilitator is told once.
Messages to one person (or one space) go out one after another in due order.

The outbox (`core.outbox`) is delivered here too: a request's effects are rows of kind `effect`,
which the request's own process sends at once (`send_now`, the fast path) and any worker sends
later if they were not confirmed. Rows with the same `ordering_key` (a circle's space and threads,
one person's DMs) go out one at a time in id order across workers: a claim is serialised (an
advisory lock on PostgreSQL), never takes a key another worker holds, and hands back any row
that has an earlier unsent effect of its key waiting. A 429 pauses its whole bucket (the channel,
the workspace, or the platform, as the platform says), and after it one send probes alone. While
outcomes cannot be written nothing more is sent: the ledger retries until the database is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    CompoundSelect,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    null,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from core import facilitation, outbox
from core.delivery import NOTHING_KNOWN, Known, Saved, carry
from core.effects import Effect
from core.formats import get_format
from core.messages import Message
from core.models import (
    CheckIn,
    Circle,
    Commitment,
    Contribution,
    DueItem,
    DueKind,
    DueState,
    Meeting,
    MeetingFeedback,
    Person,
    QuotedMessage,
    Round,
    SendPause,
    Workspace,
)
from core.models.base import UTCDateTime
from core.port import RateLimited, Refused, SpaceRef, Undeliverable, sending_key
from core.report.command import digest_messages
from core.scheduling import views
from core.scheduling.hours import hours_of
from core.scheduling.pacing import Pacer, Sleep
from core.service import CircleService
from core.vocabulary import STILL_OPEN, CircleStatus, MeetingState, Phase, Platform, Role

log = logging.getLogger(__name__)

NUDGE_KINDS = (DueKind.COMMITMENT_CHECK_IN, DueKind.CHECK_IN_NUDGE, DueKind.PHASE_NUDGE)
MAX_ATTEMPTS = 8
UNREACHABLE_FOR = timedelta(days=7)  # a closed DM is not tried again for a week
MIN_RETRY = timedelta(seconds=1)
DB_ERRORS = (SQLAlchemyError, OSError)
LEASE_MARGIN = timedelta(seconds=5)  # a row whose lease ends sooner is not sent: another worker may take it
LEARN_EVERY = 0.2  # seconds between looks at the pauses other workers were told
LEARNED_LAG = timedelta(seconds=2 * LEARN_EVERY)
LOOK_AHEAD = 100  # earlier unsent effects a request reads of its channels; more, and they all wait
SETTLED_MEMORY = 4096  # outcomes this process remembers settling, for its own next requests
FINAL = (DueState.SENT, DueState.DROPPED, DueState.UNDELIVERABLE)
CLAIM_LOCK = 7_214_014  # PostgreSQL advisory lock: claims never interleave, so a channel's order holds


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# What an item comes to -------------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    message: Message
    person: Person | None = None  # a DM to this person, else a post in `space`
    space: str | None = None
    # Also shown to one person only, in a circle's space: (space, their platform id, message).
    private_notice: tuple[str, str, Message] | None = None


@dataclass(frozen=True)
class Carry:
    """An outbox row: one effect of a committed request."""

    effect: Effect


@dataclass(frozen=True)
class AdvanceRounds:
    """An async phase's time is up: the service moves the round on (re-checked under a row lock)."""


@dataclass(frozen=True)
class LiveNotice:
    """A live meeting's time's-up or break notice: `core.facilitation` words and sends it."""


@dataclass(frozen=True)
class Drop:
    reason: str
    loud: bool = False  # logged at INFO: something fell due and will never be sent


@dataclass(frozen=True)
class Defer:
    until: datetime
    reason: str


@dataclass(frozen=True)
class Unreachable:
    reason: str


Outcome = Send | Carry | AdvanceRounds | LiveNotice | Drop | Defer | Unreachable


@dataclass
class Job:
    item: DueItem
    outcome: Outcome
    workspace: Workspace
    channel: str  # what keeps its order: "circle:12", "dm:5", "rounds"
    worker: str = ""  # who holds the claim: the dispatcher, or its fast path
    known: Known = NOTHING_KNOWN  # rows the request loaded (the fast path), read instead of the database
    learned: bool = False  # the pauses were read just before (with its channel's order): no read of its own

    @property
    def platform(self) -> Platform:
        return self.workspace.platform


@dataclass
class Settlement:
    """One item's new state, written with others in a single statement."""

    item_id: int
    state: DueState
    not_before: datetime
    error: str = ""
    sent_at: datetime | None = None
    asked_timezone: int | None = None  # person id: remember they were asked
    unreachable: int | None = None  # person id whose DMs are closed
    notice: dict[str, Any] | None = None  # a one-off notice row to plan for the facilitator
    worker: str = ""  # whose claim this settles
    saved: Saved | None = None  # a reference the platform handed back, stored in the same write
    written: asyncio.Future[None] | None = None  # set once the write went through


# The facts a batch is decided on ---------------------------------------------------------------


@dataclass
class _Facts:
    people: dict[int, Person] = field(default_factory=dict)
    workspaces: dict[int, Workspace] = field(default_factory=dict)
    circles: dict[int, Circle] = field(default_factory=dict)
    meetings: dict[int, Meeting] = field(default_factory=dict)
    commitments: dict[int, Commitment] = field(default_factory=dict)
    rounds: dict[int, Round] = field(default_factory=dict)
    spoken: set[tuple[int, str, int]] = field(default_factory=set)  # (round, phase, person)
    committed_rounds: set[int] = field(default_factory=set)
    feedback: set[tuple[int, int]] = field(default_factory=set)  # (meeting, person)
    digests: dict[int, Message] = field(default_factory=dict)  # item id -> the lead's monthly report

    @classmethod
    async def load(cls, session: Any, items: list[DueItem]) -> _Facts:
        facts = cls()

        def ids(name: str) -> set[int]:
            return {value for item in items if (value := getattr(item, name)) is not None}

        async def by_id(model: Any, wanted: set[int]) -> dict[int, Any]:
            if not wanted:
                return {}
            return {row.id: row for row in await session.scalars(select(model).where(model.id.in_(wanted)))}

        facts.workspaces = await by_id(Workspace, ids("workspace_id"))
        facts.circles = await by_id(Circle, ids("circle_id"))
        facts.people = await by_id(Person, ids("person_id"))
        for circle in facts.circles.values():
            facts.people.update({m.person_id: m.person for m in circle.memberships})
        facts.meetings = await by_id(Meeting, ids("meeting_id"))
        facts.commitments = await by_id(Commitment, ids("commitment_id"))
        round_ids = ids("round_id")
        facts.rounds = await by_id(Round, round_ids)
        if round_ids:
            rows = await session.execute(
                select(Contribution.round_id, Contribution.phase, Contribution.person_id).where(
                    Contribution.round_id.in_(round_ids)
                )
            )
            facts.spoken = {(r, Phase(p).value, person) for r, p, person in rows}
            facts.committed_rounds = set(
                await session.scalars(select(Commitment.round_id).where(Commitment.round_id.in_(round_ids)))
            )
        feedback_meetings = {i.meeting_id for i in items if i.kind == DueKind.FEEDBACK_REQUEST and i.meeting_id}
        if feedback_meetings:
            rows = await session.execute(
                select(MeetingFeedback.meeting_id, MeetingFeedback.person_id).where(
                    MeetingFeedback.meeting_id.in_(feedback_meetings)
                )
            )
            facts.feedback = {(m, p) for m, p in rows}
        if any(item.kind == DueKind.REPORT_DIGEST for item in items):
            facts.digests = await digest_messages(session, items)
        return facts


def _name(circle: Circle, person_id: int | None) -> str:
    for membership in circle.memberships:
        if membership.person_id == person_id:
            return membership.person.display_name
    return "nobody yet"


def _facilitator(circle: Circle, meeting: Meeting | None, about: int | None) -> Person | None:
    """Who runs the circle: the meeting's facilitator, a named facilitator, or whoever set it up."""
    members = {m.person_id: m for m in circle.active_memberships()}
    candidates = [meeting.facilitator_id if meeting else None]
    candidates += [m.person_id for m in members.values() if m.role == Role.FACILITATOR]
    candidates.append(circle.created_by_id)
    for person_id in candidates:
        if person_id is not None and person_id != about and person_id in members:
            return members[person_id].person
    return None


def decide(item: DueItem, facts: _Facts, now: datetime) -> Outcome:
    """What a claimed item comes to now: a message, a round to move on, later, or never."""
    if item.kind == DueKind.EFFECT:  # a committed request's: carried out whatever happened since
        if item.person_id is not None:  # a DM held for the person's quiet hours (`outbox.write`)
            return _after_quiet_hours(item, facts, now)
        return Carry(outbox.decode_effect(item.payload))
    if item.expires_at is not None and now >= item.expires_at:
        return Drop(f"fell due at {item.due_at:%Y-%m-%d %H:%M} UTC; no longer meaningful", loud=True)
    if item.attempts > MAX_ATTEMPTS:
        last = item.last_error.split("(", 1)[0]  # the error's type: its message may echo a member's words
        return Drop(f"gave up after {MAX_ATTEMPTS} attempts: {last}", loud=True)
    circle = facts.circles.get(item.circle_id) if item.circle_id is not None else None
    if item.circle_id is not None and (circle is None or circle.status in (CircleStatus.PAUSED, CircleStatus.CLOSED)):
        return Drop("the circle is paused or closed")
    if item.kind == DueKind.PHASE_DEADLINE:
        round_ = facts.rounds.get(item.round_id or 0)
        if round_ is None or round_.phase.value != item.payload.get("phase"):
            return Drop("the round has already moved on")
        return AdvanceRounds()
    if item.kind == DueKind.CALL_FOR_BIDS:
        return _call_for_bids(item, facts, circle)
    if item.kind in (DueKind.TIMEBOX_ALERT, DueKind.BREAK_OFFER):
        return LiveNotice() if facilitation.still_meaningful(item, facts.meetings, facts.rounds) else Drop("moved on")
    return _direct_message(item, facts, circle, now)


def _after_quiet_hours(item: DueItem, facts: _Facts, now: datetime) -> Outcome:
    """Their hours again, as they are now: they may have moved zone or changed their quiet hours."""
    person = facts.people.get(item.person_id or 0)
    if person is None:
        return Drop("the person is gone")
    if (until := hours_of(person, facts.workspaces[item.workspace_id]).held_until(now)) is not None:
        return Defer(until, "quiet hours")
    return Carry(outbox.decode_effect(item.payload))


def _call_for_bids(item: DueItem, facts: _Facts, circle: Circle | None) -> Outcome:
    meeting = facts.meetings.get(item.meeting_id or 0)
    if circle is None or meeting is None or meeting.state != MeetingState.SCHEDULED:
        return Drop("the meeting is no longer ahead")
    if not circle.space_ref:
        return Drop("the circle has no space yet")
    zone = facts.workspaces[item.workspace_id].default_timezone
    return Send(views.call_for_bids(circle, meeting, zone), space=circle.space_ref)


def _direct_message(item: DueItem, facts: _Facts, circle: Circle | None, now: datetime) -> Outcome:
    if item.kind == DueKind.REFUSED_NOTICE:
        lead = _facilitator(circle, None, None) if circle is not None else None
        if lead is None or circle is None:
            return Drop("nobody to tell")
        return Send(views.refused_notice(circle), person=lead)
    person = facts.people.get(item.person_id or 0)
    if person is None:
        return Drop("the person is gone")
    target: Person | None = person
    if item.kind == DueKind.UNDELIVERABLE_NOTICE:
        target = _facilitator(circle, facts.meetings.get(item.meeting_id or 0), person.id) if circle else None
        if target is None:
            return Drop("nobody to tell")
    elif circle is not None and all(m.person_id != person.id for m in circle.active_memberships()):
        return Drop("no longer in the circle")
    assert target is not None
    if target.dm_undeliverable_at is not None and now - target.dm_undeliverable_at < UNREACHABLE_FOR:
        return Unreachable("their DMs were closed recently")
    if item.kind in NUDGE_KINDS:
        if not target.nudges_enabled:
            return Drop("nudges are off")
        if target.nudges_paused_until is not None and target.nudges_paused_until > now:
            return _later(item, target.nudges_paused_until, "nudges are paused")
    hours = hours_of(target, facts.workspaces[item.workspace_id])
    if hours.is_quiet(now):
        return _later(item, hours.next_allowed_moment(now), "quiet hours")
    rendered = _render(item, facts, circle, person, hours.zone.key)
    if isinstance(rendered, Drop):
        return rendered
    if item.kind == DueKind.UNDELIVERABLE_NOTICE and circle is not None and circle.space_ref:
        notice = (circle.space_ref, person.external_id, views.dms_closed_for_you())
        return Send(rendered, person=target, private_notice=notice)
    return Send(rendered, person=target)


def _later(item: DueItem, until: datetime, reason: str) -> Outcome:
    if item.expires_at is not None and until >= item.expires_at:
        return Drop(f"{reason} last until it no longer matters", loud=True)
    return Defer(until, reason)


def _render(item: DueItem, facts: _Facts, circle: Circle | None, person: Person, zone: str) -> Message | Drop:
    meeting = facts.meetings.get(item.meeting_id or 0)
    commitment = facts.commitments.get(item.commitment_id or 0)
    round_ = facts.rounds.get(item.round_id or 0)
    match item.kind:
        case DueKind.TIMEZONE_QUESTION:
            return Drop("their time zone is known now") if person.timezone else views.timezone_question(zone)
        case DueKind.REPORT_DIGEST:
            return facts.digests.get(item.id) or Drop("the digest was turned off")
        case _ if circle is None:
            return Drop("the circle is gone")
        case DueKind.UNDELIVERABLE_NOTICE:
            return views.undeliverable_notice(circle, person.display_name)
        case DueKind.PLANNING_PROBLEM:
            return views.planning_problem(circle)
        case DueKind.MEETING_REMINDER:
            if meeting is None or meeting.state != MeetingState.SCHEDULED or meeting.scheduled_start is None:
                return Drop("the meeting has started or moved")
            fmt = get_format(circle.format_key)
            return views.meeting_reminder(circle, meeting, fmt, _name(circle, meeting.facilitator_id), zone)
        case DueKind.COMMITMENT_CHECK_IN | DueKind.CHECK_IN_NUDGE:
            if commitment is None or commitment.status not in STILL_OPEN:
                return Drop("the commitment is settled")
            next_start = datetime.fromisoformat(item.payload["next_start"])
            if item.kind == DueKind.COMMITMENT_CHECK_IN:
                return views.commitment_check_in(circle, commitment, next_start, zone)
            if commitment.updated_at >= datetime.fromisoformat(item.payload["quiet_since"]):
                return Drop("they have checked in since")
            return views.check_in_nudge(circle, commitment, next_start, zone)
        case DueKind.PHASE_NUDGE:
            if round_ is None or round_.phase.value != item.payload.get("phase"):
                return Drop("the round has moved on")
            if (round_.id, round_.phase.value, person.id) in facts.spoken or (
                round_.phase == Phase.COMMIT and (round_.holder_passed or round_.id in facts.committed_rounds)
            ):
                return Drop("they have contributed")
            return views.phase_nudge(circle, round_, _name(circle, round_.issue_holder_id), zone)
        case DueKind.FEEDBACK_REQUEST:
            if meeting is None or (meeting.id, person.id) in facts.feedback:
                return Drop("feedback already given")
            return views.feedback_request(circle, meeting)
    return Drop(f"unknown kind {item.kind}")


# The ledger: outcomes written in group commits -------------------------------------------------


_ITEMS = DueItem.__table__
SETTLE = (
    update(_ITEMS)  # type: ignore[arg-type]
    .where(
        _ITEMS.c.id == bindparam("b_id"),
        # A row that went out is marked sent even if its lease ran out meanwhile (a long outage).
        or_(_ITEMS.c.claimed_by == bindparam("b_worker"), bindparam("b_sent", type_=Boolean())),
    )
    .values(
        state=bindparam("b_state", type_=_ITEMS.c.state.type),
        not_before=bindparam("b_not_before", type_=UTCDateTime()),
        last_error=bindparam("b_error"),
        sent_at=bindparam("b_sent_at", type_=UTCDateTime()),
        claimed_until=None,
    )
)


class Ledger:
    """Writes settlements as they come, all that queued up during the previous write at once.

    A write that fails is tried again until the database answers: the outcome of a message that
    went out is never forgotten. Meanwhile `ready()` holds back every sender of this process."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._queue: list[Settlement] = []
        self._pauses: dict[str, datetime] = {}  # rate-limit pauses to share with the other workers
        self._writer: asyncio.Task[None] | None = None
        self._failing = False
        self._healthy: asyncio.Event | None = None
        # Items this process settled for good (sent, dropped, undeliverable), written or about to be:
        # a request that saw them unsent as it committed need not wait for them.
        self._settled: OrderedDict[int, None] = OrderedDict()

    @property
    def healthy(self) -> bool:
        return not self._failing

    async def ready(self) -> None:
        """Returns once outcomes can be written (at once, unless a write is failing)."""
        while self._failing:
            if self._healthy is None:
                self._healthy = asyncio.Event()
            await self._healthy.wait()

    def note(self, settlement: Settlement) -> None:
        self._queue.append(settlement)
        if settlement.state in FINAL:
            self._settled[settlement.item_id] = None
            if len(self._settled) > SETTLED_MEMORY:
                self._settled.popitem(last=False)
        self._start()

    def unsettled(self, item_ids: Iterable[int]) -> bool:
        """Whether any of these items is still owed, as far as this process knows (an item it does
        not remember settling, another worker's or long ago, counts as owed)."""
        return any(item_id not in self._settled for item_id in item_ids)

    def share(self, bucket: str, until: datetime) -> None:
        """A pause the platform gave this worker, written for the others to read (see Dispatcher._learn)."""
        self._pauses[bucket] = max(until, self._pauses.get(bucket, until))
        self._start()

    def _start(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())

    async def drain(self) -> None:
        while self._writer is not None and not self._writer.done():
            await self._writer

    async def _write_all(self) -> None:
        while self._queue or self._pauses:
            if self.dispatcher.record_window and len(self._queue) < self.dispatcher.batch_size:
                await self.dispatcher.sleep(self.dispatcher.record_window)
            batch, self._queue = self._queue, []
            pauses, self._pauses = self._pauses, {}
            failures = 0
            while True:
                try:
                    await self._write(batch, pauses)
                    break
                except DB_ERRORS as error:
                    failures += 1
                    self._failing = True
                    if failures == 1 or failures % 30 == 0:
                        log.warning("could not record %d outcomes yet, trying again: %s", len(batch), error)
                    await asyncio.sleep(min(0.05 * 2**failures, 1.0))  # wire time, not the meeting clock
                    batch, self._queue = batch + self._queue, []
                    pauses, self._pauses = {**pauses, **self._pauses}, {}
            if self._failing:
                log.info("recorded %d outcomes after %d failed attempts", len(batch), failures)
            self._failing = False
            if self._healthy is not None:
                self._healthy.set()
                self._healthy = None
            for settlement in batch:
                if settlement.written is not None and not settlement.written.done():
                    settlement.written.set_result(None)

    async def _write(self, batch: list[Settlement], pauses: dict[str, datetime] | None = None) -> None:
        """One transaction on a bare connection: these are rows, not objects with a life in a session."""
        dispatcher = self.dispatcher
        now = dispatcher.clock.now()
        upserting = sqlite.insert if dispatcher.db.is_sqlite else postgresql.insert
        async with dispatcher.db.engine.begin() as conn:
            if pauses:
                upsert = upserting(SendPause)
                longer = case((upsert.excluded.until > SendPause.until, upsert.excluded.until), else_=SendPause.until)
                await conn.execute(
                    upsert.on_conflict_do_update(index_elements=["bucket"], set_={"until": longer}),
                    [{"bucket": bucket, "until": until} for bucket, until in pauses.items()],
                )
            if not batch:
                return
            await conn.execute(
                SETTLE,
                [
                    {
                        "b_id": s.item_id,
                        "b_worker": s.worker or dispatcher.worker,
                        "b_sent": s.state == DueState.SENT,
                        "b_state": s.state,
                        "b_not_before": s.not_before,
                        "b_error": s.error[:500],
                        "b_sent_at": s.sent_at,
                    }
                    for s in batch
                ],
            )
            await _save(conn, [s.saved for s in batch if s.saved is not None], now)
            unreachable = {s.unreachable for s in batch if s.unreachable is not None}
            if unreachable:
                await conn.execute(update(Person).where(Person.id.in_(unreachable)).values(dm_undeliverable_at=now))
            asked = {s.asked_timezone for s in batch if s.asked_timezone is not None}
            if asked:
                await conn.execute(update(Person).where(Person.id.in_(asked)).values(timezone_asked_at=now))
            notices = list({s.notice["key"]: s.notice for s in batch if s.notice is not None}.values())
            if notices:
                await conn.execute(upserting(DueItem).on_conflict_do_nothing(index_elements=["key"]), notices)


async def _save(conn: AsyncConnection, saves: list[Saved], now: datetime) -> None:
    """What the sends left for the database, in the write that marks them sent."""
    for saved in saves:
        if saved.table is not None:
            model: Any = {"circle": Circle, "round": Round, "check_in": CheckIn}[saved.table]
            column = {"circle": "space_ref", "round": "thread_ref", "check_in": "message_ref"}[saved.table]
            await conn.execute(update(model).where(model.id == saved.row_id).values({column: saved.ref}))
    quoted = [
        {"person_id": q.person_id, "workspace_id": q.workspace_id, "message_ref": q.message_ref, "posted_at": now}
        for saved in saves
        for q in saved.quoted
    ]
    if quoted:
        await conn.execute(insert(QuotedMessage), quoted)
    unquoted = [row_id for saved in saves for row_id in saved.unquoted]
    if unquoted:
        await conn.execute(delete(QuotedMessage).where(QuotedMessage.id.in_(unquoted)))


# Buckets: who waits together when the platform says 429 -----------------------------------------

Bucket = tuple[str, ...]


def buckets(job: Job) -> tuple[Bucket, Bucket, Bucket]:
    platform = job.platform.value
    return (platform,), (platform, str(job.workspace.id)), (platform, str(job.workspace.id), job.channel)


def bucket_of(job: Job, scope: str) -> Bucket:
    every, workspace, channel = buckets(job)
    return {"global": every, "channel": channel}.get(scope, workspace)


# The dispatcher --------------------------------------------------------------------------------


class Dispatcher:
    def __init__(
        self,
        service: CircleService,
        *,
        worker: str | None = None,
        batch_size: int = 500,
        concurrency: int = 16,
        lease: timedelta = timedelta(minutes=5),
        rates: Mapping[Platform, float] | None = None,
        max_inline_wait: float = 5.0,
        record_window: float = 0.0,
        burst: int = 1,
        sleep: Sleep | None = None,
    ) -> None:
        self.service = service
        self.db = service.db
        self.clock = service.clock
        self.worker = worker or worker_name()
        self.worker_now = f"{self.worker}:now"  # the fast path's claims, told apart from the dispatcher's
        self.fast_lease = outbox.FAST_LEASE
        # A batch must go out well within its lease, or another worker would take it over meanwhile.
        slowest = min(rates.values()) if rates else None
        self.batch_size = min(batch_size, max(1, int(slowest * lease.total_seconds() / 4))) if slowest else batch_size
        self.concurrency = concurrency
        self.lease = lease
        self.lease_margin = min(LEASE_MARGIN, lease / 4)
        self.max_inline_wait = max_inline_wait
        self.record_window = record_window  # seconds outcomes may gather before one write
        self.burst = burst
        self.sleep: Sleep = sleep or asyncio.sleep
        self._rates = dict(rates or {})
        self._pacers: dict[Platform, Pacer] = {}
        # A bucket's pause from the platform's Retry-After, on the meeting clock and on the wire's own
        # clock: it is over when either says so (the same moment, unless a test moves the clock).
        self._paused: dict[Bucket, tuple[datetime, float]] = {}
        self.monotonic: Callable[[], float] = time.monotonic
        self._learned_at = float("-inf")
        self._learning = False
        self._probing: dict[Bucket, asyncio.Lock] = {}  # after a 429 one send at a time, until one passes
        self._keys: dict[str, asyncio.Lock] = {}  # the fast path's channels in this process
        self._held: dict[str, datetime] = {}  # channels that must wait this tick (an earlier row was put back)
        self.on_released: Callable[[float], None] | None = None  # something was put back: wake the dispatcher
        self.stopping = False  # set on shutdown: nothing new is started, what is under way finishes
        self.ledger = Ledger(self)

    def pacer(self, platform: Platform) -> Pacer:
        if platform not in self._pacers:
            self._pacers[platform] = Pacer(self._rates.get(platform), self.burst, sleep=self.sleep)
        return self._pacers[platform]

    async def tick(self) -> int:
        """Sends everything due now; returns how many went out. A database outage ends the tick
        early without losing anything: the next tick carries on."""
        sent = 0
        self._held.clear()
        try:
            batch = await self.claim()
            while batch and not self.stopping:
                upcoming = asyncio.create_task(self.claim())  # read ahead while this batch sends
                try:
                    sent += await self._run(batch)
                finally:
                    batch = await upcoming
            for job in batch:  # claimed as we were stopping: handed back at once
                self._release(job, self.clock.now(), "the worker stopped")
        except DB_ERRORS as error:
            log.warning("database unavailable, trying again on the next tick: %s", error)
        await self.ledger.drain()
        return sent

    async def claim(self) -> list[Job]:
        """Atomically takes up to `batch_size` due items (or items whose lease ran out)."""
        await self.ledger.ready()
        now = self.clock.now()
        due = or_(
            and_(DueItem.state == DueState.PENDING, DueItem.not_before <= now),
            and_(DueItem.state == DueState.CLAIMED, DueItem.claimed_until <= now),
        )
        other = aliased(DueItem)
        held_elsewhere = exists().where(
            other.ordering_key == DueItem.ordering_key,
            other.state == DueState.CLAIMED,
            other.claimed_until > now,
            other.claimed_by != self.worker,
        )
        pick = (
            select(DueItem.id)
            .where(due, or_(DueItem.ordering_key.is_(None), ~held_elsewhere))
            .order_by(DueItem.not_before, DueItem.id)
            .limit(self.batch_size)
        )
        if not self.db.is_sqlite:
            pick = pick.with_for_update(skip_locked=True)
        statement = (
            update(DueItem)
            .where(DueItem.id.in_(pick.scalar_subquery()))
            .values(
                state=DueState.CLAIMED,
                claimed_by=self.worker,
                claimed_until=now + self.lease,
                attempts=DueItem.attempts + 1,
            )
            .returning(DueItem)
            .execution_options(synchronize_session=False)
        )
        async with self.db.unit_of_work() as uow:
            if not self.db.is_sqlite:
                await uow.session.execute(text(f"SELECT pg_advisory_xact_lock({CLAIM_LOCK})"))
            items = list((await uow.session.scalars(statement)).all())
            items = await self._keep_order(uow, items)
            await uow.commit()
            if not items:
                return []
            items.sort(key=_sending_order)
            facts = await _Facts.load(uow.session, items)
        jobs = []
        for index, item in enumerate(items):
            if index % 25 == 24:
                await asyncio.sleep(0)  # let the batch before this one keep sending meanwhile
            jobs.append(self._job(item, facts, now))
        return jobs

    async def _keep_order(self, uow: Any, items: list[DueItem]) -> list[DueItem]:
        """Hands back, in the claim's own transaction, every claimed effect that has an earlier effect
        of its channel still unsent and not in this claim (waiting for a retry, or cut off by the limit)."""
        keys = {i.ordering_key for i in items if i.kind == DueKind.EFFECT and i.ordering_key}
        if not keys:
            return items
        rows = await uow.session.execute(
            select(DueItem.ordering_key, func.min(DueItem.id))
            .where(DueItem.ordering_key.in_(keys), DueItem.kind == DueKind.EFFECT, DueItem.state == DueState.PENDING)
            .group_by(DueItem.ordering_key)
        )
        first_waiting: dict[str | None, int] = {key: first for key, first in rows}
        back = [
            i.id
            for i in items
            if i.kind == DueKind.EFFECT and i.ordering_key in first_waiting and i.id > first_waiting[i.ordering_key]
        ]
        if not back:
            return items
        await uow.session.execute(
            update(DueItem)
            .where(DueItem.id.in_(back))
            .values(state=DueState.PENDING, claimed_by=None, claimed_until=None, attempts=DueItem.attempts - 1)
            .execution_options(synchronize_session=False)
        )
        gone = set(back)
        return [i for i in items if i.id not in gone]

    def _job(self, item: DueItem, facts: _Facts, now: datetime) -> Job:
        try:
            outcome = decide(item, facts, now)
        except Exception as error:  # one unreadable item must not hold up the others
            log.exception("could not read due item %s", item.key)
            outcome = Drop(f"unreadable: {error!r}", loud=True)
        match outcome:
            case _ if item.ordering_key:
                channel = item.ordering_key
            case Send(person=Person() as person):
                channel = f"dm:{person.id}"
            case Send():
                channel = f"circle:{item.circle_id or 0}"
            case _:
                channel = "rounds"
        return Job(item, outcome, facts.workspaces[item.workspace_id], channel, self.worker)

    # The fast path: a request's own effects, right after its commit ---------------------------------

    async def look_ahead(self, session: Any, items: list[DueItem]) -> outbox.Ahead:
        """In the request's own transaction, once its rows have ids: the earlier effects of their
        channels still unsent, with the pauses other workers were told (one statement). Asked here
        rather than after the commit, it costs the request no unit of work of its own."""
        keys = {item.ordering_key for item in items if item.ordering_key}
        if not keys:
            return outbox.Ahead()
        now, wire = self.clock.now(), self.monotonic()
        asked = {"keys": sorted(keys), "first": min(item.id for item in items), "now": now}
        rows = (await session.execute(_LOOK_AHEAD, asked)).all()
        self._take_pauses([(key, until) for key, until, row_id in rows if row_id is None], now, wire)
        self._learned_at = self.monotonic()
        waiting: dict[str, set[int]] = defaultdict(set)
        for key, _until, row_id in rows:
            if row_id is not None:
                waiting[key].add(row_id)
        if sum(map(len, waiting.values())) >= LOOK_AHEAD:  # more than were read: every channel waits
            return outbox.Ahead({key: frozenset({0}) for key in keys})
        return outbox.Ahead({key: frozenset(ids) for key, ids in waiting.items()})

    async def send_now(self, workspace: Workspace, batch: outbox.Written, loaded: Sequence[object] = ()) -> None:
        """Sends a committed request's outbox rows (claimed by `worker_now` in its transaction) in
        order, reading what the request `loaded` from memory. A channel whose earlier effects were
        still unsent when the request committed waits for the dispatcher, unless this process has
        sent them since. Whatever is not confirmed stays in the outbox for the dispatcher. The request
        answers once what its sends came to is written: a worker killed the moment after someone saw
        the answer has left nothing to send again. (Written behind the answer, a sending command's
        reply came about 1 ms sooner, and a crash in that millisecond sent it twice on Slack.)"""
        groups: dict[str, list[Job]] = defaultdict(list)
        known = Known.of(loaded) if batch.items else NOTHING_KNOWN
        for item, effect in zip(batch.items, batch.effects, strict=True):
            channel = item.ordering_key or f"effect:{item.id}"
            groups[channel].append(Job(item, Carry(effect), workspace, channel, self.worker_now, known, learned=True))

        async def run(channel: str, group: list[Job]) -> None:
            lock = self._keys.setdefault(channel, asyncio.Lock())
            async with lock:
                if self.ledger.unsettled(batch.ahead.waiting.get(channel, ())):
                    for job in group:
                        self._release(job, self.clock.now(), "waiting behind an earlier message")
                else:
                    await self._run(group)
            if not lock.locked() and not lock._waiters:  # type: ignore[attr-defined]
                self._keys.pop(channel, None)

        if len(groups) == 1:
            await run(*next(iter(groups.items())))
        else:
            await asyncio.gather(*(run(channel, group) for channel, group in groups.items()))
        await self.ledger.drain()

    # Sending ---------------------------------------------------------------------------------------

    async def _run(self, jobs: list[Job]) -> int:
        groups: dict[str, list[Job]] = defaultdict(list)
        for job in jobs:
            if job.channel in self._held:
                self._release(job, self._held[job.channel], "waiting behind an earlier message")
            elif isinstance(job.outcome, Send | Carry | AdvanceRounds | LiveNotice):
                groups[job.channel].append(job)
            else:
                self._settle_unsent(job)
        if len(groups) == 1:  # a request's effects mostly share one channel: no tasks to spread them over
            return await self._send_in_order(next(iter(groups.values())))
        gate = asyncio.Semaphore(self.concurrency)

        async def run(group: list[Job]) -> int:
            async with gate:
                return await self._send_in_order(group)

        return sum(await asyncio.gather(*(run(group) for group in groups.values())))

    def _settle_unsent(self, job: Job) -> None:
        item = job.item
        match job.outcome:
            case Drop(reason=reason, loud=loud):
                log.log(logging.INFO if loud else logging.DEBUG, "dropped %s: %s", item.key, reason)
                self.ledger.note(Settlement(item.id, DueState.DROPPED, item.not_before, reason, worker=job.worker))
            case Defer(until=until, reason=reason):
                self.ledger.note(Settlement(item.id, DueState.PENDING, until, reason, worker=job.worker))
            case Unreachable(reason=reason):
                self._unreachable(job, reason, said_by_platform=False)

    async def _send_in_order(self, group: list[Job]) -> int:
        """One channel's messages, oldest first; a message that must wait holds back the rest."""
        sent = 0
        for index, job in enumerate(group):
            result = await self._send(job)
            if result == "sent":
                sent += 1
                continue
            if result == "refused":
                continue  # final: the next message does not wait for it
            rest = group[index + 1 :]
            if result == "released":
                self._held[job.channel] = self._retry_at(job)
            for later in rest:
                if result == "unreachable" and not isinstance(later.outcome, Carry):
                    self._unreachable(later, "their DMs are closed", said_by_platform=False)
                else:
                    self._release(later, self._retry_at(job), "waiting behind an earlier message")
            break
        return sent

    def _pause_left(self, job: Job) -> float:
        now, wire = self.clock.now(), self.monotonic()
        left = 0.0
        for bucket in buckets(job):
            if bucket in self._paused:
                until, wire_until = self._paused[bucket]
                left = max(left, min((until - now).total_seconds(), wire_until - wire))
        return left

    def _paused_until(self, job: Job) -> datetime:
        """When the longest pause still holding this job ends, on the meeting clock."""
        now, wire = self.clock.now(), self.monotonic()
        ends = [
            until
            for bucket in buckets(job)
            if bucket in self._paused
            for until, wire_until in (self._paused[bucket],)
            if until > now and wire_until > wire
        ]
        return max(ends, default=now)

    def _pause(self, job: Job, limited: RateLimited) -> None:
        bucket = bucket_of(job, limited.scope)
        until = self.clock.now() + timedelta(seconds=limited.retry_after)
        wire_until = self.monotonic() + limited.retry_after
        if bucket in self._paused:
            until, wire_until = max(until, self._paused[bucket][0]), max(wire_until, self._paused[bucket][1])
        self._paused[bucket] = (until, wire_until)
        self._probing.setdefault(bucket, asyncio.Lock())
        self.ledger.share("|".join(bucket)[:200], until)

    async def _learn(self) -> None:
        """Takes in the pauses other workers were given (at most every LEARN_EVERY seconds), so that a
        bucket told to wait hears nothing from any worker until the pause ends."""
        wire = self.monotonic()
        if self._learning or wire - self._learned_at < LEARN_EVERY:
            return
        self._learning = True
        try:
            now = self.clock.now()
            async with self.db.unit_of_work() as uow:
                rows = (await uow.session.execute(_pauses_after(now))).all()
            self._take_pauses(rows, now, wire)
        except DB_ERRORS:
            pass  # the outcome writer holds sending back if the database is really away
        finally:
            self._learned_at = self.monotonic()
            self._learning = False

    def _take_pauses(self, rows: Sequence[tuple[str, datetime]], now: datetime, wire: float) -> None:
        for key, until in rows:
            bucket = tuple(key.split("|"))
            if bucket not in self._paused or self._paused[bucket][0] < until:
                # A pause learned from another worker ends a little later here: the worker that was
                # told probes first, and a fresh 429 it gets reaches us before we would knock.
                later = until + LEARNED_LAG
                self._paused[bucket] = (later, wire + (later - now).total_seconds())
                self._probing.setdefault(bucket, asyncio.Lock())

    async def _send(self, job: Job) -> str:
        item = job.item
        for attempt in range(5):
            await self.ledger.ready()  # never send what could not be marked sent right after
            if self.stopping:
                self._release(job, self.clock.now(), "the worker stopped")
                return "released"
            if item.claimed_until is not None and self.clock.now() >= item.claimed_until - self.lease_margin:
                self._release(job, self.clock.now(), "its lease ran out before its turn")
                return "released"
            if attempt or not job.learned:
                await self._learn()
            wait = self._pause_left(job)
            if wait > 0:
                if wait > self.max_inline_wait:
                    self._release(job, self._paused_until(job), "the platform asked us to wait")
                    return "released"
                await self.sleep(wait)
                continue
            await self.pacer(job.platform).turn()
            probe = next((self._probing[b] for b in buckets(job) if b in self._probing), None)
            async with probe if probe is not None else contextlib.nullcontext():
                if self._pause_left(job) > 0:
                    continue
                try:
                    saved = await self._deliver(job)
                except RateLimited as limited:
                    self._pause(job, limited)
                    continue
                except Undeliverable as error:
                    self._unreachable(job, str(error) or "undeliverable", said_by_platform=True)
                    return "unreachable"
                except Refused as error:
                    log.warning("the platform refused %s: %s", item.key, error)
                    self.ledger.note(
                        Settlement(
                            item.id,
                            DueState.UNDELIVERABLE,
                            item.not_before,
                            str(error),
                            worker=job.worker,
                            notice=self._refused_notice(item),
                        )
                    )
                    return "refused"
                except Exception as error:
                    # the error's type only: a platform's message may echo the member's words
                    log.warning("sending %s failed (attempt %d): %s", item.key, item.attempts, type(error).__name__)
                    self._release(job, self._backoff(item), repr(error))  # stored for operators, never logged
                    return "released"
            for bucket in buckets(job):
                self._probing.pop(bucket, None)
            now = self.clock.now()
            asked = item.person_id if item.kind == DueKind.TIMEZONE_QUESTION else None
            settlement = Settlement(
                item.id, DueState.SENT, now, sent_at=now, asked_timezone=asked, worker=job.worker, saved=saved
            )
            if saved is not None and saved.table is not None:  # what comes next in this channel needs it
                settlement.written = asyncio.get_running_loop().create_future()
            self.ledger.note(settlement)
            if settlement.written is not None:
                await settlement.written
            return "sent"
        self._release(job, self._retry_at(job), "rate limited")
        return "released"

    async def _deliver(self, job: Job) -> Saved | None:
        outcome = job.outcome
        if isinstance(outcome, AdvanceRounds):
            await self.service.advance_due_rounds()
            return None
        port = self.service.port_for(job.workspace)
        token = sending_key.set(f"o{job.item.id}")
        try:
            if isinstance(outcome, Carry):
                return await carry(self.db, port, outcome.effect, job.known)
            if isinstance(outcome, LiveNotice):
                await facilitation.send_live_notice(self.service, job.item)
                return None
            assert isinstance(outcome, Send)
            if outcome.person is not None:
                await port.send_dm(outcome.person.external_id, outcome.message)
            elif outcome.space is not None:
                await port.post(SpaceRef(outcome.space), outcome.message)
            if outcome.private_notice is not None:
                space, user, notice = outcome.private_notice
                await port.notify_privately(SpaceRef(space), user, notice)
            return None
        finally:
            sending_key.reset(token)

    def _refused_notice(self, item: DueItem) -> dict[str, Any] | None:
        """A circle's message the platform refused is told to the circle's lead, at most once a day."""
        if item.kind != DueKind.EFFECT or not (item.ordering_key or "").startswith("circle:"):
            return None
        now = self.clock.now()
        return {
            "key": f"refused:{item.ordering_key}:{now:%Y%m%d}",
            "kind": DueKind.REFUSED_NOTICE,
            "state": DueState.PENDING,
            "workspace_id": item.workspace_id,
            "circle_id": int(str(item.ordering_key).split(":")[1]),
            "person_id": None,
            "meeting_id": None,
            "due_at": now,
            "not_before": now,
            "payload": {},
            "ordering_key": None,
        }

    def _backoff(self, item: DueItem) -> datetime:
        doubling = 1 << min(max(0, item.attempts - 1), 7)
        return self.clock.now() + min(timedelta(seconds=30 * doubling), timedelta(hours=1))

    def _retry_at(self, job: Job) -> datetime:
        return max(self._paused_until(job), self.clock.now() + MIN_RETRY)

    def _release(self, job: Job, at: datetime, why: str) -> None:
        at = max(at, self.clock.now() + MIN_RETRY) if job.worker == self.worker else at
        self.ledger.note(Settlement(job.item.id, DueState.PENDING, at, why, worker=job.worker))
        if self.on_released is not None:
            self.on_released(max(0.0, (at - self.clock.now()).total_seconds()))

    def _unreachable(self, job: Job, why: str, *, said_by_platform: bool) -> None:
        """Final for this item; when the platform said so, the person is flagged (no retry storm);
        the facilitator gets one notice per circle, and the person one in the circle's space."""
        item = job.item
        log.info("undeliverable %s: %s", item.key, why)
        notice = None
        about_member = item.kind not in (DueKind.UNDELIVERABLE_NOTICE, DueKind.EFFECT) and item.person_id is not None
        # Planned whichever item first meets the closed DMs (its key makes it once per circle), so a
        # refusal met first by an item of no circle still reaches each circle's facilitator.
        if about_member and item.circle_id is not None:
            now = self.clock.now()
            notice = {
                "key": f"undeliverable:circle:{item.circle_id}:person:{item.person_id}",
                "kind": DueKind.UNDELIVERABLE_NOTICE,
                "state": DueState.PENDING,
                "workspace_id": item.workspace_id,
                "circle_id": item.circle_id,
                "person_id": item.person_id,
                "meeting_id": None,
                "due_at": now,
                "not_before": now,
                "payload": {},
                "ordering_key": None,
            }
        target = job.outcome.person if isinstance(job.outcome, Send) else None
        self.ledger.note(
            Settlement(
                item.id,
                DueState.UNDELIVERABLE,
                item.not_before,
                why,
                unreachable=(target.id if target is not None else item.person_id) if said_by_platform else None,
                notice=notice,
                worker=job.worker,
            )
        )


def _pauses_after(now: datetime) -> Select[str, datetime]:
    """The rate-limit pauses still running, as the workers that were told wrote them."""
    return select(SendPause.bucket, SendPause.until).where(SendPause.until > now)


# What stood before a request's effects as it commits (`Dispatcher.look_ahead`): the pauses other
# workers were told, as (bucket, until, None); then the earlier unsent effects of its channels, as
# (channel, None, id). Built once: making a statement anew costs a request more than running it.
_EARLIER = (
    select(DueItem.ordering_key, cast(null(), UTCDateTime()).label("until"), DueItem.id)
    .where(
        DueItem.ordering_key.in_(bindparam("keys", expanding=True)),
        DueItem.kind == DueKind.EFFECT,
        DueItem.id < bindparam("first"),
        DueItem.state.in_((DueState.PENDING, DueState.CLAIMED)),
    )
    .limit(LOOK_AHEAD)
    .subquery()
)
_LOOK_AHEAD: CompoundSelect[Any, Any, Any] = union_all(
    select(SendPause.bucket, SendPause.until, cast(null(), Integer()).label("id")).where(
        SendPause.until > bindparam("now")
    ),
    select(_EARLIER),
)


def _sending_order(item: DueItem) -> tuple[int, Any, int]:
    """A request's effects in the order they were written; planned items in the order they fell due."""
    if item.kind == DueKind.EFFECT:
        return (0, item.id, 0)
    return (1, item.not_before, item.id)
