"""Logs never carry member text: an exception's message may quote what a member wrote (a database
error names the statement, a platform error echoes the text it refused), so every log record's
exception keeps its traceback and type but loses its message, and that message is cut out of the
log line too. Installed once at start-up as the record factory, so it covers every library's logger.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

WITHHELD = "<withheld: may quote member text>"
_installed: list[Callable[..., logging.LogRecord]] = []

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def install() -> None:
    """Makes every log record redact its exception's messages; calling it again changes nothing."""
    if _installed:
        return
    previous = logging.getLogRecordFactory()
    _installed.append(previous)

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)


def uninstall() -> None:
    if _installed:
        logging.setLogRecordFactory(_installed.pop())


# Drivers that log each call with its values at DEBUG: the call is kept, its values are not.
CHATTY_DRIVERS = frozenset({"aiosqlite", "psycopg", "psycopg.pool"})


def redact(record: logging.LogRecord) -> logging.LogRecord:
    if record.name in CHATTY_DRIVERS and record.levelno <= logging.DEBUG:
        record.msg, record.args = f"{record.name} call ({WITHHELD})", ()
    exc_info = record.exc_info
    if not exc_info or exc_info[1] is None:
        return record
    texts = [text for text in _messages(exc_info[1]) if len(text) >= 4]
    record.exc_text = _traceback_without_messages(exc_info[1])
    record.exc_info = None
    if texts:
        record.msg = _cut(str(record.msg), texts)
        if isinstance(record.args, tuple):
            record.args = tuple(_cut(a, texts) if isinstance(a, str) else a for a in record.args)
    return record


def _messages(error: BaseException) -> list[str]:
    found: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found.extend(str(a) for a in current.args if isinstance(a, str))
        found.append(str(current))
        current = current.__cause__ or current.__context__
    return sorted(set(found), key=len, reverse=True)


def _cut(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, WITHHELD)
    return text


def _traceback_without_messages(error: BaseException) -> str:
    lines: list[str] = []
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for exc in reversed(chain):
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_tb(exc.__traceback__))
        lines.append(f"{type(exc).__module__}.{type(exc).__qualname__}: {WITHHELD}\n")
    return "".join(lines).rstrip("\n")


def refuse_nul(*texts: str) -> None:
    """NUL cannot be stored (PostgreSQL refuses it, and its error would reach the logs): refused up front."""
    from core.errors import UsageError

    if any("\x00" in text for text in texts):
        raise UsageError("That text contains a NUL character, which I can't store. Please send it without.")
