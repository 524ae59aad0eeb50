"""Turns meetings, rounds and commitments into due items: what to send whom, and when.

Planning is idempotent: every item has a key naming what it is for, and an upsert by key only
moves items not yet tried. Re-planning a circle also drops its pending items that no longer fit
(a member left, the meeting moved, the round moved on). Times are decided here in each person's
own day (quiet hours, weekends); the dispatcher checks them again when it sends.

    reminders          24 h and 1 h before a meeting, to every member, with the agenda
    call for bids      48 h before a meeting, in the circle's space
    check-ins          midway between meetings and 2 days before the next, per open commitment
    check-in nudge     1 day before the next meeting, if the commitment had no update since
    feedback           2 hours after a meeting closes, for a week
    async phases       the deadline moves the round on; halfway through, a nudge to whoever is silent
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.clock import Clock
from core.db import Database, UnitOfWork
from core.formats import Format, Speaker, get_format
from core.models import Circle, Commitment, DueItem, DueKind, DueState, Meeting, Membership, Person, Round, Workspace
from core.scheduling.hours import hours_of
from core.service import Changed
from core.vocabulary import STILL_OPEN, CircleStatus, MeetingState, Mode, Phase

log = logging.getLogger(__name__)

REMINDERS = ((timedelta(hours=24), "24h"), (timedelta(hours=1), "1h"))
CALL_FOR_BIDS_BEFORE = timedelta(hours=48)
CHECK_IN_BEFORE = timedelta(days=2)
NUDGE_BEFORE = timedelta(days=1)
FEEDBACK_AFTER = timedelta(hours=2)
FEEDBACK_FOR = timedelta(days=7)
CHUNK = 400  # circles planned per transaction
KEYS_PER_QUERY = 5000  # well under SQLite's limit of bound parameters
LIVE_NOTICE_FOR = timedelta(minutes=15)  # a time's-up or break notice later than this means nothing
KEEP_SETTLED = timedelta(days=30)  # settled items are kept this long after they were due, then forgotten

# Kinds the planner owns: re-planning drops those no longer wanted. One-offs (a notice to the
# facilitator, the time-zone question) are never taken back.
PLANNED_KINDS = (
    DueKind.MEETING_REMINDER,
    DueKind.CALL_FOR_BIDS,
    DueKind.PHASE_DEADLINE,
    DueKind.PHASE_NUDGE,
    DueKind.COMMITMENT_CHECK_IN,
    DueKind.CHECK_IN_NUDGE,
    DueKind.FEEDBACK_REQUEST,
    DueKind.TIMEBOX_ALERT,
    DueKind.BREAK_OFFER,
)
UPSERT_COLUMNS = ("due_at", "not_before", "expires_at", "payload", "state")


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M")


class Planner:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._lock = asyncio.Lock()  # plans in one process never interleave (SQLite's only writer)

    async def on_change(self, changed: Changed) -> None:
        """After a committed request: re-plan the circles it touched and the actor's circles."""
        circle_ids = set(changed.circle_ids)
        if changed.person_id is not None:
            async with self.db.unit_of_work() as uow:
                circle_ids.update(
                    await uow.session.scalars(
                        select(Membership.circle_id).where(
                            Membership.person_id == changed.person_id, Membership.left_at.is_(None)
                        )
                    )
                )
        if circle_ids:
            await self.plan(circle_ids)

    async def plan(self, circle_ids: Collection[int] | None = None) -> int:
        """(Re)plans the given circles, or every circle not closed; returns the items wanted now."""
        if circle_ids is None:
            async with self.db.unit_of_work() as uow:
                circle_ids = list(
                    await uow.session.scalars(
                        select(Circle.id).where(Circle.status != CircleStatus.CLOSED).order_by(Circle.id)
                    )
                )
        ordered = sorted(set(circle_ids))
        wanted = 0
        async with self._lock:
            for start in range(0, len(ordered), CHUNK):
                wanted += await self._plan_chunk(ordered[start : start + CHUNK])
        return wanted

    async def _plan_chunk(self, circle_ids: list[int]) -> int:
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            session = uow.session
            query = select(Circle).where(Circle.id.in_(circle_ids)).order_by(Circle.id)
            if not self.db.is_sqlite:  # two workers planning the same circle take turns
                query = query.with_for_update(of=Circle)
            circles = list(await session.scalars(query))
            facts = await _Facts.load(uow, circles)
            plans, notes = _plans(circles, facts, now)
            by_key = {row["key"]: row for plan in plans for row in plan.rows} | notes
            rows = list(by_key.values())  # a person in two circles is asked for their time zone once
            keep = {*by_key, *(key for plan in plans for key in plan.stale_keys)}
            changed = await self._changed_rows(uow, rows)
            unwanted = [
                item_id
                for item_id, key in await session.execute(
                    select(DueItem.id, DueItem.key).where(
                        DueItem.circle_id.in_(circle_ids),
                        DueItem.kind.in_(PLANNED_KINDS),
                        DueItem.state == DueState.PENDING,
                    )
                )
                if key not in keep
            ]
            if not changed and not unwanted:
                return len(rows)  # most requests change nothing that is due: no write at all
            await self._upsert(uow, changed)
            if unwanted:
                log.debug("dropping %d items no longer planned", len(unwanted))
                await session.execute(
                    update(DueItem)
                    .where(DueItem.id.in_(unwanted), DueItem.state == DueState.PENDING)
                    .values(state=DueState.DROPPED, last_error="no longer planned")
                    .execution_options(synchronize_session=False)
                )
            await uow.commit()
        return len(rows)

    async def forget_settled(self) -> int:
        """Deletes items settled long ago. Nothing forgotten can come back: every planned kind
        expires well within KEEP_SETTLED, and a person asked for their zone is marked as asked."""
        cutoff = self.clock.now() - KEEP_SETTLED
        async with self.db.unit_of_work() as uow:
            result = await uow.session.execute(
                delete(DueItem)
                .where(
                    DueItem.state.in_((DueState.SENT, DueState.DROPPED, DueState.UNDELIVERABLE)),
                    DueItem.due_at < cutoff,
                )
                .execution_options(synchronize_session=False)
            )
            await uow.commit()
        return int(getattr(result, "rowcount", 0) or 0)

    async def _changed_rows(self, uow: UnitOfWork, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows the upsert would insert or move; the others are already as planned."""
        if not rows:
            return []
        columns = (DueItem.key, DueItem.state, DueItem.attempts, DueItem.due_at, DueItem.not_before, DueItem.expires_at)
        keys = [row["key"] for row in rows]
        existing: dict[str, tuple[Any, ...]] = {}
        for start in range(0, len(keys), KEYS_PER_QUERY):
            some = keys[start : start + KEYS_PER_QUERY]
            found = await uow.session.execute(select(*columns).where(DueItem.key.in_(some)))
            existing.update({key: tuple(rest) for key, *rest in found})
        changed = []
        for row in rows:
            now_is = existing.get(row["key"])
            if now_is is None:
                changed.append(row)
                continue
            state, attempts, due_at, not_before, expires_at = now_is
            movable = attempts == 0 and state in (DueState.PENDING, DueState.DROPPED)
            same = state == DueState.PENDING and (due_at, not_before, expires_at) == (
                row["due_at"],
                row["not_before"],
                row["expires_at"],
            )
            if movable and not same:
                changed.append(row)
        return changed

    async def _upsert(self, uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
        """Inserts new keys; moves only items never tried (pending, or dropped by an earlier plan)."""
        if not rows:
            return
        insert = sqlite.insert if self.db.is_sqlite else postgresql.insert
        statement = insert(DueItem)
        statement = statement.on_conflict_do_update(
            index_elements=[DueItem.key],
            set_={name: statement.excluded[name] for name in UPSERT_COLUMNS},
            where=(DueItem.attempts == 0) & ((DueItem.state == DueState.PENDING) | (DueItem.state == DueState.DROPPED)),
        )
        await uow.session.execute(statement, rows)


class _Facts:
    """Everything planning a chunk of circles reads, in a handful of queries."""

    def __init__(self) -> None:
        self.workspaces: dict[int, Workspace] = {}
        self.meetings: dict[int, list[Meeting]] = defaultdict(list)
        self.commitments: dict[int, list[Commitment]] = defaultdict(list)
        self.rounds: dict[int, Round] = {}  # meeting id -> its round under way

    @classmethod
    async def load(cls, uow: UnitOfWork, circles: list[Circle]) -> _Facts:
        facts = cls()
        ids = [c.id for c in circles]
        if not ids:
            return facts
        session = uow.session
        workspace_ids = {c.workspace_id for c in circles}
        facts.workspaces = {
            w.id: w for w in await session.scalars(select(Workspace).where(Workspace.id.in_(workspace_ids)))
        }
        meetings = select(Meeting).where(Meeting.circle_id.in_(ids)).order_by(Meeting.number)
        for meeting in await session.scalars(meetings):
            facts.meetings[meeting.circle_id].append(meeting)
        for commitment in await session.scalars(
            select(Commitment)
            .where(Commitment.circle_id.in_(ids), Commitment.status.in_(STILL_OPEN))
            .order_by(Commitment.id)
        ):
            facts.commitments[commitment.circle_id].append(commitment)
        in_rounds = [m.id for c in circles for m in facts.meetings[c.id] if m.state == MeetingState.ROUNDS]
        if in_rounds:
            for round_ in await session.scalars(
                select(Round).where(Round.meeting_id.in_(in_rounds), Round.phase != Phase.DONE).order_by(Round.number)
            ):
                facts.rounds[round_.meeting_id] = round_
        return facts


class _CirclePlan:
    """The rows wanted for one circle; DMs land in each person's own allowed hours."""

    def __init__(self, circle: Circle, workspace: Workspace, now: datetime) -> None:
        self.circle = circle
        self.workspace = workspace
        self.now = now
        self.rows: list[dict[str, Any]] = []
        self.stale_keys: list[str] = []  # wanted once, meaningless now: the dispatcher drops them, with a log line
        self.dm_people: dict[int, Person] = {}

    def add(
        self,
        kind: DueKind,
        key: str,
        due: datetime,
        expires: datetime | None,
        person: Person | None = None,
        *,
        of_circle: bool = True,
        **refs: Any,
    ) -> None:
        not_before = hours_of(person, self.workspace).next_allowed_moment(due) if person is not None else due
        if expires is not None and (expires <= self.now or not_before >= expires):
            self.stale_keys.append(key)  # never planned anew, but an item already waiting is left alone
            return
        payload = refs.pop("payload", {})
        self.rows.append(
            {
                "key": key,
                "kind": kind,
                "state": DueState.PENDING,
                "workspace_id": self.workspace.id,
                "circle_id": self.circle.id if of_circle else None,
                "person_id": person.id if person is not None else None,
                "due_at": due,
                "not_before": not_before,
                "expires_at": expires,
                "payload": payload,
                "meeting_id": refs.get("meeting_id"),
                "round_id": refs.get("round_id"),
                "commitment_id": refs.get("commitment_id"),
                # one person's DMs (or one space's posts) are sent by one worker at a time, in order
                "ordering_key": f"dm:{person.id}" if person is not None else f"circle:{self.circle.id}",
            }
        )
        if person is not None:
            self.dm_people[person.id] = person


def _plans(circles: list[Circle], facts: _Facts, now: datetime) -> tuple[list[_CirclePlan], dict[str, dict[str, Any]]]:
    """Each circle's plan; a circle whose plan fails (a meeting in year 9999 overflows the calendar) is
    set aside with one log line and a note to its lead, and never stops the other circles' reminders."""
    plans, notes = [], {}
    for circle in circles:
        try:
            plans.append(_circle_plan(circle, facts, now))
        except Exception as error:
            log.error("could not plan circle %s: %s", circle.id, type(error).__name__)
            if circle.created_by_id is None:
                continue
            key = f"unplannable:circle:{circle.id}"
            notes[key] = {
                "key": key,
                "kind": DueKind.PLANNING_PROBLEM,
                "state": DueState.PENDING,
                "workspace_id": circle.workspace_id,
                "person_id": circle.created_by_id,
                "circle_id": circle.id,
                "meeting_id": None,
                "round_id": None,
                "commitment_id": None,
                "due_at": now,
                "not_before": now,
                "expires_at": None,
                "payload": {},
                "ordering_key": f"dm:{circle.created_by_id}",
            }
    return plans, notes


def _circle_plan(circle: Circle, facts: _Facts, now: datetime) -> _CirclePlan:
    plan = _CirclePlan(circle, facts.workspaces[circle.workspace_id], now)
    if circle.status in (CircleStatus.PAUSED, CircleStatus.CLOSED):
        return plan
    fmt = get_format(circle.format_key)
    members = [m.person for m in circle.active_memberships()]
    meetings = facts.meetings[circle.id]
    current = next((m for m in meetings if m.state != MeetingState.CLOSED), None)
    last_closed = next((m for m in reversed(meetings) if m.state == MeetingState.CLOSED), None)
    if current is not None and current.state == MeetingState.SCHEDULED and current.scheduled_start is not None:
        _before_meeting(plan, current, current.scheduled_start, members)
    if current is not None and (round_ := facts.rounds.get(current.id)) is not None:
        if circle.mode == Mode.ASYNC:
            _async_phase(plan, fmt, round_, members)
        else:
            live_timebox(plan, round_)
    if current is not None and circle.mode == Mode.LIVE:
        live_break(plan, fmt, current)
    series_over = (
        current is None
        and last_closed is not None
        and circle.meeting_count is not None
        and last_closed.number >= circle.meeting_count
    )
    if last_closed is not None and (current is None or current.state == MeetingState.SCHEDULED):
        next_start = (
            current.scheduled_start
            if current is not None and current.scheduled_start is not None
            else (last_closed.closed_at or now) + timedelta(days=circle.cadence_days or fmt.cadence_days[0])
        )
        # after the series' last meeting there is no next one to check in before: feedback only
        commitments = [] if series_over else facts.commitments[circle.id]
        _between_meetings(plan, last_closed, next_start, members, commitments)
    _ask_time_zones(plan, plan.dm_people.values())
    return plan


def _before_meeting(plan: _CirclePlan, meeting: Meeting, start: datetime, members: list[Person]) -> None:
    at = stamp(start)
    for person in members:
        # Each reminder gives way to the next one: a late-scheduled meeting gets one, not two at once.
        for index, (ahead, label) in enumerate(REMINDERS):
            expires = start - REMINDERS[index + 1][0] if index + 1 < len(REMINDERS) else start
            plan.add(
                DueKind.MEETING_REMINDER,
                f"reminder:{label}:meeting:{meeting.id}:at:{at}:person:{person.id}",
                start - ahead,
                expires,
                person,
                meeting_id=meeting.id,
            )
    plan.add(
        DueKind.CALL_FOR_BIDS,
        f"bids:meeting:{meeting.id}:at:{at}",
        start - CALL_FOR_BIDS_BEFORE,
        start,
        meeting_id=meeting.id,
    )


def _between_meetings(
    plan: _CirclePlan, last: Meeting, next_start: datetime, members: list[Person], commitments: list[Commitment]
) -> None:
    closed = last.closed_at or plan.now
    number = last.number + 1
    by_id = {p.id: p for p in members}
    before = next_start - CHECK_IN_BEFORE
    for commitment in commitments:
        person = by_id.get(commitment.person_id)
        if person is None or commitment.created_at > closed:
            continue
        key = f"commitment:{commitment.id}:before-meeting:{number}"
        refs: dict[str, Any] = {"commitment_id": commitment.id, "payload": {"next_start": next_start.isoformat()}}
        midway = closed + (next_start - closed) / 2
        plan.add(DueKind.COMMITMENT_CHECK_IN, f"checkin:midway:{key}", midway, before, person, **refs)
        plan.add(DueKind.COMMITMENT_CHECK_IN, f"checkin:before:{key}", before, next_start, person, **refs)
        refs["payload"] = {**refs["payload"], "quiet_since": before.isoformat()}
        plan.add(DueKind.CHECK_IN_NUDGE, f"nudge:{key}", next_start - NUDGE_BEFORE, next_start, person, **refs)
    for person in members:
        plan.add(
            DueKind.FEEDBACK_REQUEST,
            f"feedback:meeting:{last.id}:person:{person.id}",
            closed + FEEDBACK_AFTER,
            closed + FEEDBACK_FOR,
            person,
            meeting_id=last.id,
        )


def _async_phase(plan: _CirclePlan, fmt: Format, round_: Round, members: list[Person]) -> None:
    deadline = round_.phase_deadline
    if deadline is None:
        return
    phase = round_.phase.value
    refs: dict[str, Any] = {"round_id": round_.id, "meeting_id": round_.meeting_id, "payload": {"phase": phase}}
    plan.add(DueKind.PHASE_DEADLINE, f"phase:round:{round_.id}:{phase}", deadline, None, **refs)
    spec = fmt.phase(round_.phase)
    expected = [p for p in members if (p.id == round_.issue_holder_id) == (spec.speaker == Speaker.HOLDER)]
    halfway = round_.phase_started_at + (deadline - round_.phase_started_at) / 2
    for person in expected:
        plan.add(
            DueKind.PHASE_NUDGE,
            f"nudge:phase:round:{round_.id}:{phase}:person:{person.id}",
            halfway,
            deadline,
            person,
            **refs,
        )


def live_timebox(plan: _CirclePlan, round_: Round) -> None:
    """A live phase's time is up: today's facilitator is told privately (see `core.facilitation`)."""
    if round_.phase_deadline is None:
        return
    key = f"timebox:round:{round_.id}:{round_.phase.value}:at:{stamp(round_.phase_deadline)}"
    refs: dict[str, Any] = {"round_id": round_.id, "meeting_id": round_.meeting_id}
    refs["payload"] = {"phase": round_.phase.value}
    plan.add(DueKind.TIMEBOX_ALERT, key, round_.phase_deadline, round_.phase_deadline + LIVE_NOTICE_FOR, **refs)


def live_break(plan: _CirclePlan, fmt: Format, meeting: Meeting) -> None:
    """The format's break point in a live meeting under way: the circle is offered a break."""
    if fmt.break_after_minutes is None or meeting.opened_at is None or meeting.state == MeetingState.SCHEDULED:
        return
    due = meeting.opened_at + timedelta(minutes=fmt.break_after_minutes)
    plan.add(DueKind.BREAK_OFFER, f"break:meeting:{meeting.id}", due, due + LIVE_NOTICE_FOR, meeting_id=meeting.id)


def _ask_time_zones(plan: _CirclePlan, people: Iterable[Person]) -> None:
    """Someone we DM without knowing their zone gets the workspace's, and is asked for theirs once."""
    for person in people:
        if person.timezone is None and person.timezone_asked_at is None:
            plan.add(DueKind.TIMEZONE_QUESTION, f"timezone:person:{person.id}", plan.now, None, person, of_circle=False)
