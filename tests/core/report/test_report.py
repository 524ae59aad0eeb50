"""The programme report against a programme run through the core: every figure equals a count the
script kept itself; nothing anyone typed comes out; small groups are hidden; each viewer sees only
what is theirs."""

from __future__ import annotations

import asyncio
import copy
import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from core.clock import ManualClock
from core.db import Database
from core.models import Base, Circle, Contribution, DueItem, DueKind, DueState, Programme, ProgrammeEvaluation
from core.report.charts import HEIGHT_PX, WIDTH_PX, draw_all
from core.report.export import csv_bytes
from core.report.privacy import ALL_CIRCLES, TOO_FEW, Report, circle_report, programme_report
from core.scheduling.scheduler import Scheduler
from core.service import CircleService
from tests.conftest import START, DatabaseTemplate, copy_or_empty
from tests.fakes.programme import CANARY, PLANS, Seeded, Tally, people, seed_programme
from tests.fakes.recording_port import RecordingPort, Sent

LABELS = {"north": "Circle A", "south": "south", "tiny": "Circle C"}  # the lead runs south


def mean_abs_gini(counts: list[int]) -> float:
    """Gini as the mean absolute difference over twice the mean: another road to the same number."""
    n = len(counts)
    mean = sum(counts) / n
    return sum(abs(a - b) for a in counts for b in counts) / (2 * n * n * mean)


def band(times: int, held: int) -> str:
    if times == 0:
        return "none"
    if times == held:
        return "all"
    if 4 * times >= 3 * held:
        return "three_quarters_or_more"
    return "half_or_more" if 2 * times >= held else "under_half"


def expected_circle(tally: Tally, name: str) -> dict[tuple[str, int | None, str], float | None]:
    """Every figure of one circle, from the script's own tally, with the rule of three applied."""
    out: dict[tuple[str, int | None, str], float | None] = {}
    members = tally.members[name]
    k = len(members)

    def put(section: str, meeting: int | None, measure: str, people: int, value: float | None) -> None:
        out[section, meeting, measure] = value if people >= 3 else None

    held = tally.held[name]
    for n in range(1, held + 1):
        present = tally.checked_in[name, n]
        put("attendance", n, "checked_in", k, len(present))
        put("attendance", n, "attendance_rate", k, round(100 * len(present) / k, 1))
        spoke = tally.spoke[name, n]
        participants = present | set(spoke)
        counts = [spoke.get(p, 0) for p in participants]
        put("airtime", n, "balance", len(participants), round(1 - mean_abs_gini(counts), 3))
        for place, count in enumerate(sorted(counts, reverse=True), start=1):
            put("airtime", n, f"share_{place}", len(participants), round(100 * count / sum(counts), 1))
        ratings = tally.ratings[name, n]
        for r in range(1, 6):
            put("ratings", n, f"rating_{r}", len(ratings), ratings.count(r))
        put("ratings", n, "mean", len(ratings), round(sum(ratings) / len(ratings), 2))
    attended = Counter(p for n in range(1, held + 1) for p in tally.checked_in[name, n])
    bands = Counter(band(attended.get(p, 0), held) for p in members)
    for b in ("none", "under_half", "half_or_more", "three_quarters_or_more", "all"):
        put("attendance", None, f"members_attending_{b}", k, bands.get(b, 0))
    made = [c for n in range(1, held + 1) for c in tally.committed[name, n]]
    people = len({user for _, user in made})
    outcomes = Counter(tally.outcome_at_next[c] for c, _ in made if c in tally.outcome_at_next)
    reported = sum(outcomes.values())
    put("follow_through", None, "made", people, len(made))
    put("follow_through", None, "awaiting_report_back", people, len(made) - reported)
    for outcome in ("done", "in_progress", "stuck", "dropped", "carried_over"):
        share = round(100 * outcomes.get(outcome, 0) / reported, 1) if reported else 0.0
        put("follow_through", None, f"{outcome}_share", people, share)
    holders = Counter({user: tally.rounds[name, user] for user in members})
    for times, count in Counter(holders.values()).items():
        put("rounds", None, f"members_holding_{times}_rounds", k, count)
    return out


