"""One spec for `/circle …`; every surface is generated from it.

Each subcommand is a `Spec`: its parameters (`Param`: kind, limits, choices, label) and the typed
request (`core.requests`) it becomes. From these one declarations come:

- the text grammar (`parse`): Slack's slash command, the playground's message box, Discord's `/circle do`;
- Discord's application-command tree (`bots/discord/commands.py`): names, options, choices,
  `min_value`/`max_value`/`max_length`, autocomplete;
- the forms (`core.forms`), whose inputs are the same parameters;
- usage lines and `/circle help`.

Every value, from any surface, is read once by `read`: ASCII digits within stated ranges, ids within
the database's integer range, real dates within `HORIZON_DAYS`, zone names from zoneinfo's list,
text within its stated length and without control characters. So SQLite and PostgreSQL see the
same accepted values, and a mistake gets one message whatever the surface.

**The text grammar.** `/circle NAME` then the subcommand's positional parameters in order (the
last one, when it is free text, takes the rest of the line), with the options it declares as
`key=value` tokens, either all before the positional part or all after it. Only declared keys are
options, and only in those two runs: `checkin feeling in=between today` is all the member's text,
mentions included; `checkin feeling good in=team-a` names the circle.

**Adding a command** (`report`, `invite`, …) is one declaration and one handler:

1. a request dataclass in `core.requests`, and a `Spec` in `SPECS` below whose params are named
   like its fields (`field=` when they differ; `in` becomes `target`), with `discord=True` only if
   it should be one of Discord's 25 subcommands (the others are reached through `/circle do`);
2. a handler `@handles(TheRequest)` in the right area of `core.handlers`.
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum
from functools import cache
from typing import Any

from core.errors import UsageError
from core.formats import FORMATS
from core.messages import MAX_TEXT
from core.models.evaluation import Applied
from core.requests import (
    AddPeople,
    BrowseModules,
    CallForBids,
    CheckIn,
    CloseMeeting,
    Commit,
    Contribute,
    Evaluate,
    Evaluation,
    ForgetMe,
    FormCircles,
    GiveFeedback,
    HandOver,
    Help,
    Join,
    Leave,
    ListSignUps,
    MyData,
    NewCircle,
    NewProgramme,
    NextPhase,
    OpenMeeting,
    OpenSignUp,
    PassRound,
    PersonRef,
    PlaceBid,
    RemovePerson,
    Report,
    Schedule,
    ScheduleSeries,
    SetCircleStatus,
    SetCommitmentStatus,
    SetNudges,
    SetQuietHours,
    SetRetention,
    SetTimezone,
    SignUp,
    StartRound,
    Status,
    Target,
    Withdraw,
)
from core.vocabulary import CircleStatus, CommitmentStatus, ContributionKind, Mode, Role, Urgency

MAX_ID = 2**31 - 1  # the database's integer columns
MAX_EXTERNAL_ID = 64  # Person.external_id, Workspace.external_id
MAX_DISPLAY_NAME = 200  # Person.display_name
MAX_NAME = 40  # circle and programme names
MAX_WORD = 64  # keys: formats, modules
MAX_ZONE = 64  # Person.timezone
MAX_SHORT_TEXT = 1000  # a bid's topic, a commitment, a note
MAX_LINE = MAX_TEXT + 1000  # a whole command line, options included
MAX_SEED = 999_999  # `/circle form … seed=N`
HORIZON_DAYS = 731  # dates further ahead (or back) than about two years are mistakes

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{1,39}")
_DIGITS = re.compile(r"[0-9]{1,12}")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_HOURS = re.compile(r"([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})")
# Mentions as platforms write them: Slack <@U123> or <@U123|name>, Discord <@123> or <@!123>.
MENTION = re.compile(r"<@!?([A-Za-z0-9_.-]{1,64})(?:\|([^<>]{0,200}))?>")
# a mention's name may hold spaces, also after an option's key (move=<@U1|Ann Lee>)
_WORD = re.compile(r"(?:[a-z]+=)?<@!?[A-Za-z0-9_.-]{1,64}\|[^<>\n]{0,200}>|\S+")
_OPTION = re.compile(r"([a-z]+)=(.*)", re.DOTALL)
_ALLOWED_CONTROLS = {"\n", "\t", "\r"}

TOO_LONG = "That is too long: please keep it to {limit} characters."
CONTROL_CHARACTERS = (
    "That text contains a NUL character or other control characters, which I can't store. Please send it without."
)


class Kind(StrEnum):
    TEXT = "text"  # the member's own words, kept as written
    NAME = "name"  # a circle's or programme's name
    WORD = "word"  # a key, such as a topic module's
    NUMBER = "number"  # a whole number in [low, high]
    ID = "id"  # a commitment's number, a button's meeting or round
    CHOICE = "choice"  # one of `choices` (or an alias of one)
    DATE = "date"  # YYYY-MM-DD within the horizon
    TIME = "time"  # HH:MM
    HOURS = "hours"  # HH:MM-HH:MM
    ZONE = "zone"  # an IANA time zone
    CIRCLE = "circle"  # in=NAME: which circle
    PERSON = "person"  # an @mention (text) or a user (Discord)


@dataclass(frozen=True)
class Param:
    name: str
    kind: Kind
    label: str  # forms' labels, Discord's option descriptions, error messages
    required: bool = False
    option: bool = False  # `key=value` in the text grammar; positional otherwise
    low: int = 0
    high: int = 0
    max_length: int = 0  # 0: the kind's own limit
    choices: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()  # other words for a choice
    convert: Callable[[str], Any] | None = None  # a choice's value into the request's type
    many: bool = False  # several mentions
    meta: str = ""  # what usage shows
    field: str = ""  # the request's field, when not `name`

    @property
    def limit(self) -> int:
        return self.max_length or _KIND_LIMITS.get(self.kind, MAX_TEXT)

    @property
    def attribute(self) -> str:
        return self.field or ("target" if self.kind == Kind.CIRCLE else self.name)

    @property
    def shown(self) -> str:
        if self.meta:
            return self.meta
        if self.kind == Kind.CHOICE:
            return "|".join(self.choices)
        if self.kind == Kind.NUMBER:
            return f"{self.low}-{self.high}"
        return self.name.upper()


_KIND_LIMITS = {
    Kind.NAME: MAX_NAME,
    Kind.WORD: MAX_WORD,
    Kind.NUMBER: 6,
    Kind.ID: 11,
    Kind.CHOICE: 40,
    Kind.DATE: 10,
    Kind.TIME: 5,
    Kind.HOURS: 13,
    Kind.ZONE: MAX_ZONE,
    Kind.CIRCLE: MAX_NAME,
    Kind.PERSON: 270,
}


@dataclass(frozen=True)
class Spec:
    name: str
    summary: str
    params: tuple[Param, ...]
    request: Callable[..., Any]
    facilitator: bool = False  # help lists it among the facilitator's commands
    discord: bool = False  # one of Discord's 25 subcommands; else through /circle do
    fixed: tuple[tuple[str, Any], ...] = ()  # request fields this subcommand sets itself

    @property
    def usage(self) -> str:
        words = [f"/circle {self.name}"]
        for param in self.positional:
            shown = param.shown + (" …" if param.many else "")
            words.append(shown if param.required else f"[{shown}]")
        words.extend(f"[{p.name}={p.shown}]" for p in self.options)
        return " ".join(words)

    @property
    def positional(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if not p.option)

    @property
    def options(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.option)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


def _in() -> Param:
    return Param("in", Kind.CIRCLE, "Which circle (when you are in several)", option=True, meta="NAME")


def _text(name: str, label: str, limit: int = MAX_TEXT, required: bool = True, meta: str = "") -> Param:
    return Param(name, Kind.TEXT, label, required=required, max_length=limit, meta=meta)


def _choice(name: str, label: str, kind: Callable[[str], Any] | None, choices: Sequence[str], **extra: Any) -> Param:
    return Param(name, Kind.CHOICE, label, choices=tuple(choices), convert=kind, **extra)


_KIND_WORDS = (
    ("present", "presentation"),
    ("clarify", "clarifying_question"),
    ("clarifying", "clarifying_question"),
    ("reflect", "reflection"),
)


def _for_circle(word: str) -> bool:
    return word == "circle"


_STATUS_CHOICES = ("in_progress", "stuck", "dropped", "done")


def _yes_no(name: str, label: str, **extra: Any) -> Param:
    return _choice(name, label, lambda word: word == "yes", ("yes", "no"), **extra)


def _status(**extra: Any) -> Param:
    return _choice("status", "How it is going", CommitmentStatus, _STATUS_CHOICES, **extra)


SPECS: dict[str, Spec] = {
    s.name: s
    for s in (
        Spec(
            "help", "show what you can do", (Param("command", Kind.WORD, "A command to explain"),), Help, discord=True
        ),
        Spec(
            "new",
            "start a new circle (you become its lead); invite-only unless open=yes",
            (
                Param("name", Kind.NAME, "The circle's name, like leaders-1", required=True),
                _choice("format", "How the circle works", None, tuple(FORMATS), option=True, meta="KEY"),
                _choice("mode", "Live on a call, or async in threads", Mode, ("live", "async"), option=True),
                Param("module", Kind.WORD, "The topic module (format=module)", option=True, meta="KEY"),
                Param("programme", Kind.NAME, "The programme it belongs to (its lead only)", option=True),
                _yes_no("open", "Anyone may join without asking?", option=True),
            ),
            NewCircle,
            discord=True,
        ),
        Spec(
            "join",
            "ask to join a circle (its lead decides)",
            (Param("name", Kind.NAME, "The circle's name", required=True),),
            Join,
            discord=True,
        ),
        Spec("leave", "leave a circle", (_in(),), Leave, discord=True),
        Spec("status", "your circles, the meeting, your commitments", (_in(),), Status, discord=True),
        Spec(
            "schedule",
            "set or move a meeting's start (the next, or meeting=N; rest=yes moves the rest of the series too)",
            (
                Param("date", Kind.DATE, "The day, YYYY-MM-DD", required=True, field="day", meta="YYYY-MM-DD"),
                Param("time", Kind.TIME, "The time, HH:MM", required=True, field="at", meta="HH:MM"),
                Param("tz", Kind.ZONE, "Time zone, like Europe/Berlin", option=True, meta="Area/City"),
                Param("minutes", Kind.NUMBER, "How long it lasts, in minutes", option=True, low=15, high=480),
                Param("meeting", Kind.NUMBER, "Which meeting (default: the next)", option=True, low=1, high=100),
                _yes_no("rest", "Move every later meeting with it?", option=True),
                _in(),
            ),
            Schedule,
            facilitator=True,
            discord=True,
        ),
        Spec(
            "series",
            "schedule the circle's whole series at a weekly slot inside every member's working hours",
            (_in(),),
            ScheduleSeries,
            facilitator=True,
        ),
        Spec("start", "open the meeting with a check-in", (_in(),), OpenMeeting, facilitator=True, discord=True),
        Spec(
            "checkin",
            "check in: how you are, what you bring",
            (_text("text", "How are you arriving, and how did your actions go?"), _in()),
            CheckIn,
            discord=True,
        ),
        Spec("bids", "call for bids", (_in(),), CallForBids, facilitator=True, discord=True),
        Spec(
            "bid",
            "bid for airtime with a live issue",
            (
                _text("topic", "Your issue", MAX_SHORT_TEXT),
                _choice("urgency", "How urgent is it?", Urgency, ("low", "medium", "high"), option=True),
                Param("minutes", Kind.NUMBER, "Minutes you'd like", option=True, low=5, high=120),
                _in(),
            ),
            PlaceBid,
            discord=True,
        ),
        Spec("withdraw", "withdraw your bid", (_in(),), Withdraw, discord=True),
        Spec(
            "round",
            "start the next round (top bid, or the person named)",
            (Param("person", Kind.PERSON, "Whose issue (default: the top bid)", meta="@person"), _in()),
            StartRound,
            facilitator=True,
            discord=True,
        ),
        Spec("next", "move the round to its next phase", (_in(),), NextPhase, facilitator=True, discord=True),
        Spec(
            "say",
            "contribute to the current round",
            (
                _text("text", "Your contribution"),
                _choice(
                    "kind",
                    "Kind",
                    ContributionKind,
                    ("question", "feedback", "challenge", "suggestion", "advice", "reflection"),
                    aliases=_KIND_WORDS,
                    option=True,
                ),
                _in(),
            ),
            Contribute,
            discord=True,
        ),
        Spec(
            "commit",
            "commit to an action, for yourself or the circle (at check-in, or from a round's reflection on)",
            (
                _text("action", "What will you do?", MAX_SHORT_TEXT),
                Param("due", Kind.DATE, "By when? (YYYY-MM-DD)", option=True, meta="YYYY-MM-DD"),
                _choice("to", "Who is it for?", _for_circle, ("me", "circle"), option=True, field="to_circle"),
                _in(),
            ),
            Commit,
            discord=True,
        ),
        Spec("pass", "close your round without a commitment (issue holder)", (_in(),), PassRound, discord=True),
        Spec(
            "done",
            "mark one of your commitments done",
            (
                Param("number", Kind.ID, "The commitment's number", required=True, meta="NUMBER"),
                _text("note", "What happened?", MAX_SHORT_TEXT, required=False),
            ),
            SetCommitmentStatus,
            discord=True,
            fixed=(("status", CommitmentStatus.DONE),),
        ),
        Spec(
            "update",
            "say how one of your commitments is going",
            (
                Param("number", Kind.ID, "The commitment's number", required=True, meta="NUMBER"),
                _status(required=True),
                _text("note", "What happened?", MAX_SHORT_TEXT, required=False),
            ),
            SetCommitmentStatus,
            discord=True,
        ),
        Spec("close", "close the meeting and ask for feedback", (_in(),), CloseMeeting, facilitator=True, discord=True),
        Spec(
            "feedback",
            "rate the last meeting",
            (
                Param("rating", Kind.NUMBER, "Rating from 1 (poor) to 5 (great)", required=True, low=1, high=5),
                _text("text", "Anything to add?", required=False),
                _in(),
            ),
            GiveFeedback,
            discord=True,
        ),
        Spec(
            "add",
            "invite someone to the circle (history: whether they see what was said before)",
            (
                Param("person", Kind.PERSON, "Who to invite", required=True, many=True, field="people", meta="@person"),
                _choice("role", "Their role", Role, ("member", "facilitator"), option=True),
                _yes_no("history", "Do they see what was said before they join?", option=True),
                _in(),
            ),
            AddPeople,
            facilitator=True,
            discord=True,
        ),
        Spec(
            "remove",
            "remove someone from the circle",
            (Param("person", Kind.PERSON, "Who to remove", required=True, meta="@person"), _in()),
            RemovePerson,
            facilitator=True,
            discord=True,
        ),
        Spec(
            "facilitator",
            "hand today's facilitation to someone",
            (Param("person", Kind.PERSON, "Who facilitates today", required=True, meta="@person"), _in()),
            HandOver,
            facilitator=True,
        ),
        Spec(
            "pause",
            "pause the circle",
            (_in(),),
            SetCircleStatus,
            facilitator=True,
            fixed=(("status", CircleStatus.PAUSED),),
        ),
        Spec(
            "resume",
            "resume a paused circle",
            (_in(),),
            SetCircleStatus,
            facilitator=True,
            fixed=(("status", CircleStatus.ACTIVE),),
        ),
        Spec(
            "end",
            "close the circle for good and archive its space",
            (_in(),),
            SetCircleStatus,
            facilitator=True,
            fixed=(("status", CircleStatus.CLOSED),),
        ),
        Spec(
            "programme",
            "start a programme people sign up for; you lead it and form its circles",
            (
                Param("name", Kind.NAME, "The programme's name", required=True),
                _choice("format", "How its circles work", None, tuple(FORMATS), option=True, meta="KEY"),
                Param("meetings", Kind.NUMBER, "How many meetings", option=True, low=1, high=100, meta="N"),
                Param("every", Kind.NUMBER, "Days between meetings", option=True, low=1, high=365, meta="DAYS"),
            ),
            NewProgramme,
        ),
        Spec(
            "form",
            "propose a programme's circles to you (its lead), move someone, try another seed, then create them",
            (
                Param("programme", Kind.NAME, "The programme's name", required=True),
                Param("seed", Kind.NUMBER, "Another arrangement: any number", option=True, low=1, high=MAX_SEED),
                Param("move", Kind.PERSON, "Who to move to another proposed circle", option=True, meta="@person"),
                Param("to", Kind.NUMBER, "The proposed circle's number", option=True, low=1, high=999, meta="N"),
            ),
            FormCircles,
        ),
        Spec(
            "signup",
            "ask to be placed in one of a programme's circles",
            (Param("programme", Kind.NAME, "The programme's name", required=True),),
            OpenSignUp,
        ),
        Spec(
            "signups",
            "who has signed up for a programme you lead",
            (Param("programme", Kind.NAME, "The programme's name", required=True),),
            ListSignUps,
        ),
        Spec(
            "report",
            "health figures and charts, no one's words: a programme you lead, or a circle you run",
            (
                Param("programme", Kind.NAME, "The programme you lead (default: this circle)"),
                _choice("monthly", "A digest by DM every month?", None, ("on", "off"), option=True),
                _in(),
            ),
            Report,
        ),
        Spec(
            "evaluate",
            "answer the closing questions about a programme",
            (Param("programme", Kind.NAME, "The programme's name", required=True),),
            Evaluate,
        ),
        Spec(
            "timezone",
            "set your time zone",
            (Param("zone", Kind.ZONE, "Your time zone (start typing your city)", required=True, meta="Area/City"),),
            SetTimezone,
            discord=True,
        ),
        Spec("my-data", "get everything stored about you, privately, as one file", (), MyData),
        Spec("forget-me", "erase what you wrote and leave every circle (asks first)", (), ForgetMe),
        Spec(
            "retention",
            "keep what circles said this many days after they end (workspace admin or programme lead)",
            (Param("days", Kind.NUMBER, "Days to keep it", required=True, low=1, high=3650, meta="DAYS"),),
            SetRetention,
        ),
        Spec(
            "modules",
            "browse topic modules by category, or show one",
            (Param("key", Kind.WORD, "A category or a module's key", field="wanted", meta="CATEGORY|KEY"),),
            BrowseModules,
        ),
        Spec(
            "quiet",
            "the hours (and, if you like, weekends) when no DMs reach you",
            (
                Param("hours", Kind.HOURS, "Quiet hours, like 21:00-08:00", required=True, meta="HH:MM-HH:MM"),
                _choice("weekends", "Quiet at weekends too?", None, ("on", "off"), option=True),
            ),
            SetQuietHours,
        ),
        Spec(
            "nudges",
            "turn reminders about check-ins on, off or pause them",
            (
                _choice("setting", "On, off, or pause", None, ("on", "off", "pause"), required=True),
                Param("days", Kind.NUMBER, "Days to pause for", low=1, high=90, meta="DAYS"),
            ),
            SetNudges,
            discord=True,
        ),
    )
}

# What the forms ask that no command does.
SIGN_UP = Spec(
    "signup-form",
    "join the programme",
    (
        Param("department", Kind.TEXT, "Your department or team", required=True, max_length=100),
        Param("level", Kind.NUMBER, "Your level or grade (1-10)", required=True, low=1, high=10),
        Param("timezone", Kind.ZONE, "Your time zone", required=True),
        Param("topics", Kind.TEXT, "Topics you'd like to work on, separated by ;", max_length=300),
        _choice("facilitator", "Would you facilitate a circle?", None, ("no", "yes"), required=True),
    ),
    SignUp,
)

EVALUATION = Spec(
    "evaluation-form",
    "the closing questions about a programme",
    (
        Param("usefulness", Kind.NUMBER, "How useful was it, from 1 (not) to 5 (very)?", required=True, low=1, high=5),
        _choice("recommend", "Would you recommend it?", None, ("yes", "no"), required=True),
        _choice("applied", "How much of what you committed to did you apply?", None, tuple(Applied), required=True),
        _text("text", "Anything you'd like to say?", MAX_SHORT_TEXT, required=False),
        _choice("share", "Share your words anonymously with the programme lead?", None, ("no", "yes")),
    ),
    Evaluation,
)

ALIASES = {
    "sign-up": "signup",
    "program": "programme",
    "check-in": "checkin",
    "advance": "next",
    "?": "help",
    "tz": "timezone",
}

Raw = str | int | PersonRef | Sequence[str | PersonRef] | None


@dataclass(frozen=True)
class Parsed:
    """A command line split by the grammar, its values not yet read."""

    spec: Spec
    raw: dict[str, Raw] = field(default_factory=dict)


class Refused(UsageError):
    """Values that do not pass their parameter's checks: one message per field, for forms."""

    def __init__(self, errors: dict[str, str], usage: str = "") -> None:
        first = next(iter(errors.values()))
        super().__init__(f"{first}\nUsage: {usage}" if usage else first)
        self.errors = errors


