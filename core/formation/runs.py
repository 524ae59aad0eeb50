"""Who hears about runs of the formation engine, wherever they were asked for (`circles form`,
`/circle form`): the operator's metrics count them without the engine knowing about metrics, and a
bot process registers its watcher without importing the engine (numba and numpy, ~75 MB) until a
lead forms circles."""

from __future__ import annotations

from collections.abc import Callable

RunWatcher = Callable[[float, bool], None]  # seconds taken, whether a partition came out

_watchers: list[RunWatcher] = []


def watch_runs(watcher: RunWatcher) -> None:
    if watcher not in _watchers:
        _watchers.append(watcher)


def ran(seconds: float, ok: bool) -> None:
    for watcher in _watchers:
        watcher(seconds, ok)
