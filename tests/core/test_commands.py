"""The one spec: where the text grammar finds options, what a line becomes, and that forms state the
same limits as commands."""

from __future__ import annotations

from datetime import date, time

import pytest

from core import forms
from core.commands import SPECS, Refused, parse, read, read_line
from core.errors import UsageError
from core.requests import AddPeople, CheckIn, Contribute, PersonRef, PlaceBid, Schedule, SetQuietHours, Target
from core.vocabulary import ContributionKind, Urgency

TODAY = date(2026, 12, 1)


def test_options_are_declared_keys_at_either_end_and_the_middle_is_the_members_text() -> None:
    assert read_line("/circle checkin feeling in=between today", TODAY) == CheckIn("feeling in=between today")
    assert read_line("/circle checkin feeling good in=team-a", TODAY) == CheckIn(
        "feeling good", Target(circle="team-a")
    )
    assert read_line("/circle say kind=advice Try a pilot", TODAY) == Contribute("Try a pilot", ContributionKind.ADVICE)
    assert read_line("/circle say I'd say kind=advice is rare", TODAY) == Contribute("I'd say kind=advice is rare")
    assert read_line("/circle bid Saying no urgency=high minutes=30", TODAY) == PlaceBid("Saying no", Urgency.HIGH, 30)
    assert read_line("/circle checkin mood=fine", TODAY) == CheckIn("mood=fine")  # not a declared key


def test_mentions_are_people_where_a_person_is_asked_and_text_elsewhere() -> None:
    assert read_line("/circle add <@U1|Ben Smith> <@U2> role=facilitator", TODAY).people == (
        PersonRef("U1", "Ben Smith"),
        PersonRef("U2"),
    )
    assert read_line("/circle checkin thanks <@U1>", TODAY) == CheckIn("thanks <@U1>")
    assert read_line("/circle checkin thanks <@U1|Ben>", TODAY) == CheckIn("thanks @Ben")
    with pytest.raises(UsageError, match="mention the person"):
        read_line("/circle add <@U1> please", TODAY)


def test_positional_values_are_typed() -> None:
    assert read_line("/circle schedule 2026-12-24 10:00 tz=europe/berlin", TODAY) == Schedule(
        date(2026, 12, 24), time(10, 0), tz="Europe/Berlin"
    )
    assert read_line("/circle quiet 21:30 - 07:00", TODAY) == SetQuietHours((time(21, 30), time(7, 0)))
    with pytest.raises(UsageError, match="given twice"):
        parse("/circle bid x urgency=low urgency=high")
    with pytest.raises(UsageError, match="I didn't understand 'later'"):
        parse("/circle withdraw later")


def test_structured_options_are_read_by_the_same_spec() -> None:
    request = read(SPECS["add"], {"person": PersonRef("600", "Grace"), "in": "alpha"}, TODAY)
    assert request == AddPeople((PersonRef("600", "Grace"),), target=Target(circle="alpha"))
    with pytest.raises(Refused) as refused:
        read(SPECS["bid"], {"topic": "x" * 1001, "minutes": 999}, TODAY)
    assert refused.value.errors == {
        "topic": "That is too long: please keep it to 1000 characters.",
        "minutes": "Please give minutes you'd like as a whole number from 5 to 120.",
    }


def test_forms_take_their_limits_from_the_spec() -> None:
    bid = {i.name: i for i in forms.bid_form(1).inputs}
    spec = SPECS["bid"]
    minutes, topic = spec.param("minutes"), spec.param("topic")
    assert minutes is not None
    assert topic is not None
    assert bid["minutes"].integer_range == (minutes.low, minutes.high)
    assert bid["topic"].max_length == topic.limit
    note = {i.name: i for i in forms.commitment_note_form(1).inputs}
    assert [c.value for c in note["status"].choices] == ["in_progress", "stuck", "dropped", "done"]


def test_usage_is_generated_from_the_parameters() -> None:
    assert SPECS["bid"].usage == "/circle bid TOPIC [urgency=low|medium|high] [minutes=5-120] [in=NAME]"
    assert SPECS["nudges"].usage == "/circle nudges on|off|pause [DAYS]"