def spec_named(name: str) -> Spec:
    """The subcommand a word names (aliases included); a UsageError for any other word."""
    key = name.lower()
    spec = SPECS.get(ALIASES.get(key, key))
    if spec is None:
        raise UsageError(f"I don't know the command '{_shown(name, 40)}'. Try /circle help.")
    return spec


def parse(line: str) -> Parsed:
    """Splits a typed line into its subcommand, declared options and positional values."""
    if len(line) > MAX_LINE:
        raise UsageError(TOO_LONG.format(limit=MAX_TEXT))
    line = line.strip()
    if line.startswith("/circle"):
        line = line[len("/circle") :].strip()
    if not line:
        return Parsed(SPECS["help"])
    head, rest = _head(line)
    spec = spec_named(head)
    words = [(m.start(), m.end()) for m in _WORD.finditer(rest)]
    raw: dict[str, Raw] = {}
    first, last = 0, len(words)
    while first < last and _take_option(spec, rest[words[first][0] : words[first][1]], raw):
        first += 1
    while last > first and _take_option(spec, rest[words[last - 1][0] : words[last - 1][1]], raw):
        last -= 1
    body = words[first:last]
    for index, param in enumerate(spec.positional):
        if not body:
            break
        if param.many:
            raw[param.name] = [rest[a:b] for a, b in body]
            body = []
        elif param.kind in (Kind.TEXT, Kind.HOURS) and index == len(spec.positional) - 1:
            raw[param.name] = rest[body[0][0] : body[-1][1]]
            body = []
        else:
            start, end = body.pop(0)
            raw[param.name] = rest[start:end]
    if body:
        raise UsageError(f"I didn't understand '{_shown(rest[body[0][0] : body[-1][1]], 60)}'.\nUsage: {spec.usage}")
    return Parsed(spec, raw)


