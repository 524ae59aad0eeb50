"""A programme's whole life on the fake Slack and the fake Discord, on SQLite and PostgreSQL: thirty
people sign up through the platform, the lead forms the circles in chat and confirms, everyone
accepts, each circle's series is scheduled inside every member's working hours, the clock moves
through every meeting (run by the members through real inbound requests), the last meeting closes
the circle out, its space is archived read-only, and nobody hears from the bot again. On Slack the
programme is peer coaching (four meetings); on Discord it is module circles, which stop after their
second session. Bad and foreign requests on the way (a programme that isn't there, a form with a bad
time zone, someone other than the lead forming or confirming, confirming twice) change nothing.

The scenario's machinery (people, platforms, inbox, clock) is `tests/fakes/programme_run.py`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from core import forming
from core.clock import ManualClock
from core.db import Database
from core.models import Commitment, Meeting, Person, ProgrammeSignUp
from core.vocabulary import CircleStatus, CommitmentStatus, MeetingState, Platform
from tests.fakes.discord_spec import DiscordSpec
from tests.fakes.programme_run import (
    Chat,
    Someone,
    discord_chat,
    runs_close_out,
    runs_meeting,
    signs_up,
    slack_chat,
    within_working_hours,
    workspace_people,
)

pytestmark = pytest.mark.usefixtures("formation_engine")  # see tests/conftest.py

PROGRAMME = "spring"
PEOPLE = workspace_people(31)  # the programme's lead, and thirty who sign up
LEAD, SIGNING_UP = PEOPLE[0], PEOPLE[1:]
# Slack's programme is peer coaching, four meetings; Discord's is module circles, which hold two sessions
# and end: their second is the close-out, and nothing opens a third.
PROGRAMMES = {Platform.SLACK: ("peer-coaching", 4), Platform.DISCORD: ("module", 2)}


@pytest.fixture(params=["slack", "discord"])
async def chat(
    request: pytest.FixtureRequest,
    db: Database,
    clock: ManualClock,
    discord_spec: DiscordSpec,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Chat]:
    # The formation search is anytime: thirty people need a fraction of the 2 s a lead waits for, and
    # what is asserted (five circles of 5-7 inside everyone's hours) holds for whatever it finds.
    monkeypatch.setattr(forming, "TIME_BUDGET", 0.3)
    if request.param == "slack":
        async with slack_chat(db, clock, PEOPLE) as slack:
            yield slack
    else:
        async with discord_chat(db, clock, PEOPLE, discord_spec) as discord:
            yield discord


async def sign_ups(chat: Chat) -> list[ProgrammeSignUp]:
    async with chat.app.db.unit_of_work() as uow:
        return list(await uow.session.scalars(select(ProgrammeSignUp).order_by(ProgrammeSignUp.id)))


async def open_programme(chat: Chat, fmt: str, meetings: int) -> None:
    answer = await chat.says(LEAD, f"programme {PROGRAMME} format={fmt} meetings={meetings}")
    assert "open for sign-ups" in answer.text, answer.text


async def everyone_signs_up(chat: Chat) -> None:
    for someone in SIGNING_UP:
        assert f"signed up for '{PROGRAMME}'" in await signs_up(chat, someone, PROGRAMME)


async def forms_and_confirms(chat: Chat, stranger: Someone) -> str:
    """The lead's `/circle form`, seen only by them, then *Create these circles*; someone else's
    press and a second press of the lead's create nothing."""
    refused = await chat.says(stranger, f"form {PROGRAMME}")
    assert "Only the lead" in refused.text, refused.text
    proposal = await chat.says(LEAD, f"form {PROGRAMME}")
    assert "Circle 5" in proposal.text, proposal.text
    assert "Circle 6" not in proposal.text
    confirm = proposal.button("formation.confirm")
    assert "Only the lead" in (await chat.presses_answer_button(stranger, confirm)).text
    assert await chat.circles() == []
    confirmed = await chat.presses_answer_button(LEAD, confirm)
    assert "created already" in (await chat.presses_answer_button(LEAD, confirm)).text
    return confirmed.text


