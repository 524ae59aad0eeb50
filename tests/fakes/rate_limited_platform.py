"""A chat platform that enforces a rate limit the way Slack and Discord do: a token bucket per
app, HTTP 429 with `retry_after` when it is empty. It counts every delivery, so a benchmark can
tell lost and duplicated messages apart."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from core.messages import Form, Message
from core.port import MessageRef, RateLimited, SpaceRef


@dataclass
class RateLimitedPlatform:
    per_second: float
    burst: int = 5
    latency: float = 0.0  # seconds each accepted call takes, as a network round trip would
    monotonic: Callable[[], float] = time.monotonic
    delivered: Counter[tuple[str, str]] = field(default_factory=Counter)  # (target, summary) -> times
    refused: int = 0
    first_at: float | None = None
    last_at: float | None = None
    _tokens: float = 0.0
    _filled_at: float | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _take(self) -> None:
        now = self.monotonic()
        if self._filled_at is None:
            self._tokens, self._filled_at = float(self.burst), now
        self._tokens = min(float(self.burst), self._tokens + (now - self._filled_at) * self.per_second)
        self._filled_at = now
        if self._tokens < 1:
            self.refused += 1
            raise RateLimited((1 - self._tokens) / self.per_second)
        self._tokens -= 1

    async def _accept(self, target: str, message: Message) -> MessageRef:
        self._take()
        if self.latency:
            await asyncio.sleep(self.latency)
        now = self.monotonic()
        self.first_at = now if self.first_at is None else self.first_at
        self.last_at = now
        self.delivered[(target, message.summary)] += 1
        return MessageRef(target, f"m{next(self._ids)}")

    async def send_dm(self, user_id: str, message: Message) -> MessageRef:
        return await self._accept(user_id, message)

    async def post(self, space: SpaceRef, message: Message) -> MessageRef:
        return await self._accept(space.id, message)

    async def reply(self, thread: MessageRef, message: Message) -> MessageRef:
        return await self._accept(thread.encode(), message)

    async def update(self, ref: MessageRef, message: Message) -> None:
        self._take()

    async def open_private_space(self, name: str, topic: str, member_ids: Sequence[str]) -> SpaceRef:
        self._take()
        return SpaceRef(f"C{next(self._ids)}")

    async def add_member(self, space: SpaceRef, user_id: str, history: bool = True) -> None:
        self._take()

    async def remove_member(self, space: SpaceRef, user_id: str) -> None:
        self._take()

    async def archive_space(self, space: SpaceRef) -> None:
        self._take()

    async def open_form(self, trigger: str, user_id: str, form: Form) -> None:
        return None

    async def notify_privately(self, space: SpaceRef, user_id: str, message: Message) -> None:
        await self._accept(f"{space.id}:{user_id}", message)
