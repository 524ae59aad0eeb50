"""Reading sign-ups: every spreadsheet mistake becomes a sentence naming the row."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import CircleError
from core.formation.signups import parse_signups, read_signups, signups_from_records, utc_offset_hours

GOOD = """id,name,department,level,timezone,topics,manager_id,avoid,facilitator,past_circles,shoe_size
1,Ann,Eng,3,Europe/London,delegation; feedback,,,yes,c1;c2,42
2,Bob,Sales,4,America/New_York,,1,3,no,,43
3,Cat,,,,,,,,,
"""


def test_reads_every_column_and_ignores_unknown_ones() -> None:
    ann, bob, cat = parse_signups(GOOD)
    assert ann.topics == {"delegation", "feedback"}
    assert ann.facilitator
    assert ann.past_circles == {"c1", "c2"}
    assert bob.manager_id == "1"
    assert bob.avoid == {"3"}
    assert bob.level == 4
    assert (cat.department, cat.level, cat.timezone, cat.facilitator) == ("", None, "UTC", False)


def test_only_id_and_name_are_required() -> None:
    (only,) = parse_signups("id,name\n7,Gus\n")
    assert (only.id, only.name, only.timezone) == ("7", "Gus", "UTC")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("id,name\n", "nobody"),
        ("name,department\nAnn,Eng\n", "no id column"),
        ("id,department\n1,Eng\n", "no name column"),
        ("id,name\n1,Ann,extra\n", "Row 2 has more cells"),
        ("id,name,timezone\n1,Ann,Mars/Olympus\n", "Unknown time zone 'Mars/Olympus'"),
        ("id,name,level\n1,Ann,senior\n", "level 'senior' is not a number"),
        ("id,name,facilitator\n1,Ann,maybe\n", "facilitator must be yes or no"),
        ("id,name\n1,Ann\n1,Bob\n", "appears twice"),
        ("id,name\n,Ann\n", "Row 2 has no id"),
    ],
)
def test_bad_input_gets_a_readable_message(text: str, words: str) -> None:
    with pytest.raises(CircleError) as caught:
        parse_signups(text)
    assert words in caught.value.message


def test_missing_file_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(CircleError, match="No such file"):
        read_signups(tmp_path / "absent.csv")


def test_bot_records_use_the_same_rules() -> None:
    (signup,) = signups_from_records(
        [{"id": 5, "name": "Eve", "topics": ["a", "b"], "facilitator": True, "timezone": "Asia/Kolkata", "level": 2}]
    )
    assert signup.topics == {"a", "b"}
    assert signup.facilitator
    assert signup.utc_offset == 5.5


def test_offsets_come_from_one_reference_date() -> None:
    assert utc_offset_hours("Europe/London") == 0.0  # January: no summer time
    assert utc_offset_hours("Australia/Sydney") == 11.0


def test_a_stored_member_becomes_a_signup() -> None:
    from core.formation.signups import signup_from_person
    from core.models.circles import Person

    member = Person(id=9, external_id="U9", display_name="Ida", department="Ops", level=5, timezone="America/Chicago")
    signup = signup_from_person(member, topics=["hiring"], facilitator=True)
    assert (signup.id, signup.name, signup.department, signup.level) == ("9", "Ida", "Ops", 5)
    assert signup.utc_offset == -6.0
    assert signup.topics == {"hiring"}
