"""Who is asking, and which circle and meeting they mean.

Every request is resolved here the same way, so that a person only ever reaches circles they
belong to; anything else is answered as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, func, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from core.db import UnitOfWork
from core.errors import NotAllowed, NotFound
from core.formats import get_format
from core.meeting import Scene, facilitator_for, load_scene
from core.models import Circle, Meeting, Membership, Person, Round, Workspace
from core.vocabulary import CircleStatus, MeetingState, Platform, Role


def ended(circle: Circle) -> str:
    return (
        f"{circle.name} has ended: its channel stays there to read, but it holds no more meetings and takes "
        "nothing new. /circle status and /circle my-data still work."
    )


NOT_YOURS = "That isn't available to you: it may have ended, or belong to a circle you're not in."


@dataclass(frozen=True)
class Actor:
    """The person acting, as the platform names them."""

    platform: Platform
    workspace: str
    user: str
    name: str = ""
    timezone: str | None = None
    admin: bool = False  # the platform says they administer the workspace (Slack admin, Discord Manage Server)


@dataclass(frozen=True)
class Where:
    """Where the request came from: a space (channel) and perhaps a thread in it."""

    space: str | None = None
    thread: str | None = None


@dataclass
class RequestContext:
    uow: UnitOfWork
    workspace: Workspace
    person: Person
    now: datetime
    where: Where
    _my_circles: list[Circle] | None = None
    # Read in the same statement as what they belong to, and handed out once: a second ask queries
    # again, so nothing the request changed in between is answered from a stale read.
    _meetings_ahead: dict[int, tuple[Meeting | None, Round | None]] = field(default_factory=dict)
    _rounds_ahead: dict[int, Round | None] = field(default_factory=dict)
    admin: bool = False  # the workspace's own admin (Slack admin/owner, Discord Manage Server)

    @classmethod
    async def load(cls, uow: UnitOfWork, actor: Actor, now: datetime, where: Where) -> RequestContext:
        """The workspace, the person and the person's circles (see `my_circles`) in one statement;
        the workspace and the person are created on first sight."""
        asked = {"platform": actor.platform, "workspace": actor.workspace, "user": actor.user}
        rows = (await uow.session.execute(_ACTOR, asked)).unique().all()
        workspace = rows[0][0] if rows else await ensure_workspace(uow, actor.platform, actor.workspace)
        person = rows[0][1] if rows else None
        if person is None:  # first sight: nobody new is in a circle yet, so circles are read when asked for
            person = await ensure_person(uow, workspace, actor.user, actor.name, actor.timezone)
            return cls(uow, workspace, person, now, where, admin=actor.admin)
        _take_names(person, actor.name, actor.timezone)
        ctx = cls(uow, workspace, person, now, where, admin=actor.admin)
        ctx._my_circles = ctx._take_circles(rows)
        return ctx

    # People ------------------------------------------------------------------------------------

    async def person_by_external(self, external_id: str, name: str = "") -> Person:
        """Someone named in a request; the name the platform gave with the mention refreshes theirs."""
        return await ensure_person(self.uow, self.workspace, external_id, name, None)

    # Circles -----------------------------------------------------------------------------------

    async def my_circles(self) -> list[Circle]:
        if self._my_circles is None:
            self._my_circles = await self._load_my_circles()
        return self._my_circles

    async def _load_my_circles(self) -> list[Circle]:
        rows = await self.uow.session.execute(_MY_CIRCLES, {"person_id": self.person.id})
        return self._take_circles(rows.unique().all())

    def _take_circles(self, rows: Sequence[Row[*tuple[Any, ...]]]) -> list[Circle]:
        """The actor's open circles with their members, each with its current meeting and that
        meeting's latest round: what nearly every command needs next."""
        circles = []
        for row in rows:
            circle, meeting, round_ = row[-3], row[-2], row[-1]
            if circle is not None:  # None: no circle at all, or a membership of a closed one
                circles.append(circle)
                self._meetings_ahead[circle.id] = (meeting, round_)
        return circles

    async def circle_for(self, name: str | None) -> Circle:
        """The circle a command means: named, else the one whose space it came from, else the only one."""
        mine = await self.my_circles()
        if name:
            match = next((c for c in mine if c.name == name.lower()), None)
            if match is None:
                await self._refuse_if_ended(Circle.name == name.lower())
                raise NotFound(f"You're not in a circle called '{name[:80]}'.")
            return match
        if self.where.space:
            here = next((c for c in mine if c.space_ref == self.where.space), None)
            if here is not None:
                return here
            await self._refuse_if_ended(Circle.space_ref == self.where.space)
        if len(mine) == 1:
            return mine[0]
        if not mine:
            await self._refuse_if_ended(true())
            raise NotFound("You're not in any circle yet. Join one with /circle join NAME.")
        names = ", ".join(c.name for c in mine)
        raise NotFound(f"You're in several circles ({names}): add in=NAME to say which.")

    async def ended_circles(self) -> list[Circle]:
        """Circles that ended while the person was in them: still theirs to read, no longer to write in."""
        return list(await self.uow.session.scalars(_ENDED.order_by(Circle.name), {"person_id": self.person.id}))

    async def _refuse_if_ended(self, which: ColumnElement[bool]) -> None:
        """A command meant for a circle that has ended is told so, kindly, rather than 'not found'."""
        query = _ENDED.where(which).order_by(Circle.ended_at.desc()).limit(1)
        circle = await self.uow.session.scalar(query, {"person_id": self.person.id})
        if circle is not None:
            raise NotAllowed(ended(circle))

    async def circle_by_id(self, circle_id: int) -> Circle:
        """A circle the actor belongs to, by id; any other id is answered as if it did not exist."""
        circle = await self.uow.session.get(Circle, circle_id, options=[joinedload(Circle.memberships)])
        if circle is None or circle.workspace_id != self.workspace.id or not self.is_member(circle):
            raise NotFound(NOT_YOURS)
        return circle

    def membership(self, circle: Circle) -> Membership | None:
        return next((m for m in circle.active_memberships() if m.person_id == self.person.id), None)

    def is_member(self, circle: Circle) -> bool:
        return self.membership(circle) is not None

    def is_lead(self, circle: Circle) -> bool:
        """The circle's facilitators and whoever set it up run the circle itself."""
        membership = self.membership(circle)
        return circle.created_by_id == self.person.id or (
            membership is not None and membership.role == Role.FACILITATOR
        )

    def require_lead(self, circle: Circle, doing: str) -> None:
        if not self.is_lead(circle):
            raise NotAllowed(f"Only the circle's facilitator or lead can {doing}.")

    # Meetings ----------------------------------------------------------------------------------

    async def current_meeting(self, circle: Circle) -> Meeting | None:
        """The first meeting not yet closed (with its latest round, for `scene`)."""
        ahead = self._meetings_ahead.pop(circle.id, None)
        if ahead is not None and (ahead[0] is None or ahead[0].state != MeetingState.CLOSED):
            meeting, round_ = ahead
        else:
            row = (await self.uow.session.execute(_CURRENT_MEETING, {"circle_id": circle.id})).first()
            meeting, round_ = (row[0], row[1]) if row is not None else (None, None)
        if meeting is not None:
            self._rounds_ahead[meeting.id] = round_
        return meeting

    async def last_closed_meeting(self, circle: Circle) -> Meeting:
        meeting = await self.uow.session.scalar(
            select(Meeting)
            .where(Meeting.circle_id == circle.id, Meeting.state == MeetingState.CLOSED)
            .order_by(Meeting.number.desc())
            .limit(1)
        )
        if meeting is None:
            raise NotFound("This circle hasn't closed a meeting yet.")
        return meeting

    async def next_meeting(self, circle: Circle) -> Meeting:
        """The meeting not yet closed, or a new one after the last."""
        meeting = await self.current_meeting(circle)
        if meeting is not None:
            return meeting
        if circle.status == CircleStatus.CLOSED:
            raise NotAllowed(ended(circle))
        if circle.status == CircleStatus.PAUSED:
            raise NotAllowed(f"{circle.name} is paused; the facilitator can resume it.")
        held = (
            await self.uow.session.execute(
                select(Meeting.number, Meeting.facilitator_id)
                .where(Meeting.circle_id == circle.id)
                .order_by(Meeting.number)
            )
        ).all()
        earlier = [facilitator for _, facilitator in held]  # who has had a turn: rotation counts them
        number = (held[-1][0] if held else 0) + 1
        if circle.meeting_count is not None and number > circle.meeting_count:
            raise NotAllowed(
                f"{circle.name} has held all {circle.meeting_count} meetings of its series; there is no meeting "
                f"{number}. Its lead can end it with /circle end."
            )
        fmt = get_format(circle.format_key)
        meeting = Meeting(
            circle_id=circle.id,
            number=number,
            duration_minutes=fmt.meeting_minutes,
            facilitator_id=facilitator_for(circle, fmt, number, earlier),
            created_at=self.now,
        )
        self.uow.session.add(meeting)
        await self.uow.flush()
        self._rounds_ahead[meeting.id] = None  # a meeting just made has no round yet
        return meeting

    async def scene(self, circle: Circle, meeting: Meeting) -> Scene:
        fmt = get_format(circle.format_key)
        if meeting.id in self._rounds_ahead:
            return Scene(self.uow, circle, meeting, fmt, self.now, self._rounds_ahead.pop(meeting.id))
        return await load_scene(self.uow, circle, meeting, fmt, self.now)


