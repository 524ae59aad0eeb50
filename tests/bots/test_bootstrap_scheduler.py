"""The app is built with its scheduler wired to the service, on a schema migrated to the newest
revision (due items included)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bots.bootstrap import Settings, build
from core.clock import ManualClock
from core.models import DueItem, DueKind
from tests.fakes.members import Member
from tests.fakes.recording_port import RecordingPort


async def test_build_migrates_and_wires_the_scheduler(database_url: str) -> None:
    clock = ManualClock(datetime(2026, 12, 1, 9, tzinfo=UTC))
    port = RecordingPort()
    app = build(Settings(database_url=database_url), lambda _workspace: port, clock)
    try:
        assert app.scheduler.planner.on_change in app.service.after_commit
        assert app.service.outbox is app.scheduler.dispatcher  # one sender: one pause per bucket
        assert not app.scheduler.running  # started by whoever runs the event loop
        lead = Member(app.service, "U1", "Ana", timezone="Europe/Berlin")
        await lead.says("/circle new team")
        await lead.says(f"/circle schedule {clock.now() + timedelta(days=3):%Y-%m-%d} 10:00")
        async with app.db.unit_of_work() as uow:
            keys = list(
                await uow.session.scalars(
                    select(DueItem.key).where(DueItem.kind != DueKind.EFFECT).order_by(DueItem.key)
                )
            )
        assert len(keys) == 3  # the call for bids, two reminders
        assert keys[0].startswith("bids:meeting:")
    finally:
        await app.db.dispose()