def published(report: Report, circle: str, *, per_meeting_follow_through: bool = False) -> dict:
    return {
        (r.section, r.meeting, r.measure): r.value
        for r in report.rows
        if r.circle == circle and (per_meeting_follow_through or not (r.section == "follow_through" and r.meeting))
    }


async def lead_report(db: Database, seeded: Seeded) -> Report:
    async with db.unit_of_work() as uow:
        programme = await uow.session.get(Programme, seeded.programme_id)
        assert programme is not None
        lead_id = programme.lead_id
        assert lead_id is not None
        return await programme_report(uow.session, programme, lead_id)


async def month_on(service: CircleService, clock: ManualClock, port: RecordingPort) -> list[Sent]:
    """A month later, and then through the lead's quiet hours: the digests that went out."""
    scheduler = Scheduler(service, max_inline_wait=0)
    clock.advance(timedelta(days=31))
    for _ in range(4):
        await scheduler.tick()
        due = await scheduler.next_due_at()
        if due is None or due - clock.now() > timedelta(hours=12):
            break
        clock.advance(max(due - clock.now(), timedelta(0)))
    return [s for s in port.of_kind("dm") if s.message is not None and "Monthly digest" in s.message.summary]


@dataclass(frozen=True)
class Built:
    """The seeded programme as it stood when the template was built: a test starts from a copy of
    the database, the clock where the seeding left it, and the script's own tally."""

    template: DatabaseTemplate
    port: RecordingPort
    now: datetime
    tally: Tally
    programme_id: int


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory, pg_admin_url: str | None) -> Iterator[Built | None]:
    """The programme is seeded once for the module (its seeding asserts every step) and each test gets a
    copy of that database: seeding is hundreds of requests, and most tests here only read the result.
    Where PostgreSQL refuses CREATE DATABASE, each test seeds its own instead."""
    try:
        template = DatabaseTemplate(tmp_path_factory.mktemp("seeded"), pg_admin_url)
    except DBAPIError:
        yield None
        return

    async def build() -> Built:
        database = Database(template.url)
        try:
            async with database.engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
            clock, port = ManualClock(START), RecordingPort()
            done = await seed_programme(CircleService(database, clock, lambda _workspace: port), clock)
        finally:
            await database.dispose()
        return Built(template, port, clock.now(), done.tally, done.programme_id)

    loop = asyncio.new_event_loop()
    try:
        built = loop.run_until_complete(build())
    finally:
        loop.close()
    yield built
    template.drop()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, pg_admin_url: str | None) -> Iterator[str]:
    """A copy of the seeded programme's database for a test that starts from it, else an empty one."""
    built = request.getfixturevalue("seeded_template") if "seeded" in request.fixturenames else None
    yield from copy_or_empty(built.template if built is not None else None, tmp_path, pg_admin_url)


@pytest.fixture
def port(request: pytest.FixtureRequest) -> RecordingPort:
    """The fake platform as the seeding left it (its spaces and DMs) for a test that starts from the copy."""
    built = request.getfixturevalue("seeded_template") if "seeded" in request.fixturenames else None
    return RecordingPort() if built is None else built.port.copied()


@pytest.fixture
async def seeded(seeded_template: Built | None, service: CircleService, clock: ManualClock) -> Seeded:
    if seeded_template is None:
        return await seed_programme(service, clock)
    clock.set(seeded_template.now)
    return Seeded(people(service), copy.deepcopy(seeded_template.tally), seeded_template.programme_id)