def _head(line: str) -> tuple[str, str]:
    match = re.match(r"(\S+)\s?", line)
    assert match is not None  # the line is stripped and not empty
    return match[1], line[match.end() :]


def _take_option(spec: Spec, word: str, raw: dict[str, Raw]) -> bool:
    match = _OPTION.fullmatch(word)
    if match is None:
        return False
    param = spec.param(match.group(1))
    if param is None or not param.option:
        return False
    if param.name in raw:
        raise UsageError(f"'{param.name}=' is given twice.\nUsage: {spec.usage}")
    raw[param.name] = match.group(2)
    return True


def read(
    spec: Spec, raw: Mapping[str, Raw], today: date, with_usage: bool = True, extra: Mapping[str, Any] | None = None
) -> Any:
    """The typed request these raw values make, every value checked; `Refused` lists what is wrong.
    `extra` sets fields no member typed (a form's meeting, a button's commitment)."""
    values: dict[str, Any] = dict(spec.fixed)
    errors: dict[str, str] = {}
    for param in spec.params:
        given = raw.get(param.name)
        if given is None or given == [] or (isinstance(given, str) and not given.strip()):
            if param.required:
                errors[param.name] = missing(param.label)
            continue
        try:
            values[param.attribute] = read_value(param, given, today)
        except UsageError as error:
            errors[param.name] = error.message
    if errors:
        raise Refused(errors, spec.usage if with_usage else "")
    return spec.request(**(values | dict(extra or {})))


