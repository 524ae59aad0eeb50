"""One grammar for `/circle …`, parsed the same way on every platform.

`parse("bid How do I say no? urgency=high")` gives a `Command`: a subcommand, its free text, its
`key=value` options and any mentioned people. A parse error is a `UsageError` whose message is
the usage of that subcommand, so every platform answers a typo the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import UsageError
from core.messages import MAX_TEXT


@dataclass(frozen=True)
class Spec:
    name: str
    usage: str
    summary: str
    options: tuple[str, ...] = ()
    text: str = "none"  # "none", "optional" or "required"
    mentions: str = "none"  # "none", "optional" or "required"
    facilitator: bool = False


SPECS: dict[str, Spec] = {
    s.name: s
    for s in (
        Spec("help", "/circle help [command]", "show what you can do", text="optional"),
        Spec(
            "new",
            "/circle new NAME [format=KEY] [mode=live|async] [module=KEY] [programme=NAME] [open=yes|no]",
            "start a new circle (you become its lead); invite-only unless open=yes",
            ("format", "mode", "module", "programme", "open"),
            text="required",
        ),
        Spec("join", "/circle join NAME", "ask to join a circle (its lead decides)", text="required"),
        Spec("leave", "/circle leave [in=NAME]", "leave a circle", ("in",)),
        Spec("status", "/circle status [in=NAME]", "your circles, the meeting, your commitments", ("in",)),
        Spec(
            "schedule",
            "/circle schedule YYYY-MM-DD HH:MM [tz=Area/City] [minutes=N] [in=NAME]",
            "set the next meeting's start",
            ("tz", "minutes", "in"),
            text="required",
            facilitator=True,
        ),
        Spec("start", "/circle start [in=NAME]", "open the meeting with a check-in", ("in",), facilitator=True),
        Spec(
            "checkin",
            "/circle checkin TEXT [in=NAME]",
            "check in: how you are, what you bring",
            ("in",),
            text="required",
        ),
        Spec("bids", "/circle bids [in=NAME]", "call for bids", ("in",), facilitator=True),
        Spec(
            "bid",
            "/circle bid TOPIC [urgency=low|medium|high] [minutes=N] [in=NAME]",
            "bid for airtime with a live issue",
            ("urgency", "minutes", "in"),
            text="required",
        ),
        Spec("withdraw", "/circle withdraw [in=NAME]", "withdraw your bid", ("in",)),
        Spec(
            "round",
            "/circle round [@person] [in=NAME]",
            "start the next round (top bid, or the person named)",
            ("in",),
            mentions="optional",
            facilitator=True,
        ),
        Spec("next", "/circle next [in=NAME]", "move the round to its next phase", ("in",), facilitator=True),
        Spec(
            "say",
            "/circle say [kind=question|feedback|challenge|suggestion|advice|reflection] TEXT [in=NAME]",
            "contribute to the current round",
            ("kind", "in"),
            text="required",
        ),
        Spec(
            "commit",
            "/circle commit ACTION [due=YYYY-MM-DD] [to=me|circle] [in=NAME]",
            "commit to an action, for yourself or the circle (at check-in, or from a round's reflection on)",
            ("due", "to", "in"),
            text="required",
        ),
        Spec("pass", "/circle pass [in=NAME]", "close your round without a commitment (issue holder)", ("in",)),
        Spec("done", "/circle done NUMBER [NOTE]", "mark one of your commitments done", text="required"),
        Spec(
            "update",
            "/circle update NUMBER in_progress|stuck|dropped [NOTE]",
            "say how one of your commitments is going",
            text="required",
        ),
        Spec("close", "/circle close [in=NAME]", "close the meeting and ask for feedback", ("in",), facilitator=True),
        Spec("feedback", "/circle feedback 1-5 [TEXT] [in=NAME]", "rate the last meeting", ("in",), text="required"),
        Spec(
            "add",
            "/circle add @person [role=member|facilitator] [history=yes|no] [in=NAME]",
            "invite someone to the circle (history: whether they see what was said before)",
            ("role", "history", "in"),
            mentions="required",
            facilitator=True,
        ),
        Spec(
            "remove",
            "/circle remove @person [in=NAME]",
            "remove someone from the circle",
            ("in",),
            mentions="required",
            facilitator=True,
        ),
        Spec(
            "facilitator",
            "/circle facilitator @person [in=NAME]",
            "hand today's facilitation to someone",
            ("in",),
            mentions="required",
            facilitator=True,
        ),
        Spec("pause", "/circle pause [in=NAME]", "pause the circle", ("in",), facilitator=True),
        Spec("resume", "/circle resume [in=NAME]", "resume a paused circle", ("in",), facilitator=True),
        Spec(
            "end", "/circle end [in=NAME]", "close the circle for good and archive its space", ("in",), facilitator=True
        ),
        Spec(
            "programme",
            "/circle programme NAME [format=KEY] [meetings=N] [every=DAYS]",
            "start a programme people sign up for; you lead it and form its circles",
            ("format", "meetings", "every"),
            text="required",
        ),
        Spec("signup", "/circle signup PROGRAMME", "ask to be placed in one of a programme's circles", text="required"),
        Spec("signups", "/circle signups PROGRAMME", "who has signed up for a programme you lead", text="required"),
        Spec(
            "report",
            "/circle report [PROGRAMME] [monthly=on|off] [in=NAME]",
            "health figures and charts, no one's words: a programme you lead, or a circle you run",
            ("monthly", "in"),
            text="optional",
        ),
        Spec(
            "evaluate", "/circle evaluate PROGRAMME", "answer the closing questions about a programme", text="required"
        ),
        Spec("timezone", "/circle timezone Area/City", "set your time zone", text="required"),
        Spec("my-data", "/circle my-data", "get everything stored about you, privately, as one file"),
        Spec("forget-me", "/circle forget-me", "erase what you wrote and leave every circle (asks first)"),
        Spec(
            "retention",
            "/circle retention DAYS",
            "keep what circles said this many days after they end (workspace admin or programme lead)",
            text="required",
        ),
        Spec(
            "modules",
            "/circle modules [CATEGORY|KEY]",
            "browse topic modules by category, or show one",
            text="optional",
        ),
        Spec(
            "quiet",
            "/circle quiet HH:MM-HH:MM [weekends=on|off]",
            "the hours (and, if you like, weekends) when no DMs reach you",
            ("weekends",),
            text="required",
        ),
        Spec(
            "nudges",
            "/circle nudges on|off|pause DAYS",
            "turn reminders about check-ins on, off or pause them",
            text="required",
        ),
    )
}

ALIASES = {
    "sign-up": "signup",
    "program": "programme",
    "check-in": "checkin",
    "advance": "next",
    "?": "help",
    "tz": "timezone",
}

# Mentions as platforms write them: Slack <@U123> or <@U123|name>, Discord <@123> or <@!123>.
_MENTION = re.compile(r"<@!?([A-Za-z0-9_.-]+)(?:\|[^>]*)?>")
_OPTION = re.compile(r"^([a-z]+)=(\S+)$")


@dataclass(frozen=True)
class Command:
    name: str
    text: str = ""
    options: dict[str, str] = field(default_factory=dict)
    mentions: tuple[str, ...] = ()

    @property
    def spec(self) -> Spec:
        return SPECS[self.name]

    @property
    def circle_name(self) -> str | None:
        return self.options.get("in")


def parse(line: str) -> Command:
    line = line.strip()
    if line.startswith("/circle"):
        line = line[len("/circle") :].strip()
    if not line:
        return Command("help")
    head, _, rest = line.partition(" ")
    name = ALIASES.get(head.lower(), head.lower())
    spec = SPECS.get(name)
    if spec is None:
        raise UsageError(f"I don't know the command '{head[:40]}'. Try /circle help.")
    if len(rest) > MAX_TEXT:
        raise UsageError(f"That is too long: please keep it under {MAX_TEXT} characters.\nUsage: {spec.usage}")
    return _parse_arguments(spec, rest)


def _parse_arguments(spec: Spec, rest: str) -> Command:
    mentions = tuple(_MENTION.findall(rest))
    rest = _MENTION.sub(" ", rest)
    options: dict[str, str] = {}
    kept: list[str] = []  # words and the spaces between them, so member text keeps its line breaks
    for piece in re.split(r"(\s+)", rest):
        match = _OPTION.match(piece)
        if match and match.group(1) in spec.options:
            if match.group(1) in options:
                raise UsageError(f"'{match.group(1)}=' is given twice.\nUsage: {spec.usage}")
            options[match.group(1)] = match.group(2)
        else:
            kept.append(piece)
    text = re.sub(r"[ \t]+", " ", "".join(kept)).strip()
    if spec.text == "required" and not text:
        raise UsageError(f"Something is missing.\nUsage: {spec.usage}")
    if spec.text == "none" and text:
        raise UsageError(f"I didn't understand '{text[:60]}'.\nUsage: {spec.usage}")
    if spec.mentions == "required" and not mentions:
        raise UsageError(f"Please mention the person (@name).\nUsage: {spec.usage}")
    if spec.mentions == "none" and mentions:
        raise UsageError(f"This command takes no @mentions.\nUsage: {spec.usage}")
    return Command(spec.name, text, options, mentions)


def usage(name: str) -> str:
    return SPECS[name].usage


def help_lines(include_facilitator: bool = True) -> list[str]:
    return [f"`{spec.usage}`: {spec.summary}" for spec in SPECS.values() if include_facilitator or not spec.facilitator]


def whole_number(text: str, low: int, high: int, what: str) -> int:
    """An option or form value that must be a whole number in a range."""
    if not text.strip().isdigit() or not low <= int(text) <= high:
        raise UsageError(f"Please give {what} as a whole number from {low} to {high}.")
    return int(text)


def time_zone(name: str) -> ZoneInfo:
    """An IANA time zone someone typed (`tz=`, `/circle timezone`, the sign-up form)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"I don't know the time zone '{name[:60]}'. Use a name like Europe/Berlin.") from None
