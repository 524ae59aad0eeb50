"""The playground: a browser workspace on the embedded database, for trying circles without
creating a Slack app or a Discord bot.

One aiohttp process serves the page (plain HTML, CSS and JavaScript), a small JSON API and a
WebSocket that tells each open page when something it may see has changed. The page's person is
a cookie set by the "you are" switcher; every request checks, in the database, that this person
is an active member of the circle whose channel they ask for (`bots.playground.workspace`).
Everything a member does goes through `CircleService`, exactly as the Slack and Discord adapters do.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.typedefs import Handler
from sqlalchemy.engine import make_url

from bots.bootstrap import Settings, build
from bots.operations.health import Health
from bots.operations.metrics import instrument_scheduler
from bots.operations.server import add_operations_routes
from bots.playground import demo, history
from bots.playground.clock import AsyncRoundDeadlines, EarliestOf, MovableClock, RunningClock, skip_ahead
from bots.playground.downloads import Downloads
from bots.playground.local import only_own_host
from bots.playground.port import BOT_NAME, PlaygroundPort, dm_space
from bots.playground.report_page import report_html
from bots.playground.wire import Json, form_json, message_json, posted_json
from bots.playground.workspace import Channel, Playground
from core.commands import MAX_LINE, TOO_LONG
from core.context import NOT_YOURS, Actor, Where
from core.messages import MAX_TEXT, Reply, message
from core.models import Person
from core.port import MessageRef
from core.scheduling.scheduler import Scheduler
from core.service import CircleService
from core.vocabulary import Platform

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "playground_person"
PICK_SOMEONE = "Pick who you are first, with the 'You are' switcher."
ONLY_CIRCLE = "The playground knows one command, /circle. Try /circle help."
_MENTION = re.compile(r"(?<![<\w])@([A-Za-z][A-Za-z0-9_.-]*)")


# The web application ---------------------------------------------------------------------------

PLAYGROUND = web.AppKey("playground", Playground)
routes = web.RouteTableDef()


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@web.middleware
async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A second line behind `textContent`: the page runs only its own script file."""
    response = await handler(request)
    if not response.prepared:  # a WebSocket has sent its headers already
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def make_web_app(playground: Playground) -> web.Application:
    app = web.Application(client_max_size=64 * 1024, middlewares=[only_own_host, _guarded])
    app[PLAYGROUND] = playground
    app.add_routes(routes)
    app.router.add_static("/static/", STATIC)
    app.on_shutdown.append(_close_sockets)
    ticks = instrument_scheduler(playground.scheduler) if playground.scheduler is not None else None
    add_operations_routes(app, Health(playground.service.db, ticks), playground.clock.now)
    return app


async def _close_sockets(app: web.Application) -> None:
    """Open pages would otherwise hold the shutdown until they go away."""
    for sockets in app[PLAYGROUND].sockets.values():
        for socket in list(sockets):
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"The playground stopped.")


def _playground(request: web.Request) -> Playground:
    return request.app[PLAYGROUND]


def _error(status: int, text: str) -> web.HTTPException:
    kind = {400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 403: web.HTTPForbidden, 404: web.HTTPNotFound}[status]
    return kind(text=json.dumps({"error": text}), content_type="application/json")


async def _body(request: web.Request) -> dict[str, Any]:
    """JSON bodies only: a form post from another site (no preflight) is refused."""
    if request.content_type != "application/json":
        raise _error(400, "Send JSON.")
    try:
        body = await request.json()
    except ValueError:
        raise _error(400, "That request wasn't valid JSON.") from None
    if not isinstance(body, dict):
        raise _error(400, "That request wasn't a JSON object.")
    return body


def _text(body: dict[str, Any], name: str, limit: int = 200) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _error(400, "That request wasn't text.")
    if len(value) > limit:
        raise _error(400, TOO_LONG.format(limit=limit))
    return value


async def _me(request: web.Request) -> tuple[Playground, Person]:
    playground = _playground(request)
    person = await playground.person(request.cookies.get(COOKIE))
    if person is None:
        raise _error(401, PICK_SOMEONE)
    return playground, person


