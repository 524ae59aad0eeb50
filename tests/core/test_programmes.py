"""Programmes and the *Join the programme* form: a lead opens a programme, people sign up (and
sign up again to edit), and bad or foreign requests change nothing."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from core.context import Where
from core.db import Database
from core.forms import FormId
from core.models import Circle, Person, Programme, ProgrammeSignUp
from core.service import CircleService
from tests.fakes.members import Member, cast

GOOD = {
    "department": "Finance",
    "level": "4",
    "timezone": "Europe/Lisbon",
    "topics": "Delegation; feedback, delegation",
    "facilitator": "yes",
}


async def count(db: Database, model: type) -> int:
    async with db.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def open_programme(lead: Member, name: str = "spring") -> int:
    reply = await lead.says(f"/circle programme {name}")
    assert "open for sign-ups" in reply
    return int(reply.split("--programme ")[1].split("`")[0])


async def sign_up_form(member: Member, programme: str) -> tuple[str, object]:
    reply = await member.service.run_command(member.actor, f"/circle signup {programme}", Where())
    return reply.message.plain_text, reply.form


async def test_a_sign_up_is_stored_on_the_person_and_the_programme(service: CircleService, db: Database) -> None:
    lead, ana = cast(service, 2)
    programme_id = await open_programme(lead)
    text, form = await sign_up_form(ana, "spring")
    assert "join 'spring'" in text
    assert form is not None
    assert (form.form_id, form.context) == (FormId.SIGN_UP, str(programme_id))
    result = await ana.submits(FormId.SIGN_UP, str(programme_id), GOOD)
    assert result.errors == {}
    assert "signed up for 'spring'" in result.reply.message.plain_text
    async with db.unit_of_work() as uow:
        entry = await uow.session.scalar(select(ProgrammeSignUp))
        assert entry is not None
        assert (entry.topics, entry.facilitator) == ("delegation; feedback", True)
        assert (entry.person.department, entry.person.level, entry.person.timezone) == ("Finance", 4, "Europe/Lisbon")


async def test_signing_up_again_opens_the_form_filled_in_and_edits(service: CircleService, db: Database) -> None:
    lead, ana = cast(service, 2)
    programme_id = await open_programme(lead)
    await ana.submits(FormId.SIGN_UP, str(programme_id), GOOD)
    _, form = await sign_up_form(ana, "spring")
    initial = {field.name: field.initial for field in form.inputs}  # type: ignore[union-attr]
    assert initial == {**GOOD, "topics": "delegation; feedback"}
    result = await ana.submits(FormId.SIGN_UP, str(programme_id), {**GOOD, "facilitator": "no", "topics": ""})
    assert "updated" in result.reply.message.plain_text
    assert await count(db, ProgrammeSignUp) == 1
    # the same submission delivered twice (a platform retry) is one request
    await ana.submits(FormId.SIGN_UP, str(programme_id), GOOD, key="retry-1")
    await ana.submits(FormId.SIGN_UP, str(programme_id), GOOD, key="retry-1")
    assert await count(db, ProgrammeSignUp) == 1


async def test_bad_sign_ups_get_field_errors_and_store_nothing(service: CircleService, db: Database) -> None:
    lead, ana = cast(service, 2)
    programme_id = await open_programme(lead)
    cases = [
        ({**GOOD, "timezone": "Mars/Olympus"}, "timezone", "time zone"),
        ({**GOOD, "level": "0"}, "level", "1 to 10"),
        ({**GOOD, "level": "x"}, "level", "1 to 10"),
        ({**GOOD, "level": "four"}, "level", "1 to 10"),
        ({**GOOD, "department": ""}, "department", "Please fill in"),
        ({**GOOD, "department": "x" * 101}, "department", "keep it to 100 characters"),
        ({**GOOD, "facilitator": "maybe"}, "facilitator", "choose no or yes"),
        ({**GOOD, "topics": ";".join(f"t{i}" for i in range(11))}, "topics", "at most 10"),
    ]
    for values, field, words in cases:
        result = await ana.submits(FormId.SIGN_UP, str(programme_id), values)
        assert words in result.errors.get(field, ""), (values, result.errors)
    assert await count(db, ProgrammeSignUp) == 0
    async with db.unit_of_work() as uow:
        person = await uow.session.scalar(select(Person).where(Person.external_id == ana.user))
        assert person is None or person.department is None


async def test_programmes_of_another_workspace_are_out_of_reach(service: CircleService, db: Database) -> None:
    lead = cast(service, 1)[0]
    outsider = cast(service, 1, workspace="T2")[0]
    programme_id = await open_programme(lead)
    assert "no programme called 'spring'" in await outsider.says("/circle signup spring")
    result = await outsider.submits(FormId.SIGN_UP, str(programme_id), GOOD)
    assert "no longer open" in result.reply.message.plain_text
    assert "no longer in use" in (await outsider.submits(FormId.SIGN_UP, "x", GOOD)).reply.message.plain_text
    assert await count(db, ProgrammeSignUp) == 0
    # the same name is free in the other workspace
    assert "open for sign-ups" in await outsider.says("/circle programme spring")


async def test_bad_programme_commands_explain_and_change_nothing(service: CircleService, db: Database) -> None:
    lead, ana = cast(service, 2)
    await open_programme(lead)
    assert "already a programme called 'spring'" in await ana.says("/circle programme spring")
    assert "can't be a name" in await lead.says("/circle programme Spring!")
    assert "I didn't understand 'Leaders'" in await lead.says("/circle programme Spring Leaders")
    assert "Usage: /circle programme" in await lead.says("/circle programme")
    assert "from 4 to 6" in await lead.says("/circle programme autumn meetings=40")
    assert "choose action-learning" in await lead.says("/circle programme autumn format=nope")
    assert "Usage: /circle signup" in await ana.says("/circle signup")
    assert "no programme called 'winter'" in await ana.says("/circle signup winter")
    assert await count(db, Programme) == 1


async def test_only_the_lead_adds_circles_to_a_programme(service: CircleService, db: Database) -> None:
    lead, ana = cast(service, 2)
    programme_id = await open_programme(lead)
    assert "Only the lead of 'spring'" in await ana.says("/circle new team-a programme=spring")
    assert "no programme called 'nope'" in await lead.says("/circle new team-a programme=nope")
    assert await count(db, Circle) == 0
    assert "is set up" in await lead.says("/circle new team-a programme=spring")
    async with db.unit_of_work() as uow:
        assert await uow.session.scalar(select(Circle.programme_id)) == programme_id


async def test_the_lead_sees_who_signed_up_and_nobody_else_does(service: CircleService) -> None:
    lead, ben, chidi = cast(service, 3)
    programme_id = await open_programme(lead)
    assert "0 signed up" in await lead.says("/circle signups spring")
    await ben.submits(FormId.SIGN_UP, str(programme_id), GOOD)
    await chidi.submits(FormId.SIGN_UP, str(programme_id), {**GOOD, "facilitator": "no", "department": "Legal"})
    listing = await lead.says("/circle signups spring")
    assert "2 signed up, 1 willing to facilitate" in listing
    assert "Ben — Finance, level 4, Europe/Lisbon, would facilitate" in listing
    assert "Chidi — Legal" in listing
    assert f"--programme {programme_id}" in listing
    assert "Only the lead of 'spring'" in await ben.says("/circle signups spring")
    assert "no programme called 'autumn'" in await lead.says("/circle signups autumn")
    outsider = cast(service, 1, workspace="T2")[0]
    assert "no programme called 'spring'" in await outsider.says("/circle signups spring")


async def test_the_same_programme_opened_twice_at_once_is_stored_once(service: CircleService, db: Database) -> None:
    lead, ben = cast(service, 2)
    replies = await asyncio.gather(*(who.says("/circle programme spring") for who in (lead, ben, lead, ben)))
    assert sum("open for sign-ups" in reply for reply in replies) == 1
    assert all(
        "open for sign-ups" in reply or "already a programme" in reply or "same moment" in reply for reply in replies
    )
    assert await count(db, Programme) == 1
