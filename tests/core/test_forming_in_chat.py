"""`/circle form PROGRAMME`: the lead sees the proposed circles privately, moves someone, tries
another seed and confirms; confirming creates exactly what was shown, once, with invitations by
consent and a volunteer as facilitator; every bad or repeated request is refused and changes nothing."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import func, select

from core.db import Database
from core.formation import roster
from core.forming import FormingAction
from core.forms import FormId
from core.messages import Actions, Message, Text
from core.models import (
    Circle,
    FormationProposal,
    Invitation,
    InvitationState,
    Membership,
    Person,
    Programme,
    ProgrammeSignUp,
)
from core.service import CircleService
from core.vocabulary import CircleStatus, Role
from tests.fakes.members import Member
from tests.fakes.recording_port import RecordingPort

NAMES = ("Lead", "Ana", "Ben", "Chidi", "Dana", "Eero", "Fatima", "Goran", "Hana", "Ivo", "Jun", "Kofi", "Lea")
DEPARTMENTS = ("Finance", "Sales", "Legal", "Ops")


def people(service: CircleService, workspace: str = "T1") -> list[Member]:
    return [Member(service, f"UF{i}", name, workspace) for i, name in enumerate(NAMES)]


async def open_programme(lead: Member, name: str = "spring", options: str = "") -> int:
    reply = await lead.says(f"/circle programme {name} {options}".strip())
    assert f"/circle form {name}" in reply
    return int(reply.split("--programme ")[1].split("`")[0])


async def sign_up(member: Member, programme_id: int, index: int, volunteer: bool = False, zone: str = "") -> None:
    values = {
        "department": DEPARTMENTS[index % len(DEPARTMENTS)],
        "level": str(3 + index % 3),
        "timezone": zone or ("Europe/Berlin" if index % 2 else "Europe/London"),
        "topics": "delegation; feedback" if index % 3 else "delegation",
        "facilitator": "yes" if volunteer else "no",
    }
    result = await member.submits(FormId.SIGN_UP, str(programme_id), values)
    assert result.errors == {}, result.errors


async def programme_with(
    cast: Sequence[Member], count: int, options: str = "", volunteers: Sequence[int] = (1, 7)
) -> int:
    """The first of `cast` opens 'spring'; the next `count` sign up, those at `volunteers` willing to facilitate."""
    programme_id = await open_programme(cast[0], options=options)
    for index in range(1, count + 1):
        await sign_up(cast[index], programme_id, index, volunteer=index in volunteers)
    return programme_id


async def propose(member: Member, line: str) -> Message:
    reply = await member.service.run_command(member.actor, line)
    return reply.message


def button(shown: Message, action: str) -> str:
    for block in shown.blocks:
        if isinstance(block, Actions):
            for found in block.buttons:
                if found.action_id == action:
                    return found.value
    raise AssertionError(f"no {action} button in {shown.plain_text}")


async def proposal(db: Database) -> FormationProposal:
    async with db.unit_of_work() as uow:
        found = await uow.session.scalar(select(FormationProposal))
        assert found is not None
        return found


async def counts(db: Database) -> tuple[int, int, int]:
    async with db.unit_of_work() as uow:
        session = uow.session
        circles = await session.scalar(select(func.count()).select_from(Circle))
        invitations = await session.scalar(select(func.count()).select_from(Invitation))
        proposals = await session.scalar(select(func.count()).select_from(FormationProposal))
        return int(circles or 0), int(invitations or 0), int(proposals or 0)


async def test_the_lead_sees_a_proposal_with_why_lines_and_confirming_creates_it(
    service: CircleService, db: Database, port: RecordingPort
) -> None:
    cast = people(service)
    lead = cast[0]
    programme_id = await programme_with(cast, 12, "format=action-learning meetings=4 every=42")
    shown = await propose(lead, "/circle form spring")
    text = shown.plain_text
    assert "spring: 2 circles from 12 people" in text
    assert text.count("why: ") == 2
    assert "departments among" in text
    assert "levels 3–4" in text
    assert "(facilitates)" in text  # action learning has a facilitator: a volunteer
    assert "Every rule holds" in text
    stored = await proposal(db)
    assert sorted(pid for ids in stored.circles for pid in ids) == sorted(stored.circles[0] + stored.circles[1])
    assert await counts(db) == (0, 0, 1)  # a proposal creates nothing

    told = await lead.presses(FormingAction.CONFIRM, button(shown, FormingAction.CONFIRM))
    assert "spring: 2 circles created" in told[0]
    async with db.unit_of_work() as uow:
        circles = list(await uow.session.scalars(select(Circle).order_by(Circle.name)))
        assert [c.name for c in circles] == ["spring-1", "spring-2"]
        for circle, ids in zip(circles, stored.circles, strict=True):
            assert (circle.programme_id, circle.format_key) == (programme_id, "action-learning")
            assert (circle.meeting_count, circle.cadence_days, circle.status) == (4, 42, CircleStatus.FORMING)
            assert circle.created_by_id is not None
            assert circle.created_by_id not in ids
            invited = list(await uow.session.scalars(select(Invitation).where(Invitation.circle_id == circle.id)))
            assert sorted(i.person_id for i in invited) == sorted(ids)
            assert {i.state for i in invited} == {InvitationState.PENDING}
            assert [i.role for i in invited].count(Role.FACILITATOR) == 1
        assert await uow.session.scalar(select(func.count()).select_from(Membership)) == 0  # the lead is not in
    assert [s.kind for s in port.transcript].count("open") == 2
    invited_users = {s.target for s in port.transcript if s.kind == "dm" and "invites you" in s.text}
    assert invited_users == {m.user for m in cast[1:13]}

    # accepting joins; a volunteer's membership says so (rotation reads it)
    await cast[1].accepts_invitations()  # volunteered
    await cast[2].accepts_invitations()  # did not
    async with db.unit_of_work() as uow:
        joined = list(await uow.session.scalars(select(Membership).order_by(Membership.id)))
        assert [m.volunteer for m in joined] == [True, False]


async def test_moving_someone_changes_the_proposal_and_confirm_creates_what_was_shown(
    service: CircleService, db: Database
) -> None:
    cast = people(service)
    lead = cast[0]
    await programme_with(cast, 12)
    first = await propose(lead, "/circle form spring")
    before = await proposal(db)
    big = max((0, 1), key=lambda i: len(before.circles[i]))
    small = 1 - big
    mover = await member_with(db, cast, before.circles[big][0])
    # Slack's mention carries the display name, spaces and all
    moved = await propose(lead, f"/circle form spring move=<@{mover.user}|{mover.name} X> to={small + 1}")
    after = await proposal(db)
    assert after.revision == before.revision + 1
    assert await person_id(db, mover) in after.circles[small]
    assert len(after.circles[small]) == len(before.circles[small]) + 1
    assert len(after.circles[big]) == len(before.circles[big]) - 1
    assert "Every rule holds" in moved.plain_text  # still within 5-7
    # asking again shows the standing proposal, the move kept
    assert (await propose(lead, "/circle form spring")).plain_text == moved.plain_text
    assert (await proposal(db)).revision == after.revision
    # the first proposal's button is stale now: nothing is created from it
    stale, _ = await lead.presses(FormingAction.CONFIRM, button(first, FormingAction.CONFIRM))
    assert "has changed since" in stale
    assert (await counts(db))[0] == 0
    await lead.presses(FormingAction.CONFIRM, button(moved, FormingAction.CONFIRM))
    async with db.unit_of_work() as uow:
        target = await uow.session.scalar(select(Circle).where(Circle.name == f"spring-{small + 1}"))
        assert target is not None
        invited = set(await uow.session.scalars(select(Invitation.person_id).where(Invitation.circle_id == target.id)))
        assert invited == set(after.circles[small])


async def person_id(db: Database, member: Member) -> int:
    async with db.unit_of_work() as uow:
        found = await uow.session.scalar(select(Person.id).where(Person.external_id == member.user))
        assert found is not None
        return found


async def member_with(db: Database, cast: Sequence[Member], wanted: int) -> Member:
    for member in cast:
        if await person_id(db, member) == wanted:
            return member
    raise AssertionError(wanted)


async def test_another_seed_re_runs_and_a_hand_move_names_the_rule_it_breaks(
    service: CircleService, db: Database
) -> None:
    cast = people(service)
    lead = cast[0]
    await programme_with(cast, 10)
    shown = await propose(lead, "/circle form spring")
    assert "seed 1" in shown.plain_text
    again, _ = await lead.presses(FormingAction.RERUN, button(shown, FormingAction.RERUN))
    assert "seed 2" in again
    assert (await proposal(db)).seed == 2
    assert (await proposal(db)).revision == 2
    assert "seed 7" in (await propose(lead, "/circle form spring seed=7")).plain_text
    stored = await proposal(db)
    user = await member_with(db, cast, stored.circles[0][0])
    moved = (await propose(lead, f"/circle form spring move={user.mention} to=2")).plain_text
    assert "circle size: circle 1 has 4 people; circles should have 5–7." in moved
    assert "circle 2 has 6 people" not in moved


async def test_bad_requests_are_refused_and_change_nothing(service: CircleService, db: Database) -> None:
    cast = people(service)
    lead, ana = cast[0], cast[1]
    outsider = Member(service, "UOUT", "Out", "T2")
    assert "sign" in (await lead.says("/circle programme spring")).lower()
    assert "Nobody has signed up" in await lead.says("/circle form spring")
    await open_programme(outsider, "autumn")
    await lead.says("/circle programme summer")
    programme_id = int((await lead.says("/circle signups summer")).split("--programme ")[1].split("`")[0])
    for index in range(1, 4):
        await sign_up(cast[index], programme_id, index)
    assert "Only 3 people have signed up" in await lead.says("/circle form summer")
    for index in range(4, 11):
        await sign_up(cast[index], programme_id, index)
    assert "Only the lead of 'summer'" in await ana.says("/circle form summer")
    assert "no programme called 'autumn'" in await lead.says("/circle form autumn")  # another workspace's
    assert "nothing to move yet" in await lead.says(f"/circle form summer move={ana.mention} to=1")
    shown = await propose(lead, "/circle form summer")
    assert "summer: 2 circles" in shown.plain_text
    before = await proposal(db)
    bad = [
        (f"/circle form summer move={outsider.mention} to=1", "isn't in the proposed circles"),
        ("/circle form summer move=<@UNOBODY> to=1", "isn't in the proposed circles"),
        (f"/circle form summer move={ana.mention} to=3", "There is no circle 3"),
        (f"/circle form summer move={ana.mention} to=0", "whole number from 1 to 999"),
        (f"/circle form summer move={ana.mention} to=99999999999", "whole number from 1 to 999"),
        (f"/circle form summer move={ana.mention}", "Move one person at a time"),
        (f"/circle form summer move={ana.mention} to=1 seed=3", "Move one person at a time"),
        ("/circle form summer to=2", "Say who to move"),
        ("/circle form summer seed=0", "whole number from 1 to 999999"),
        ("/circle form summer seed=-5", "whole number"),
        ("/circle form summer seed=1e9", "whole number"),
        ("/circle form summer seed=" + "9" * 40, "whole number"),
        ("/circle form " + "x" * 300, "can't be a name"),
        ("/circle form", "Please fill in the programme's name"),
    ]
    for line, expected in bad:
        assert expected in await lead.says(line), line
    ana_id = await person_id(db, ana)
    where = next(n for n, ids in enumerate(before.circles, 1) if ana_id in ids)
    assert "already in circle" in await lead.says(f"/circle form summer move={ana.mention} to={where}")
    after = await proposal(db)
    assert (after.revision, after.circles) == (before.revision, before.circles)
    # someone else presses the lead's button, or a tampered one
    value = button(shown, FormingAction.CONFIRM)
    assert "Only the lead of 'summer'" in (await ana.presses(FormingAction.CONFIRM, value))[0]
    assert "isn't available" in (await outsider.presses(FormingAction.CONFIRM, value))[0]
    for tampered in ("999:1", f"{after.id}:x", "abc", f"{after.id}:99999999999999"):
        assert "isn't available" in (await lead.presses(FormingAction.CONFIRM, tampered))[0], tampered
    assert "isn't available" in (await outsider.presses(FormingAction.RERUN, f"{programme_id}:2"))[0]
    assert (await counts(db))[0] == 0


async def test_a_sign_up_after_the_proposal_makes_it_stale(service: CircleService, db: Database) -> None:
    cast = people(service)
    lead = cast[0]
    programme_id = await programme_with(cast, 10)
    shown = await propose(lead, "/circle form spring")
    await sign_up(cast[11], programme_id, 11)
    refused, _ = await lead.presses(FormingAction.CONFIRM, button(shown, FormingAction.CONFIRM))
    assert "sign-ups for 'spring' have changed" in refused
    assert "sign-ups for 'spring' have changed" in await lead.says(f"/circle form spring move={cast[1].mention} to=2")
    assert (await counts(db))[0] == 0
    # an edited answer counts as a change too
    shown = await propose(lead, "/circle form spring")
    async with db.unit_of_work() as uow:
        entry = await uow.session.scalar(select(ProgrammeSignUp).order_by(ProgrammeSignUp.id).limit(1))
        assert entry is not None
        entry.topics = "something else"
        await uow.commit()
    refused, _ = await lead.presses(FormingAction.CONFIRM, button(shown, FormingAction.CONFIRM))
    assert "have changed" in refused


async def test_confirming_twice_or_at_once_creates_the_circles_once(service: CircleService, db: Database) -> None:
    cast = people(service)
    lead = cast[0]
    await programme_with(cast, 10)
    shown = await propose(lead, "/circle form spring")
    value = button(shown, FormingAction.CONFIRM)
    # the same press delivered twice (platform retry), then pressed again, then two at once
    first = await lead.presses(FormingAction.CONFIRM, value, key="press-1")
    assert "created" in first[0]
    assert "Already done" in (await lead.presses(FormingAction.CONFIRM, value, key="press-1"))[0]
    assert "created already" in (await lead.presses(FormingAction.CONFIRM, value))[0]
    together = await asyncio.gather(*(lead.presses(FormingAction.CONFIRM, value) for _ in range(3)))
    assert all("created already" in text or "same moment" in text for text, _ in together)
    circles, invitations, _ = await counts(db)
    assert (circles, invitations) == (2, 10)
    assert "created already" in await lead.says("/circle form spring")
    assert "created already" in await lead.says("/circle form spring seed=4")


@pytest.mark.parametrize("racers", [2])
async def test_two_workers_confirming_at_the_same_moment_create_once(
    service: CircleService, db: Database, racers: int
) -> None:
    cast = people(service)
    lead = cast[0]
    await programme_with(cast, 10)
    shown = await propose(lead, "/circle form spring")
    value = button(shown, FormingAction.CONFIRM)
    told = await asyncio.gather(*(lead.presses(FormingAction.CONFIRM, value) for _ in range(racers)))
    assert sum("circles created" in text for text, _ in told) == 1, told
    assert (await counts(db))[:2] == (2, 10)


async def test_names_skip_taken_ones_and_rotating_formats_have_no_facilitator(
    service: CircleService, db: Database
) -> None:
    cast = people(service)
    lead = cast[0]
    await programme_with(cast, 10, "format=peer-coaching")
    assert "is set up" in await lead.says("/circle new spring-1")
    shown = await propose(lead, "/circle form spring")
    assert "(facilitates)" not in shown.plain_text
    told, _ = await lead.presses(FormingAction.CONFIRM, button(shown, FormingAction.CONFIRM))
    assert "spring-2" in told
    assert "spring-3" in told
    async with db.unit_of_work() as uow:
        roles = set(await uow.session.scalars(select(Invitation.role)))
        assert roles == {Role.MEMBER}
        names = list(await uow.session.scalars(select(Circle.name).order_by(Circle.name)))
        assert names == ["spring-1", "spring-2", "spring-3"]


async def test_a_long_programme_name_still_makes_valid_circle_names(service: CircleService, db: Database) -> None:
    cast = people(service)
    lead = cast[0]
    name = "a" * 40
    reply = await lead.says(f"/circle programme {name}")
    programme_id = int(reply.split("--programme ")[1].split("`")[0])
    for index in range(1, 6):
        await sign_up(cast[index], programme_id, index)
    shown = await propose(lead, f"/circle form {name}")
    assert "1 circle from 5 people" in shown.plain_text
    assert "(nobody volunteered to facilitate)" in shown.plain_text  # action learning wants one
    told, _ = await lead.presses(FormingAction.CONFIRM, button(shown, FormingAction.CONFIRM))
    assert f"role=facilitator in={'a' * 38}-1" in told
    async with db.unit_of_work() as uow:
        assert list(await uow.session.scalars(select(Circle.name))) == ["a" * 38 + "-1"]


async def crowd(db: Database, programme_id: int, count: int, prefix: str = "UCROWD") -> None:
    """`count` sign-ups written straight into the database: a large programme without a request each."""
    zones = ("Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata")
    async with db.unit_of_work() as uow:
        programme = await uow.session.get(Programme, programme_id)
        assert programme is not None
        crowd = [
            Person(
                workspace_id=programme.workspace_id,
                external_id=f"{prefix}{index}",
                display_name=f"Person {index}",
                timezone=zones[index % len(zones)],
                department=DEPARTMENTS[index % len(DEPARTMENTS)],
                level=1 + index % 10,
            )
            for index in range(count)
        ]
        uow.session.add_all(crowd)
        await uow.flush()
        uow.session.add_all(
            ProgrammeSignUp(programme_id=programme_id, person_id=person.id, facilitator=index % 6 == 0)
            for index, person in enumerate(crowd)
        )
        await uow.commit()


async def test_a_large_programme_fits_the_reply_and_a_huge_one_is_sent_to_the_csv(
    service: CircleService, db: Database
) -> None:
    lead = people(service)[0]
    programme_id = await open_programme(lead)
    await crowd(db, programme_id, 80)
    shown = await propose(lead, "/circle form spring")
    assert "from 80 people" in shown.plain_text
    texts = [block.text for block in shown.blocks if isinstance(block, Text)]
    assert all(len(text) <= 3000 for text in texts)  # Slack's limit for one section
    assert len(shown.blocks) <= 50  # Slack's limit for one message
    assert sum(text.count("why: ") for text in texts) == len((await proposal(db)).circles)
    await crowd(db, programme_id, 221, prefix="UMORE")
    refused = await lead.says("/circle form spring")
    assert "301 people signed up" in refused
    assert f"circles form --programme {programme_id}" in refused


async def test_a_re_run_that_overlaps_a_confirm_writes_nothing(
    service: CircleService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    cast = people(service)
    lead = cast[0]
    await programme_with(cast, 10)
    shown = await propose(lead, "/circle form spring")
    confirmed = await proposal(db)
    searching, go_on = threading.Event(), threading.Event()
    search = roster.form_circles

    def held(*args: Any, **kwargs: Any) -> Any:
        searching.set()
        go_on.wait(10)
        return search(*args, **kwargs)

    monkeypatch.setattr(roster, "form_circles", held)
    re_run = asyncio.create_task(lead.says("/circle form spring seed=9"))
    await asyncio.to_thread(searching.wait, 10)  # the re-run has read the proposal and is searching
    told, _ = await lead.presses(FormingAction.CONFIRM, button(shown, FormingAction.CONFIRM))
    assert "circles created" in told
    go_on.set()
    assert "same moment" in await re_run
    after = await proposal(db)
    assert (after.seed, after.circles) == (confirmed.seed, confirmed.circles)  # what was created, still
    assert after.confirmed_at is not None


async def test_a_rule_the_engine_relaxed_is_shown_naming_the_people(service: CircleService, db: Database) -> None:
    cast = people(service)
    lead = cast[0]
    programme_id = await open_programme(lead)
    for index in range(1, 6):
        await sign_up(cast[index], programme_id, index)
    await sign_up(cast[6], programme_id, 6, zone="Asia/Tokyo")
    shown = (await propose(lead, "/circle form spring")).plain_text
    assert "Rules I had to relax:" in shown
    assert "time-zone spread: circle 1 spans 9 hours: Fatima (Asia/Tokyo) has too few others" in shown
    assert (await proposal(db)).notes == [
        line.removeprefix("• ") for line in shown.splitlines() if line.startswith("• ")
    ]


async def test_each_run_in_chat_is_told_to_the_operators_watcher(service: CircleService) -> None:
    from core.formation import runs

    told: list[tuple[float, bool]] = []

    def watcher(seconds: float, ok: bool) -> None:
        told.append((seconds, ok))

    runs.watch_runs(watcher)
    try:
        cast = people(service)
        await programme_with(cast, 12, "format=action-learning meetings=4 every=42")
        await propose(cast[0], "/circle form spring")
        await propose(cast[0], "/circle form spring")  # the standing proposal: no new run
        await propose(cast[0], "/circle form spring seed=2")
    finally:
        runs._watchers.remove(watcher)
    assert [ok for _, ok in told] == [True, True]
    assert all(seconds > 0 for seconds, _ in told)