def missing(label: str) -> str:
    """A required value left out; a label that is a question is asked again, not quoted into a sentence."""
    if label.rstrip().endswith("?"):
        return "Please answer this one."
    return f"Please fill in {label.lower().rstrip('.')}."


def read_value(param: Param, given: Raw, today: date) -> Any:
    """One value, checked against its parameter; a UsageError says what is wrong, in the member's terms."""
    if param.kind == Kind.PERSON:
        people = [_person(p) for p in (given if isinstance(given, list | tuple) else [given])]
        return tuple(people) if param.many else people[0]
    if isinstance(given, PersonRef) or not isinstance(given, str | int):
        raise UsageError(f"Please give {param.label.lower()} as text.")
    text = str(given)
    if param.kind == Kind.TEXT and len(text) > param.limit:
        raise UsageError(TOO_LONG.format(limit=param.limit))
    refuse_control_characters(text)
    text = text.strip()
    match param.kind:
        case Kind.TEXT:
            # a mention that carries a name (Slack's, once the adapter named it) reads as @Name
            named = MENTION.sub(lambda m: f"@{m[2]}" if m[2] else m[0], text)
            return re.sub(r"[ \t]+", " ", named)
        case Kind.NAME | Kind.CIRCLE:
            name = text.lower()
            if not NAME.fullmatch(name):
                raise UsageError(
                    f"'{_shown(text, 40)}' can't be a name: names are 2-{MAX_NAME} lowercase letters, digits, "
                    "- or _, like `leaders-1`."
                )
            return Target(circle=name) if param.kind == Kind.CIRCLE else name
        case Kind.WORD:
            if len(text) > param.limit or not re.fullmatch(r"[A-Za-z0-9_.-]+", text):
                raise UsageError(f"'{_shown(text, 40)}' isn't a word I know here.")
            return text.lower()
        case Kind.NUMBER:
            return whole_number(text, param.low, param.high, param.label.lower())
        case Kind.ID:
            return whole_number(text.removeprefix("#"), 1, MAX_ID, param.label.lower())
        case Kind.CHOICE:
            return _choice_of(param, text)
        case Kind.DATE:
            return real_date(text, today)
        case Kind.TIME:
            return clock_time(text)
        case Kind.HOURS:
            match = _HOURS.fullmatch(text)
            if match is None:
                raise UsageError("Please give the hours like 21:00-08:00.")
            return clock_time(f"{match[1]}:{match[2]}"), clock_time(f"{match[3]}:{match[4]}")
        case Kind.ZONE:
            return zone_name(text)
    raise UsageError(f"I can't read {param.label.lower()}.")  # pragma: no cover - every kind is matched


