"""The server's security model, enforced in one place: an ASGI wrapper around every route.

``eventmatch serve`` is a local tool people leave running while they browse, so no other web page, no
foreign ``Host`` and no oversized or slow request may act through it (docs/security.md says why each rule
is there):

* **Host.** The ``Host`` header must name a loopback address, ``localhost``, or the address the server is
  bound to (bound to every address, ``0.0.0.0`` or ``::``: one of this machine's addresses, or its host
  name); ``allow_hosts`` (``--allow-host``) adds names. Others are refused with 403: a DNS-rebinding page
  reaches the server under its own name, and is refused by it.
* **Origin.** A request that may change state (any method but GET, HEAD and OPTIONS) that carries an
  ``Origin`` other than the request's own ``scheme://host:port`` is refused with 403, naming the origin
  and the option that would allow it (``--allow-origin``). A page on another port of 127.0.0.1 is another
  origin. ``Sec-Fetch-Site: cross-site`` without an Origin is refused too.
* **Content type.** The console's own routes (``/_eventmatch/console/...``) take ``application/json``
  only (415 otherwise), which no HTML form can send.
* **CORS.** No CORS headers by default. For an origin of ``allow_origins`` a preflight is answered for
  exactly that origin, with the request headers AWS's SDKs send allowed and the response headers they
  read exposed; the origin is then trusted like the server's own.
* **Bodies.** Every request body is read here, capped while it is read (``max_body``, 1 MiB: 413 past
  it, before the rest is read, so memory stays flat) and given ``body_seconds`` to arrive (408 after).
* **Streams.** At most ``max_streams`` live-tail streams at once (429 past it).

Refusals answer in the shape of the route: AWS's JSON protocol at ``POST /``, Scheduler's REST shape on
its routes, ``{"message": ...}`` elsewhere. The same checks hold where the app is mounted inside a user's
own ASGI app, relative to that request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Receive, Scope, Send

from .asgi import is_json, refusal, replay_body, sdk_header, send_refusal, too_large, with_cors

log = logging.getLogger("eventmatch.server")

#: the largest request body read, on every route (PutEvents' own limit is 256 KB of entries)
MAX_BODY = 1024 * 1024
#: how much of a body past the cap is read (and dropped) before the 413, so that a client that sends its
#: whole body before it reads the answer gets it; past this the answer is sent and the connection closed
DRAIN = 8 * 1024 * 1024
#: seconds a request body may take to arrive
BODY_SECONDS = 30.0
#: seconds between two looks at the bodies being read (a late body is refused up to this much after its deadline)
WATCH_EVERY = 0.25
#: live-tail streams open at once
MAX_STREAMS = 16
#: methods that never change state
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SCHEDULER_PREFIXES = ("/schedules", "/schedule-groups", "/tags/")
CONSOLE_PREFIX = "/_eventmatch/console/"
TAIL_PATH = "/_eventmatch/console/tail"


@dataclass(frozen=True)
class SecurityPolicy:
    """What the server lets through; each relaxation is an option of ``eventmatch serve``."""

    #: origins (``scheme://host[:port]``) whose pages may call the server (``--allow-origin``)
    allow_origins: frozenset[str] = frozenset()
    #: Host names served besides loopback, localhost and the bound address (``--allow-host``)
    allow_hosts: frozenset[str] = frozenset()
    #: hosts (``HOST`` or ``HOST:PORT``) outbound calls may reach whatever they resolve to (``--allow-endpoint``)
    allow_endpoints: frozenset[str] = frozenset()
    max_body: int = MAX_BODY
    body_seconds: float = BODY_SECONDS
    max_streams: int = MAX_STREAMS

    @classmethod
    def of(cls, allow_origins: Iterable[str] = (), allow_hosts: Iterable[str] = (),
           allow_endpoints: Iterable[str] = (), **limits: Any) -> SecurityPolicy:
        return cls(frozenset(o.rstrip("/").lower() for o in allow_origins),
                   frozenset(h.lower() for h in allow_hosts), frozenset(allow_endpoints), **limits)


def check_origin(given: str) -> str:
    """One ``--allow-origin`` value, checked: ``scheme://host[:port]``; ValueError naming what is wrong."""
    scheme, sep, rest = given.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest or "/" in rest.rstrip("/"):
        raise ValueError(f"--allow-origin {given!r}: expected an origin, scheme://host[:port] "
                         "(http://localhost:3000, say)")
    return given


def route_kind(path: str) -> str:
    """Which error shape a path answers in: ``aws`` (POST /), ``scheduler``, or ``console``."""
    if path in ("/", ""):
        return "aws"
    if path.startswith(SCHEDULER_PREFIXES):
        return "scheduler"
    return "console"


