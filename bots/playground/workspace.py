"""The playground as a workspace: who may see which channel, and who hears of what changed.

Membership always comes from the database (a circle's active memberships), never from the port,
so a person who is not in a circle can neither read its channel nor learn that it changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web
from sqlalchemy import select

from bots.playground import demo
from bots.playground.clock import DueWork, MovableClock
from bots.playground.port import BOT_NAME, Change, PlaygroundPort, dm_space
from bots.playground.wire import Json
from core.context import Actor
from core.models import Circle, Membership, Person, Workspace
from core.scheduling.scheduler import Scheduler
from core.service import CircleService
from core.vocabulary import Platform


@dataclass(frozen=True)
class Channel:
    """A channel the page may show: a circle's private channel, or the person's DM with the bot."""

    id: str
    name: str
    circle: bool


@dataclass
class Playground:
    """The running playground: the service, the port it speaks through, its clock and due work,
    and the open pages (WebSockets) of each person."""

    service: CircleService
    port: PlaygroundPort
    clock: MovableClock
    due: DueWork
    sockets: dict[str, set[web.WebSocketResponse]] = field(default_factory=dict)
    scheduler: Scheduler | None = None  # started by the long-running server, not by tests

    def __post_init__(self) -> None:
        self.port.listener = self.tell

    # Who may see what ------------------------------------------------------------------------------

    async def person(self, user: str | None) -> Person | None:
        if not user:
            return None
        async with self.service.db.unit_of_work() as uow:
            return await uow.session.scalar(
                select(Person)
                .join(Workspace, Workspace.id == Person.workspace_id)
                .where(
                    Workspace.platform == Platform.PLAYGROUND,
                    Workspace.external_id == demo.WORKSPACE,
                    Person.external_id == user,
                )
            )

    async def people(self) -> list[Person]:
        async with self.service.db.unit_of_work() as uow:
            rows = await uow.session.scalars(
                select(Person)
                .join(Workspace, Workspace.id == Person.workspace_id)
                .where(Workspace.platform == Platform.PLAYGROUND, Workspace.external_id == demo.WORKSPACE)
                .order_by(Person.display_name)
            )
            return list(rows)

    async def channels(self, user: str) -> list[Circle]:
        """The circles whose channel this person sees: those they are an active member of, and those
        that ended while they were (archived, read-only, as Slack and Discord keep them)."""
        actor = Actor(Platform.PLAYGROUND, demo.WORKSPACE, user)
        return [circle for circle in await self.service.my_circles(actor, ended=True) if circle.space_ref]

    async def may_read(self, user: str, space: str) -> Channel | None:
        """The channel, when it is this person's own DM or the channel of a circle they are in."""
        if space.startswith("D-"):
            return Channel(space, BOT_NAME, circle=False) if space == dm_space(user) else None
        circle = next((c for c in await self.channels(user) if c.space_ref == space), None)
        return Channel(space, circle.name, circle=True) if circle else None

    async def members_of(self, space: str) -> set[str]:
        if space.startswith("D-"):
            return {space.removeprefix("D-")}
        async with self.service.db.unit_of_work() as uow:
            rows = await uow.session.scalars(
                select(Person.external_id)
                .join(Membership, Membership.person_id == Person.id)
                .join(Circle, Circle.id == Membership.circle_id)
                .where(Circle.space_ref == space, Membership.left_at.is_(None))
            )
            return set(rows)

    # Live updates ----------------------------------------------------------------------------------

    async def tell(self, change: Change) -> None:
        """Tells each open page that may see the change to fetch it again; nobody else hears of it."""
        users = set(change.users)
        if change.space is not None:
            users |= await self.members_of(change.space)
        for user in users:
            await self.send(user, {"type": "changed", "space": change.space})

    async def send(self, user: str, event: Json) -> None:
        for socket in list(self.sockets.get(user, ())):
            if not socket.prepared:
                continue
            try:
                await socket.send_json(event)
            except (ConnectionError, RuntimeError):
                self.sockets[user].discard(socket)

    async def tell_everyone(self, event: Json) -> None:
        for user in list(self.sockets):
            await self.send(user, event)