def _zone(person: Person) -> str:
    """The playground shows times in the zone of the person you are, as their own client would."""
    return person.timezone or "UTC"


def _actor(person: Person) -> Actor:
    return Actor(Platform.PLAYGROUND, demo.WORKSPACE, person.external_id, person.display_name, person.timezone)


def _key(person: Person, body: dict[str, Any]) -> str | None:
    """The page sends a fresh key per click, so a repeated request is applied once."""
    key = _text(body, "key", 64)
    return f"playground:{person.external_id}:{key}" if key else None


async def _readable(playground: Playground, person: Person, space: str) -> Channel:
    found = await playground.may_read(person.external_id, space)
    if not found:
        raise _error(404, NOT_YOURS)
    return found


def _reply_json(playground: Playground, reply: Reply | None, zone: str | None = None) -> Json:
    """The private answer, placed after every message written so far (the page shows it there)."""
    if reply is None:
        return {"reply": None, "form": None, "refused": False}
    return {
        "reply": {**message_json(reply.message, zone or "UTC"), "seq": playground.port.last_seq},
        "form": form_json(reply.form, zone or "UTC") if reply.form else None,
        "refused": reply.refused,  # the page keeps what the person typed, so a fix is one edit away
    }


@routes.get("/")
async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


@routes.get("/api/state")
async def state(request: web.Request) -> web.Response:
    """The sidebar: who you are, whom you may switch to, your channels, and the clock."""
    playground = _playground(request)
    people = await playground.people()
    me = await playground.person(request.cookies.get(COOKIE))
    channels = await playground.channels(me.external_id) if me else []
    return web.json_response(
        {
            "me": _person_json(me) if me else None,
            "people": [_person_json(p) for p in people],
            "channels": [
                {
                    "id": c.space_ref,
                    "name": c.name,
                    "format": c.format_key,
                    "mode": c.mode.value,
                    "archived": c.space_ref in playground.port.archived,
                }
                for c in channels
            ],
            "dm": {"id": dm_space(me.external_id), "name": BOT_NAME} if me else None,
            "form": _pending_form(playground, me),
            "now": playground.clock.now().isoformat(),
            "next_due": _iso(await playground.due.next_due_at()),
        }
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _pending_form(playground: Playground, me: Person | None) -> Json | None:
    """A form the bot opened for this person (`ChatPort.open_form`), shown once."""
    form = playground.port.take_form(me.external_id) if me else None
    return form_json(form, _zone(me)) if form and me else None


def _person_json(person: Person) -> Json:
    return {
        "id": person.external_id,
        "name": person.display_name,
        "department": person.department or "",
        "timezone": person.timezone or "UTC",
    }


@routes.post("/api/me")
async def switch_person(request: web.Request) -> web.Response:
    playground = _playground(request)
    body = await _body(request)
    person = await playground.person(_text(body, "person", 64))
    if person is None:
        raise _error(404, "There's nobody by that name in the playground.")
    response = web.json_response({"me": _person_json(person)})
    response.set_cookie(COOKIE, person.external_id, httponly=True, samesite="Strict")
    return response


@routes.get("/api/spaces/{space}")
async def read_space(request: web.Request) -> web.Response:
    playground, person = await _me(request)
    space = request.match_info["space"]
    channel = await _readable(playground, person, space)
    messages = playground.port.channel(space, person.external_id)
    return web.json_response(
        {
            "id": space,
            "name": channel.name,
            "topic": playground.port.topics.get(space, ""),
            "archived": space in playground.port.archived,
            "messages": [posted_json(p, _zone(person)) for p in messages],
        }
    )


@routes.get("/api/spaces/{space}/threads/{message}")
async def read_thread(request: web.Request) -> web.Response:
    playground, person = await _me(request)
    space = request.match_info["space"]
    await _readable(playground, person, space)
    found = playground.port.thread(space, request.match_info["message"], person.external_id)
    if found is None:
        raise _error(404, "That thread isn't here any more.")
    parent, replies = found
    zone = _zone(person)
    return web.json_response({"parent": posted_json(parent, zone), "replies": [posted_json(p, zone) for p in replies]})


ARCHIVED = "This circle has ended: its channel is archived, to read but not to write in."


@routes.post("/api/send")
async def send(request: web.Request) -> web.Response:
    """A line typed in a channel, thread or DM: a `/circle` command, or a message to the others."""
    playground, person = await _me(request)
    body = await _body(request)
    space, thread = _text(body, "space", 64), _text(body, "thread", 64)
    text = _text(body, "text", MAX_LINE)
    if not text.strip():
        raise _error(400, "Write something first.")
    channel = await _readable(playground, person, space)
    where = Where(
        space=space if channel.circle else None,
        thread=MessageRef(space, thread).encode() if thread else None,
    )
    if text.lstrip().startswith("/"):
        if not re.match(r"^\s*/circle(\s|$)", text):
            return web.json_response(_reply_json(playground, Reply(message(ONLY_CIRCLE))))
        people = await playground.people()
        reply = await playground.service.run_command(
            _actor(person), _with_mentions(text, people), where, _key(person, body)
        )
        return web.json_response(_reply_json(playground, reply, _zone(person)))
    if len(text) > MAX_TEXT:
        raise _error(400, TOO_LONG.format(limit=MAX_TEXT))
    if space in playground.port.archived:
        raise _error(403, ARCHIVED)
    posted = await playground.port.write(
        space, thread or None, message(text), author=person.display_name, author_id=person.external_id
    )
    if not channel.circle:
        return web.json_response(_reply_json(playground, Reply(message(ONLY_CIRCLE))))  # the bot's DM
    if posted.thread is None:
        return web.json_response(_reply_json(playground, None))
    answer = await playground.service.reply_in_thread(
        _actor(person), MessageRef(space, posted.thread).encode(), text, _key(person, body)
    )
    if answer is not None and answer.refused:
        await playground.port.remove(posted.ref)  # not taken: it leaves the thread, the reason stays with them
    return web.json_response(_reply_json(playground, answer, _zone(person)))


def _with_mentions(text: str, people: list[Person]) -> str:
    """`@ben` or `@Ben` (a first name) becomes the mention the core reads, as Slack would send it."""
    known: dict[str, str] = {}
    for p in people:
        known[p.external_id.lower()] = p.external_id
        known.setdefault(p.display_name.split(" ")[0].lower(), p.external_id)

    def swap(match: re.Match[str]) -> str:
        user = known.get(match.group(1).lower())
        return f"<@{user}>" if user else match.group(0)

    return _MENTION.sub(swap, text)


@routes.post("/api/press")
async def press(request: web.Request) -> web.Response:
    playground, person = await _me(request)
    body = await _body(request)
    space = _text(body, "space", 64)
    channel = await _readable(playground, person, space)
    where = Where(space=space if channel.circle else None)
    reply = await playground.service.press(
        _actor(person), _text(body, "action_id", 64), _text(body, "value", 64), where, _key(person, body)
    )
    return web.json_response(_reply_json(playground, reply, _zone(person)))


@routes.post("/api/submit")
async def submit(request: web.Request) -> web.Response:
    playground, person = await _me(request)
    body = await _body(request)
    raw = body.get("values")
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise _error(400, "A form's values must be text.")
    values = {str(k)[:64]: v[: MAX_TEXT + 1] for k, v in list(raw.items())[:20]}
    result = await playground.service.submit(
        _actor(person), _text(body, "form_id", 64), _text(body, "context", 64), values, _key(person, body)
    )
    return web.json_response({"errors": result.errors, **_reply_json(playground, result.reply, _zone(person))})


@routes.post("/api/skip")
async def skip(request: web.Request) -> web.Response:
    playground, _person = await _me(request)
    skipped = await skip_ahead(playground.clock, playground.due)
    if playground.port.keep is not None:
        playground.port.keep(playground.port)  # the clock is kept with the channels, even when nothing was said
    now = playground.clock.now().isoformat()
    await playground.tell_everyone({"type": "clock", "now": now})
    return web.json_response({"summary": skipped.summary, "handled": skipped.handled, "now": now})


@routes.get("/ws")
async def live(request: web.Request) -> web.WebSocketResponse:
    playground, person = await _me(request)
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        raise web.HTTPForbidden(text="Open the playground from its own address.")
    socket = web.WebSocketResponse(heartbeat=30)
    playground.sockets.setdefault(person.external_id, set()).add(socket)  # before the handshake ends
    try:
        await socket.prepare(request)
        async for received in socket:
            if received.type == WSMsgType.ERROR:
                break
    finally:
        playground.sockets[person.external_id].discard(socket)
    return socket


@routes.get("/files/{token}/{name}")
async def download(request: web.Request) -> web.Response:
    """A file the bot handed the person asking, and nobody else: another person's token is not there."""
    playground, person = await _me(request)
    found = playground.port.downloads.file(person.external_id, request.match_info["token"], request.match_info["name"])
    if found is None:
        raise _error(404, "There's no such file for you.")
    content, media_type = found
    disposition = "inline" if media_type.startswith("image/") else "attachment"
    return web.Response(
        body=content,
        content_type=media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{request.match_info["name"]}"'},
    )


@routes.get("/report/{token}")
async def report_page(request: web.Request) -> web.Response:
    """The report's charts on one page, for the lead or facilitator who asked for it only."""
    playground, person = await _me(request)
    bundle = playground.port.downloads.bundle(person.external_id, request.match_info["token"])
    if bundle is None:
        raise _error(404, "There's no such report for you.")
    return web.Response(text=report_html(bundle), content_type="text/html")


# Starting it -----------------------------------------------------------------------------------


def playground_of(
    service: CircleService, port: PlaygroundPort, clock: MovableClock, scheduler: Scheduler
) -> Playground:
    """Skip ahead moves to whichever comes first: a reminder, check-in or nudge, or an async deadline."""
    return Playground(service, port, clock, EarliestOf(scheduler, AsyncRoundDeadlines(service)), scheduler=scheduler)


async def open_playground(settings: Settings, clock: MovableClock, seed: bool) -> Playground:
    """Migrates the database, wires the service to the playground's port and seeds the demo
    programme when asked (or when the playground has nobody in it yet)."""
    _make_sqlite_folder(settings.database_url)
    port = PlaygroundPort(clock)
    saved = history.history_path(settings.database_url)
    if saved is not None:
        port.downloads = Downloads(saved.parent / "downloads")
        history.load(port, saved, clock)
        port.keep = lambda kept: history.save(kept, saved)
    app = await asyncio.to_thread(build, settings, lambda _workspace: port, clock)
    playground = playground_of(app.service, port, clock, app.scheduler)
    if (seed or not await playground.people()) and await demo.seed_demo(playground.service):
        log.info("Seeded the demo programme: %d people, %d circles.", len(demo.PEOPLE), len(demo.CIRCLES))
    return playground


def _make_sqlite_folder(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the owner's only


async def start_site(playground: Playground, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Listens on host:port (0 picks a free port); returns the runner and the port it got."""
    runner = web.AppRunner(make_web_app(playground), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner, int(runner.addresses[0][1])


def serve(settings: Settings, port: int, demo: bool) -> int:
    """`circles run` with no tokens set, and `circles demo`: runs until Ctrl+C."""
    try:
        asyncio.run(_serve(settings, port, demo))
    except KeyboardInterrupt:
        print("\nPlayground stopped.")
    return 0


def _database_name(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"the SQLite database {parsed.database}"
    return parsed.render_as_string(hide_password=True)


async def _serve(settings: Settings, port: int, seed: bool) -> None:
    playground = await open_playground(settings, RunningClock(), seed)
    runner, bound = await start_site(playground, settings.host, port)
    if playground.scheduler is not None:
        playground.scheduler.start()
    print(
        f"Peer Circles playground is running on {_database_name(settings.database_url)}.\n"
        f"Open http://{settings.host}:{bound} in your browser (Ctrl+C stops it).",
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        if playground.scheduler is not None:
            await playground.scheduler.close()
        await runner.cleanup()
        await playground.service.db.dispose()


__all__ = ["make_web_app", "open_playground", "playground_of", "serve", "start_site"]
