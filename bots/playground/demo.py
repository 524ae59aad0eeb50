"""A demo programme for the playground: seven people across departments and time zones, and one
circle for each format, made with the same `/circle` commands a programme lead would type.

The async peer-coaching circle is seeded mid-round, so *skip ahead* has a deadline to move on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, select

from core.context import Actor
from core.membership import MembershipAction
from core.models import Circle, Person, Workspace
from core.service import CircleService
from core.vocabulary import Platform

log = logging.getLogger(__name__)

WORKSPACE = "playground"


@dataclass(frozen=True)
class DemoPerson:
    user: str
    name: str
    department: str
    timezone: str

    @property
    def actor(self) -> Actor:
        return Actor(Platform.PLAYGROUND, WORKSPACE, self.user, self.name, self.timezone)

    @property
    def mention(self) -> str:
        return f"<@{self.user}>"


@dataclass(frozen=True)
class DemoCircle:
    name: str
    format_key: str
    lead: str
    members: tuple[str, ...]
    mode: str = "live"


PEOPLE = (
    DemoPerson("amara", "Amara Okafor", "Operations", "Africa/Lagos"),
    DemoPerson("ben", "Ben Carter", "Engineering", "Europe/London"),
    DemoPerson("chen", "Chen Wei", "Finance", "Asia/Singapore"),
    DemoPerson("dana", "Dana Levi", "People & Culture", "Asia/Jerusalem"),
    DemoPerson("eero", "Eero Virtanen", "Product", "Europe/Helsinki"),
    DemoPerson("fatima", "Fatima Haddad", "Sales", "Asia/Dubai"),
    DemoPerson("gabriel", "Gabriel Souza", "Customer Support", "America/Sao_Paulo"),
)

CIRCLES = (
    DemoCircle("leaders", "action-learning", "amara", ("ben", "chen", "dana", "eero")),
    DemoCircle("coaching", "peer-coaching", "chen", ("fatima", "gabriel", "ben"), mode="async"),
    DemoCircle("handover", "action-learning-handover", "dana", ("eero", "fatima", "gabriel", "amara")),
    DemoCircle("feedback-module", "module", "eero", ("amara", "chen", "gabriel")),
    DemoCircle("time-slot", "time-slot", "fatima", ("ben", "dana", "gabriel")),
)


def person(user: str) -> DemoPerson:
    return next(p for p in PEOPLE if p.user == user)


async def seed_people(service: CircleService) -> None:
    """Everyone in the 'you are' switcher exists, with their department; safe to run again."""
    for someone in PEOPLE:
        await service.home(someone.actor)
    async with service.db.unit_of_work() as uow:
        for someone in PEOPLE:
            row = await uow.session.scalar(
                select(Person)
                .join(Workspace, Workspace.id == Person.workspace_id)
                .where(Workspace.external_id == WORKSPACE, Person.external_id == someone.user)
            )
            if row is not None:
                row.department = someone.department
        await uow.commit()


async def seed_demo(service: CircleService) -> bool:
    """The whole programme, once: returns False when the playground already has circles."""
    await seed_people(service)
    if await _has_circles(service):
        return False
    for circle in CIRCLES:
        await _form(service, circle)
    await _start_async_round(service)
    return True


async def _has_circles(service: CircleService) -> bool:
    async with service.db.unit_of_work() as uow:
        count = await uow.session.scalar(
            select(func.count(Circle.id))
            .join(Workspace, Workspace.id == Circle.workspace_id)
            .where(Workspace.external_id == WORKSPACE)
        )
    return bool(count)


async def _form(service: CircleService, circle: DemoCircle) -> None:
    lead = person(circle.lead).actor
    await _say(service, lead, f"/circle new {circle.name} format={circle.format_key} mode={circle.mode}")
    mentions = " ".join(person(user).mention for user in circle.members)
    await _say(service, lead, f"/circle add {mentions} in={circle.name}")
    async with service.db.unit_of_work() as uow:  # the demo people accept the invitations they were sent
        circle_id = await uow.session.scalar(select(Circle.id).where(Circle.name == circle.name))
    for user in circle.members:
        await service.press(person(user).actor, MembershipAction.ACCEPT, str(circle_id))


async def _start_async_round(service: CircleService) -> None:
    """Chen's async circle: check-ins and a bid are in, and Fatima's round is under way."""
    chen, fatima, gabriel, ben = (person(u).actor for u in ("chen", "fatima", "gabriel", "ben"))
    where = "in=coaching"
    await _say(service, chen, f"/circle start {where}")
    await _say(service, chen, f"/circle checkin Busy quarter-end, glad to be here {where}")
    await _say(service, fatima, f"/circle checkin Arriving curious; one live issue to bring {where}")
    await _say(service, gabriel, f"/circle checkin A bit tired after a big release {where}")
    await _say(service, ben, f"/circle checkin Good, ready to listen {where}")
    await _say(service, chen, f"/circle bids {where}")
    await _say(service, fatima, f"/circle bid How do I hand a key account to a new colleague? urgency=high {where}")
    await _say(service, chen, f"/circle round {where}")


async def _say(service: CircleService, actor: Actor, command: str) -> None:
    reply = await service.run_command(actor, command)
    log.debug("demo: %s -> %s", command, reply.message.plain_text)
