"""Erasure reaches the playground's history file: the person's words, typed or quoted by the bot, are gone."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bots.playground import history
from bots.playground.port import PlaygroundPort
from core.clock import ManualClock
from core.db import Database
from core.membership import MembershipAction
from core.messages import message
from core.models import Circle, Person
from core.privacy.erase import CONFIRM_ERASE
from core.service import CircleService
from tests.fakes.members import cast

CANARY = "CANARY-playground-words-of-ben"


async def test_forget_me_scrubs_the_history_file(db: Database, clock: ManualClock, tmp_path: Path) -> None:
    path = tmp_path / "circles.playground.json"
    port = PlaygroundPort(clock, keep=lambda p: history.save(p, path))
    service = CircleService(db, clock, lambda _w: port)
    ana, ben = cast(service, 2)
    await ana.says("/circle new play")
    await ana.says(f"/circle add {ben.mention}")
    async with db.unit_of_work() as uow:
        circle = await uow.session.get(Circle, 1)
        assert circle is not None
        space = circle.space_ref
    assert space is not None
    await ben.presses(MembershipAction.ACCEPT, "1")
    await ana.says("/circle start")
    await ben.says(f"/circle checkin {CANARY} checked in")
    await port.write(space, None, message(f"{CANARY} typed"), author="Ben", author_id=ben.user)
    assert CANARY in path.read_text()

    await ben.says("/circle forget-me")
    async with db.unit_of_work() as uow:
        ident = await uow.session.scalar(select(Person.id).where(Person.external_id == ben.user))
    assert "erased" in (await ben.presses(CONFIRM_ERASE, str(ident)))[0]
    assert CANARY not in path.read_text()
    reloaded = PlaygroundPort(clock)
    assert history.load(reloaded, path)
    assert not any(CANARY in p.message.plain_text for p in reloaded.messages.values())


async def test_forget_me_scrubs_a_check_in_edited_by_checking_in_again(
    db: Database, clock: ManualClock, tmp_path: Path
) -> None:
    path = tmp_path / "circles.playground.json"
    port = PlaygroundPort(clock, keep=lambda p: history.save(p, path))
    service = CircleService(db, clock, lambda _w: port)
    ana, ben = cast(service, 2)
    await ana.says("/circle new play")
    await ana.says(f"/circle add {ben.mention}")
    await ben.presses(MembershipAction.ACCEPT, "1")
    await ana.says("/circle start")
    await ben.says("/circle checkin Tired but here")
    await ben.says(f"/circle checkin {CANARY} rested after all")  # edits the posted check-in in place
    assert CANARY in path.read_text()

    await ben.says("/circle forget-me")
    async with db.unit_of_work() as uow:
        ident = await uow.session.scalar(select(Person.id).where(Person.external_id == ben.user))
    assert "erased" in (await ben.presses(CONFIRM_ERASE, str(ident)))[0]
    assert CANARY not in path.read_text()
    assert "Tired but here" not in path.read_text()
