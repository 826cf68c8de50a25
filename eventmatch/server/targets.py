"""The one resolver from a target's ARN to what delivers to it, for rule targets and Scheduler's alike.

A target given by ARN over the wire has no Python callable: the server reaches a Lambda function of
``functions`` (``Server(functions=...)``), a service forwarded to an endpoint (:mod:`.forward`), an API
destination of its own (:mod:`.api_destinations`), or another bus of its own; anything else is recorded
(kept in the state for inspection), never lost and never an error.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from ..arn import arn as make_arn
from ..bus import EventBridge, EventBus, PermanentDeliveryError
from ..bus.entries import event_id
from ..bus.policy import allows_put_events
from ..bus.targets import Resolver
from .api_destinations import Caller
from .forward import Forwarder
from .state import State

#: a target's spec as PutTargets (or CreateSchedule's Target) gave it
Spec = Mapping[str, Any]
#: what delivers one payload to a target (raises when the delivery failed)
Send = Callable[[object], object]
#: Python callables by the ARN whose deliveries they receive
Functions = Mapping[str, Send]
#: a bus of the server by its ARN (any account and region it serves), None when it holds none such
BusLookup = Callable[[str], "EventBus | None"]


def target_resolver(
    bridge: EventBridge,
    state: State,
    caller: Caller | None = None,
    functions: Functions | None = None,
    forwarder: Forwarder | None = None,
    buses: BusLookup | None = None,
) -> Resolver:
    """How the server reaches a target given by ARN: a Python callable of ``functions``, a service forwarded
    (``forwarder``), an API destination of this server called over HTTP (``caller``), another bus of this
    server (the event unchanged, as EventBridge forwards between buses; with ``buses``, one of another account
    or region of the server too, as its policy allows), or nothing to call. Every delivery
    is recorded in ``state``, and every attempt kept with its outcome and latency (``State.attempts``)."""

    delivered = state.delivered

    def resolve(spec: Spec) -> Send:
        arn, target_id = str(spec.get("Arn")), str(spec.get("Id"))
        send, lane = _sender(bridge, caller, functions, forwarder, buses, spec)

        if send is None:  # recorded only: an attempt of no time that cannot fail
            def record(payload: object) -> None:
                delivered(target_id, arn, payload, 0.0)

            return record

        call = send

        def deliver(payload: object) -> None:
            started = time.perf_counter()
            try:
                call(payload)
            except Exception as exc:  # the attempt is kept; the bus retries it, or dead-letters it
                state.attempt(target_id, arn, (time.perf_counter() - started) * 1000, f"{type(exc).__name__}: {exc}")
                raise
            delivered(target_id, arn, payload, (time.perf_counter() - started) * 1000)

        if lane is not None:
            deliver.lane = lane  # type: ignore[attr-defined]  # read by build_target (Target.lane)
        return deliver

    return resolve


def _sender(bridge: EventBridge, caller: Caller | None, functions: Functions | None, forwarder: Forwarder | None,
            buses: BusLookup | None, spec: Spec) -> tuple[Send | None, str | None]:
    """What calls the target (None: nothing to call, the delivery is only recorded), and the lane its calls run
    on when they go over the network (one per API destination or forwarded target: a slow or dead endpoint,
    or a rate limit, delays only its own deliveries)."""
    arn = str(spec.get("Arn"))
    if functions and arn in functions:  # a Python callable, when the server runs in a Python process
        return functions[arn], None
    if forwarder is not None and forwarder.service(arn) is not None:
        return forwarder.target(spec), arn
    if caller is not None and ":api-destination/" in arn:
        return caller.target(spec), arn
    if ":event-bus/" in arn:
        return _bus_target(bridge, buses, arn), None
    return None, None


def _bus_target(bridge: EventBridge, buses: BusLookup | None, arn: str) -> Send | None:
    """A bus of this server as a target: the event unchanged (its account and region kept, as EventBridge
    forwards between buses, across accounts and regions too; AWS's recorded cross-account and cross-region flow,
    ``test_events_cross_account_region``, shows the same id in another account of the region, a new one in
    another region), when the receiving bus's policy lets this
    bridge's account put events on it (:mod:`eventmatch.bus.policy`). The other pair's bus is looked up at each
    delivery: one that does not exist (yet, or any more) fails the delivery, as AWS's does. None: no lookup of
    other pairs (the deliveries are recorded)."""
    if arn.startswith(make_arn("events", bridge.region, bridge.account, "event-bus/")):
        name = arn.split(":event-bus/", 1)[1]

        def forward(payload: object) -> None:
            if isinstance(payload, dict):
                bridge.bus(name).publish(payload)  # ResourceNotFound if it is gone: a failed delivery

        return forward
    if buses is None:
        return None

    def forward_across(payload: object) -> None:
        bus = buses(arn)  # looked up at each delivery: the bus may be deleted, or its policy changed
        if bus is None:
            raise PermanentDeliveryError(f"Event bus {arn} does not exist.", "NO_RESOURCE")
        if not allows_put_events(bus.settings, bridge.account, bus.bridge.account):
            raise PermanentDeliveryError(f"Account {bridge.account} is not authorized to put events on {arn}: "
                                         "the bus's policy does not allow it (PutPermission).", "NO_PERMISSIONS")
        if isinstance(payload, dict):
            if bus.bridge.region != bridge.region:  # a new id in the other region (AWS's recorded flow)
                payload = {**payload, "id": event_id()}
            bus.publish(payload)

    return forward_across


__all__ = ["BusLookup", "Functions", "Send", "Spec", "target_resolver"]
