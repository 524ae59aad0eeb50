"""The outbox: a request's effects are rows of its own transaction, sent right after the commit and,
when that fails, later by the dispatcher, once, in their channel's order, under one pause per
rate-limit bucket, and never while outcomes cannot be written."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from core import effects as fx
from core import outbox
from core.clock import ManualClock
from core.db import Database
from core.messages import Actions, Attachment, Button, Fields, Heading, Message, Quote, Text, moment_token
from core.models import CheckIn, DueItem, DueKind, DueState, QuotedMessage
from core.outbox import FAST_LEASE
from core.port import MessageRef, RateLimited, Refused, SpaceRef, sending_key
from core.privacy.erase import CONFIRM_ERASE, ERASED
from core.scheduling.dispatcher import Dispatcher, Ledger
from core.service import CircleService
from tests.fakes.members import Member, cast, welcome
from tests.fakes.recording_port import RecordingPort


class GatedPort(RecordingPort):
    """Answers posts with whatever `answers` holds next (an exception, or None to accept), counts
    every call, and notes the outbox row each send carried."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[Exception | None] = []
        self.calls = 0
        self.keys: list[str | None] = []

    async def post(self, space: SpaceRef, message: Message) -> MessageRef:
        self.calls += 1
        self.keys.append(sending_key.get())
        if self.answers:
            answer = self.answers.pop(0)
            if answer is not None:
                raise answer
        return await super().post(space, message)

    def reset(self) -> None:
        self.clear()
        self.calls = 0
        self.keys.clear()


@pytest.fixture
def gated(service: CircleService) -> GatedPort:
    port = GatedPort()
    service.port_for = lambda _workspace: port
    return port


async def effect_rows(db: Database) -> list[DueItem]:
    async with db.unit_of_work() as uow:
        return list(
            await uow.session.scalars(select(DueItem).where(DueItem.kind == DueKind.EFFECT).order_by(DueItem.id))
        )


async def circle_of_two(service: CircleService, size: int = 2) -> list[Member]:
    people = cast(service, size)
    await people[0].says("/circle new team")
    await welcome(people[0], people[1:])
    await people[0].says("/circle start")
    return people


def test_every_effect_survives_its_trip_through_json() -> None:
    message = Message(
        (
            Heading("Bids are open"),
            Text("x" * 3000),
            Text(f"Next meeting {moment_token(datetime(2026, 12, 1, 13, 12, tzinfo=UTC))}"),
            Fields((("Topic", "y"),)),
            Quote("Ana", "z\n> w"),
            Actions((Button("Bring an issue", "bid.open", "7"),)),
        ),
        "summary",
        quoting=(2, 5),
    )
    every = [
        fx.OpenSpace(1),
        fx.AddToSpace(1, 2),
        fx.AddToSpace(1, 2, history=False),
        fx.RemoveFromSpace(1, 2),
        fx.ArchiveSpace(1),
        fx.PostToCircle(1, message),
        fx.StartThread(3),
        fx.PostInThread(3, message),
        fx.RefreshThreadHeader(3),
        fx.PublishMeeting(4),
        fx.WithdrawMeeting(4),
        fx.SendFiles(2, message, (Attachment("a.csv", bytes(range(256)), "text/csv", "A"),)),
        fx.ShowCheckIn(6),
        fx.TellPrivately(2, message),
        fx.RedactQuotes(2, "U2"),
    ]
    assert {type(e).__name__ for e in every} == set(outbox.EFFECT_TYPES)
    assert set(outbox.EFFECT_TYPES) == {cls.__name__ for cls in get_args(fx.Effect)}
    for effect in every:
        assert outbox.decode_effect(outbox.encode_effect(effect)) == effect
    carried = outbox.decode_effect(outbox.encode_effect(fx.PostToCircle(1, message)))
    assert isinstance(carried, fx.PostToCircle)
    assert carried.message.quoting == (2, 5)  # erasing them can still find where their words went
    no_history = {k: v for k, v in outbox.encode_effect(fx.AddToSpace(1, 2)).items() if k != "history"}
    assert outbox.decode_effect(no_history) == fx.AddToSpace(1, 2)  # a row written before the field


async def test_a_committed_requests_effects_are_rows_marked_sent_by_the_fast_path(
    service: CircleService, gated: GatedPort, db: Database
) -> None:
    people = await circle_of_two(service)
    gated.reset()
    assert "checked in" in await people[1].says("/circle checkin here and ready")
    rows = await effect_rows(db)
    assert {r.state for r in rows} == {DueState.SENT}
    assert len(gated.of_kind("post")) == 1
    assert gated.keys[-1] == f"o{rows[-1].id}"  # the row travels with its send (Discord's nonce)


