"""What every handler needs to answer: a plain reply, and a word from a closed list read the same way
everywhere."""

from __future__ import annotations

from typing import TypeVar

from core.errors import UsageError
from core.messages import (
    Form,
    Reply,
    message,
)
from core.vocabulary import (
    Mode,
    Role,
    Urgency,
)


def done(text: str, form: Form | None = None) -> Reply:
    return Reply(message(text), form)


E = TypeVar("E", Mode, Role, Urgency)


def choice(text: str, kind: type[E], what: str) -> E:
    try:
        return kind(text.lower())
    except ValueError:
        allowed = "|".join(k.value for k in kind)
        raise UsageError(f"{what} must be one of {allowed}, not '{text[:30]}'.") from None
