"""Errors a member can read.

A `CircleError` is raised anywhere in the core when a request cannot be honoured; adapters show
its `message` to the person who asked (privately), and the unit of work rolls back, so the data is
unchanged.
"""

from __future__ import annotations


class CircleError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(CircleError):
    """Also used for circles the actor may not see, so nothing leaks about them."""


class NotAllowed(CircleError):
    pass


class UsageError(CircleError):
    """A command that does not parse; the message is the usage of that subcommand."""
