"""People in a test workspace who type `/circle …`, press buttons and fill in forms."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from core.context import Actor, Where
from core.membership import MembershipAction
from core.models import Invitation, InvitationKind, InvitationState, Person, Workspace
from core.service import CircleService, FormResult
from core.vocabulary import Platform


@dataclass
class Member:
    service: CircleService
    user: str
    name: str
    workspace: str = "T1"
    timezone: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(Platform.PLAYGROUND, self.workspace, self.user, self.name, self.timezone)

    @property
    def mention(self) -> str:
        return f"<@{self.user}>"

    async def says(self, command: str, space: str | None = None, key: str | None = None) -> str:
        reply = await self.service.run_command(self.actor, command, Where(space=space), key)
        return reply.message.plain_text

    async def presses(self, action: str, value: str, key: str | None = None) -> tuple[str, object]:
        reply = await self.service.press(self.actor, action, value, key=key)
        return reply.message.plain_text, reply.form

    async def submits(self, form_id: str, context: str, values: dict[str, str], key: str | None = None) -> FormResult:
        return await self.service.submit(self.actor, form_id, context, values, key)

    async def replies_in_thread(self, thread: str, text: str, key: str | None = None) -> str | None:
        reply = await self.service.reply_in_thread(self.actor, thread, text, key)
        return None if reply is None else reply.message.plain_text

    async def accepts_invitations(self) -> list[str]:
        """Presses Accept on every invitation waiting for this person (what the invitation DM offers)."""
        return await accepts_invitations(self.service, self.actor)


async def accepts_invitations(service: CircleService, actor: Actor) -> list[str]:
    """Presses Accept, as `actor` on any platform, on every invitation waiting for them."""
    async with service.db.unit_of_work() as uow:
        circle_ids = list(
            await uow.session.scalars(
                select(Invitation.circle_id)
                .join(Person, Person.id == Invitation.person_id)
                .join(Workspace, Workspace.id == Person.workspace_id)
                .where(
                    Workspace.external_id == actor.workspace,
                    Person.external_id == actor.user,
                    Invitation.kind == InvitationKind.INVITE,
                    Invitation.state == InvitationState.PENDING,
                )
            )
        )
    told = []
    for circle_id in circle_ids:
        told.append((await service.press(actor, MembershipAction.ACCEPT, str(circle_id))).message.plain_text)
    return told


async def welcome(lead: Member, invitees: Sequence[Member], options: str = "") -> str:
    """The lead invites these people (`/circle add`) and each accepts; returns what the lead was told."""
    reply = await lead.says(f"/circle add {' '.join(p.mention for p in invitees)} {options}".strip())
    for person in invitees:
        await person.accepts_invitations()
    return reply


def cast(service: CircleService, count: int = 6, workspace: str = "T1") -> list[Member]:
    names = ["Ana", "Ben", "Chidi", "Dana", "Eero", "Fatima", "Goran", "Hana"]
    return [Member(service, f"U{workspace}{i}", names[i], workspace) for i in range(count)]
