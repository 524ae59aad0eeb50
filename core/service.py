"""The application service: the one door through which every adapter drives the core.

Each entry point opens a unit of work, resolves who is asking, runs one handler, commits, then
delivers the handler's effects through the workspace's port. A `CircleError` becomes a private
reply and leaves the data unchanged. A request key (Slack's event id, Discord's interaction id)
makes a re-delivered request a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Select, func, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from core import handlers, meeting, outbox, views
from core.clock import Clock
from core.commands import MAX_EXTERNAL_ID, Refused, clean_name, zone_name
from core.context import Actor, RequestContext, Where
from core.db import Database, UnitOfWork
from core.effects import AddToSpace, ArchiveSpace, Effect, OpenSpace, PostToCircle, RemoveFromSpace
from core.errors import CircleError, NotAllowed
from core.formats import get_format
from core.messages import Reply
from core.models import Circle, DueItem, HandledRequest, Meeting, Membership, Person, Round, Workspace
from core.port import ChatPort
from core.vocabulary import CircleStatus, MeetingState, Mode, Phase

log = logging.getLogger(__name__)

PortFor = Callable[[Workspace], ChatPort]
MAX_SPACE_REF = 100  # Circle.space_ref
MAX_THREAD_REF = 200  # Round.thread_ref


class Outbox(Protocol):
    """Sends a committed request's outbox rows right away (the dispatcher's fast path)."""

    worker_now: str
    fast_lease: timedelta

    async def look_ahead(self, session: Any, items: list[DueItem]) -> outbox.Ahead: ...

    async def send_now(self, workspace: Workspace, batch: outbox.Written, loaded: Sequence[object] = ()) -> None: ...


@dataclass(frozen=True)
class Changed:
    """What a committed request touched: the person who acted and the circles it posted to."""

    person_id: int | None = None
    circle_ids: tuple[int, ...] = ()


AfterCommit = Callable[[Changed], Awaitable[None]]
NOWHERE = Where()
ALREADY_HANDLED = Reply(views.plain("Already done."))
SAME_MOMENT = Reply(
    views.plain("Someone changed that at the same moment, so nothing was applied twice. Please look and try again."),
    refused=True,
)


@dataclass(frozen=True)
class FormResult:
    """Either field errors to show on the still-open form, or the reply once it is accepted."""

    errors: dict[str, str] = field(default_factory=dict)
    reply: Reply | None = None


class CircleService:
    def __init__(self, db: Database, clock: Clock, port_for: PortFor, outbox: Outbox | None = None) -> None:
        self.db = db
        self.clock = clock
        self.port_for = port_for
        self.after_commit: list[AfterCommit] = []  # e.g. the scheduler re-plans what is due
        if outbox is None:  # the one delivery path: the dispatcher's rules, also for a bare service
            from core.scheduling.dispatcher import Dispatcher

            outbox = Dispatcher(self)
        self.outbox: Outbox = outbox

    async def run_command(self, actor: Actor, text: str, where: Where = NOWHERE, key: str | None = None) -> Reply:
        """A typed line: Slack's slash command, the playground's box, Discord's `/circle do`."""
        try:
            request = handlers.read_line(text, self.clock.now().date())
        except CircleError as error:
            return Reply(views.usage_message(error.message), refused=True)
        return await self.run(actor, request, where, key)

    async def run_options(
        self, actor: Actor, command: str, options: Mapping[str, Any], where: Where = NOWHERE, key: str | None = None
    ) -> Reply:
        """A subcommand whose options arrived structured (Discord): read by the same spec, never re-joined."""
        try:
            request = handlers.options_request(command, options, self.clock.now().date())
        except CircleError as error:
            return Reply(views.usage_message(error.message), refused=True)
        return await self.run(actor, request, where, key)

    async def press(
        self, actor: Actor, action: str, value: str, where: Where = NOWHERE, key: str | None = None
    ) -> Reply:
        try:
            request = handlers.button_request(action, value, self.clock.now().date())
        except CircleError as error:
            return Reply(views.plain(error.message), refused=True)
        return await self.run(actor, request, where, key)

    def check_form(self, form_id: str, context: str, values: Mapping[str, str]) -> dict[str, str]:
        """Field errors of a submitted form, before anything is stored (Slack shows them in the open form)."""
        try:
            handlers.form_request(form_id, context, values, self.clock.now().date())
        except Refused as refused:
            return refused.errors
        except CircleError:
            return {}  # not a form field's fault: `submit` answers it
        return {}

    async def submit(
        self, actor: Actor, form_id: str, context: str, values: dict[str, str], key: str | None = None
    ) -> FormResult:
        try:
            request = handlers.form_request(form_id, context, values, self.clock.now().date())
        except Refused as refused:
            return FormResult(errors=refused.errors)
        except CircleError as error:
            return FormResult(reply=Reply(views.plain(error.message), refused=True))
        return FormResult(reply=await self.run(actor, request, NOWHERE, key))

    async def run(self, actor: Actor, request: object, where: Where = NOWHERE, key: str | None = None) -> Reply:
        """Any typed request (`core.requests`), answered by its one handler."""
        return await self._handle(actor, where, key, lambda ctx: handlers.answer(ctx, request))

    async def reply_in_thread(self, actor: Actor, thread: str, text: str, key: str | None = None) -> Reply | None:
        """A message posted in a thread; None when the thread is not a round's (nothing to say)."""
        if not text.strip() or len(thread) > MAX_THREAD_REF or thread != clean_name(thread):
            return None  # nothing said, or no thread of ours
        reply = await self._handle(
            actor, Where(thread=thread), key, lambda ctx: _or_silent(handlers.reply_in_thread(ctx, thread, text))
        )
        return None if reply is SILENT else reply

    async def on_platform(
        self, actor: Actor, work: Callable[[RequestContext], Awaitable[Reply]], key: str | None = None
    ) -> Reply:
        """What a platform tells us about people and spaces (`core.reconcile`), handled like any request."""
        return await self._handle(actor, Where(), key, work)

    async def home(self, actor: Actor) -> Reply:
        """What the App Home (or the playground's sidebar) shows this person."""
        return await self._handle(actor, Where(), None, handlers.home_page)

    async def my_circles(self, actor: Actor, *, ended: bool = False) -> list[Circle]:
        """The actor's own open circles (sidebars, autocomplete): nothing about anyone else's.
        `ended` adds the circles that ended while they were in them: archived, still theirs to read."""
        async with self.db.unit_of_work() as uow:
            circles = await uow.session.scalars(
                select(Circle)
                .join(Membership, Membership.circle_id == Circle.id)
                .join(Person, Person.id == Membership.person_id)
                .join(Workspace, Workspace.id == Person.workspace_id)
                .where(
                    Workspace.platform == actor.platform,
                    Workspace.external_id == actor.workspace,
                    Person.external_id == actor.user,
                    Membership.left_at.is_(None),
                    true() if ended else Circle.status != CircleStatus.CLOSED,
                )
                .order_by(Circle.name)
            )
            return list(circles)

    async def circle_names(self, actor: Actor) -> list[str]:
        return [circle.name for circle in await self.my_circles(actor)]

    async def should_ask_timezone(self, actor: Actor) -> bool:
        """True exactly once for a known person without a time zone: some platforms never tell us theirs."""
        async with self.db.unit_of_work() as uow:
            person = await uow.session.scalar(
                select(Person)
                .join(Workspace, Workspace.id == Person.workspace_id)
                .where(
                    Workspace.platform == actor.platform,
                    Workspace.external_id == actor.workspace,
                    Person.external_id == actor.user,
                )
            )
            if person is None or person.timezone or person.timezone_asked_at is not None:
                return False
            person.timezone_asked_at = self.clock.now()
            await uow.commit()
            return True

    async def next_round_deadline(self) -> datetime | None:
        """When the bot next has an async round to move on (the playground's Skip ahead)."""
        async with self.db.unit_of_work() as uow:
            deadline: datetime | None = await uow.session.scalar(_running_async_rounds(func.min(Round.phase_deadline)))
        return deadline.replace(tzinfo=UTC) if deadline is not None and deadline.tzinfo is None else deadline

    async def advance_due_rounds(self) -> int:
        """The bot moves on every async round whose phase deadline has passed; returns how many."""
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            due = list(await uow.session.scalars(_running_async_rounds(Round.id).where(Round.phase_deadline <= now)))
        for round_id in due:
            try:
                await self._advance_round(round_id, now)
            except StaleDataError:
                log.info("round %s was moved on by someone else first", round_id)
        return len(due)

    async def _advance_round(self, round_id: int, now: datetime) -> None:
        async with self.db.unit_of_work() as uow:
            round_ = await uow.session.get(Round, round_id, with_for_update=not self.db.is_sqlite)
            if round_ is None or round_.phase_deadline is None or round_.phase_deadline > now:
                return  # another worker moved it on first
            meeting_row = await uow.session.get(Meeting, round_.meeting_id)
            assert meeting_row is not None
            circle = await uow.session.get(Circle, meeting_row.circle_id)
            assert circle is not None
            workspace = await uow.session.get(Workspace, circle.workspace_id)
            assert workspace is not None
            scene = await meeting.load_scene(uow, circle, meeting_row, get_format(circle.format_key), now)
            await meeting.advance_phase(scene, None, round_.phase)
            batch = await self._write_outbox(uow, workspace.id, list(uow.effects), now, None)
            await uow.commit()
            circle_id = circle.id
        await self.outbox.send_now(workspace, batch, uow.loaded)
        await self._notify(Changed(circle_ids=(circle_id,)))

    async def _handle(
        self, actor: Actor, where: Where, key: str | None, work: Callable[[RequestContext], Awaitable[Reply]]
    ) -> Reply:
        try:
            actor, where = checked(actor, where)
            async with self.db.unit_of_work() as uow:
                if key is not None and await uow.session.get(HandledRequest, key) is not None:
                    return ALREADY_HANDLED
                ctx = await RequestContext.load(uow, actor, self.clock.now(), where)
                reply = await work(ctx)
                if key is not None:
                    uow.session.add(HandledRequest(key=key, handled_at=ctx.now))
                effects: list[Effect] = list(uow.effects)
                batch = await self._write_outbox(uow, ctx.workspace.id, effects, ctx.now, ctx.person.id)
                await uow.commit()
                workspace = ctx.workspace
                changed = Changed(ctx.person.id, _circles_in(effects))
        except CircleError as error:
            return Reply(views.plain(error.message), refused=True)
        except StaleDataError:  # another worker changed the same meeting or round a moment before
            return SAME_MOMENT
        except IntegrityError:
            if key is not None and await self._was_handled(key):
                return ALREADY_HANDLED
            # two people creating the same unique thing at once (a programme's name, a sign-up)
            log.warning("a unique row was written twice at the same moment", exc_info=True)
            return SAME_MOMENT
        await self.outbox.send_now(workspace, batch, uow.loaded)
        await self._notify(changed)
        return reply

    async def _write_outbox(
        self, uow: UnitOfWork, workspace_id: int, effects: list[Effect], now: datetime, actor_id: int | None
    ) -> outbox.Written:
        """The request's effects as outbox rows held by its own fast path for a short lease, and what
        stood ahead of them in their channels: both in the request's transaction. A DM held for
        someone's quiet hours is left to the dispatcher. `actor_id`: who acted (None: the bot)."""
        if not effects:
            return outbox.Written([], [])
        worker = self.outbox.worker_now
        rows = await outbox.write(uow, workspace_id, effects, now, worker, self.outbox.fast_lease, actor_id)
        sending = [(row, effect) for row, effect in zip(rows, effects, strict=True) if row.claimed_by == worker]
        items = [row for row, _ in sending]
        return outbox.Written(
            items, [effect for _, effect in sending], await self.outbox.look_ahead(uow.session, items)
        )

    async def _notify(self, changed: Changed) -> None:
        """Tells listeners after the commit; a listener's failure never fails the request."""
        for listener in self.after_commit:
            try:
                await listener(changed)
            except Exception:
                log.exception("after-commit listener failed")

    async def _was_handled(self, key: str) -> bool:
        async with self.db.unit_of_work() as uow:
            return await uow.session.get(HandledRequest, key) is not None


