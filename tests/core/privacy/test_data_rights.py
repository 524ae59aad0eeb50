"""Export, erase and retention, checked against the schema itself: every row that names the person is
exported; after erasure no text column of any table holds their words; retention deletes what it says."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import String, Table, Text, func, or_, select

from core.clock import ManualClock
from core.context import Actor
from core.db import Database
from core.forms import Action
from core.models import Base, CheckIn, Commitment, DueItem, HandledRequest, Meeting, Person
from core.privacy import retention
from core.privacy.erase import CONFIRM_ERASE
from core.privacy.export import person_columns
from core.service import CircleService
from core.vocabulary import Platform
from tests.fakes.members import Member, cast, welcome
from tests.fakes.recording_port import RecordingPort

CANARIES = ("CANARY-CHECKIN-ben", "CANARY-BID-ben", "CANARY-SAY-ben", "CANARY-COMMIT-ben", "CANARY-NOTE-ben")


async def lived_in(service: CircleService) -> list[Member]:
    """Ben has checked in, bid, held a round, contributed, committed, updated it and given feedback."""
    people = cast(service, 3)
    ana, ben, chidi = people
    await ana.says("/circle new rights")
    await welcome(ana, [ben, chidi])
    await ana.says("/circle start")
    await ben.says(f"/circle checkin {CANARIES[0]}")
    await chidi.says("/circle checkin Chidi's own words stay")
    await ana.says("/circle bids")
    await ben.says(f"/circle bid {CANARIES[1]}")
    await ana.says(f"/circle round {ben.mention}")
    await ben.says(f"/circle say {CANARIES[2]}")
    for _ in range(4):
        await ana.says("/circle next")
    await ben.says(f"/circle commit {CANARIES[3]}")
    await ana.says("/circle next")
    assert "is closed" in await ana.says("/circle close")
    assert "Thank you" in await ben.says(f"/circle feedback 5 {CANARIES[4]} in=rights")
    await ben.says("/circle timezone Europe/Paris")
    return people


async def person_id(db: Database, member: Member) -> int:
    async with db.unit_of_work() as uow:
        found = await uow.session.scalar(select(Person.id).where(Person.display_name == member.name))
    assert found is not None
    return found


async def test_the_export_holds_every_row_that_names_the_person(
    service: CircleService, db: Database, port: RecordingPort
) -> None:
    people = await lived_in(service)
    ben = people[1]
    ident = await person_id(db, ben)
    port.clear()
    assert "sent you your data privately" in await ben.says("/circle my-data")
    [sent] = port.of_kind("files")
    assert sent.target == ben.user
    exported = json.loads(sent.files[0].content)["tables"]
    async with db.unit_of_work() as uow:
        for table in Base.metadata.sorted_tables:
            columns = person_columns(table)
            if not columns:
                continue
            rows = (await uow.session.execute(select(table).where(or_(*(c == ident for c in columns))))).mappings()
            for row in rows:
                key = {k: v for k, v in row.items() if k in table.primary_key.columns}
                assert any(all(e.get(k) == v for k, v in key.items()) for e in exported.get(table.name, [])), (
                    table.name,
                    key,
                )
    text = json.dumps(exported)
    assert [c for c in CANARIES if c not in text] == []
    assert "Chidi's own words" not in text  # nobody else's words
    assert "Europe/Paris" in text
    assert port.of_kind("dm") == [] or all(s.target == ben.user for s in port.of_kind("dm"))


async def every_text(db: Database) -> list[str]:
    found: list[str] = []
    async with db.unit_of_work() as uow:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            if columns:
                for row in (await uow.session.execute(select(*columns))).all():
                    found.extend(str(v) for v in row if v is not None)
    return found


async def test_after_erasure_no_table_holds_their_words(
    service: CircleService, db: Database, port: RecordingPort
) -> None:
    people = await lived_in(service)
    ben = people[1]
    before = await every_text(db)
    assert any(CANARIES[0] in t for t in before)
    confirmation = await service.run_command(ben.actor, "/circle forget-me")
    assert "cannot be undone" in confirmation.message.plain_text
    assert [t for t in await every_text(db) if any(c in t for c in CANARIES)] != []  # nothing before confirming
    assert (await people[2].presses(CONFIRM_ERASE, str(await person_id(db, ben))))[0] != ""
    assert any(CANARIES[0] in t for t in await every_text(db))  # someone else cannot erase Ben
    ident = await person_id(db, ben)
    port.clear()
    assert "your words are erased" in (await ben.presses(CONFIRM_ERASE, str(ident)))[0]
    assert [t for t in await every_text(db) if any(c in t for c in CANARIES) or t == "Ben"] == []
    assert any("Chidi's own words" in t for t in await every_text(db))
    edited = port.of_kind("update")
    assert edited  # the bot's own posts that quoted Ben
    async with db.unit_of_work() as uow:
        person = await uow.session.get(Person, ident)
        assert person is not None
        assert person.display_name == "a former member"
        assert await uow.session.scalar(select(func.count(CheckIn.id))) == 2  # the meeting's count stands
    assert "You're not in any circle" in await ben.says("/circle status")
    _ = Action


async def test_retention_deletes_exactly_what_it_says_on_a_moved_clock(
    service: CircleService, db: Database, clock: ManualClock
) -> None:
    people = await lived_in(service)
    ana = people[0]
    assert "Only the workspace's admin or a programme lead" in await ana.says("/circle retention 30")
    admin = Actor(Platform.PLAYGROUND, "T1", "UADMIN", "Admin", admin=True)
    assert "30 days after" in (await service.run_command(admin, "/circle retention 30")).message.plain_text
    await ana.says("/circle programme leaders")
    assert "30 days after" in await ana.says("/circle retention 30")
    assert "whole number" in await ana.says("/circle retention forever")
    await ana.says("/circle new other")
    assert "checked in" in await ana.says("/circle checkin Still running, kept in=other")
    await ana.says("/circle end in=rights")
    clock.advance(timedelta(days=29))
    async with db.unit_of_work() as uow:
        await retention.prune(uow, clock.now())
        await uow.commit()
    assert any(CANARIES[0] in t for t in await every_text(db))  # not yet
    clock.advance(timedelta(days=2))
    async with db.unit_of_work() as uow:
        await retention.prune(uow, clock.now())
        await uow.commit()
    texts = await every_text(db)
    assert [t for t in texts if any(c in t for c in CANARIES[:4])] == []
    assert any("Still running, kept" in t for t in texts)  # a circle still going keeps its words
    async with db.unit_of_work() as uow:
        assert await uow.session.scalar(select(func.count(Meeting.id))) >= 1  # counts stay
        assert await uow.session.scalar(select(func.count(Commitment.id))) == 1
        assert await uow.session.scalar(select(func.count()).select_from(HandledRequest)) == 0
        assert await uow.session.scalar(select(func.count()).select_from(DueItem)) is not None


def _tables() -> dict[str, Table]:
    return {t.name: t for t in Base.metadata.sorted_tables}


_: Any = _tables