# The statements every request runs are built once: building them anew cost more than running them.


def _with_latest_round(query: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """Adds the meeting's latest round (the one `load_scene` would read), or None before its first."""
    later = aliased(Round)
    latest = select(func.max(later.number)).where(later.meeting_id == Meeting.id).correlate(Meeting).scalar_subquery()
    return query.outerjoin(Round, (Round.meeting_id == Meeting.id) & (Round.number == latest))


def _with_circles(query: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """Joins onto a query about one Person that person's open circles, with their members, each
    with its current meeting and that meeting's latest round (one row per circle; None, None,
    None for a person in no open circle)."""
    earlier = aliased(Meeting)
    first_open = (
        select(func.min(earlier.number))
        .where(earlier.circle_id == Circle.id, earlier.state != MeetingState.CLOSED)
        .correlate(Circle)
        .scalar_subquery()
    )
    query = (
        query.outerjoin(Membership, (Membership.person_id == Person.id) & Membership.left_at.is_(None))
        .outerjoin(Circle, (Circle.id == Membership.circle_id) & (Circle.status != CircleStatus.CLOSED))
        .outerjoin(Meeting, (Meeting.circle_id == Circle.id) & (Meeting.number == first_open))
    )
    return _with_latest_round(query).order_by(Circle.name).options(joinedload(Circle.memberships))


_ACTOR = _with_circles(
    select(Workspace, Person, Circle, Meeting, Round)
    .select_from(Workspace)
    .outerjoin(Person, (Person.workspace_id == Workspace.id) & (Person.external_id == bindparam("user")))
    .where(Workspace.platform == bindparam("platform"), Workspace.external_id == bindparam("workspace"))
)
_MY_CIRCLES = _with_circles(
    select(Circle, Meeting, Round).select_from(Person).where(Person.id == bindparam("person_id"))
)
_ENDED = (
    select(Circle)
    .join(Membership, Membership.circle_id == Circle.id)
    .where(
        Membership.person_id == bindparam("person_id"),
        Membership.left_at.is_(None),
        Circle.status == CircleStatus.CLOSED,
    )
)
_CURRENT_MEETING = (
    _with_latest_round(select(Meeting, Round).select_from(Meeting))
    .where(Meeting.circle_id == bindparam("circle_id"), Meeting.state != MeetingState.CLOSED)
    .order_by(Meeting.number)
    .limit(1)
)


async def ensure_workspace(uow: UnitOfWork, platform: Platform, external_id: str) -> Workspace:
    query = select(Workspace).where(Workspace.platform == platform, Workspace.external_id == external_id)
    workspace = await uow.session.scalar(query)
    if workspace is None:
        workspace = Workspace(platform=platform, external_id=external_id, name=external_id)
        if not await _insert_once(uow, workspace):
            workspace = (await uow.session.scalars(query)).one()
    return workspace


async def ensure_person(
    uow: UnitOfWork, workspace: Workspace, external_id: str, name: str, timezone: str | None
) -> Person:
    query = select(Person).where(Person.workspace_id == workspace.id, Person.external_id == external_id)
    person = await uow.session.scalar(query)
    if person is None:
        person = Person(
            workspace_id=workspace.id, external_id=external_id, display_name=name or external_id, timezone=timezone
        )
        if not await _insert_once(uow, person):
            person = (await uow.session.scalars(query)).one()
    _take_names(person, name, timezone)
    return person


def _take_names(person: Person, name: str, timezone: str | None) -> None:
    """The platform's newest display name wins; its time zone only fills a gap the person left."""
    if name and person.display_name != name:
        person.display_name = name
    if timezone and not person.timezone:
        person.timezone = timezone


async def _insert_once(uow: UnitOfWork, row: Workspace | Person) -> bool:
    """Inserts in a savepoint; False when a concurrent request inserted the same row first."""
    try:
        async with uow.session.begin_nested():
            uow.session.add(row)
        return True
    except IntegrityError:
        return False