SILENT = Reply(views.plain(""))


def _running_async_rounds(column: Any) -> Select[Any]:
    """Rounds of async circles still under way: the ones the bot moves on at their deadlines."""
    return (
        select(column)
        .join(Meeting, Meeting.id == Round.meeting_id)
        .join(Circle, Circle.id == Meeting.circle_id)
        .where(Circle.mode == Mode.ASYNC, Meeting.state == MeetingState.ROUNDS, Round.phase != Phase.DONE)
    )


def _circles_in(effects: list[Effect]) -> tuple[int, ...]:
    touching = (OpenSpace, AddToSpace, RemoveFromSpace, ArchiveSpace, PostToCircle)
    return tuple(dict.fromkeys(e.circle_id for e in effects if isinstance(e, touching)))


def checked(actor: Actor, where: Where) -> tuple[Actor, Where]:
    """Who and where as the platform said, made storable the same way on every database: ids within
    their columns and without control characters, the display name cleaned."""
    for value in (actor.workspace, actor.user):
        if not 0 < len(value) <= MAX_EXTERNAL_ID or value != clean_name(value):
            raise NotAllowed("Sorry, I can't tell who you are from this request.")
    timezone = actor.timezone if actor.timezone and _known_zone(actor.timezone) else None
    actor = replace(actor, name=clean_name(actor.name), timezone=timezone)
    space = where.space if where.space and len(where.space) <= MAX_SPACE_REF else None
    thread = where.thread if where.thread and len(where.thread) <= MAX_THREAD_REF else None
    return actor, Where(space, thread)


def _known_zone(name: str) -> bool:
    try:
        zone_name(name)
    except CircleError:
        return False
    return True


async def _or_silent(work: Awaitable[Reply | None]) -> Reply:
    reply = await work
    return SILENT if reply is None else reply


__all__ = ["Actor", "Changed", "CircleService", "FormResult", "UnitOfWork", "Where"]
