"""The ASGI application (Starlette) and a runner (uvicorn) for ``eventmatch serve``.

``create_app(bridge)`` answers EventBridge's API at ``POST /`` (:mod:`.wire`) and serves an inspection
API under ``/_eventmatch/``: the deliveries targets addressed by ARN received (``deliveries``), the
metrics (``metrics``), and, on a virtual clock, ``clock`` (GET the time; POST ``{"advance": seconds}``
or ``{"set": "ISO time"}`` to fire schedules and retries at once). The app mounts inside a user's own
ASGI application as well.

Targets given by ARN (``PutTargets`` over the wire has no Python callable) are *recorded*: each
delivery is kept, with its rule, target and payload, and nothing is lost or an error.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..bus import EventBridge, VirtualClock
from .events_api import Context
from .wire import CONTENT_TYPE, MAX_BODY, error, handle


class DeliveryLog:
    """The deliveries of targets addressed by ARN: the newest ``size`` kept (thread-safe)."""

    def __init__(self, size: int = 10_000) -> None:
        self.entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._lock = threading.Lock()

    def resolver(self, spec: Mapping[str, Any]) -> Any:
        """The callable that records deliveries to the target ``spec`` describes (by its ``Arn``)."""
        arn, target_id = str(spec.get("Arn")), str(spec.get("Id"))

        def record(payload: Any) -> None:
            with self._lock:
                self.entries.append({"targetId": target_id, "arn": arn, "payload": payload,
                                     "time": datetime.now(UTC).isoformat()})

        return record

    def select(self, arn: str | None = None) -> list[dict[str, Any]]:
        """The deliveries kept (to ``arn`` only, when given), oldest first."""
        with self._lock:
            return [e for e in self.entries if arn is None or e["arn"] == arn]


def target_resolver(bridge: EventBridge, log: DeliveryLog) -> Any:
    """How the server reaches a target given by ARN: another bus of this server gets the event (as
    EventBridge forwards between buses, the event unchanged); every delivery is recorded in ``log``."""

    def resolve(spec: Mapping[str, Any]) -> Any:
        arn = str(spec.get("Arn"))
        record = log.resolver(spec)
        if ":event-bus/" in arn and arn.startswith(f"arn:aws:events:{bridge.region}:{bridge.account}:"):
            bus_name = arn.split(":event-bus/", 1)[1]

            def forward(payload: Any) -> None:
                record(payload)
                if isinstance(payload, dict):
                    bridge.bus(bus_name).publish(payload)  # ResourceNotFound if it is gone: a failed delivery

            return forward
        return record

    return resolve


def create_app(bridge: EventBridge | None = None, log: DeliveryLog | None = None) -> Starlette:
    """The ASGI app of an EventBridge (a new one on the system clock by default)."""
    log = log or DeliveryLog()
    if bridge is None:
        bridge = EventBridge()
    if bridge.target_resolver is None:
        bridge.target_resolver = target_resolver(bridge, log)
    context = Context(bridge)

    async def api(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            status, payload = error("ValidationException", "Request body is too large.", 413)
        else:
            def run() -> tuple[int, dict[str, Any]]:
                with context.lock:  # one request at a time: changes are made in order
                    return handle(context, request.headers.get("x-amz-target"), body)

            status, payload = await asyncio.to_thread(run)
        return Response(json.dumps(payload, default=_json_default), status_code=status, media_type=CONTENT_TYPE)

    async def deliveries(request: Request) -> Response:
        return JSONResponse({"Deliveries": log.select(request.query_params.get("arn"))})

    async def metrics(request: Request) -> Response:
        return JSONResponse({"Metrics": bridge.metrics.snapshot()})

    async def clock(request: Request) -> Response:
        virtual = bridge.clock
        if request.method == "POST":
            if not isinstance(virtual, VirtualClock):
                return JSONResponse({"message": "the server runs on the system clock"}, status_code=400)
            try:
                asked = await request.json()
                if "advance" in asked:
                    ran = bridge.advance(timedelta(seconds=float(asked["advance"])))
                else:
                    target = datetime.fromisoformat(str(asked["set"]))
                    ran = bridge.advance(target - virtual.now())
            except (ValueError, KeyError, TypeError) as exc:
                return JSONResponse({"message": f"expected {{\"advance\": seconds}} or {{\"set\": time}}: {exc}"},
                                    status_code=400)
            return JSONResponse({"now": virtual.now().isoformat(), "ran": ran})
        return JSONResponse({"now": bridge.clock.now().isoformat(), "virtual": isinstance(virtual, VirtualClock)})

    routes = [
        Route("/", api, methods=["POST"]),
        Route("/_eventmatch/deliveries", deliveries, methods=["GET"]),
        Route("/_eventmatch/metrics", metrics, methods=["GET"]),
        Route("/_eventmatch/clock", clock, methods=["GET", "POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.bridge = bridge
    app.state.deliveries = log
    return app


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()  # AWS's JSON protocol sends timestamps as epoch seconds
    raise TypeError(f"not JSON: {type(value).__name__}")


class Server:
    """``eventmatch serve`` in a thread of this process: ``with Server() as server: server.endpoint_url``.

    Binds 127.0.0.1 on a free port unless told otherwise; ``bridge`` defaults to a new EventBridge.
    """

    def __init__(self, bridge: EventBridge | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        import uvicorn

        self.log = DeliveryLog()
        self.app = create_app(bridge, self.log)
        self.bridge: EventBridge = self.app.state.bridge
        self.host = host
        self._socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
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

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._socket.close()
        self.bridge.stop()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["DeliveryLog", "Server", "create_app"]