async def test_every_figure_matches_the_count_the_members_script_kept(seeded: Seeded, db: Database) -> None:
    report = await lead_report(db, seeded)
    tally = seeded.tally
    assert report.circles == tuple(LABELS[p.name] for p in PLANS)
    for plan in PLANS:
        assert published(report, LABELS[plan.name]) == expected_circle(tally, plan.name), plan.name
    # the tiny circle (two people) shows nothing at all
    assert all(r.value is None for r in report.rows if r.circle == "Circle C")
    # programme totals: only circles whose own figure is shown are added up
    shown = [p.name for p in PLANS if len(tally.members[p.name]) >= 3]
    for n in (1, 2, 3):
        within = [c for c in shown if tally.held[c] >= n]
        members = sum(len(tally.members[c]) for c in within)
        present = sum(len(tally.checked_in[c, n]) for c in within)
        assert report.find("attendance", ALL_CIRCLES, n, "checked_in").value == present  # type: ignore[union-attr]
        rate = report.find("attendance", ALL_CIRCLES, n, "attendance_rate")
        assert rate is not None
        assert rate.value == (round(100 * present / members, 1) if members >= 3 else None)
        ratings = [
            r
            for c in PLANS
            if (c.name, n) in tally.ratings and len(tally.ratings[c.name, n]) >= 3
            for r in tally.ratings[c.name, n]
        ]
        mean = report.find("ratings", ALL_CIRCLES, n, "mean")
        assert mean is not None
        assert mean.value == (round(sum(ratings) / len(ratings), 2) if len(ratings) >= 3 else None)
    evaluations = tally.evaluations
    assert report.find("evaluation", ALL_CIRCLES, None, "respondents").value == len(evaluations)  # type: ignore[union-attr]
    for score in range(1, 6):
        row = report.find("evaluation", ALL_CIRCLES, None, f"usefulness_{score}")
        assert row is not None
        assert row.value == sum(1 for e in evaluations if e[0] == score)
    assert report.find("evaluation", ALL_CIRCLES, None, "recommend_yes").value == sum(  # type: ignore[union-attr]
        1 for e in evaluations if e[1]
    )
    for amount in ("none", "some", "most", "all"):
        row = report.find("evaluation", ALL_CIRCLES, None, f"applied_{amount}")
        assert row is not None
        assert row.value == sum(1 for e in evaluations if e[2] == amount)
    # two ticked "share": fewer than three, so no words reach the lead
    assert report.shared_answers == ()
    assert TOO_FEW in report.shared_note


async def test_the_csv_and_the_charts_carry_the_same_figures(seeded: Seeded, db: Database) -> None:
    from PIL import Image

    report = await lead_report(db, seeded)
    lines = list(csv.DictReader(io.StringIO(csv_bytes(report).decode())))
    assert len(lines) == len(report.rows)
    for line, row in zip(lines, report.rows, strict=True):
        assert (line["section"], line["circle"], line["measure"], line["value"]) == (
            row.section,
            row.circle,
            row.measure,
            row.shown,
        )
    assert any(line["value"] == TOO_FEW for line in lines)
    charts = draw_all(report)
    assert [c.filename for c in charts] == ["attendance.png", "follow_through.png", "airtime.png", "ratings.png"]
    for chart in charts:
        image = Image.open(io.BytesIO(chart.png))
        image.load()
        assert (image.format, image.size) == ("PNG", (WIDTH_PX, HEIGHT_PX))
        assert chart.rows, chart.filename
        assert set(chart.rows) <= set(report.rows)
        assert all(row.value is not None for row in chart.rows)
    attendance = {(r.circle, r.meeting): r.value for r in charts[0].rows}
    tally = seeded.tally
    assert attendance[("Circle A", 2)] == round(100 * len(tally.checked_in["north", 2]) / 6, 1)
    assert ("Circle C", 1) not in attendance  # too few: not drawn either
    follow = {(r.circle, r.measure): r.value for r in charts[1].rows}
    assert set(c for c, _ in follow) == {"Circle A", "south", ALL_CIRCLES}
    for circle in ("Circle A", "south", ALL_CIRCLES):
        assert sum(v or 0 for (c, _), v in follow.items() if c == circle) == pytest.approx(100, abs=0.3)


