"""The playground stays on this machine: it answers only requests addressed to it by a name that
cannot be someone else's.

A web page elsewhere can point its own domain at 127.0.0.1 (DNS rebinding) and then read the
playground as if it were that site; the browser still sends the attacker's name in `Host`. So a
request is served only when its Host is an IP address, `localhost` or this machine's own name,
on the port the playground listens on; anything else gets 421 Misdirected Request. A WebSocket
must also come from one of the playground's own pages (its `Origin`), since browsers let any page
open one.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import cache
from urllib.parse import urlsplit

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

MISDIRECTED = "This playground answers only at its own address, such as http://127.0.0.1:PORT."


@cache
def own_names() -> frozenset[str]:
    names = {"localhost", "localhost.localdomain"}
    try:
        host = socket.gethostname()
        names.update({host.lower(), socket.getfqdn(host).lower()})
    except OSError:  # no name at all: addresses and localhost still work
        pass
    return frozenset(names)


def is_own_host(value: str, port: int | None) -> bool:
    """`value` as a Host header (`name[:port]`, `[v6]:port`); `port` is where we listen."""
    parts = urlsplit(f"//{value.strip()}")
    try:
        name, given = (parts.hostname or "").lower(), parts.port
    except ValueError:  # a port that is not a number
        return False
    if not name or (given is not None and port is not None and given != port):
        return False
    if given is None and port not in (None, 80):
        return False
    try:
        ipaddress.ip_address(name)
        return True  # an address literal cannot be an attacker's domain
    except ValueError:
        return name in own_names()


def _listening_port(request: web.Request) -> int | None:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return int(sockname[1]) if sockname else None


@web.middleware
async def only_own_host(request: web.Request, handler: Handler) -> web.StreamResponse:
    port = _listening_port(request)
    if not is_own_host(request.host, port):
        raise web.HTTPMisdirectedRequest(text=MISDIRECTED)
    origin = request.headers.get(hdrs.ORIGIN)
    upgrade = request.headers.get(hdrs.UPGRADE, "").lower() == "websocket"
    if upgrade and origin is not None and not is_own_host(urlsplit(origin).netloc, port):
        raise web.HTTPForbidden(text="This playground's live updates are for its own pages only.")
    return await handler(request)