async def test_a_programme_from_thirty_sign_ups_to_its_end(chat: Chat) -> None:
    fmt, meetings = PROGRAMMES[chat.platform]
    await open_programme(chat, fmt, meetings)
    stranger = SIGNING_UP[0]
    wrong = await chat.says(stranger, "signup autumn")
    assert wrong.form is None
    assert "no programme called 'autumn'" in wrong.text
    opened = await chat.says(stranger, f"signup {PROGRAMME}")
    refused = await chat.submits(stranger, opened, {**stranger.sign_up_values(), "timezone": "Mars/Olympus"})
    assert "time zone" in refused.text
    assert await sign_ups(chat) == []  # a refused form stores nothing
    await everyone_signs_up(chat)
    assert "updated" in await signs_up(chat, SIGNING_UP[3], PROGRAMME)  # signing up twice edits
    entries = await sign_ups(chat)
    assert len(entries) == 30
    assert sum(e.facilitator for e in entries) == sum(s.facilitator for s in SIGNING_UP)
    async with chat.app.db.unit_of_work() as uow:
        people = {p.external_id: p for p in await uow.session.scalars(select(Person))}
    for someone in SIGNING_UP:
        person = people[chat.user(someone)]
        assert (person.department, person.level, person.timezone) == (
            someone.department,
            someone.level,
            someone.timezone,
        )

    created = await forms_and_confirms(chat, stranger)
    assert "5 circles created" in created, created
    for someone in SIGNING_UP:
        assert await chat.accepts_invitations(someone) == 1

    circles = await chat.circles()
    assert len(circles) == 5
    names = [c.name for c in circles]
    placed: dict[str, list[Someone]] = {}
    for circle in circles:
        assert circle.format_key == fmt
        assert circle.meeting_count == meetings
        placed[circle.name] = await chat.members_of(circle.name)
        assert 5 <= len(placed[circle.name]) <= 7
    assert sorted(p.index for members in placed.values() for p in members) == [p.index for p in SIGNING_UP]
    for name, members in placed.items():
        assert chat.space_members(chat.space_of(name)) == {chat.user(m) for m in members}
        for member in members:  # each member's .ics: the circle's series as one recurring event
            [(filename, content)] = chat.calendar_files(member)
            assert filename == f"{name}.ics"
            assert f"COUNT={meetings}".encode() in content

    series = await chat.series(names)
    assert len(series) == 5 * meetings
    for name, members in placed.items():  # rotation: volunteers first, nobody twice before everyone once
        leaders = [m.facilitator for m in sorted((m for m in series if m.circle == name), key=lambda m: m.number)]
        assert len(set(leaders)) == len(leaders), leaders
        volunteers = {chat.user(p) for p in members if p.facilitator}
        assert not volunteers or leaders[0] in volunteers
    for meeting in series:
        assert meeting.start is not None
        for member in placed[meeting.circle]:
            assert within_working_hours(meeting.start, meeting.minutes, member.timezone), (meeting, member)

    ended: dict[str, datetime] = {}
    for meeting in series:  # every meeting of every circle, in the order they fall
        assert meeting.start is not None
        await chat.run_until(meeting.start)
        [now] = [m for m in await chat.series([meeting.circle]) if m.number == meeting.number]
        assert now.facilitator is not None
        facilitator, members = chat.by_user(now.facilitator), placed[meeting.circle]
        if meeting.number < meetings:
            whole = meeting.number == 1 and meeting.circle == names[0]  # one whole round: the rest open and close
            closed = await runs_meeting(chat, meeting.circle, facilitator, members, meeting.number, rounds=whole)
            assert f"Meeting {meeting.number} is closed" in closed, closed
        else:
            closed = await runs_close_out(chat, meeting.circle, facilitator, members[:1])
            assert "has ended" in closed, closed
            ended[meeting.circle] = chat.clock.now()
            assert chat.is_archived_read_only(chat.space_of(meeting.circle))
    assert sorted(ended) == names

    for circle in await chat.circles():
        assert circle.status == CircleStatus.CLOSED
    async with chat.app.db.unit_of_work() as uow:
        held = await uow.session.scalar(select(func.count(Meeting.id)).where(Meeting.state == MeetingState.CLOSED))
        statuses = list(await uow.session.scalars(select(Commitment.status)))
    assert held == 5 * meetings
    assert statuses == [CommitmentStatus.CARRIED_OVER]  # handed back to its owner at the end
    chat.clock.advance(timedelta(minutes=1))
    await chat.run_until(max(ended.values()) + timedelta(weeks=12))  # weeks go by, the scheduler ticking
    circle_of = {chat.user(p): name for name, members in placed.items() for p in members}
    late = [r for r in chat.inbox.received if r.user in circle_of and r.at > ended[circle_of[r.user]]]
    assert late == []  # from its end on, nobody in a circle heard from the bot again
    assert chat.inbox.after(max(ended.values())) == []  # nor anyone else, the lead included, once all ended
    assert {r.user for r in chat.inbox.received} >= set(circle_of)  # while it ran, everyone did
    again = await chat.says(placed[names[0]][0], f"start in={names[0]}")
    assert "has ended" in again.text
    async with chat.app.db.unit_of_work() as uow:
        assert await uow.session.scalar(select(func.count(Meeting.id))) == 5 * meetings  # no meeting after the last
    assert chat.violations() == []