async def test_no_text_anyone_typed_reaches_any_output(
    seeded: Seeded, service: CircleService, clock: ManualClock, port: RecordingPort, db: Database
) -> None:
    async with db.unit_of_work() as uow:
        typed = await uow.session.scalar(select(func.count()).where(Contribution.text.contains(CANARY)))
        evaluations = await uow.session.scalar(select(func.count()).where(ProgrammeEvaluation.text.contains(CANARY)))
    assert typed  # the canary was typed everywhere it could be
    assert evaluations
    port.clear()
    outputs = [
        await seeded.lead.says("/circle report spring monthly=on"),
        await seeded.person(1).says("/circle report in=north"),  # north's facilitator
        await seeded.lead.says("/circle report in=south"),
    ]
    sent = port.of_kind("files")
    assert [s.target for s in sent] == [seeded.lead.user, seeded.person(1).user, seeded.lead.user]
    for item in sent:
        outputs.append(item.text)
        for attachment in item.files:
            assert CANARY.encode() not in attachment.content
            outputs.append(attachment.content.decode("utf-8", errors="replace"))
    report = await lead_report(db, seeded)
    outputs.extend(repr(chart.rows) for chart in draw_all(report))
    # the monthly digest, a month on, through the scheduler's due items
    port.clear()
    digests = await month_on(service, clock, port)
    assert [d.target for d in digests] == [seeded.lead.user]
    outputs.append(digests[0].text)
    assert "Programme spring" in digests[0].text
    assert all(CANARY not in text for text in outputs)
    assert all("closing words" not in text for text in outputs)


async def test_the_digest_stops_when_turned_off_and_only_the_lead_can_ask(
    seeded: Seeded, service: CircleService, clock: ManualClock, port: RecordingPort, db: Database
) -> None:
    assert "every month" in await seeded.lead.says("/circle report spring monthly=on")
    assert "every month" in await seeded.lead.says("/circle report spring monthly=on")  # again: no duplicate
    assert "is off" in await seeded.lead.says("/circle report spring monthly=off")
    async with db.unit_of_work() as uow:
        pending = await uow.session.scalar(
            select(func.count()).where(DueItem.kind == DueKind.REPORT_DIGEST, DueItem.state == DueState.PENDING)
        )
    assert pending == 0
    port.clear()
    assert await month_on(service, clock, port) == []
    nosuch = await seeded.person(2).says("/circle report nosuch monthly=on")
    assert await seeded.person(2).says("/circle report spring monthly=on") == nosuch.replace("nosuch", "spring")
    assert "please choose on or off" in await seeded.lead.says("/circle report spring monthly=maybe")
    assert "for a programme's report" in await seeded.lead.says("/circle report monthly=on in=south")


async def test_a_facilitator_sees_only_their_circle_and_a_member_no_report(
    seeded: Seeded, port: RecordingPort, db: Database
) -> None:
    ben, chidi, lea = seeded.person(1), seeded.person(2), seeded.person(11)
    port.clear()
    reply = await ben.says("/circle report")
    assert "Circle north" in reply
    for other in ("south", "tiny", "Circle A", "Circle B", ALL_CIRCLES, "evaluation"):
        assert other not in reply
    csv_file = port.of_kind("files")[0].files[-1]
    circles = {line["circle"] for line in csv.DictReader(io.StringIO(csv_file.content.decode()))}
    assert circles == {"north"}
    assert "not in a circle called 'south'" in await ben.says("/circle report in=south")
    assert "Only the circle's facilitator or lead" in await chidi.says("/circle report")
    # a circle of two: every figure is hidden from its own facilitator too
    port.clear()
    assert TOO_FEW in await lea.says("/circle report")
    rows = list(csv.DictReader(io.StringIO(port.of_kind("files")[0].files[-1].content.decode())))
    assert rows
    assert {line["value"] for line in rows} == {TOO_FEW}
    async with db.unit_of_work() as uow:
        tiny = await uow.session.scalar(select(Circle).where(Circle.name == "tiny"))
        assert tiny is not None
        alone = await circle_report(uow.session, tiny)
    assert all(r.value is None for r in alone.rows)


