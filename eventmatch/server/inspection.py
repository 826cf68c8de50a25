"""The inspection API under ``/_eventmatch/``: what targets addressed by ARN received, the recent events and
why a rule did or did not match one, the metrics, the inbox, Scheduler's invocations, and the clock (GET the
time; on a virtual clock POST ``{"advance": seconds}`` or ``{"set": "ISO time"}`` to move it).

The handlers are module-level: each reads the service it inspects from the app it runs in
(``app.state.inspected``, set by :func:`~eventmatch.server.app.create_app`).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..bus import EventBridge, VirtualClock
from ..jsonbody import read_object
from ..pattern import explain
from ..scheduler import Scheduler
from ..schemas.discover import Discoverer
from .inbox import Inbox
from .state import State


@dataclass(frozen=True)
class Inspected:
    """The service the inspection API reads."""

    bridge: EventBridge
    state: State
    inbox: Inbox
    scheduler: Scheduler
    #: the schemas discovered from routed events, when discovery is on
    discoverer: Discoverer | None = None
    #: another (account, region)'s bridge and Scheduler, None for a pair the server does not hold
    other: Callable[[tuple[str, str]], tuple[EventBridge, Scheduler] | None] = lambda pair: None


def _of(request: Request) -> Inspected:
    inspected: Inspected = request.app.state.inspected
    return inspected


def _pair(request: Request) -> tuple[EventBridge, Scheduler] | JSONResponse:
    """The bridge and Scheduler of the pair the query names (``?account=...&region=...``, each defaulting to the
    default pair's), or the 404 answer for a pair the server does not hold."""
    inspected = _of(request)
    account = request.query_params.get("account", inspected.bridge.account)
    region = request.query_params.get("region", inspected.bridge.region)
    if (account, region) == (inspected.bridge.account, inspected.bridge.region):
        return inspected.bridge, inspected.scheduler
    found = inspected.other((account, region))
    if found is None:
        return JSONResponse({"message": f"no account {account[:20]} in region {region[:30]} on this server"},
                            status_code=404)
    return found


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()  # as AWS's JSON protocol sends timestamps: epoch seconds
    raise TypeError(f"not JSON: {type(value).__name__}")


def _iso_default(value: Any) -> Any:
    """Times as ISO 8601 text: the inspection routes that are not AWS's answer in the form people read."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


async def deliveries(request: Request) -> Response:
    inbox, state = _of(request).inbox, _of(request).state
    await asyncio.to_thread(inbox.wait_idle, 5.0)  # what was accepted, routed first
    return JSONResponse({"Deliveries": state.deliveries(request.query_params.get("arn"))},
                        headers={"x-eventmatch-waiting": str(inbox.waiting)})

async def recent_events(request: Request) -> Response:
    inbox = _of(request).inbox
    bus = request.query_params.get("bus")
    account, region = request.query_params.get("account"), request.query_params.get("region")
    routed = inbox.recent
    if account is not None or region is not None:  # the events routed in that account and region
        own = _of(request).bridge
        routed = inbox.recent_of.get((account or own.account, region or own.region)) or deque()
    listed = [{"id": e.get("id"), "bus": b, "account": e.get("account"), "region": e.get("region"),
               "time": e.get("time"), "source": e.get("source"), "detail-type": e.get("detail-type"), "rules": rules}
              for b, e, rules in list(routed) if bus is None or b == bus]
    return JSONResponse({"Events": listed})

async def one_event(request: Request) -> Response:
    inbox, bridge = _of(request).inbox, _of(request).bridge
    wanted = request.path_params["event_id"]
    found = inbox.find(wanted)
    if found is None:
        return JSONResponse({"message": f"no recent event {wanted}"}, status_code=404)
    bus_name, event, rules = found
    answer: dict[str, Any] = {"bus": bus_name, "event": event, "rules": rules}
    rule_name = request.query_params.get("rule")
    if rule_name is not None:  # why this rule did, or did not, match: field by field
        rule = bridge.bus(bus_name).rules_by_name.get(rule_name)
        if rule is None or rule.pattern is None:
            return JSONResponse({"message": f"no rule {rule_name} with a pattern on bus {bus_name}"},
                                status_code=404)
        answer["explanation"] = explain(rule.pattern, event).to_dict()
    return JSONResponse(answer)

async def inbox_status(request: Request) -> Response:
    inbox = _of(request).inbox
    return JSONResponse({"waiting": inbox.waiting})

async def metrics(request: Request) -> Response:
    found = _pair(request)
    if isinstance(found, JSONResponse):
        return found
    return JSONResponse({"Metrics": found[0].metrics.snapshot()})

async def clock(request: Request) -> Response:
    bridge = _of(request).bridge
    virtual = bridge.clock
    if request.method == "POST":
        if not isinstance(virtual, VirtualClock):
            return JSONResponse({"message": "the server runs on the system clock"}, status_code=400)
        try:
            asked = read_object(await request.body())
            if "advance" in asked:
                ran = bridge.advance(timedelta(seconds=float(asked["advance"])))
            else:
                target = datetime.fromisoformat(str(asked["set"]))
                if target.tzinfo is None:  # a time without an offset is UTC, as the virtual clock's start
                    target = target.replace(tzinfo=UTC)
                ran = bridge.advance(target - virtual.now())
        except (ValueError, KeyError, TypeError, OverflowError) as exc:
            return JSONResponse({"message": f"expected {{\"advance\": seconds}} or {{\"set\": time}}: {exc}"},
                                status_code=400)
        return JSONResponse({"now": virtual.now().isoformat(), "ran": ran})
    return JSONResponse({"now": bridge.clock.now().isoformat(), "virtual": isinstance(virtual, VirtualClock)})

async def scheduler_invocations(request: Request) -> Response:
    found = _pair(request)
    if isinstance(found, JSONResponse):
        return found
    scheduler = found[1]
    return Response(json.dumps({"Invocations": list(scheduler.invocations)}, default=_iso_default),
                    media_type="application/json")


async def schemas(request: Request) -> Response:
    """The schemas discovered from the events routed since the start (``eventmatch serve --discover``): each
    source and detail-type's version and OpenAPI 3 document."""
    from ..schemas.discover import to_openapi

    found = _of(request).discoverer
    if found is None:
        return JSONResponse({"message": "schema discovery is off: start eventmatch serve with --discover"},
                            status_code=404)
    listed = [{"source": t.source, "detail-type": t.detail_type, "version": found.version(t.source, t.detail_type),
               "schema": to_openapi(t, found.version(t.source, t.detail_type))} for t in found.event_types()]
    return JSONResponse({"Schemas": listed})


def routes() -> list[Route]:
    return [
        Route("/_eventmatch/schemas", schemas, methods=["GET"]),
        Route("/_eventmatch/scheduler/invocations", scheduler_invocations, methods=["GET"]),
        Route("/_eventmatch/deliveries", deliveries, methods=["GET"]),
        Route("/_eventmatch/metrics", metrics, methods=["GET"]),
        Route("/_eventmatch/inbox", inbox_status, methods=["GET"]),
        Route("/_eventmatch/events", recent_events, methods=["GET"]),
        Route("/_eventmatch/events/{event_id}", one_event, methods=["GET"]),
        Route("/_eventmatch/clock", clock, methods=["GET", "POST"]),
    ]


__all__ = ["Inspected", "routes"]