def _headers(scope: Scope) -> tuple[bytes | None, str | None, bytes | None, bytes | None, int]:
    """The headers the guard reads: (Host, Origin, Content-Type, Sec-Fetch-Site, Content-Length or -1)."""
    host = content_type = fetch_site = None
    origin: str | None = None
    length = -1
    for key, value in scope["headers"]:
        if key == b"host":
            host = value
        elif key == b"origin":
            origin = value.decode("latin-1")
        elif key == b"content-type":
            content_type = value
        elif key == b"content-length" and value.isdigit():
            length = int(value) if len(value) < 19 else 1 << 62
        elif key == b"sec-fetch-site":
            fetch_site = value
    return host, origin, content_type, fetch_site, length


def _change_refusal(foreign: str | None, own: str, cross_site: bool, console: bool,
                    content_type: bytes | None) -> tuple[int, str, str] | None:
    """Why a request that may change state is refused, as (status, code, message), or None: from a foreign
    origin, marked cross-site without an origin, or not JSON on the console's routes."""
    if foreign is not None:
        shown = foreign[:200]
        return (403, "AccessDeniedException", f"Cross-origin request refused: origin {shown} is not this server's "
                f"({own}). Start eventmatch serve with --allow-origin {shown} to let pages of that origin call it "
                "(see docs/security.md).")
    if cross_site:
        return 403, "AccessDeniedException", "Cross-site request refused (Sec-Fetch-Site: cross-site, no Origin)."
    if console and not is_json(content_type):
        shown = (content_type or b"(none)").decode("latin-1")[:100]
        return 415, "UnsupportedMediaType", f"The console's routes take application/json, not {shown}."
    return None


def _host_name(host: str) -> str:
    """The name or address of a Host header, without its port or IPv6 brackets, in lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        return host.split(":", 1)[0]
    return host


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_local_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``ip`` is one of this machine's addresses: a socket can be bound to it (nothing is sent)."""
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((str(ip), 0))
    except OSError:
        return False
    return True


#: the scope key under which the guard leaves a request's body, read and checked
BODY = "eventmatch.body"


