"""The ASGI application (Starlette) and a runner (uvicorn) for ``eventmatch serve``.

``create_app(bridge)`` answers EventBridge's API at ``POST /`` (:mod:`.wire`), Scheduler's REST routes
(:mod:`.scheduler_api`), the console (:mod:`eventmatch.console`) and the inspection API under
``/_eventmatch/`` (:mod:`.inspection`), every request behind the security guard (:mod:`.security`). The
app mounts inside a user's own ASGI application as well.

Targets given by ARN (``PutTargets`` over the wire has no Python callable) are *recorded*: each
delivery is kept (:mod:`.state`), and nothing is lost or an error; another bus of the server gets the
event. PutEvents stores what it accepts before it answers and routes it afterwards (:mod:`.inbox`).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..bus import EventBridge, VirtualClock
from ..console import Backend, Consoles
from ..console import routes as console_routes
from ..scheduler import Scheduler
from ..schemas.discover import Discoverer
from . import inspection, scheduler_api, schemas_api, wiring
from .asgi import REQUEST_ID, request_id
from .forward import Forwarder
from .inbox import Inbox
from .outbound import OutboundPolicy, Resolver
from .resources import Targets
from .security import BODY, Guard, SecurityPolicy
from .service import Registry, Service
from .sigv4 import pair_of
from .state import DELIVERIES, State
from .targets import Functions
from .wire import CONTENT_TYPE, MAX_BODY, error, handle


def create_app(
    bridge: EventBridge | None = None,
    state: State | None = None,
    functions: Functions | None = None,
    forward: Mapping[str, str] | None = None,
    security: SecurityPolicy | None = None,
    resolver: Resolver | None = None,
    discover: bool = False,
    prepare: Callable[[Registry], None] | None = None,
) -> Starlette:
    """The ASGI app of an EventBridge (a new one on the system clock by default), keeping its state in
    ``state`` (in memory by default). A state with a command log is played again first; the events it
    accepted and had not routed are routed. ``functions`` maps target ARNs to Python callables, which
    receive those targets' deliveries (a Lambda function's ARN, say, to its handler); ``forward`` maps
    AWS services (``sqs``, ``lambda``...) to the endpoints their targets are forwarded to (:mod:`.forward`).

    Every request passes ``security`` first (:mod:`.security`: Host, Origin, body caps); the server's own
    HTTP calls go where :mod:`.outbound` lets them, names looked up with ``resolver`` (the system's by
    default). With ``discover``, the schemas of the events routed are inferred as they pass
    (``GET /_eventmatch/schemas``). ``prepare`` is given the registry of services before the command log is
    played again: what it makes (``eventmatch serve --template``'s buses and rules) is there when the changes
    made on it are played."""
    if bridge is None:
        bridge = EventBridge()
    security = security or SecurityPolicy()
    state = state or State()
    virtual = bridge.clock
    if isinstance(virtual, VirtualClock):  # deliveries and attempts happen at the bridge's time, not the system's
        state.now = lambda: virtual.now().timestamp()
    inbox = Inbox(bridge, state)
    services = wiring.build(bridge, state, inbox, OutboundPolicy(security.allow_endpoints, resolver), functions,
                            Forwarder(forward) if forward else None, prepare)
    service = services.default
    scheduler = service.scheduler
    assert scheduler is not None
    api, api_direct = _api_handlers(services)
    routes = [
        Route("/", api, methods=["POST"]),
        *scheduler_api.ROUTES,
        *schemas_api.routes(),
        *console_routes(),
        *inspection.routes(),
    ]
    app = _App(routes=routes)
    app.api_direct = api_direct
    app.guard = Guard(app.dispatch, security)
    app.state.bridge = bridge
    app.state.services = services
    app.state.store = state
    app.state.inbox = inbox
    app.state.scheduler = scheduler
    discoverer = Discoverer() if discover else None
    if discoverer is not None:
        inbox.observe = discoverer.observe
    app.state.inspected = inspection.Inspected(bridge, state, inbox, scheduler, discoverer, _bridge_and_scheduler(
        services))
    app.state.console = consoles(services, inbox, state)
    return app


def _api_handlers(services: Registry) -> tuple[Callable[[Request], Awaitable[Response]], ASGIApp]:
    """EventBridge's ``POST /`` on the service ``services`` picks: through Starlette (an app that wraps this
    one's routes), and direct (what _App.dispatch calls at the root or where the app is mounted)."""

    default = services.default_pair

    def answer(scope: Scope, target: str | None, body: bytes, too_large: bool = False) -> tuple[int, bytes]:
        if too_large or len(body) > MAX_BODY:
            status, payload = error("ValidationException", "Request body is too large.", 413)
        else:
            service = services.get(pair_of(scope["headers"], scope["query_string"], default))
            with service.lock:  # one request at a time: changes are made in order
                # inline on the event loop: the handlers are short, and a hop to a thread cost more than
                # them (empty requests 820/s with asyncio.to_thread, 1,634/s inline, with httptools)
                status, payload = handle(service, target, body)
        if target == PUT_EVENTS and status == 200:  # strings and integers only: the fast encoder
            return status, _encode(payload)
        return status, json.dumps(payload, default=_json_default).encode()

    async def api(request: Request) -> Response:  # the same through Starlette (an app that wraps this one's routes)
        status, text = answer(request.scope, request.headers.get("x-amz-target"), await request.body())
        return Response(text, status_code=status, media_type=CONTENT_TYPE,
                        headers={"x-amzn-RequestId": request_id().decode()})

    async def api_direct(scope: Scope, receive: Receive, send: Send) -> None:
        """``POST /`` without Starlette's request and routing objects: the same answer, 2-3x the requests a
        second (they cost more than PutEvents' own work)."""
        target: str | None = None
        for key, value in scope["headers"]:
            if key == b"x-amz-target":
                target = value.decode("latin-1")
                break
        body = scope.get(BODY)
        if body is not None:  # read by the guard (capped and in time)
            status, text = answer(scope, target, body)
            await _respond(send, status, text)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= MAX_BODY:  # past the limit the rest is read and dropped
                chunks.append(chunk)
            if not message.get("more_body"):
                break
        status, text = answer(scope, target, b"".join(chunks), size > MAX_BODY)
        await _respond(send, status, text)

    return api, api_direct


_CONTENT_TYPE = CONTENT_TYPE.encode()


async def _respond(send: Send, status: int, text: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", _CONTENT_TYPE), (b"content-length", str(len(text)).encode()), (REQUEST_ID, request_id())]})
    await send({"type": "http.response.body", "body": text})


def _bridge_and_scheduler(services: Registry) -> Callable[[tuple[str, str]], tuple[EventBridge, Scheduler] | None]:
    """A held pair's bridge and Scheduler (what the inspection routes read with ``?account=&region=``)."""

    def found(pair: tuple[str, str]) -> tuple[EventBridge, Scheduler] | None:
        service = services.known(pair)
        return (service.bridge, service.scheduler) if service is not None and service.scheduler else None

    return found


def consoles(services: Registry, inbox: Inbox, state: State) -> Consoles:
    """The console's view of every account and region of this server (one Backend each, made once)."""
    made: dict[tuple[str, str], Backend] = {}

    def of(pair: tuple[str, str]) -> Backend | None:
        service = services.known(pair)
        if service is None or service.scheduler is None:
            return None
        if pair not in made:
            made[pair] = console_backend(service, inbox, service.scheduler, state)
        return made[pair]

    def pairs() -> list[tuple[str, str]]:
        return [(s.account, s.region) for s in services]

    default = of(services.default_pair)
    assert default is not None
    return Consoles(default, services.default_pair, of, pairs)


def console_backend(service: Service, inbox: Inbox, scheduler: Scheduler, state: State) -> Backend:
    """The console's view of this server: its actions run as the wire runs them, one at a time."""

    def call(action: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with service.lock:
            return handle(service, f"AWSEvents.{action}", json.dumps(params).encode())

    def target_spec(where: tuple[str, str], target_id: str) -> Mapping[str, Any] | None:
        return service.store(Targets).get(where, {}).get(target_id)

    return Backend(service.bridge, inbox.view((service.account, service.region)), state, scheduler, call, target_spec)


class _App(Starlette):
    """Starlette behind the security guard (:mod:`.security`), with EventBridge's ``POST /`` answered before
    Starlette's routing and its request objects, at the root or where the app is mounted."""

    api_direct: ASGIApp | None = None
    guard: Guard | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.guard is not None:
            await self.guard(scope, receive, send)
        else:
            await self.dispatch(scope, receive, send)

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.api_direct is not None and scope["type"] == "http" and scope["method"] == "POST":
            path, root = scope["path"], scope.get("root_path", "")
            if root and path.startswith(root):  # mounted at ``root``
                path = path[len(root):]
            if path in ("/", ""):
                await self.api_direct(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


PUT_EVENTS = "AWSEvents.PutEvents"
_encode = msgspec.json.Encoder().encode


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()  # AWS's JSON protocol sends timestamps as epoch seconds
    raise TypeError(f"not JSON: {type(value).__name__}")


class Server:
    """``eventmatch serve`` in a thread of this process: ``with Server() as server: server.endpoint_url``.

    Binds 127.0.0.1 on a free port unless told otherwise; ``bridge`` defaults to a new EventBridge.
    ``state`` is the SQLite file that keeps what survives a restart (in memory without it; a new bridge
    keeps its archived events there too);
    ``keep_deliveries`` how many of the latest deliveries it keeps for inspection; ``security`` what
    requests it lets through and where its own calls may go (docs/security.md), ``resolver`` how those
    calls look names up.
    """

    def __init__(
        self,
        bridge: EventBridge | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        state: str | None = None,
        functions: Functions | None = None,
        forward: Mapping[str, str] | None = None,
        keep_deliveries: int = DELIVERIES,
        security: SecurityPolicy | None = None,
        resolver: Resolver | None = None,
        discover: bool = False,
        prepare: Callable[[Registry], None] | None = None,
    ) -> None:
        import uvicorn

        if bridge is None:  # archived events kept with the rest of the state
            bridge = EventBridge(archive_path=state or ":memory:")
        self.state = State(state or ":memory:", keep_deliveries)
        self.app = create_app(bridge, self.state, functions, forward, security, resolver, discover, prepare)
        self.bridge: EventBridge = self.app.state.bridge
        self.inbox: Inbox = self.app.state.inbox
        self.scheduler: Scheduler = self.app.state.scheduler
        self.host = host
        self._socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted connections inherit it
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False,
                                proxy_headers=False,  # a local endpoint: no proxy in front to trust
                                server_header=False,  # AWS's answers name no server (and it costs a header)
                                timeout_graceful_shutdown=2)  # a console's live tail never ends by itself
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> Server:
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="eventmatch-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the server did not start on {self.endpoint_url}")
            time.sleep(0.01)
        return self

    def service(self, account: str | None = None, region: str | None = None) -> Service:
        """The service of an account and region (each defaulting to the default pair's: ``Server.bridge``'s),
        made the first time it is asked for, as a request signed for it would make it: its ``bridge`` and
        ``scheduler`` are that pair's."""
        services: Registry = self.app.state.services
        default_account, default_region = services.default_pair
        return services.get((account or default_account, region or default_region))

    def deliveries(self, arn: str | None = None) -> list[dict[str, Any]]:
        """What targets addressed by ARN received, once every accepted event is routed."""
        self.inbox.wait_idle()
        return self.state.deliveries(arn)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._socket.close()
        self.inbox.stop()
        self.bridge.stop()
        self.state.close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["Server", "create_app"]