async def test_a_refused_request_writes_no_row_and_sends_nothing(
    service: CircleService, gated: GatedPort, db: Database
) -> None:
    await circle_of_two(service)
    before = len(await effect_rows(db))
    gated.reset()
    outsider = Member(service, "UT1OUT", "Olga")
    answer = await outsider.says("/circle checkin not mine in=team")
    assert "checked in" not in answer
    assert len(await effect_rows(db)) == before
    assert gated.transcript == []


async def test_a_rate_limited_post_stays_in_the_outbox_and_goes_once_when_the_pause_ends(
    service: CircleService, gated: GatedPort, db: Database, clock: ManualClock
) -> None:
    people = await circle_of_two(service)
    gated.reset()
    gated.answers = [RateLimited(60)]
    assert "checked in" in await people[1].says("/circle checkin still answered at once")
    assert gated.of_kind("post") == []
    waiting = [r for r in await effect_rows(db) if r.state == DueState.PENDING]
    assert len(waiting) == 1
    dispatcher = Dispatcher(service, max_inline_wait=0)
    assert await dispatcher.tick() == 0  # not before its time
    clock.advance(timedelta(seconds=60))
    assert await dispatcher.tick() == 1
    assert await dispatcher.tick() == 0
    assert [t for t in gated.texts("post") if "still answered at once" in t] != []
    assert len(gated.of_kind("post")) == 1
    assert {r.state for r in await effect_rows(db)} == {DueState.SENT}


async def test_a_429_pauses_the_whole_bucket_and_one_send_probes_after_it(
    service: CircleService, gated: GatedPort, db: Database, clock: ManualClock
) -> None:
    leads = cast(service, 4)
    for n, lead in enumerate(leads):
        await lead.says(f"/circle new team-{n}")
        await lead.says("/circle start")
    gated.reset()
    gated.answers = [RateLimited(2.0)] * 1 + [RateLimited(2.0)] * 1  # two windows in a row
    naps: list[float] = []

    async def nap(seconds: float) -> None:  # the wire's clock moves as the meeting clock does
        naps.append(seconds)
        clock.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)

    dispatcher = Dispatcher(service, sleep=nap, max_inline_wait=5)
    dispatcher.monotonic = lambda: clock.now().timestamp()
    service.outbox = dispatcher
    calls_at: list[tuple[float, int]] = []
    real_post = gated.post

    async def watched(space: SpaceRef, message: Message) -> MessageRef:
        calls_at.append((clock.now().timestamp(), gated.calls))
        return await real_post(space, message)

    gated.post = watched  # type: ignore[method-assign]
    await asyncio.gather(*(lead.says("/circle checkin all at once") for lead in leads))
    assert len(gated.of_kind("post")) == 4  # all went, none lost
    first_429 = calls_at[0][0]
    in_first_window = [t for t, _ in calls_at if first_429 < t < first_429 + 2.0]
    assert len(in_first_window) <= 1
    assert gated.calls == 6  # four posts, two refused probes: nobody else knocked meanwhile
    assert all(r.state == DueState.SENT for r in await effect_rows(db))


async def test_a_refused_effect_is_recorded_once_and_not_retried(
    service: CircleService, gated: GatedPort, db: Database, clock: ManualClock
) -> None:
    people = await circle_of_two(service)
    gated.reset()
    gated.answers = [Refused("invalid_blocks")]
    await people[1].says("/circle checkin something the platform will not take")
    last = (await effect_rows(db))[-1]
    assert last.state == DueState.UNDELIVERABLE
    assert "invalid_blocks" in last.last_error
    assert await Dispatcher(service).tick() == 1  # the one notice to the circle's lead, nothing resent
    told = gated.of_kind("dm")
    assert [s.target for s in told] == [people[0].user]
    assert "refused a message" in told[0].text
    clock.advance(timedelta(hours=2))
    assert await Dispatcher(service).tick() == 0
    assert gated.calls == 1


async def test_a_channels_order_holds_when_an_earlier_message_waits(
    service: CircleService, gated: GatedPort, db: Database, clock: ManualClock
) -> None:
    people = await circle_of_two(service, 5)
    gated.reset()
    gated.answers = [RateLimited(30)]
    for n in range(4):
        assert "checked in" in await people[n + 1].says(f"/circle checkin message number {n}")
    assert gated.texts("post") == []  # the later ones waited behind the first
    clock.advance(timedelta(seconds=30))
    dispatchers = [Dispatcher(service, worker=f"w{n}", max_inline_wait=0) for n in range(2)]
    await asyncio.gather(*(d.tick() for d in dispatchers))
    await asyncio.gather(*(d.tick() for d in dispatchers))
    said = [t for t in gated.texts() if "message number" in t]
    assert [int(t.rsplit("message number ", 1)[1][0]) for t in said] == [0, 1, 2, 3]


