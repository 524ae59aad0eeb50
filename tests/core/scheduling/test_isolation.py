"""A circle whose plan cannot be made (a meeting at 9999-12-31 overflows the calendar) is set aside
with one log line and a note to its lead; every other circle's reminders still go out."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from core.clock import ManualClock
from core.models import Circle as CircleRow
from core.models import DueKind, Meeting
from tests.core.scheduling.conftest import MEETING, Circle
from tests.fakes.recording_port import RecordingPort


async def test_a_circle_that_cannot_be_planned_does_not_stop_the_others(
    circle: Circle, clock: ManualClock, port: RecordingPort, caplog: pytest.LogCaptureFixture
) -> None:
    other = circle.people[1]
    await other.says("/circle new far-away")
    assert "scheduled" in await other.says(f"/circle schedule {MEETING:%Y-%m-%d} 12:00 in=far-away")
    async with circle.db.unit_of_work() as uow:  # as if a date had slipped past the input checks
        far = await uow.session.scalar(select(CircleRow.id).where(CircleRow.name == "far-away"))
        await uow.session.execute(
            update(Meeting)
            .where(Meeting.circle_id == far)
            .values(scheduled_start=datetime(9999, 12, 31, 23, 0, tzinfo=UTC))
        )
        await uow.commit()
    port.clear()
    with caplog.at_level(logging.ERROR, logger="core.scheduling.planner"):
        await circle.scheduler.plan()
    assert [r.getMessage() for r in caplog.records if r.name == "core.scheduling.planner"] == [
        f"could not plan circle {far}: OverflowError"
    ]
    clock.set(MEETING - timedelta(hours=24))
    await circle.scheduler.tick()
    to_lead = [s.text for s in port.of_kind("dm") if s.target == other.user]
    assert sum("could not plan the reminders for far-away" in text for text in to_lead) == 1
    reminded = {s.target for s in port.of_kind("dm") if "team" in s.text}
    assert reminded == {p.user for p in circle.people}  # the other circle's reminders went out
    assert DueKind.PLANNING_PROBLEM in {i.kind for i in await circle.items()}
