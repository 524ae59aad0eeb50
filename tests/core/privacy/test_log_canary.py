"""No member text in logs: a canary sent through every failure path we can provoke (integrity errors,
database errors, platform errors, timeouts) appears in no log record of any logger, at any level."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.db import Database
from core.messages import Message
from core.models import CheckIn, Meeting
from core.port import MessageRef, SpaceRef
from core.privacy import logs
from core.service import CircleService
from tests.fakes.members import Member, cast, welcome
from tests.fakes.recording_port import RecordingPort

CANARY = "CANARY-confidential-thinking-of-resigning"


@pytest.fixture
def redacting(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    logs.install()  # as `circles run` does at start-up
    caplog.set_level(logging.DEBUG)  # every logger, every level
    yield caplog
    logs.uninstall()


def leaked(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [formatter.format(r) for r in caplog.records if CANARY in formatter.format(r)]


class FailingPort(RecordingPort):
    """A platform that refuses or times out, echoing the text it was given (as real APIs' errors do)."""

    async def post(self, space: SpaceRef, message: Message) -> MessageRef:
        if CANARY in message.plain_text:
            raise RuntimeError(f"platform refused the message: {message.plain_text}")
        return await super().post(space, message)

    async def reply(self, thread: MessageRef, message: Message) -> MessageRef:
        raise TimeoutError(f"timed out sending {message.plain_text}")


async def circle(service: CircleService) -> list[Member]:
    people = cast(service, 3)
    await people[0].says("/circle new canary")
    await welcome(people[0], people[1:])
    await people[0].says("/circle start")
    return people


async def test_the_canary_reaches_no_log_record(
    db: Database, clock: object, redacting: pytest.LogCaptureFixture
) -> None:
    port = FailingPort()
    service = CircleService(db, clock, lambda _w: port)  # type: ignore[arg-type]
    people = await circle(service)

    # Platform error: the check-in is stored, its post to the circle fails with the text in the error.
    assert "checked in" in await people[1].says(f"/circle checkin {CANARY}")
    # Several at once: unique-row races end in IntegrityError (logged by the service) or a polite refusal.
    await asyncio.gather(*(people[2].says(f"/circle checkin {CANARY} {i}") for i in range(8)))

    # A database error whose statement carries the canary, logged as an adapter logs what escapes it.
    async with db.unit_of_work() as uow:
        meeting = await uow.session.scalar(select(Meeting))
        assert meeting is not None
        uow.session.add(CheckIn(meeting_id=meeting.id, person_id=99999, text=CANARY))
        with pytest.raises(DBAPIError) as raised:
            await uow.flush()
    assert CANARY not in str(raised.value)  # hide_parameters: the values never enter the message
    async with db.unit_of_work() as uow:  # the unique check-in per person, as a race meets it
        first = await uow.session.scalar(select(CheckIn))
        assert first is not None
        uow.session.add(CheckIn(meeting_id=first.meeting_id, person_id=first.person_id, text=CANARY))
        with pytest.raises(IntegrityError) as twice:
            await uow.flush()
    assert CANARY not in str(twice.value)
    logging.getLogger("core.service").warning("a unique row was written twice", exc_info=twice.value)
    try:
        raise RuntimeError("listener failed") from raised.value
    except RuntimeError:
        logging.getLogger("aiohttp.server").exception("Error handling request")

    # A timeout from the platform whose message echoes the text, and a library that pastes str(e) in.
    error = TimeoutError(f"timed out sending {CANARY}")
    try:
        raise error
    except TimeoutError as e:
        logging.getLogger("slack_bolt.App").exception(f"Failed to run listener function (error: {e})")
    await port_reply_fails(port)

    assert any(r.exc_text for r in redacting.records)  # tracebacks are still there...
    assert leaked(redacting) == []  # ...without a word of the canary


async def port_reply_fails(port: FailingPort) -> None:
    try:
        await port.reply(MessageRef("C1", "1"), Message((), CANARY))
    except TimeoutError:
        logging.getLogger("core.delivery").exception("delivering %s failed", "PostInThread")


async def test_without_the_filter_the_canary_would_leak(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    try:
        raise RuntimeError(f"platform refused: {CANARY}")
    except RuntimeError:
        logging.getLogger("core.delivery").exception("delivering failed")
    assert leaked(caplog)  # the control: this test's canary check can see a leak


async def test_a_nul_byte_is_refused_before_the_database(service: CircleService, db: Database) -> None:
    people = await circle(service)
    assert "NUL character" in await people[1].says("/circle checkin before\x00after")
    result = await people[1].submits("checkin", "1", {"text": "a\x00b"})
    assert "NUL character" in result.errors["text"]  # the form's field says so (one spec, issue 13)
    async with db.unit_of_work() as uow:
        assert await uow.session.scalar(select(func.count(CheckIn.id))) == 0
