"""Two full meeting cycles of a circle spread over six time zones, with the clock skipped from one
due moment to the next: every reminder, check-in, nudge and feedback request arrives once, at its
moment in the recipient's own day, and check-in answers reach the next meeting's report-back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.clock import ManualClock
from core.db import Database
from core.forms import Action
from core.models import Commitment, Meeting, Person
from core.scheduling.hours import Hours
from core.scheduling.scheduler import Scheduler
from core.service import CircleService
from core.vocabulary import MeetingState
from tests.core.test_meeting_flow import form_circle, run_meeting
from tests.fakes.members import Member, cast
from tests.fakes.recording_port import RecordingPort
from tests.fakes.timeline import Timeline
from tests.fakes.wiring import connected

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", None, "Europe/Helsinki", "Australia/Sydney"]
MEETING_1 = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)  # 15:00 in Berlin
MEETING_2 = datetime(2026, 12, 23, 14, 0, tzinfo=UTC)


def at(day: int, hour: int, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def local_hour(moment: datetime, zone: str | None) -> float:
    local = moment.astimezone(ZoneInfo(zone or "UTC"))
    return local.hour + local.minute / 60


async def commitments(db: Database, meeting_number: int) -> list[tuple[Commitment, str]]:
    async with db.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(Commitment, Person.external_id)
            .join(Person, Person.id == Commitment.person_id)
            .join(Meeting, Meeting.id == Commitment.meeting_id)
            .where(Meeting.number == meeting_number)
            .order_by(Commitment.id)
        )
        return [(c, user) for c, user in rows]


async def test_two_meeting_cycles_reach_everyone_at_their_local_time(
    service: CircleService, clock: ManualClock, port: RecordingPort, db: Database
) -> None:
    people = cast(service, 6)
    lead = people[0]
    zone_of = {p.user: zone for p, zone in zip(people, ZONES, strict=True)}
    timeline = Timeline(connected(Scheduler(service, max_inline_wait=0)), clock, port)
    await form_circle(service, "peer-coaching", lead, people[1:])
    for person, zone in zip(people, ZONES, strict=True):
        if zone:
            await person.says(f"/circle timezone {zone}")
    assert "scheduled" in await lead.says("/circle schedule 2026-12-03 15:00 tz=Europe/Berlin")

    await timeline.run_until(MEETING_1)

    # Only Dana, whose zone we don't know, is asked for it; once.
    assert [s.target for _, s in timeline.dms(containing="time zone")] == [people[3].user]
    assert [when for when, _ in timeline.posts("Bids are open for meeting 1")] == [MEETING_1 - timedelta(hours=48)]
    reminders = {p.user: [when for when, _ in timeline.dms(p.user, "Meeting 1 of")] for p in people}
    day_before, hour_before = MEETING_1 - timedelta(hours=24), MEETING_1 - timedelta(hours=1)
    assert reminders == {
        people[0].user: [day_before, hour_before],  # Berlin 15:00 and 14:00
        people[1].user: [day_before, hour_before],  # New York 09:00 and 08:00
        people[2].user: [at(2, 23)],  # Tokyo: 23:00 is quiet, so 08:00 next morning; the 1 h one would be at 22:00
        people[3].user: [day_before, hour_before],  # no zone: the workspace's (UTC)
        people[4].user: [day_before, hour_before],  # Helsinki 16:00 and 15:00
        people[5].user: [at(2, 21)],  # Sydney: 01:00 → 08:00; the meeting itself is at 01:00 there
    }
    reminder = timeline.dms(people[1].user, "Meeting 1 of")[0][1]
    assert "09:00 EST" in reminder.text
    assert "Agenda" in reminder.text
    assert reminder.message is not None
    assert any(b.label == "Bring an issue" for b in reminder.message.blocks[-1].buttons)  # type: ignore[union-attr]

    clock.set(MEETING_1)
    await run_meeting(service, clock, people, "peer-coaching", 1)
    closed = clock.now()
    assert "scheduled" in await lead.says("/circle schedule 2026-12-23 15:00 tz=Europe/Berlin")
    first = await commitments(db, 1)
    assert len(first) == 2
    midway = closed + (MEETING_2 - closed) / 2

    await timeline.run_until(midway + timedelta(days=1))
    feedback = {s.target: when for when, s in timeline.dms(containing="How was meeting 1")}
    assert feedback[people[0].user] == closed + timedelta(hours=2)
    assert feedback[people[2].user] == at(3, 23)  # 03:00 in Tokyo → 08:00
    assert len(feedback) == 6
    for commitment, user in first:
        check_ins = timeline.dms(user, "How is your commitment from team-peer-coaching going")
        assert len(check_ins) == 1
        assert f"#{commitment.id}" in check_ins[0][1].text
        assert 8 <= local_hour(check_ins[0][0], zone_of[user]) < 21
    # Between meetings: one commitment is done, the other is stuck and asks the circle for help.
    done_by, stuck_by = (Member(service, user, user) for _, user in first)
    assert "done" in (await done_by.presses(Action.SET_COMMITMENT_STATUS, f"{first[0][0].id}:done"))[0]
    assert "stuck" in (await stuck_by.presses(Action.SET_COMMITMENT_STATUS, f"{first[1][0].id}:stuck"))[0]
    assert any(f"is stuck* on #{first[1][0].id}" in t for t in port.texts("post"))

    await timeline.run_until(MEETING_2)

    # The one who answered "done" hears nothing more; the stuck one is asked again, then nudged.
    done_dms = timeline.dms(done_by.user, f"#{first[0][0].id}")
    assert len(done_dms) == 1
    stuck_dms = [when for when, _ in timeline.dms(stuck_by.user, f"#{first[1][0].id}")]
    zone = zone_of[stuck_by.user]
    assert len(stuck_dms) == 3
    hours = Hours(ZoneInfo(zone or "UTC"))
    assert stuck_dms[1:] == [
        hours.next_allowed_moment(MEETING_2 - timedelta(days=2)),
        hours.next_allowed_moment(MEETING_2 - timedelta(days=1)),
    ]
    nudge = timeline.dms(stuck_by.user, "has anything moved")[0][1].text  # they answered: never "we haven't heard"
    assert f"Last time you said #{first[1][0].id} was stuck" in nudge
    assert all(8 <= local_hour(when, zone) < 21 for when in stuck_dms)
    assert len(timeline.dms(containing="Meeting 2 of")) == 10  # 24 h and 1 h, but only 24 h for Tokyo and Sydney

    clock.set(MEETING_2)
    await run_meeting(service, clock, people, "peer-coaching", 2)
    opening = timeline.port.of_kind("post")
    report = next(s.text for s in opening if "Meeting 2 of" in s.text and "is open" in s.text)
    assert f"#{first[0][0].id} Talk to my manager (done" in report
    assert f"#{first[1][0].id} Talk to my manager (stuck" in report
    await timeline.run_until(clock.now() + timedelta(days=1))
    assert len(timeline.dms(containing="How was meeting 2")) == 6

    # Every DM of both cycles: once each, inside the recipient's waking hours (invitations answer the
    # lead's own action at that moment, so they are not the scheduler's to time).
    for when, sent in timeline.dms():
        if "invites you" in sent.text:
            continue
        assert 8 <= local_hour(when, zone_of[sent.target]) < 21, (when, sent.target, sent.text[:60])
    moments = [(when, s.target, s.text) for when, s in timeline.dms()]
    assert len(moments) == len(set(moments))
    async with db.unit_of_work() as uow:
        states = list(await uow.session.scalars(select(Meeting.state).order_by(Meeting.number)))
    assert states == [MeetingState.CLOSED, MeetingState.CLOSED]