def _choice_of(param: Param, text: str) -> Any:
    aliases = dict(param.aliases)
    for word in (text.lower(), text.lower().replace("-", "_")):
        word = aliases.get(word, word)
        if word in param.choices or word in aliases.values():
            return param.convert(word) if param.convert else word
    *others, last = param.choices
    listed = f"{', '.join(others)} or {last}" if others else last
    raise UsageError(f"{param.label.rstrip('?')}: please choose {listed}.")


def refuse_control_characters(text: str) -> None:
    """NUL and other control characters: PostgreSQL refuses some, SQLite stores them; we refuse all."""
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in _ALLOWED_CONTROLS for c in text):
        raise UsageError(CONTROL_CHARACTERS)


def whole_number(text: str, low: int, high: int, what: str) -> int:
    """A whole number in a range, written in ASCII digits (`²` is a digit to `str.isdigit`, not to us)."""
    text = text.strip()
    if not _DIGITS.fullmatch(text) or not low <= int(text) <= high:
        raise UsageError(f"Please give {what} as a whole number from {low} to {high}.")
    return int(text)


def real_date(text: str, today: date) -> date:
    match = _DATE.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise UsageError("Please give the date as YYYY-MM-DD, like 2026-12-31.") from None
    if (day - today).days > HORIZON_DAYS:
        raise UsageError("That date is too far ahead: please pick one within two years.")
    if (today - day).days > HORIZON_DAYS:
        raise UsageError("That date is in the past.")
    return day


