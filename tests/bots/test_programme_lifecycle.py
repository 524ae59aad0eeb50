"""A programme's whole life on the fake Slack and the fake Discord, on SQLite and PostgreSQL: thirty
people sign up through the platform, the lead forms the circles in chat and confirms, everyone
accepts, each circle's series is scheduled inside every member's working hours, the clock moves
through every meeting (run by the members through real inbound requests), the last meeting closes
the circle out, its space is archived read-only, and nobody hears from the bot again. A module
circle stops after its second session.

The scenario's machinery (people, platforms, inbox, clock) is `tests/fakes/programme_run.py`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.clock import ManualClock
from core.db import Database
from core.models import Commitment, Meeting, Person, ProgrammeSignUp
from core.vocabulary import CircleStatus, CommitmentStatus, MeetingState
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

PROGRAMME = "spring"
PEOPLE = workspace_people(31)  # the programme's lead, and thirty who sign up
LEAD, SIGNING_UP = PEOPLE[0], PEOPLE[1:]
FORMAT, MEETINGS = "peer-coaching", 4


@pytest.fixture(params=["slack", "discord"])
async def chat(
    request: pytest.FixtureRequest, db: Database, clock: ManualClock, discord_spec: DiscordSpec
) -> AsyncIterator[Chat]:
    if request.param == "slack":
        async with slack_chat(db, clock, PEOPLE) as slack:
            yield slack
    else:
        async with discord_chat(db, clock, PEOPLE, discord_spec) as discord:
            yield discord


async def sign_ups(chat: Chat) -> list[ProgrammeSignUp]:
    async with chat.app.db.unit_of_work() as uow:
        return list(await uow.session.scalars(select(ProgrammeSignUp).order_by(ProgrammeSignUp.id)))


async def open_programme(chat: Chat, fmt: str = FORMAT, meetings: int = MEETINGS) -> None:
    answer = await chat.says(LEAD, f"programme {PROGRAMME} format={fmt} meetings={meetings}")
    assert "open for sign-ups" in answer.text, answer.text


async def everyone_signs_up(chat: Chat) -> None:
    for someone in SIGNING_UP:
        assert f"signed up for '{PROGRAMME}'" in await signs_up(chat, someone, PROGRAMME)


# On main as it stands (until form, series and closeout land): sign-ups and one whole meeting.


async def test_thirty_people_sign_up_through_the_platform(chat: Chat) -> None:
    await open_programme(chat)
    stranger = SIGNING_UP[0]
    wrong = await chat.says(stranger, "signup autumn")
    assert wrong.form is None
    assert "no programme called 'autumn'" in wrong.text
    opened = await chat.says(stranger, f"signup {PROGRAMME}")
    refused = await chat.submits(stranger, opened, {**stranger.sign_up_values(), "timezone": "Mars/Olympus"})
    assert "time zone" in refused.text
    assert await sign_ups(chat) == []  # a refused form stores nothing

    await everyone_signs_up(chat)
    again = SIGNING_UP[3]
    assert "updated" in await signs_up(chat, again, PROGRAMME)  # signing up twice edits

    entries = await sign_ups(chat)
    assert len(entries) == 30
    async with chat.app.db.unit_of_work() as uow:
        people = {p.external_id: p for p in await uow.session.scalars(select(Person))}
    for someone in SIGNING_UP:
        person = people[chat.user(someone)]
        assert (person.department, person.level, person.timezone) == (
            someone.department,
            someone.level,
            someone.timezone,
        )
    assert sum(e.facilitator for e in entries) == sum(s.facilitator for s in SIGNING_UP)
    listed = await chat.says(LEAD, f"signups {PROGRAMME}")
    assert "30 signed up" in listed.text
    not_lead = await chat.says(stranger, f"signups {PROGRAMME}")
    assert "Only the lead" in not_lead.text
    assert chat.violations() == []


async def test_a_whole_meeting_run_by_its_members_through_the_platform(chat: Chat) -> None:
    """What every meeting of the programme below goes through, on main as it stands: a circle made
    by hand, its members invited and accepting in their DMs, and one meeting run start to close."""
    lead, members = LEAD, SIGNING_UP[:4]
    assert "is set up" in (await chat.says(lead, f"new team-a format={FORMAT}")).text
    invited = await chat.says(lead, "add " + " ".join(chat.mention(m) for m in members) + " in=team-a")
    assert "Invited" in invited.text, invited.text
    for member in members:
        assert await chat.accepts_invitations(member) == 1
        assert await chat.accepts_invitations(member) == 0  # each invitation once
    day = chat.clock.now() + timedelta(days=2)
    assert "scheduled" in (await chat.says(lead, f"schedule {day:%Y-%m-%d} 10:00 tz=UTC in=team-a")).text
    [meeting] = await chat.series(["team-a"])
    assert meeting.start is not None
    await chat.run_until(meeting.start)
    assert chat.inbox.of(chat.user(members[0]))  # the reminder, the check-in…

    [meeting] = await chat.series(["team-a"])
    assert meeting.facilitator is not None
    facilitator = chat.by_user(meeting.facilitator)
    closed = await runs_meeting(chat, "team-a", facilitator, [lead, *members], 1)
    assert "is closed" in closed

    space = chat.space_of("team-a")
    assert chat.space_members(space) == {chat.user(p) for p in [lead, *members]}
    async with chat.app.db.unit_of_work() as uow:
        states = list(await uow.session.scalars(select(Meeting.state)))
        commitments = list(await uow.session.scalars(select(Commitment.text)))
    assert states == [MeetingState.CLOSED]
    assert commitments == ["Act on issue 1"]
    outsiders = {chat.user(p) for p in SIGNING_UP[4:]}
    assert not [r for r in chat.inbox.received if r.user in outsiders]  # nobody else heard a word
    assert chat.violations() == []


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


@pytest.mark.xfail(strict=False, reason="waiting for /circle form (form), the series (series) and the end (closeout)")
async def test_a_programme_from_thirty_sign_ups_to_its_end(chat: Chat) -> None:
    await open_programme(chat)
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
        assert circle.format_key == FORMAT
        assert circle.meeting_count == MEETINGS
        placed[circle.name] = await chat.members_of(circle.name)
        assert 5 <= len(placed[circle.name]) <= 7
    assert sorted(p.index for members in placed.values() for p in members) == [p.index for p in SIGNING_UP]
    for name, members in placed.items():
        assert chat.space_members(chat.space_of(name)) == {chat.user(m) for m in members}
        for member in members:  # each member's .ics: the circle's series as one recurring event
            [(filename, content)] = chat.calendar_files(member)
            assert filename == f"{name}.ics"
            assert f"COUNT={MEETINGS}".encode() in content

    series = await chat.series(names)
    assert len(series) == 5 * MEETINGS
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
        if meeting.number < MEETINGS:
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
    assert held == 5 * MEETINGS
    assert statuses == [CommitmentStatus.CARRIED_OVER]  # handed back to its owner at the end
    chat.clock.advance(timedelta(minutes=1))
    await chat.run_until(max(ended.values()) + timedelta(weeks=12))  # weeks go by, the scheduler ticking
    circle_of = {chat.user(p): name for name, members in placed.items() for p in members}
    late = [r for r in chat.inbox.received if r.user in circle_of and r.at > ended[circle_of[r.user]]]
    assert late == []  # from its end on, nobody in a circle heard from the bot again
    assert {r.user for r in chat.inbox.received} >= set(circle_of)  # while it ran, everyone did
    again = await chat.says(placed[names[0]][0], f"start in={names[0]}")
    assert "has ended" in again.text
    assert chat.violations() == []


@pytest.mark.xfail(strict=False, reason="waiting for the end of a module circle after session 2 (closeout)")
@pytest.mark.parametrize("chat", ["slack"], indirect=True)  # the programme above ends on both platforms
async def test_a_module_circle_stops_after_its_second_session(chat: Chat) -> None:
    lead, members = LEAD, SIGNING_UP[:4]
    assert "is set up" in (await chat.says(lead, "new mod-a format=module")).text
    await chat.says(lead, "add " + " ".join(chat.mention(m) for m in members) + " in=mod-a")
    for member in members:
        await chat.accepts_invitations(member)
    for number in (1, 2):
        day = chat.clock.now() + timedelta(days=30)
        await chat.says(lead, f"schedule {day:%Y-%m-%d} 10:00 tz=UTC in=mod-a")
        meeting = next(m for m in await chat.series(["mod-a"]) if m.number == number)
        assert meeting.start is not None
        assert meeting.facilitator is not None
        await chat.run_until(meeting.start)
        facilitator = chat.by_user(meeting.facilitator)
        if number == 1:
            closed = await runs_meeting(chat, "mod-a", facilitator, [lead, *members], number, rounds=False)
            assert "Meeting 1 is closed" in closed
        else:
            assert "has ended" in await runs_close_out(chat, "mod-a", facilitator, members[:1])
    ended_at = chat.clock.now()
    third = await chat.says(lead, "start in=mod-a")
    assert "is open" not in third.text
    assert "ended" in third.text
    async with chat.app.db.unit_of_work() as uow:
        numbers = list(await uow.session.scalars(select(Meeting.number).order_by(Meeting.number)))
    assert numbers == [1, 2]  # no third "Session 2"
    [circle] = await chat.circles()
    assert circle.status == CircleStatus.CLOSED
    assert chat.is_archived_read_only(chat.space_of("mod-a"))
    chat.clock.advance(timedelta(minutes=1))
    await chat.run_until(ended_at + timedelta(weeks=8))
    everyone = {chat.user(p) for p in [lead, *members]}
    assert [r for r in chat.inbox.after(ended_at) if r.user in everyone] == []
    assert chat.violations() == []
