"""Tests build a scheduler by hand; `connected` wires it to its service the way the app does."""

from __future__ import annotations

from bots.bootstrap import connect
from core.scheduling.scheduler import Scheduler


def connected(scheduler: Scheduler) -> Scheduler:
    connect(scheduler.service, scheduler)
    return scheduler
