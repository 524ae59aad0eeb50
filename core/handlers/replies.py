"""How handlers are found and how they answer: one handler per typed request (`@handles(PlaceBid)`),
whatever surface the request came from, and a plain reply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from core.context import RequestContext
from core.errors import NotFound
from core.messages import Form, Reply, message

R = TypeVar("R")
Handler = Callable[[RequestContext, Any], Awaitable[Reply]]
HANDLERS: dict[type, Handler] = {}


def handles(kind: type[R]) -> Callable[[Callable[[RequestContext, R], Awaitable[Reply]]], Handler]:
    """Registers the one handler of a request type."""

    def register(handler: Callable[[RequestContext, R], Awaitable[Reply]]) -> Handler:
        assert kind not in HANDLERS, f"{kind.__name__} has two handlers"
        HANDLERS[kind] = handler
        return handler

    return register


async def answer(ctx: RequestContext, request: object) -> Reply:
    handler = HANDLERS.get(type(request))
    if handler is None:
        raise NotFound("That is no longer in use.")
    return await handler(ctx, request)


def done(text: str, form: Form | None = None) -> Reply:
    return Reply(message(text), form)
