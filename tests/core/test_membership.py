"""Membership by consent: invitations, join requests, removal, open circles, late joiners and the
member limit under concurrency. Outsiders learn nothing and change nothing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import ManualClock
from core.context import NOT_YOURS, Actor
from core.db import Database
from core.membership import MAX_MEMBERS, MembershipAction
from core.messages import Actions, Reply
from core.models import Circle, Invitation, Membership
from core.service import CircleService
from core.vocabulary import Platform
from tests.fakes.members import Member, cast, welcome
from tests.fakes.recording_port import RecordingPort


@dataclass
class DiscordMember(Member):
    @property
    def actor(self) -> Actor:
        return Actor(Platform.DISCORD, self.workspace, self.user, self.name)


async def members_of(db: Database, name: str) -> set[str]:
    async with db.unit_of_work() as uow:
        circle = await uow.session.scalar(select(Circle).where(Circle.name == name))
        assert circle is not None
        return {m.person.display_name for m in circle.active_memberships()}


async def snapshot(db: Database) -> tuple[int, ...]:
    async with db.unit_of_work() as uow:
        counts = [
            await uow.session.scalar(select(func.count()).select_from(m)) for m in (Circle, Membership, Invitation)
        ]
    return tuple(int(c or 0) for c in counts)


def buttons(port: RecordingPort, action: str) -> list[str]:
    """The values of every button with this action the bot has sent, in order."""
    found = []
    for sent in port.transcript:
        for block in sent.message.blocks if sent.message else ():
            if isinstance(block, Actions):
                found.extend(b.value for b in block.buttons if b.action_id == action)
    return found


@pytest.fixture
async def alpha(service: CircleService) -> list[Member]:
    """Ana leads the invite-only circle alpha with Ben in it; the others are outsiders."""
    people = cast(service, 6)
    for person in people:
        await person.says("/circle status")  # the bot has met everyone: names in answers are theirs
    await people[0].says("/circle new alpha")
    await welcome(people[0], people[1:2])
    return people


async def test_an_uninvited_join_reveals_nothing_and_changes_nothing(
    alpha: list[Member], db: Database, port: RecordingPort
) -> None:
    eero = alpha[4]
    port.clear()
    existing = await eero.says("/circle join alpha")
    missing = await eero.says("/circle join nosuchcircle")
    assert existing == missing
    assert "alpha" not in existing
    assert await members_of(db, "alpha") == {"Ana", "Ben"}
    assert "You're not in a circle called" in await eero.says("/circle status in=alpha")
    asked = [s for s in port.of_kind("dm") if "asks to join" in s.text]
    assert [s.target for s in asked] == [alpha[0].user]  # only the lead hears of it
    before = await snapshot(db)
    assert await eero.says("/circle join alpha") == existing  # asking again bothers nobody
    assert await snapshot(db) == before
    assert len([s for s in port.of_kind("dm") if "asks to join" in s.text]) == 1


async def test_the_lead_approves_or_declines_a_join_request(
    alpha: list[Member], db: Database, port: RecordingPort
) -> None:
    ana, eero, fatima = alpha[0], alpha[4], alpha[5]
    await eero.says("/circle join alpha")
    await fatima.says("/circle join alpha")
    eero_request, fatima_request = buttons(port, MembershipAction.APPROVE)
    assert (await eero.presses(MembershipAction.APPROVE, eero_request))[0] == NOT_YOURS  # not his to decide
    port.clear()
    assert "is now in alpha" in (await ana.presses(MembershipAction.APPROVE, eero_request))[0]
    assert "not told" in (await ana.presses(MembershipAction.REFUSE, fatima_request))[0]
    assert await members_of(db, "alpha") == {"Ana", "Ben", "Eero"}
    told = {s.target for s in port.of_kind("dm")}
    assert eero.user in told
    assert fatima.user not in told  # a refusal would confirm the circle exists
    assert "already answered" in (await ana.presses(MembershipAction.APPROVE, fatima_request))[0]
    assert await members_of(db, "alpha") == {"Ana", "Ben", "Eero"}


async def test_invitations_are_accepted_or_declined_by_the_invited(
    alpha: list[Member], db: Database, port: RecordingPort
) -> None:
    ana, chidi, dana, eero = alpha[0], alpha[2], alpha[3], alpha[4]
    port.clear()
    assert "Invited Chidi, Dana" in await ana.says(f"/circle add {chidi.mention} {dana.mention}")
    invitations = [s for s in port.of_kind("dm") if "invites you" in s.text]
    assert {s.target for s in invitations} == {chidi.user, dana.user}
    assert await members_of(db, "alpha") == {"Ana", "Ben"}  # nobody is in before saying yes
    circle_id = buttons(port, MembershipAction.ACCEPT)[0]

    assert (await eero.presses(MembershipAction.ACCEPT, circle_id))[0] == NOT_YOURS  # not invited
    assert "Welcome to alpha" in (await chidi.presses(MembershipAction.ACCEPT, circle_id))[0]
    assert "declined" in (await dana.presses(MembershipAction.DECLINE, circle_id))[0]
    assert await members_of(db, "alpha") == {"Ana", "Ben", "Chidi"}
    assert any(s.target == ana.user and "Dana declined" in s.text for s in port.of_kind("dm"))
    assert (await dana.presses(MembershipAction.ACCEPT, circle_id))[0] == NOT_YOURS  # a decline stands
    assert (await chidi.presses(MembershipAction.ACCEPT, circle_id))[0] == NOT_YOURS  # accepted once
    assert any(s.kind == "add" and s.target.endswith(chidi.user) for s in port.transcript)
    assert "please choose yes or no" in await ana.says(f"/circle add {eero.mention} history=maybe")


async def test_a_removed_member_cannot_walk_back_in(alpha: list[Member], db: Database, port: RecordingPort) -> None:
    ana, ben = alpha[0], alpha[1]
    assert "Removed Ben" in await ana.says(f"/circle remove {ben.mention}")
    port.clear()
    before = await snapshot(db)
    assert await ben.says("/circle join alpha") == await ben.says("/circle join nosuchcircle")
    assert await snapshot(db) == before
    assert port.transcript == []  # the lead is not pestered either
    assert await members_of(db, "alpha") == {"Ana"}
    await welcome(ana, [ben])  # until the lead invites again
    assert await members_of(db, "alpha") == {"Ana", "Ben"}


async def test_an_open_circle_lets_people_in_but_not_the_removed(service: CircleService, db: Database) -> None:
    ana, ben, chidi = cast(service, 3)
    assert "they can /circle join beta" in await ana.says("/circle new beta open=yes")
    assert "Welcome to beta" in await ben.says("/circle join beta")
    assert "Welcome to beta" in await chidi.says("/circle join beta")
    await ana.says(f"/circle remove {chidi.mention}")
    assert "if there is such a circle" in await chidi.says("/circle join beta")
    assert await members_of(db, "beta") == {"Ana", "Ben"}
    assert "yes or no" in await ana.says("/circle new gamma open=perhaps")


async def test_a_name_clash_answers_like_any_unavailable_name(alpha: list[Member], db: Database) -> None:
    eero = alpha[4]
    before = await snapshot(db)
    clash = await eero.says("/circle new alpha")
    reserved = await eero.says("/circle new everyone")
    assert clash == reserved.replace("everyone", "alpha")
    assert await snapshot(db) == before


async def test_late_joiners_and_history(service: CircleService, db: Database, port: RecordingPort) -> None:
    ana, ben, chidi = cast(service, 3)
    await ana.says("/circle new delta")
    await ana.says("/circle checkin Something was said already")
    port.clear()
    warning = await ana.service.run_command(ana.actor, f"/circle add {ben.mention}")
    assert "sees everything said" in warning.message.plain_text
    assert "Invite them anyway?" in warning.message.plain_text
    assert port.of_kind("dm") == []  # nothing goes out before the lead confirms
    assert await ben.accepts_invitations() == []
    confirm = buttons_in(warning)
    assert (await ben.presses(MembershipAction.CONFIRM, confirm[0]))[0] == NOT_YOURS
    assert "Invited UT11" in (await ana.presses(MembershipAction.CONFIRM, confirm[0]))[0]
    assert [s.target for s in port.of_kind("dm")] == [ben.user]
    assert "already gone out" in (await ana.presses(MembershipAction.CONFIRM, confirm[0]))[0]
    assert "Invited UT12" in await ana.says(f"/circle add {chidi.mention} history=yes")  # chosen: no warning

    # Where the platform can hide the past (Discord), the lead's choice reaches the permission overwrite.
    lead, late = (DiscordMember(service, f"D{i}", name, "G1") for i, name in enumerate(("Lea", "Lou")))
    await lead.says("/circle new epsilon")
    await lead.says("/circle checkin Before Lou came")
    assert "won't see what was said before" in await lead.says(f"/circle add {late.mention}")
    port.clear()
    await late.accepts_invitations()
    assert [s.target for s in port.of_kind("add")] == [f"{_space(port)}:{late.user}:no-history"]


def _space(port: RecordingPort) -> str:
    return sorted(port.spaces)[-1]


def buttons_in(reply: Reply) -> list[str]:
    return [b.value for block in reply.message.blocks if isinstance(block, Actions) for b in block.buttons]


async def test_sixteen_at_once_keep_the_member_limit(service: CircleService, db: Database) -> None:
    lead = cast(service, 1)[0]
    crowd = [Member(service, f"UX{i}", f"Person {i}") for i in range(16)]
    await lead.says("/circle new crowd open=yes")
    await asyncio.gather(*(p.says("/circle join crowd") for p in crowd))
    assert len(await members_of(db, "crowd")) == MAX_MEMBERS

    await lead.says("/circle new invited")
    invited = [Member(service, f"UY{i}", f"Guest {i}") for i in range(16)]
    await lead.says("/circle add " + " ".join(p.mention for p in invited) + " in=invited")
    replies = await asyncio.gather(*(p.accepts_invitations() for p in invited))
    assert len(await members_of(db, "invited")) == MAX_MEMBERS
    assert sum("Welcome" in r[0] for r in replies) == MAX_MEMBERS - 1
    assert sum("is full" in r[0] for r in replies) == 16 - (MAX_MEMBERS - 1)


async def test_a_late_joiner_spared_the_past_does_not_see_earlier_bids_in_status(
    service: CircleService, clock: ManualClock
) -> None:
    lead, early, late, later = (DiscordMember(service, f"D{i}", n, "G2") for i, n in enumerate("ABCD"))
    await lead.says("/circle new zeta")
    await lead.says(f"/circle add {early.mention} {later.mention} history=yes")
    await early.accepts_invitations()
    await early.says("/circle bid CANARY-EARLY-BID")
    clock.advance(timedelta(minutes=5))
    await lead.says(f"/circle add {late.mention} history=no")
    await late.accepts_invitations()
    await later.accepts_invitations()
    assert "CANARY-EARLY-BID" not in await late.says("/circle status in=zeta")
    assert "CANARY-EARLY-BID" in await later.says("/circle status in=zeta")