def clock_time(text: str) -> time:
    match = _TIME.fullmatch(text.strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise UsageError("Please give the time as HH:MM, from 00:00 to 23:59.")
    return time(int(match[1]), int(match[2]))


@cache
def _zones() -> dict[str, str]:
    return {zone.lower(): zone for zone in zoneinfo.available_timezones()}


def zone_name(text: str) -> str:
    """An IANA zone name from zoneinfo's own list (its case forgiven); never a path ZoneInfo would open."""
    name = text.strip()
    found = _zones().get(name.lower()) if len(name) <= MAX_ZONE else None
    if found is None:
        raise UsageError(f"I don't know the time zone '{_shown(name, 60)}'. Use a name like Europe/Berlin.")
    return found


def time_zone(name: str) -> zoneinfo.ZoneInfo:
    """A zone someone typed, checked first (`zone_name`), then opened."""
    return zoneinfo.ZoneInfo(zone_name(name))


def _person(given: Raw) -> PersonRef:
    if isinstance(given, PersonRef):
        if not 0 < len(given.external_id) <= MAX_EXTERNAL_ID:
            raise UsageError("Please mention the person (@name).")
        return PersonRef(given.external_id, clean_name(given.name))
    match = MENTION.fullmatch(str(given).strip()) if isinstance(given, str) else None
    if match is None:
        raise UsageError("Please mention the person (@name).")
    return PersonRef(match[1], clean_name(match[2] or ""))


def clean_name(name: str) -> str:
    """A display name as platforms give it, made storable: no control characters, within the column."""
    kept = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cs"))
    return kept.strip()[:MAX_DISPLAY_NAME]


def _shown(text: str, limit: int) -> str:
    """Part of what someone typed, quoted back to them: short, and without control characters."""
    return clean_name(text)[:limit]


def read_line(line: str, today: date) -> Any:
    """A typed line (`/circle bid …`) as its typed request."""
    parsed = parse(line)
    return read(parsed.spec, parsed.raw, today)


def usage(name: str) -> str:
    return SPECS[name].usage


def help_lines(include_facilitator: bool = True) -> list[str]:
    return [f"`{spec.usage}`: {spec.summary}" for spec in SPECS.values() if include_facilitator or not spec.facilitator]