@dataclass
class Guard:
    """The ASGI wrapper that enforces a :class:`SecurityPolicy` before ``app`` sees a request."""

    app: Callable[[Scope, Receive, Send], Awaitable[None]]
    policy: SecurityPolicy = field(default_factory=SecurityPolicy)
    streams: int = 0
    _hosts: dict[tuple[bytes, str], bool] = field(default_factory=dict)
    #: per event loop: the requests whose bodies are being read, with their deadlines, and the timer that
    #: looks at them; the reads cancelled for being late
    _reading: dict[asyncio.AbstractEventLoop, dict[asyncio.Task[Any], float]] = field(default_factory=dict)
    _timers: dict[asyncio.AbstractEventLoop, asyncio.TimerHandle] = field(default_factory=dict)
    _expired: set[asyncio.Task[Any]] = field(default_factory=set)

    def host_allowed(self, host: bytes, bound: str) -> bool:
        """Whether a request whose Host header is ``host`` to a server bound at ``bound`` is served."""
        key = (host, bound)
        known = self._hosts.get(key)
        if known is None:
            known = self._host_allowed(host.decode("latin-1"), bound)
            if len(self._hosts) > 1024:  # a bound on what arbitrary Host headers can fill
                self._hosts.clear()
            self._hosts[key] = known
        return known

    def _host_allowed(self, host: str, bound: str) -> bool:
        name = _host_name(host)
        if name == "localhost" or name in self.policy.allow_hosts:
            return True
        ip = _ip(name)
        bound_ip = _ip(bound) if bound else None
        if ip is not None:
            if ip.is_loopback or (bound_ip is not None and ip == bound_ip):
                return True
            if bound_ip is not None and bound_ip.is_unspecified and not ip.is_unspecified:
                return is_local_address(ip)
            return False
        if bound_ip is not None and bound_ip.is_unspecified:
            return name == socket.gethostname().lower()
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        kind = route_kind(path)
        host, origin, content_type, fetch_site, length = _headers(scope)
        server = scope.get("server")
        bound = str(server[0]) if server else ""
        if host is not None and not self.host_allowed(host, bound):
            shown = host.decode("latin-1")[:200]
            await send_refusal(send, kind, 403, "AccessDeniedException",
                                f"Host {shown!r} is not served: eventmatch answers only to loopback addresses, "
                                f"localhost and the address it listens on. Start it with --allow-host "
                                f"{_host_name(shown)} to serve that name (see docs/security.md).")
            return
        method = scope["method"]
        own = ""
        foreign = allowed_origin = False
        if origin is not None:  # (most requests, the SDKs' and the CLI's, have none)
            own = f"{scope.get('scheme', 'http')}://{(host or b'').decode('latin-1')}".lower()
            foreign = origin.lower() != own
            allowed_origin = foreign and origin.rstrip("/").lower() in self.policy.allow_origins
        # (a page of the server's own origin sends no preflight and needs no CORS headers)
        if method == "OPTIONS" and foreign:
            await self._preflight(scope, send, kind, origin or "", allowed_origin)
            return
        if method not in SAFE_METHODS and not allowed_origin:
            refused = _change_refusal(origin if foreign else None, own, origin is None and fetch_site == b"cross-site",
                                      kind == "console" and path.startswith(CONSOLE_PREFIX), content_type)
            if refused is not None:
                await send_refusal(send, kind, *refused)
                return
        if allowed_origin:
            send = with_cors(send, origin or "")
        if method not in ("GET", "HEAD"):
            body = await self._body(receive, send, kind, length)
            if body is None:
                return
            receive = replay_body(body, receive)
            scope[BODY] = body  # read once: EventBridge's POST / takes it from here (see app.api_direct)
        if path == TAIL_PATH:
            if self.streams >= self.policy.max_streams:
                await send_refusal(send, kind, 429, "TooManyStreams",
                                    f"{self.streams} live-tail streams are open, the most this server keeps; "
                                    f"close one and try again.")
                return
            self.streams += 1
            try:
                await self._run(scope, receive, send, kind)
            finally:
                self.streams -= 1
            return
        await self._run(scope, receive, send, kind)

    async def _run(self, scope: Scope, receive: Receive, send: Send, kind: str) -> None:
        """The app, with a net under it: a defect answers 500 in the route's shape, never a bare one. (Not a
        wrapper of ``send`` that watches for the answer's start: that cost two awaits a request. Once an
        answer has started, the server refuses a second one, and that refusal is dropped here.)"""
        try:
            await self.app(scope, receive, send)
        except Exception:
            log.exception("internal error in %s %s", scope["method"], scope["path"])
            code = "InternalException" if kind == "aws" else "InternalServerException"
            try:
                await send_refusal(send, kind, 500, code, "An internal error occurred.")
            except Exception:  # the answer had started: the connection is closed by the server
                log.debug("no 500 for %s %s: its answer had started", scope["method"], scope["path"])

    async def _body(self, receive: Receive, send: Send, kind: str, length: int) -> bytes | None:
        """The request's body, read while it stays under the cap and arrives in time; None once refused."""
        cap = self.policy.max_body
        if length > DRAIN:  # too large to read even to drop it: answered at once
            await too_large(send, kind, cap)
            return None
        chunks: list[bytes] = []
        size = 0
        task = asyncio.current_task()
        reading = self._watch(task)
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return None
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > cap:  # dropped from here on; the answer waits for the rest (up to DRAIN bytes)
                    chunks.clear()
                    if not message.get("more_body") or size > DRAIN:
                        await too_large(send, kind, cap)
                        return None
                    continue
                chunks.append(chunk)
                if not message.get("more_body"):
                    break
        except asyncio.CancelledError:
            if task is None or task not in self._expired:
                raise
            self._expired.discard(task)
            task.uncancel()
            await send_refusal(send, kind, 408, "RequestTimeout",
                                f"The request body did not arrive within {self.policy.body_seconds:g} seconds.")
            return None
        finally:
            reading.pop(task, None)  # type: ignore[arg-type]
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _watch(self, task: asyncio.Task[Any] | None) -> dict[asyncio.Task[Any], float]:
        """Put ``task`` under the body deadline: a timer of its loop, armed while bodies are being read, cancels
        the reads past it (cheaper than a timeout per request: a dict entry, not a timer handle each)."""
        loop = asyncio.get_running_loop()
        reading = self._reading.setdefault(loop, {})
        if task is not None:
            reading[task] = loop.time() + self.policy.body_seconds
            if loop not in self._timers:
                self._timers[loop] = loop.call_later(WATCH_EVERY, self._expire, loop)
        return reading

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        reading = self._reading.get(loop, {})
        now = loop.time()
        for task, deadline in list(reading.items()):
            if now >= deadline:
                del reading[task]
                self._expired.add(task)
                task.cancel()
        if reading:
            self._timers[loop] = loop.call_later(WATCH_EVERY, self._expire, loop)
        else:
            self._timers.pop(loop, None)

    async def _preflight(self, scope: Scope, send: Send, kind: str, origin: str, allowed: bool) -> None:
        """A CORS preflight: answered for an allowed origin, refused for any other."""
        if not allowed:
            await send_refusal(send, kind, 403, "AccessDeniedException",
                                f"Cross-origin request refused: origin {origin[:200]} is not allowed. Start "
                                f"eventmatch serve with --allow-origin {origin[:200]} to let its pages call it.")
            return
        asked = b""
        for key, value in scope["headers"]:
            if key == b"access-control-request-headers":
                asked = value
        names = [h.strip() for h in asked.decode("latin-1").lower().split(",") if h.strip()]
        allowed_headers = ", ".join(h for h in names if sdk_header(h)) or "content-type"
        headers = [(b"access-control-allow-origin", origin.encode("latin-1")),
                   (b"access-control-allow-methods", b"GET, POST, PUT, DELETE, PATCH, HEAD"),
                   (b"access-control-allow-headers", allowed_headers.encode("latin-1")),
                   (b"access-control-max-age", b"600"), (b"vary", b"Origin"), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})



__all__ = ["BODY", "MAX_BODY", "Guard", "SecurityPolicy", "check_origin", "is_local_address", "refusal",
           "route_kind"]
