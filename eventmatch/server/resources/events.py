"""Events over the API: PutEvents (through the bus's own acceptance, stored before the answer when the server
keeps state), PutPartnerEvents, TestEventPattern."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...bus.entries import accept_entries
from ...errors import ValidationError
from ..crossing import entry_bus
from .common import Answer, Handler, Params

if TYPE_CHECKING:
    from ..service import Service


def put_events(svc: Service, params: Params) -> Answer:
    bridge = svc.bridge
    entries = params.get("Entries")
    if not isinstance(entries, list):
        raise ValidationError("Parameter Entries is not valid.")
    if svc.inbox is None or svc.state is None:
        return bridge.put_events(entries)
    # accepted as the bus accepts them; stored (committed) before the answer, and routed after it
    response, accepted, size = accept_entries(entries, bridge.account, bridge.region, bridge.clock.now(),
                                              entry_bus(svc))
    bridge.metrics.observe(None, None, "PutEventsRequestSize", size)
    if accepted:
        seqs = svc.state.accept(accepted)
        svc.inbox.put([(seq, bus, event) for seq, (bus, event) in zip(seqs, accepted, strict=True)])
    return response


def put_partner_events(svc: Service, params: Params) -> Answer:
    """Partner events go to the partner event bus named after their source, as AWS routes them."""
    entries = params.get("Entries")
    if not isinstance(entries, list):
        raise ValidationError("Parameter Entries is not valid.")
    answer = svc.bridge.put_events([{**e, "EventBusName": e.get("Source")} for e in entries if isinstance(e, dict)])
    return {"FailedEntryCount": answer["FailedEntryCount"], "Entries": answer["Entries"]}


def test_event_pattern(svc: Service, params: Params) -> Answer:
    from ...pattern.check import test_event_pattern as check

    return {"Result": check(str(params.get("Event")), str(params.get("EventPattern")))}


test_event_pattern.__test__ = False  # type: ignore[attr-defined]  # not a pytest test

ACTIONS: dict[str, Handler] = {
    "PutEvents": put_events,
    "PutPartnerEvents": put_partner_events,
    "TestEventPattern": test_event_pattern,
}

__all__ = ["ACTIONS", "put_events"]
