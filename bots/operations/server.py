"""`/healthz`, `/readyz` and `/metrics` over HTTP: added to the server a mode already has (Slack's
HTTP mode, the playground), or served by a small one of their own (Socket Mode, Discord) on
CIRCLES_METRICS_PORT.

    GET /healthz   200 "ok" while the process answers
    GET /readyz    200 when ready, else 503; JSON {"ready": …, "checks": {"database": "ok", …}}
    GET /metrics   Prometheus text format
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from aiohttp import web

from bots.operations.health import Health
from bots.operations.metrics import CONTENT_TYPE, exposition, observe_outbox

log = logging.getLogger(__name__)

HEALTH = web.AppKey("circles_health", Health)
NOW: web.AppKey[Callable[[], datetime]] = web.AppKey("circles_now")
PATHS = ("/healthz", "/readyz", "/metrics")


def add_operations_routes(
    app: web.Application, health: Health, now: Callable[[], datetime], metrics: bool = True
) -> None:
    """Adds the probes (and `/metrics`, unless it is served on a port of its own) to `app`."""
    app[HEALTH] = health
    app[NOW] = now
    app.router.add_get("/healthz", _alive)
    app.router.add_get("/readyz", _ready)
    if metrics:
        app.router.add_get("/metrics", _metrics)


async def _alive(_request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


async def _ready(request: web.Request) -> web.Response:
    ready, checks = await request.app[HEALTH].readiness()
    body = json.dumps({"ready": ready, "checks": checks})
    return web.Response(text=body, content_type="application/json", status=200 if ready else 503)


async def _metrics(request: web.Request) -> web.Response:
    health = request.app[HEALTH]
    try:
        await observe_outbox(health.db, request.app[NOW]())
    except Exception as error:  # the database may be down: the rest of the metrics still answer
        log.warning("could not read the outbox for /metrics: %s", type(error).__name__)
    response = web.Response(body=exposition(health.ticks))
    response.headers["Content-Type"] = CONTENT_TYPE
    return response


def operations_app(health: Health, now: Callable[[], datetime]) -> web.Application:
    app = web.Application()
    add_operations_routes(app, health, now)
    return app


@asynccontextmanager
async def operations_server(health: Health, now: Callable[[], datetime], host: str, port: int) -> AsyncIterator[int]:
    """Serves the probes and metrics on host:port (0: a free port) while the block runs; yields the port."""
    runner = web.AppRunner(operations_app(health, now), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = int(runner.addresses[0][1])
        log.info("Health and metrics on http://%s:%s/readyz and /metrics", host, bound)
        yield bound
    finally:
        await runner.cleanup()
