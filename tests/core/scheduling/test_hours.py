"""Quiet hours and weekends in a person's own zone, across DST changes and odd offsets."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from core.models import Person, Workspace
from core.scheduling.hours import Hours, hours_of, zone_named
from core.service import CircleService
from tests.fakes.members import cast

BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        (utc(2026, 12, 1, 12, 0), utc(2026, 12, 1, 12, 0)),  # 13:00 in Berlin: fine
        (utc(2026, 12, 1, 20, 0), utc(2026, 12, 2, 7, 0)),  # 21:00: quiet until 08:00 tomorrow
        (utc(2026, 12, 1, 23, 30), utc(2026, 12, 2, 7, 0)),  # 00:30: quiet until 08:00 today
        (utc(2026, 12, 2, 6, 59), utc(2026, 12, 2, 7, 0)),  # 07:59
        (utc(2026, 12, 2, 7, 0), utc(2026, 12, 2, 7, 0)),  # 08:00 sharp is allowed
        (utc(2026, 3, 28, 22, 0), utc(2026, 3, 29, 6, 0)),  # spring forward night: 08:00 CEST
        (utc(2026, 10, 24, 21, 0), utc(2026, 10, 25, 7, 0)),  # fall back night: 08:00 CET
    ],
)
def test_quiet_hours_in_berlin(moment: datetime, allowed: datetime) -> None:
    assert Hours(BERLIN).next_allowed_moment(moment) == allowed


def test_quiet_weekends_move_to_monday_morning() -> None:
    hours = Hours(BERLIN, weekends_quiet=True)
    friday_night = utc(2026, 12, 4, 21, 0)
    assert hours.next_allowed_moment(friday_night).astimezone(BERLIN) == datetime(2026, 12, 7, 8, 0, tzinfo=BERLIN)
    assert hours.next_allowed_moment(utc(2026, 12, 5, 12, 0)) == utc(2026, 12, 7, 7, 0)
    assert Hours(BERLIN).next_allowed_moment(utc(2026, 12, 5, 12, 0)) == utc(2026, 12, 5, 12, 0)


def test_a_quiet_time_within_the_day_and_none_at_all() -> None:
    lunch = Hours(BERLIN, quiet_from=time(12, 0), quiet_until=time(13, 0))
    assert lunch.next_allowed_moment(utc(2026, 12, 1, 11, 30)) == utc(2026, 12, 1, 12, 0)
    assert lunch.next_allowed_moment(utc(2026, 12, 1, 22, 0)) == utc(2026, 12, 1, 22, 0)
    always = Hours(BERLIN, quiet_from=time(0, 0), quiet_until=time(0, 0))
    assert always.next_allowed_moment(utc(2026, 12, 1, 2, 0)) == utc(2026, 12, 1, 2, 0)


def test_quarter_hour_zones_and_the_date_line() -> None:
    kathmandu = Hours(ZoneInfo("Asia/Kathmandu"))  # UTC+05:45
    assert kathmandu.next_allowed_moment(utc(2026, 12, 1, 0, 0)) == utc(2026, 12, 1, 2, 15)
    kiritimati = Hours(ZoneInfo("Pacific/Kiritimati"))  # UTC+14
    assert kiritimati.next_allowed_moment(utc(2026, 12, 1, 8, 0)).astimezone(kiritimati.zone).hour == 8


def test_no_known_zone_falls_back_to_the_workspace_then_utc() -> None:
    workspace = Workspace(default_timezone="America/Chicago")
    person = Person(timezone=None, quiet_from=time(21, 0), quiet_until=time(8, 0), weekends_quiet=False)
    assert hours_of(person, workspace).zone.key == "America/Chicago"
    person.timezone = "Not/AZone"
    assert hours_of(person, workspace).zone.key == "America/Chicago"
    assert zone_named("", "Also/Wrong").key == "UTC"


@given(
    st.datetimes(
        min_value=datetime(2026, 1, 1),  # noqa: DTZ001 (hypothesis bounds are naive; the values get UTC)
        max_value=datetime(2028, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]),
    st.booleans(),
)
def test_the_allowed_moment_is_never_earlier_never_quiet_and_within_three_days(
    moment: datetime, zone: str, weekends: bool
) -> None:
    hours = Hours(ZoneInfo(zone), weekends_quiet=weekends)
    allowed = hours.next_allowed_moment(moment)
    assert allowed >= moment
    assert not hours.is_quiet(allowed)
    assert (allowed - moment).total_seconds() <= 3 * 86400


async def test_a_member_sets_quiet_hours_and_weekends_and_bad_input_changes_nothing(service: CircleService) -> None:
    ana = cast(service, 1)[0]
    assert "from 22:30 to 07:00 and all weekend" in await ana.says("/circle quiet 22:30-07:00 weekends=on")
    for bad, says in (
        ("/circle quiet late", "like 21:00-08:00"),
        ("/circle quiet 25:00-07:00", "00:00 to 23:59"),
        ("/circle quiet 22:00-07:00 weekends=sometimes", "on or off"),
        ("/circle quiet", "Usage: /circle quiet"),
    ):
        assert says in await ana.says(bad)
    async with service.db.unit_of_work() as uow:
        person = await uow.session.scalar(select(Person).where(Person.external_id == ana.user))
    assert person is not None
    assert (person.quiet_from, person.quiet_until, person.weekends_quiet) == (time(22, 30), time(7, 0), True)
