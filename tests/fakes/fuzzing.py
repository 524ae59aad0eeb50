"""A workspace in mid-meeting and a stream of hostile and careless input for it, shared by the fuzz
tests (`tests/core/test_fuzz.py`, driven by hypothesis) and `benchmarks/fuzz.py` (driven by a seeded
random generator).

A `Case` is one input on one surface: a typed line, Discord's structured options, a button press,
a form submission or a reply in a round's thread. `World.attempt` runs it through the service and
checks the properties every input must keep: a reply a member can read, no exception escaping,
nothing changed when refused. Its `Outcome` is comparable between databases.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from core.clock import ManualClock
from core.commands import ALIASES, SPECS, Kind
from core.context import Actor, Where
from core.db import Database
from core.forms import Action, FormId
from core.handlers import BUTTONS, FORMS
from core.membership import MembershipAction
from core.models import Base, Round
from core.privacy.erase import CONFIRM_ERASE
from core.report.command import EVALUATION_FORM
from core.requests import PersonRef
from core.scheduling.scheduler import Scheduler
from core.service import CircleService
from core.vocabulary import Platform
from tests.fakes.recording_port import RecordingPort

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PEOPLE = 6
SURFACES = ("text", "discord", "button", "form", "thread")

# Values that broke or misread the bot once, and their kin (issue 13), with ordinary ones among them.
HOSTILE: tuple[str, ...] = (
    "",
    " ",
    "²",
    "٣",
    "7",
    "20",
    "0",
    "-1",
    "99999999999",
    "2147483648",
    "2147483647",
    "1e3",
    "\x00",
    "a\x00b",
    "\x07bell",
    "\ud800",
    "\u202eevil",
    "x" * 3001,
    "y" * 1001,
    "🙂 fine",
    "Ω",
    "\n\nline",
    "<@" + "U" * 100 + ">",
    "<@UT11|" + "n" * 300 + ">",
    "<@UT11>",
    "<@UT12|Ben>",
    "<@!600000000000000004>",
    "<!channel>",
    "@everyone",
    "a &lt; b &amp; c",
    "9999-12-31",
    "2026-02-30",
    "0001-01-01",
    "2026-12-24",
    "2027-06-01",
    "23:00",
    "25:61",
    "21:00-08:00",
    "Mars/Base",
    "Europe/Berlin",
    "europe/berlin",
    "z" * 300,
    "../../etc/passwd",
    "feeling in=between today",
    "in=alpha",
    "in=between",
    "kind=advice",
    "kind=nope",
    "due=9999-12-31",
    "due=2026-12-24",
    "urgency=high",
    "minutes=²",
    "minutes=30",
    "tz=UTC",
    "tz=" + "z" * 300,
    "role=facilitator",
    "history=no",
    "history=maybe",
    "open=yes",
    "to=circle",
    "to=everyone",
    "monthly=on",
    "3650",
    "3651",
    "delegation",
    "giving-feedback",
    "alpha",
    "beta",
    "Alpha Team!",
    "carried_over",
    "open",
    "done",
    "in_progress",
    "stuck",
    "on",
    "off",
    "pause",
    "high",
    "question",
    "action-learning",
)
# Lines a careful member types, so that accepted requests are fuzzed too (a hostile word may follow).
ORDINARY: tuple[str, ...] = (
    "/circle status",
    "/circle status in=beta",
    "/circle say What have you tried? in=alpha",
    "/circle say kind=advice Ask for a pilot in=alpha",
    "/circle checkin Tired but here in=beta",
    "/circle bid A late project urgency=high minutes=30 in=beta",
    "/circle withdraw in=beta",
    "/circle done 1 It went well",
    "/circle update 1 stuck Need help",
    "/circle timezone Europe/Berlin",
    "/circle quiet 22:00-07:00 weekends=on",
    "/circle nudges pause 3",
    "/circle feedback 4 Good session in=alpha",
    "/circle help bid",
    "/circle next in=alpha",
    "/circle schedule 2026-12-20 10:00 tz=UTC in=beta",
    "/circle commit Talk to my boss due=2026-12-24 in=alpha",
    "/circle commit Share notes with everyone to=circle in=alpha",
    "/circle commit Rest more in=beta",
    "/circle new gamma open=yes",
    "/circle join alpha",
    "/circle add <@UT15> history=no in=beta",
    "/circle remove <@UT15> in=beta",
    "/circle modules",
    "/circle modules delegation",
    "/circle report in=alpha",
    "/circle report nope monthly=on",
    "/circle evaluate nope",
    "/circle retention 30",
    "/circle my-data",
    "/circle forget-me",
)
# Forms filled in with care: (form, context, values), for the world `World.build` sets up.
ORDINARY_FORMS: tuple[tuple[str, str, dict[str, str]], ...] = (
    (FormId.BID, "3", {"topic": "A late project", "urgency": "high", "minutes": "20"}),
    (FormId.CHECK_IN, "3", {"text": "Tired but here"}),
    (FormId.CONTRIBUTE, "2", {"kind": "question", "text": "What have you tried?"}),
    (FormId.FEEDBACK, "1", {"rating": "4", "text": "Good session"}),
    (FormId.COMMITMENT_NOTE, "1", {"status": "stuck", "note": "Need help"}),
    (FormId.COMMIT, "2", {"action": "Ask for a pilot", "due": "2026-12-24"}),
    (FormId.COMMIT, "2", {"action": "Notes for all", "to": "circle"}),
    (EVALUATION_FORM, "1", {"usefulness": "4", "recommend": "yes", "applied": "some", "share": "no"}),
)
# Buttons as the bot offers them in that world, so accepted presses are fuzzed too.
ORDINARY_BUTTONS: tuple[tuple[str, str], ...] = (
    (Action.OPEN_BID_FORM, "3"),
    (Action.OPEN_CHECK_IN_FORM, "3"),
    (Action.OPEN_FEEDBACK_FORM, "1"),
    (Action.OPEN_CONTRIBUTE_FORM, "2"),
    (Action.OPEN_COMMIT_FORM, "2"),
    (Action.SET_COMMITMENT_STATUS, "1:in_progress"),
    (Action.OPEN_COMMITMENT_NOTE_FORM, "1"),
    (Action.NEXT_PHASE, "2:explore"),
    (Action.EXTEND_TIMEBOX, "2:explore"),
    (Action.WITHDRAW_BID, "1"),
    (Action.CALL_FOR_BIDS, "3"),
    (MembershipAction.ACCEPT, "1"),
    (MembershipAction.DECLINE, "2"),
    (MembershipAction.CONFIRM, "2"),
    (CONFIRM_ERASE, "4"),
)
NUMBERS: tuple[int, ...] = (-5, 0, 1, 2, 3, 5, 20, 120, 481, 2**31 - 1, 2**31, 2**63)
JUNK_COMMANDS = ("frobnicate", "", "BID", "²", "x" * 200)


class Chooser(Protocol):
    """Where choices come from: hypothesis while testing, a seeded generator in the benchmark."""

    def pick(self, options: Sequence[Any]) -> Any: ...

    def number(self, low: int, high: int) -> int: ...


@dataclass(frozen=True)
class Case:
    surface: str
    person: int
    name: str  # the command, action or form
    text: str = ""  # a typed line, a button's value, a form's context, a thread reply
    values: tuple[tuple[str, Any], ...] = ()  # Discord's options, a form's fields

    def __str__(self) -> str:
        return f"{self.surface}:{self.name}:{self.text[:80]!r}:{dict(self.values)!r}"[:400]


@dataclass(frozen=True)
class Outcome:
    kind: str  # "accepted", "refused", "silent" or "uncaught"
    text: str  # what the member read, numbers blurred (ids differ between databases)
    changed: bool
    problem: str = ""  # the property it broke, if any
    said: str = field(default="", compare=False)  # the reply as written


def generate(chooser: Chooser) -> Case:
    surface = chooser.pick(SURFACES)
    person = chooser.number(0, PEOPLE - 1)
    match surface:
        case "text":
            return _text_case(chooser, person)
        case "discord":
            return _discord_case(chooser, person)
        case "button":
            if chooser.number(0, 1):
                action, value = chooser.pick(ORDINARY_BUTTONS)
                return Case("button", person, action, value)
            value = chooser.pick(
                (*HOSTILE, "1", "2", "3", "1:carried_over", "1:open", "1:done", "2:explore", "2:advice", "1:present")
            )
            return Case("button", person, chooser.pick([*BUTTONS, "nope"]), value)
        case "form":
            if chooser.number(0, 1):
                form_id, context, fields = chooser.pick(ORDINARY_FORMS)
                return Case("form", person, form_id, context, tuple(fields.items()))
            form_id = chooser.pick([*FORMS, "nope"])
            names = FORMS[form_id][1] if form_id in FORMS else ("text",)
            values = tuple((n, chooser.pick(HOSTILE)) for n in names if chooser.number(0, 5))
            return Case("form", person, form_id, chooser.pick(("1", "2", *HOSTILE)), values)
    return Case("thread", person, chooser.pick(("round", "other")), chooser.pick(HOSTILE))


def _text_case(chooser: Chooser, person: int) -> Case:
    if chooser.number(0, 1):
        line = chooser.pick(ORDINARY)
        extra = [chooser.pick(HOSTILE) for _ in range(chooser.number(0, 1))]
        return Case("text", person, line.split()[1], " ".join([line, *extra]))
    command = chooser.pick((*SPECS, *ALIASES, *JUNK_COMMANDS))
    words = [chooser.pick(HOSTILE) for _ in range(chooser.number(0, 4))]
    return Case("text", person, command, " ".join(["/circle", command, *words]))


def _discord_case(chooser: Chooser, person: int) -> Case:
    spec = chooser.pick([s for s in SPECS.values() if s.discord])
    values: list[tuple[str, Any]] = []
    for param in spec.params:
        if not chooser.number(0, 2):
            continue
        if param.kind == Kind.PERSON:
            who = chooser.pick(("UT11", "UT12", "600000000000000004", "U" * 100, ""))
            values.append((param.name, PersonRef(who, chooser.pick(("Ben", "", "n" * 300, "a\x00b")))))
        elif param.kind in (Kind.NUMBER, Kind.ID):
            values.append((param.name, chooser.pick(NUMBERS)))
        else:
            values.append((param.name, chooser.pick(HOSTILE)))
    return Case("discord", person, spec.name, values=tuple(values))


class Pick:
    """A `Chooser` over a `random.Random`."""

    def __init__(self, rng: Any) -> None:
        self.rng = rng

    def pick(self, options: Sequence[Any]) -> Any:
        return options[self.rng.randrange(len(options))]

    def number(self, low: int, high: int) -> int:
        return int(self.rng.randint(low, high))


@dataclass
class World:
    """Two facilitated circles of the same six, led by person 0: `alpha`, whose meeting 1 is closed
    (with commitment #1 of person 1) and meeting 2 in its first round (person 2's issue, questions
    and advice), and `beta`, whose first meeting is open for check-in. Built alike on any database."""

    db: Database
    clock: ManualClock = field(default_factory=lambda: ManualClock(START))
    port: RecordingPort = field(default_factory=RecordingPort)
    service: CircleService = field(init=False)
    people: list[Actor] = field(init=False)
    _dump: list[tuple[str, list[tuple[Any, ...]]]] | None = None
    _watcher: sqlite3.Connection | None = None
    _built: bool = False
    _scheduler: Scheduler | None = None

    def __post_init__(self) -> None:
        self.service = CircleService(self.db, self.clock, lambda _workspace: self.port)
        names = ["Ana", "Ben", "Chidi", "Dana", "Eero", "Fatima"]
        self.people = [Actor(Platform.PLAYGROUND, "T1", f"UT1{i}", names[i]) for i in range(PEOPLE)]

    @property
    def scheduler(self) -> Scheduler:
        """One per world: each scheduler listens to every request the service answers."""
        if self._scheduler is None:
            self._scheduler = Scheduler(self.service)
        return self._scheduler

    async def build(self) -> None:
        """Empties (or creates) the tables and sets the scene again, ids from 1 on both databases."""
        async with self.db.engine.begin() as conn:
            if not self._built:
                await conn.run_sync(Base.metadata.drop_all)
                await conn.run_sync(Base.metadata.create_all)
            elif self.db.is_sqlite:
                for table in reversed(Base.metadata.sorted_tables):
                    await conn.execute(table.delete())
                if await self._has_sequences(conn):
                    await conn.execute(text("DELETE FROM sqlite_sequence"))
            else:
                names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        self._built = True
        self.clock.set(START)
        lead, holder, second = self.people[0], self.people[1], self.people[2]
        day = (START + timedelta(days=2)).date().isoformat()
        steps: list[tuple[Actor, str]] = [
            (lead, "/circle new alpha"),
            (lead, "/circle add " + " ".join(f"<@{p.user}>" for p in self.people[1:])),
            *[(p, "accept 1") for p in self.people[1:]],
            (lead, f"/circle schedule {day} 10:00 tz=UTC"),
            (lead, "/circle start"),
            (lead, "/circle bids"),
            (holder, "/circle bid How do I say no?"),
            (lead, "/circle round"),
            *[(lead, "/circle next")] * 4,
            (holder, "/circle commit Say no once"),
            (lead, "/circle next"),
            (lead, "/circle close"),
            (lead, "/circle start"),
            (lead, "/circle bids"),
            (second, "/circle bid A hard hire"),
            (lead, "/circle round"),
            (lead, "/circle next"),
            (lead, "/circle next"),
            (lead, "/circle new beta"),
            (lead, "/circle add " + " ".join(f"<@{p.user}>" for p in self.people[1:]) + " in=beta"),
            *[(p, "accept 2") for p in self.people[1:]],
            (lead, "/circle start in=beta"),
        ]
        for actor, line in steps:
            if line.startswith("accept "):  # an invitation's *Accept* button (value: the circle's id)
                reply = await self.service.press(actor, MembershipAction.ACCEPT, line.split()[1])
            else:
                reply = await self.service.run_command(actor, line)
            assert not reply.refused, (line, reply.message.plain_text)
        self._dump = await self.dump()

    @staticmethod
    async def _has_sequences(conn: Any) -> bool:
        found = await conn.execute(text("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'"))
        return found.first() is not None

    async def dump(self) -> list[tuple[str, list[tuple[Any, ...]]]]:
        """Every row of every table, in a stable order."""
        tables = []
        async with self.db.engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                rows = (await conn.execute(select(table))).all()
                tables.append((table.name, sorted((tuple(row) for row in rows), key=repr)))
        return tables

    async def mark(self) -> int | None:
        """A number that moves whenever anything is written: PostgreSQL's next transaction id (a write,
        even one rolled back, takes one), SQLite's data_version as another connection sees it. While
        it stands still the tables are as they were, so `attempt` dumps them only when it moves."""
        if self.db.is_sqlite:
            if self._watcher is None:
                path = make_url(self.db.url).database
                self._watcher = sqlite3.connect(path, check_same_thread=False) if path else None
            return int(self._watcher.execute("PRAGMA data_version").fetchone()[0]) if self._watcher else None
        async with self.db.engine.connect() as conn:
            return int((await conn.execute(text("SELECT pg_snapshot_xmax(pg_current_snapshot())"))).scalar_one())

    async def thread(self) -> str:
        async with self.db.unit_of_work() as uow:
            refs = list(await uow.session.scalars(select(Round.thread_ref).order_by(Round.id)))
        return next((r for r in reversed(refs) if r), "nowhere/1")

    async def attempt(self, case: Case) -> Outcome:
        before = self._dump if self._dump is not None else await self.dump()
        mark = await self.mark()
        try:
            kind, said = await self._run(case)
        except Exception as error:  # the property under test: nothing escapes
            self._dump = None
            name = type(error).__name__
            return Outcome("uncaught", name, True, f"uncaught {name}: {error!s:.200}")
        still = mark is not None and await self.mark() == mark
        after = before if still else await self.dump()
        self._dump = after
        changed = after != before
        problem = ""
        if kind == "refused" and changed:
            problem = "refused but changed the database"
        elif kind != "silent" and not said.strip():
            problem = "an empty reply"
        elif "Traceback" in said or "Error:" in said:
            problem = "an internal error shown to the member"
        return Outcome(kind, _blurred(said), changed, problem, said)

    async def _run(self, case: Case) -> tuple[str, str]:
        actor = self.people[case.person]
        service = self.service
        match case.surface:
            case "text":
                reply = await service.run_command(actor, case.text, Where())
            case "discord":
                reply = await service.run_options(actor, case.name, dict(case.values), Where())
            case "button":
                reply = await service.press(actor, case.name, case.text)
            case "form":
                result = await service.submit(actor, case.name, case.text, dict(case.values))
                if result.errors:
                    return "refused", " ".join(result.errors.values())
                assert result.reply is not None
                reply = result.reply
            case _:
                thread = await self.thread() if case.name == "round" else "C1/123.456"
                answer = await service.reply_in_thread(actor, thread, case.text)
                if answer is None:
                    return "silent", ""
                reply = answer
        return ("refused" if reply.refused else "accepted"), reply.message.plain_text


def _blurred(text: str) -> str:
    return re.sub(r"[0-9]+", "#", text)[:300]


Check = Callable[[Case, Outcome], None]
