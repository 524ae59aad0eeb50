"""Who is asking, and which circle and meeting they mean.

Every request is resolved here the same way, so that a person only ever reaches circles they
belong to; anything else is answered as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.db import UnitOfWork
from core.errors import NotAllowed, NotFound
from core.formats import get_format
from core.meeting import Scene, facilitator_for, load_scene
from core.models import Circle, Meeting, Membership, Person, Workspace
from core.vocabulary import CircleStatus, MeetingState, Platform, Role

NOT_YOURS = "That isn't available to you: it may have ended, or belong to a circle you're not in."


@dataclass(frozen=True)
class Actor:
    """The person acting, as the platform names them."""

    platform: Platform
    workspace: str
    user: str
    name: str = ""
    timezone: str | None = None


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

    @classmethod
    async def load(cls, uow: UnitOfWork, actor: Actor, now: datetime, where: Where) -> RequestContext:
        workspace = await ensure_workspace(uow, actor.platform, actor.workspace)
        person = await ensure_person(uow, workspace, actor.user, actor.name, actor.timezone)
        return cls(uow, workspace, person, now, where)

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
        circles = await self.uow.session.scalars(
            select(Circle)
            .join(Membership, Membership.circle_id == Circle.id)
            .where(Membership.person_id == self.person.id, Membership.left_at.is_(None))
            .where(Circle.status != CircleStatus.CLOSED)
            .order_by(Circle.name)
        )
        return list(circles)

    async def circle_for(self, name: str | None) -> Circle:
        """The circle a command means: named, else the one whose space it came from, else the only one."""
        mine = await self.my_circles()
        if name:
            match = next((c for c in mine if c.name == name.lower()), None)
            if match is None:
                raise NotFound(f"You're not in a circle called '{name[:80]}'.")
            return match
        if self.where.space:
            here = next((c for c in mine if c.space_ref == self.where.space), None)
            if here is not None:
                return here
        if len(mine) == 1:
            return mine[0]
        if not mine:
            raise NotFound("You're not in any circle yet. Join one with /circle join NAME.")
        names = ", ".join(c.name for c in mine)
        raise NotFound(f"You're in several circles ({names}): add in=NAME to say which.")

    async def circle_by_id(self, circle_id: int) -> Circle:
        """A circle the actor belongs to, by id; any other id is answered as if it did not exist."""
        circle = await self.uow.session.get(Circle, circle_id)
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
        """The first meeting not yet closed."""
        return await self.uow.session.scalar(
            select(Meeting)
            .where(Meeting.circle_id == circle.id, Meeting.state != MeetingState.CLOSED)
            .order_by(Meeting.number)
            .limit(1)
        )

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
        if circle.status in (CircleStatus.PAUSED, CircleStatus.CLOSED):
            raise NotAllowed(f"{circle.name} is {circle.status.value}; the facilitator can resume it.")
        last = await self.uow.session.scalar(
            select(Meeting.number).where(Meeting.circle_id == circle.id).order_by(Meeting.number.desc()).limit(1)
        )
        number = (last or 0) + 1
        fmt = get_format(circle.format_key)
        meeting = Meeting(
            circle_id=circle.id,
            number=number,
            duration_minutes=fmt.meeting_minutes,
            facilitator_id=facilitator_for(circle, fmt, number),
            created_at=self.now,
        )
        self.uow.session.add(meeting)
        await self.uow.flush()
        return meeting

    async def scene(self, circle: Circle, meeting: Meeting) -> Scene:
        return await load_scene(self.uow, circle, meeting, get_format(circle.format_key), self.now)


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
    if name and person.display_name != name:
        person.display_name = name
    if timezone and not person.timezone:
        person.timezone = timezone
    return person


async def _insert_once(uow: UnitOfWork, row: Workspace | Person) -> bool:
    """Inserts in a savepoint; False when a concurrent request inserted the same row first."""
    try:
        async with uow.session.begin_nested():
            uow.session.add(row)
        return True
    except IntegrityError:
        return False
