"""The process's log output: readable lines, or one JSON object per line for a log collector
(`CIRCLES_LOG_FORMAT=json`).

Log calls name ids, counts and outcomes, never what a member wrote; the JSON form carries only the
record's own fields, so it adds nothing a text line would not show.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from bots.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries whose INFO lines say nothing an operator needs at every start (Alembic prints one per
# migration step; APScheduler one per 20-second wake-up).
# APScheduler's executor reports a job that "raised an exception": ours (Scheduler._wake) logs its own
# failures, so the only one left to report is being cancelled at Ctrl+C, a traceback at every stop.
QUIET = {
    "alembic": logging.WARNING,
    "apscheduler": logging.WARNING,
    "apscheduler.executors": logging.CRITICAL,
    "aiohttp.access": logging.WARNING,
}


class JsonLines(logging.Formatter):
    """`{"time": …, "level": …, "logger": …, "message": …}` plus `exception` when there is one.

    The exception comes from `exc_info`, or from `exc_text` when the log redaction (core/privacy/logs.py)
    has already replaced the live exception with its traceback minus messages.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:  # the privacy redaction keeps only a traceback without messages, as text
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Replaces the root logger's handlers with one in the configured format and level."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name, level in QUIET.items():
        logging.getLogger(name).setLevel(max(level, logging.getLevelNamesMapping()[settings.log_level]))