async def test_while_outcomes_cannot_be_written_nothing_more_is_sent(
    service: CircleService, gated: GatedPort, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = await circle_of_two(service, 4)
    gated.reset()
    timeline: list[str] = []
    failures = Counter[str]()
    real_write = Ledger._write

    async def flaky_write(self: Ledger, batch: list[Any], pauses: Any = None) -> None:
        if failures["n"] < 3:
            failures["n"] += 1
            timeline.append("write failed")
            raise OperationalError("UPDATE", {}, ConnectionRefusedError("database refused"))
        await real_write(self, batch, pauses)
        timeline.append("written")

    monkeypatch.setattr(Ledger, "_write", flaky_write)
    real_post = gated.post

    async def noted(space: SpaceRef, message: Message) -> MessageRef:
        timeline.append("sent")
        return await real_post(space, message)

    gated.post = noted  # type: ignore[method-assign]
    replies = await asyncio.gather(*(people[n + 1].says(f"/circle checkin during the outage {n}") for n in range(3)))
    assert all("checked in" in reply for reply in replies), replies
    first_failure = timeline.index("write failed")
    recovered = timeline.index("written")
    assert "sent" not in timeline[first_failure + 1 : recovered]  # paused while outcomes could not be written
    # What the fast path could not settle in time waits in the outbox for the dispatcher, once its lease ends.
    assert isinstance(service.clock, ManualClock)
    service.clock.advance(FAST_LEASE + timedelta(seconds=1))
    await Dispatcher(service).tick()
    assert len(gated.of_kind("post")) == 3
    rows = await effect_rows(db)
    assert all(r.state == DueState.SENT for r in rows)
    assert await Dispatcher(service).tick() == 0  # nothing left to send twice


async def test_a_pause_one_worker_was_given_holds_the_other_workers_too(
    service: CircleService, gated: GatedPort, db: Database, clock: ManualClock
) -> None:
    leads = cast(service, 2)
    for n, lead in enumerate(leads):
        await lead.says(f"/circle new team-{n}")
        await lead.says("/circle start")
    gated.reset()
    first, second = Dispatcher(service, worker="first"), Dispatcher(service, worker="second")
    service.outbox = first
    gated.answers = [RateLimited(30)]
    await leads[0].says("/circle checkin told to wait")
    service.outbox = second  # another process, the same workspace's bucket
    await leads[1].says("/circle checkin must wait too")
    assert gated.calls == 1  # the second worker never knocked during the first one's pause
    clock.advance(timedelta(seconds=31))  # the second holds a moment longer: the first one probes first
    await first.tick()
    await second.tick()
    assert sorted(t for t in gated.texts("post")) == ["Ana: told to wait", "Ben: must wait too"]


async def test_a_check_ins_post_and_the_words_it_quotes_are_recorded_with_its_send(
    service: CircleService, gated: GatedPort, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ShowCheckIn's message ref (so checking in again edits it) and the quoted-message row (so
    erasure can reach it) are written in the statement that marks the row sent, never before."""
    people = await circle_of_two(service)
    written: list[list[Any]] = []
    real_write = Ledger._write

    async def noted(self: Ledger, batch: list[Any], pauses: dict[str, Any] | None = None) -> None:
        written.append([s.saved for s in batch])
        await real_write(self, batch, pauses)

    monkeypatch.setattr(Ledger, "_write", noted)
    gated.reset()
    assert "checked in" in await people[1].says("/circle checkin first words")
    [post] = gated.of_kind("post")
    saved = [s for batch in written for s in batch if s is not None and s.table == "check_in"]
    assert len(saved) == 1
    assert saved[0].quoted
    async with db.unit_of_work() as uow:
        entry = await uow.session.scalar(select(CheckIn))
        assert entry is not None
        assert entry.message_ref is not None
        quoted = list(await uow.session.scalars(select(QuotedMessage)))
    assert [(q.person_id, q.message_ref) for q in quoted] == [(entry.person_id, entry.message_ref)]
    assert "first words" in post.text

    gated.reset()
    assert "checked in" in await people[1].says("/circle checkin second words")
    assert gated.of_kind("post") == []  # edited in place, not posted again
    assert ["second words" in u.text for u in gated.of_kind("update")] == [True]

    gated.reset()
    async with db.unit_of_work() as uow:
        ident = await uow.session.scalar(select(CheckIn.person_id))
    assert "your words are erased" in (await people[1].presses(CONFIRM_ERASE, str(ident)))[0]
    assert [ERASED in u.text for u in gated.of_kind("update")] == [True]  # RedactQuotes, through the outbox
    async with db.unit_of_work() as uow:
        assert list(await uow.session.scalars(select(QuotedMessage))) == []  # dealt with, in the same write
    assert {r.state for r in await effect_rows(db)} == {DueState.SENT}


# Quiet hours: a DM someone else causes waits for the person's morning ------------------------------

LOS_ANGELES_MORNING = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # 08:00 there; the tests start at 01:00


async def night_owl_invited(service: CircleService) -> tuple[Member, Member]:
    """Ana (UTC, 09:00) invites Ben, whose 01:00 in Los Angeles is inside his quiet hours (21:00-08:00)."""
    ana, ben = cast(service, 2)
    ben.timezone = "America/Los_Angeles"
    await ben.says("/circle status")  # the bot has met Ben, and knows his zone
    await ana.says("/circle new team")
    told = await ana.says(f"/circle add {ben.mention}")
    assert "Invited Ben" in told
    assert "It's quiet hours for Ben: the invitation reaches them" in told  # Ana knows why he is silent
    assert "16:00" in told
    return ana, ben


async def test_an_invitation_waits_for_the_end_of_the_invited_persons_quiet_hours(
    service: CircleService, port: RecordingPort, db: Database, clock: ManualClock
) -> None:
    _, ben = await night_owl_invited(service)
    assert [s for s in port.of_kind("dm") if s.target == ben.user] == []
    (held,) = [r for r in await effect_rows(db) if r.state == DueState.PENDING]
    assert held.not_before == LOS_ANGELES_MORNING
    assert (held.claimed_by, held.ordering_key) == (None, None)
    dispatcher = Dispatcher(service)
    assert await dispatcher.tick() == 0
    clock.set(LOS_ANGELES_MORNING - timedelta(minutes=1))
    assert await dispatcher.tick() == 0
    clock.set(LOS_ANGELES_MORNING)
    assert await dispatcher.tick() == 1
    assert await dispatcher.tick() == 0  # once
    (invitation,) = [s for s in port.of_kind("dm") if s.target == ben.user]
    assert "invites you" in invitation.text
    assert await ben.accepts_invitations() != []  # the button in it works as one sent at once would


async def test_a_dm_the_person_asks_for_comes_at_once_and_not_behind_one_that_waits(
    service: CircleService, port: RecordingPort, db: Database
) -> None:
    _, ben = await night_owl_invited(service)
    port.clear()
    await ben.says("/circle my-data")
    assert [s.target for s in port.of_kind("files")] == [ben.user]  # at 01:00, because he asked
    assert port.of_kind("dm") == []
    assert len([r for r in await effect_rows(db) if r.state == DueState.PENDING]) == 1  # the invitation waits


async def test_a_waiting_dm_looks_at_the_persons_hours_again_when_it_falls_due(
    service: CircleService, port: RecordingPort, db: Database, clock: ManualClock
) -> None:
    _, ben = await night_owl_invited(service)
    assert "to 09:00" in await ben.says("/circle quiet 00:00-09:00")  # a longer night, set since
    dispatcher = Dispatcher(service)
    clock.set(LOS_ANGELES_MORNING)
    assert await dispatcher.tick() == 0
    (held,) = [r for r in await effect_rows(db) if r.state == DueState.PENDING]
    assert held.not_before == LOS_ANGELES_MORNING + timedelta(hours=1)
    clock.set(held.not_before)
    assert await dispatcher.tick() == 1
    assert [s.target for s in port.of_kind("dm")] == [ben.user]


async def test_a_dm_to_someone_outside_their_quiet_hours_goes_at_once(
    service: CircleService, port: RecordingPort, db: Database
) -> None:
    ana, chidi = cast(service, 3)[0::2]
    chidi.timezone = "Asia/Tokyo"  # 18:00 there
    await chidi.says("/circle status")
    await ana.says("/circle new team")
    assert "quiet hours" not in await ana.says(f"/circle add {chidi.mention}")
    assert [s.target for s in port.of_kind("dm") if "invites you" in s.text] == [chidi.user]
    assert {r.state for r in await effect_rows(db)} == {DueState.SENT}
