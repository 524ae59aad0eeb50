"""Forming a programme's circles from the sign-ups collected in chat: the loader keeps who sat
together in the last programmes, and `circles form --programme ID` reads the bot's database."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bots.cli import main as circles
from core.clock import ManualClock
from core.db import Database
from core.formation.programme_signups import programme_sign_ups
from core.forms import FormId
from core.models import Base
from core.service import CircleService
from tests.fakes.members import Member, cast, welcome
from tests.fakes.recording_port import RecordingPort

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def values(i: int) -> dict[str, str]:
    zones = ["Europe/Paris", "Europe/London", "Africa/Lagos"]
    return {
        "department": f"D{i % 4}",
        "level": str(3 + i % 3),
        "timezone": zones[i % 3],
        "topics": "feedback" if i % 2 else "delegation; hiring",
        "facilitator": "yes" if i < 2 else "no",
    }


async def programme_with_history(service: CircleService, clock: ManualClock) -> tuple[list[Member], int, int]:
    """Last year's programme had circle team-a (people 0-5); this year's has 12 sign-ups."""
    people = cast(service, 8) + [Member(service, f"UX{i}", f"Person {i}") for i in range(8, 12)]
    lead = people[0]
    await lead.says("/circle programme last-year")
    await lead.says("/circle new team-a programme=last-year")
    await welcome(lead, people[1:6])
    clock.advance(timedelta(days=300))
    reply = await lead.says("/circle programme this-year")
    this_year = int(reply.split("--programme ")[1].split("`")[0])
    for i, person in enumerate(people):
        result = await person.submits(FormId.SIGN_UP, str(this_year), values(i))
        assert result.errors == {}
    return people, this_year, 12


async def in_a_fresh_database(url: str, setup: Callable[[CircleService, ManualClock], Awaitable[int]]) -> int:
    """For the command-line tests, which run their own event loop: a database set up and closed."""
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    clock = ManualClock(START)
    try:
        return await setup(CircleService(database, clock, lambda _workspace: RecordingPort()), clock)
    finally:
        await database.dispose()


async def test_the_loader_gives_each_sign_up_and_who_sat_together(
    service: CircleService, db: Database, clock: ManualClock
) -> None:
    people, programme_id, count = await programme_with_history(service, clock)
    async with db.unit_of_work() as uow:
        programme, signups = await programme_sign_ups(uow.session, programme_id)
        _, forgetful = await programme_sign_ups(uow.session, programme_id, past_programmes=0)
    assert programme.name == "this-year"
    assert len(signups) == count
    by_name = {s.name: s for s in signups}
    assert by_name["Ana"].department == "D0"
    assert by_name["Ana"].facilitator
    assert by_name["Ben"].topics == frozenset({"feedback"})
    sat_together = [s.name for s in signups if s.past_circles]
    assert sorted(sat_together) == sorted(p.name for p in people[:6])
    assert len({label for s in signups for label in s.past_circles}) == 1
    assert not any(s.past_circles for s in forgetful)


def test_circles_form_reads_a_programme_from_the_database(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def history(service: CircleService, clock: ManualClock) -> int:
        return (await programme_with_history(service, clock))[1]

    programme_id = asyncio.run(in_a_fresh_database(database_url, history))
    monkeypatch.setenv("DATABASE_URL", database_url)
    output = tmp_path / "out.csv"
    status = circles(["form", "--programme", str(programme_id), "--seed", "3", "-o", str(output), "--size", "5-7"])
    assert status == 0, capsys.readouterr().err
    with output.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12
    circles_of: dict[str, list[str]] = {}
    for row in rows:
        circles_of.setdefault(row["circle"], []).append(row["name"])
    assert len(circles_of) == 2
    # last year's circle (Ana..Fatima) is split up rather than formed again
    assert all(len(set(names) & {"Ana", "Ben", "Chidi", "Dana", "Eero", "Fatima"}) < 6 for names in circles_of.values())
    assert "2 circles from 12 people" in capsys.readouterr().out


def test_circles_form_explains_a_missing_or_unreadable_programme(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def empty_programme(service: CircleService, _clock: ManualClock) -> int:
        reply = await cast(service, 1)[0].says("/circle programme empty")
        return int(reply.split("--programme ")[1].split("`")[0])

    empty = asyncio.run(in_a_fresh_database(database_url, empty_programme))
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert circles(["form", "--programme", "99"]) == 2
    assert "no programme 99" in capsys.readouterr().err
    assert circles(["form", "--programme", str(empty)]) == 2
    assert "Nobody has signed up for 'empty' yet" in capsys.readouterr().err
    assert circles(["form"]) == 2
    assert "either a sign-up CSV or --programme" in capsys.readouterr().err
    assert circles(["form", str(tmp_path / "x.csv"), "--programme", "1"]) == 2
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'nothing-here' / 'empty.sqlite3'}")
    assert circles(["form", "--programme", "1"]) == 2
    assert "Could not read the bot's database" in capsys.readouterr().err