async def test_a_non_lead_gets_the_answer_for_a_programme_that_does_not_exist(
    seeded: Seeded, port: RecordingPort
) -> None:
    port.clear()
    for person in (seeded.person(1), seeded.person(7), seeded.person(13)):
        missing = await person.says("/circle report autumn")
        assert missing == "There's no programme called 'autumn' here."
        assert await person.says("/circle report spring") == missing.replace("autumn", "spring")
    assert port.of_kind("files") == []
    service = seeded.lead.service
    home = (await service.home(seeded.lead.actor)).message.plain_text
    assert "Programmes you lead" in home
    assert "*spring*: 3 circles; attendance at meeting 3: 83.3%" in home
    assert CANARY not in home
    assert "Programmes you lead" not in (await service.home(seeded.person(1).actor)).message.plain_text


async def test_words_reach_the_lead_only_from_three_who_chose_to_share(
    service: CircleService, clock: ManualClock, port: RecordingPort, db: Database
) -> None:
    seeded = await seed_programme(service, clock, sharing=3)
    reply = await seeded.lead.says("/circle report spring")
    shared = [f"{CANARY} closing words {i}" for i in range(3)]
    kept = [f"{CANARY} closing words {i}" for i in range(3, 7)]
    assert all(text in reply for text in shared)
    assert not any(text in reply for text in kept)
    files = port.of_kind("files")[-1]
    assert CANARY not in files.text  # the message beside the files leaves the words out
    assert all(CANARY.encode() not in f.content for f in files.files)
    assert CANARY not in await seeded.person(1).says("/circle report")


async def test_the_closing_questions_form(seeded: Seeded, service: CircleService, db: Database) -> None:
    chidi, outsider = seeded.person(2), seeded.person(13)
    reply = await service.run_command(chidi.actor, "/circle evaluate spring")
    assert reply.form is not None
    assert [i.name for i in reply.form.inputs] == ["usefulness", "recommend", "applied", "text", "share"]
    missing = await outsider.says("/circle evaluate nosuch")
    assert await outsider.says("/circle evaluate spring") == missing.replace("nosuch", "spring")
    context = reply.form.context
    bad = await chidi.submits("evaluation", context, {"usefulness": "9", "recommend": "yes", "applied": "all"})
    assert "usefulness" in bad.errors
    bad = await chidi.submits("evaluation", context, {"usefulness": "3", "recommend": "maybe", "applied": "lots"})
    assert set(bad.errors) == {"recommend", "applied"}
    stranger = await outsider.submits("evaluation", context, {"usefulness": "5", "recommend": "yes", "applied": "all"})
    assert stranger.reply is not None
    assert "no programme called" in stranger.reply.message.plain_text
    again = await chidi.submits(
        "evaluation", context, {"usefulness": "5", "recommend": "yes", "applied": "all", "share": "no"}
    )
    assert again.reply is not None
    assert "are in" in again.reply.message.plain_text
    async with db.unit_of_work() as uow:
        answers = list(await uow.session.scalars(select(ProgrammeEvaluation).order_by(ProgrammeEvaluation.id)))
    assert len(answers) == len(seeded.tally.evaluations)  # answering again edits
    mine = next(a for a in answers if a.person_id == answers[1].person_id)
    assert (mine.usefulness, mine.would_recommend, mine.applied.value, mine.text) == (5, True, "all", "")


async def test_a_programme_with_nothing_yet_still_reports(service: CircleService, port: RecordingPort) -> None:
    from tests.fakes.members import cast

    lead, member = cast(service, 2)
    assert "open for sign-ups" in await lead.says("/circle programme empty")
    reply = await lead.says("/circle report empty")
    assert "0 circles: none yet" in reply
    assert f"Programme evaluation: {TOO_FEW}" in reply
    [sent] = port.of_kind("files")
    assert len(sent.files) == 5
    assert all(f.content for f in sent.files)
    assert await member.says("/circle report empty") == "There's no programme called 'empty' here."
