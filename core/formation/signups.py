"""Who signed up: one `SignUp` per person, read from a CSV or built from what the bots collected.

CSV columns: ``id,name,department,level,timezone,topics,manager_id,avoid,facilitator,past_circles``.
Only ``id`` and ``name`` are required; unknown columns are ignored. ``topics``, ``avoid`` and
``past_circles`` are ``;``-separated; ``facilitator`` is yes/no. Every problem is reported as a
`CircleError` naming the row, because the reader is a programme lead fixing a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import CircleError
from core.models.circles import Person

REQUIRED_COLUMNS = ("id", "name")
KNOWN_COLUMNS = (
    "id",
    "name",
    "department",
    "level",
    "timezone",
    "topics",
    "manager_id",
    "avoid",
    "facilitator",
    "past_circles",
)
# Offsets are taken on one fixed date so a roster never splits differently across a DST change.
REFERENCE_DATE = datetime(2026, 1, 15, 12, 0)  # noqa: DTZ001 - tz attached per zone below
_YES = {"yes", "y", "true", "1", "x"}
_NO = {"no", "n", "false", "0", ""}


@dataclass(frozen=True)
class SignUp:
    """One person who asked to join the programme, with what circle formation needs to know."""

    id: str
    name: str
    department: str = ""
    level: int | None = None
    timezone: str = "UTC"
    topics: frozenset[str] = field(default_factory=frozenset)
    manager_id: str | None = None
    avoid: frozenset[str] = field(default_factory=frozenset)
    facilitator: bool = False
    past_circles: frozenset[str] = field(default_factory=frozenset)

    @property
    def utc_offset(self) -> float:
        """Hours east of UTC on the reference date."""
        return utc_offset_hours(self.timezone)


@lru_cache(maxsize=1024)
def utc_offset_hours(zone: str) -> float:
    """Cached: a roster of 10,000 has a few dozen zones, and loading one costs ~0.1 ms."""
    try:
        info = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise CircleError(f"Unknown time zone '{zone}'; use an IANA name such as Europe/Paris.") from error
    offset = REFERENCE_DATE.replace(tzinfo=info).utcoffset()
    return 0.0 if offset is None else offset.total_seconds() / 3600.0


def read_signups(path: Path) -> list[SignUp]:
    """Read a sign-up CSV; the file must exist and be UTF-8 text."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise CircleError(f"No such file: {path}.") from error
    except (UnicodeDecodeError, IsADirectoryError) as error:
        raise CircleError(f"{path} is not a UTF-8 CSV file.") from error
    return parse_signups(text)


def parse_signups(text: str) -> list[SignUp]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise CircleError("The sign-up file is empty: it needs a header row with at least id,name.")
    columns = [name.strip().lower() for name in reader.fieldnames]
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        found = ", ".join(columns)
        raise CircleError(f"The sign-up file has no {' or '.join(missing)} column (found: {found}).")
    reader.fieldnames = columns
    signups = [_signup_from_row(row, number) for number, row in enumerate(reader, start=2)]
    if not signups:
        raise CircleError("The sign-up file has a header but nobody in it.")
    _check_ids(signups)
    return signups


def signups_from_records(records: Iterable[Mapping[str, object]]) -> list[SignUp]:
    """Sign-ups the bots collected (the *Join the programme* form: department, level, time zone,
    topics), one mapping per person with the CSV column names as keys."""
    rows = [{key: _as_text(value) for key, value in record.items()} for record in records]
    signups = [_signup_from_row(row, number) for number, row in enumerate(rows, start=1)]
    _check_ids(signups)
    return signups


def signup_from_person(
    person: Person,
    *,
    topics: Iterable[str] = (),
    manager_id: str | None = None,
    avoid: Iterable[str] = (),
    facilitator: bool = False,
    past_circles: Iterable[str] = (),
) -> SignUp:
    """A stored member who pressed *Join the programme*: department, level and time zone come from
    their profile; what the form asked (topics, facilitating) and the history are passed in."""
    timezone = person.timezone or "UTC"
    utc_offset_hours(timezone)
    return SignUp(
        id=str(person.id),
        name=person.display_name or person.external_id,
        department=person.department or "",
        level=person.level,
        timezone=timezone,
        topics=frozenset(topics),
        manager_id=manager_id,
        avoid=frozenset(avoid),
        facilitator=facilitator,
        past_circles=frozenset(past_circles),
    )


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set | frozenset):
        return ";".join(sorted(str(item) for item in value))
    return str(value)


def _signup_from_row(row: Mapping[str, str | None], number: int) -> SignUp:
    def cell(column: str) -> str:
        value = row.get(column)
        return value.strip() if isinstance(value, str) else ""

    if None in row:
        raise CircleError(f"Row {number} has more cells than the header has columns.")
    person_id, name = cell("id"), cell("name")
    if not person_id:
        raise CircleError(f"Row {number} has no id.")
    timezone = cell("timezone") or "UTC"
    try:
        utc_offset_hours(timezone)
    except CircleError as error:
        raise CircleError(f"Row {number} ({person_id}): {error.message}") from error
    return SignUp(
        id=person_id,
        name=name or person_id,
        department=cell("department"),
        level=_level(cell("level"), number, person_id),
        timezone=timezone,
        topics=listed_items(cell("topics")),
        manager_id=cell("manager_id") or None,
        avoid=listed_items(cell("avoid")),
        facilitator=_yes_no(cell("facilitator"), number, person_id),
        past_circles=listed_items(cell("past_circles")),
    )


def listed_items(text: str) -> frozenset[str]:
    """A `;`-separated cell (topics, avoid, past_circles) as its items."""
    return frozenset(part.strip() for part in text.split(";") if part.strip())


def _level(text: str, number: int, person_id: str) -> int | None:
    if not text:
        return None
    try:
        return int(float(text))
    except ValueError as error:
        raise CircleError(f"Row {number} ({person_id}): level '{text}' is not a number.") from error


def _yes_no(text: str, number: int, person_id: str) -> bool:
    lowered = text.lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    raise CircleError(f"Row {number} ({person_id}): facilitator must be yes or no, not '{text}'.")


def _check_ids(signups: list[SignUp]) -> None:
    seen: set[str] = set()
    for signup in signups:
        if signup.id in seen:
            raise CircleError(f"The id '{signup.id}' appears twice; every sign-up needs its own id.")
        seen.add(signup.id)
