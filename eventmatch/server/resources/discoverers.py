"""EventBridge Schemas' discoverers over the API (CreateDiscoverer, DescribeDiscoverer, UpdateDiscoverer,
DeleteDiscoverer, ListDiscoverers, StartDiscoverer, StopDiscoverer), GetDiscoveredSchema, and discovery itself.

A discoverer watches one event bus of its account and region. While it is STARTED, every event routed on that
bus (from other accounts too, unless ``CrossAccount`` is false) is merged into the schema of its source and
detail-type (:class:`eventmatch.schemas.Discoverer`); each time that schema's shape changes, a new version of
``<source>@<DetailType>`` goes into the ``discovered-schemas`` registry (made with the first discoverer). The
versions are kept with the state; what a discoverer has merged so far is not, so after a restart it starts over
from the next events, and adds a version only when the schema it then infers differs from the latest kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...arn import arn
from ...errors import ConflictError, ValidationError
from ...schemas import Discoverer as Inferred
from ...schemas import to_openapi
from ...schemas.bindings import schema_name, to_draft4
from .common import Answer, Handler, Params, Store, json_object, listing
from .registries import DISCOVERED, Registries, Registry, Schemas, add_version

if TYPE_CHECKING:
    from ..service import Service


@dataclass
class Discoverer:
    discoverer_id: str
    arn: str
    source_arn: str
    description: str = ""
    state: str = "STARTED"
    cross_account: bool = True

    def describe(self, tags: dict[str, str]) -> Answer:
        return {"Description": self.description, "DiscovererArn": self.arn, "DiscovererId": self.discoverer_id,
                "SourceArn": self.source_arn, "State": self.state, "CrossAccount": self.cross_account, "Tags": tags}


class Discoverers(Store[Discoverer]):
    """A service's discoverers, by id."""

    kind = "schema-discoverers"
    model = Discoverer
    missing = "Discoverer {name} does not exist."


class Inferring(dict[str, Inferred]):
    """What each started discoverer has merged so far, by its id (not kept with the state)."""


def create_discoverer(svc: Service, params: Params) -> Answer:
    source = str(params.get("SourceArn"))
    prefix = arn("events", svc.region, svc.account, "event-bus/")
    if not source.startswith(prefix):
        raise ValidationError(f"SourceArn {source} is not an event bus of account {svc.account} in {svc.region}.")
    svc.bridge.bus(source[len(prefix):])  # NotFound for a bus that does not exist
    discoverer_id = f"events-event-bus-{source[len(prefix):]}"
    discoverers = svc.store(Discoverers)
    if discoverer_id in discoverers:
        raise ConflictError(f"Discoverer {discoverer_id} already exists for {source}.")
    registries = svc.store(Registries)
    if DISCOVERED not in registries:
        registries[DISCOVERED] = Registry(DISCOVERED, arn("schemas", svc.region, svc.account,
                                                          f"registry/{DISCOVERED}"), "Schemas discovered from events")
    made = discoverers[discoverer_id] = Discoverer(
        discoverer_id, arn("schemas", svc.region, svc.account, f"discoverer/{discoverer_id}"), source,
        str(params.get("Description") or ""), cross_account=params.get("CrossAccount") is not False)
    svc.tags.tag(made.arn, dict(params.get("Tags") or {}))
    return made.describe(svc.tags.get(made.arn))


def _found(svc: Service, params: Params) -> Discoverer:
    return svc.store(Discoverers).named(params.get("DiscovererId"))


def describe_discoverer(svc: Service, params: Params) -> Answer:
    found = _found(svc, params)
    return found.describe(svc.tags.get(found.arn))


def update_discoverer(svc: Service, params: Params) -> Answer:
    found = _found(svc, params)
    if "Description" in params:
        found.description = str(params.get("Description") or "")
    if "CrossAccount" in params:
        found.cross_account = bool(params.get("CrossAccount"))
    return found.describe(svc.tags.get(found.arn))


def delete_discoverer(svc: Service, params: Params) -> Answer:
    found = _found(svc, params)
    del svc.store(Discoverers)[found.discoverer_id]
    svc.store(Inferring).pop(found.discoverer_id, None)
    svc.tags.forget(found.arn)
    return {}


def _set_state(svc: Service, params: Params, state: str) -> Answer:
    found = _found(svc, params)
    found.state = state
    if state == "STOPPED":
        svc.store(Inferring).pop(found.discoverer_id, None)
    return {"DiscovererId": found.discoverer_id, "State": state}


def start_discoverer(svc: Service, params: Params) -> Answer:
    return _set_state(svc, params, "STARTED")


def stop_discoverer(svc: Service, params: Params) -> Answer:
    return _set_state(svc, params, "STOPPED")


def list_discoverers(svc: Service, params: Params) -> Answer:
    id_prefix, source_prefix = str(params.get("DiscovererIdPrefix") or ""), str(params.get("SourceArnPrefix") or "")
    listed = [{"DiscovererArn": d.arn, "DiscovererId": d.discoverer_id, "SourceArn": d.source_arn, "State": d.state,
               "CrossAccount": d.cross_account, "Tags": svc.tags.get(d.arn)}
              for key, d in sorted(svc.store(Discoverers).items())
              if key.startswith(id_prefix) and d.source_arn.startswith(source_prefix)]
    return listing("Discoverers", listed, {**params, **({"MaxResults": params["Limit"]} if "Limit" in params
                                                          else {})})


def get_discovered_schema(svc: Service, params: Params) -> Answer:
    """The schema of up to 10 events of one type (JSON text each), in the Type asked for."""
    inferred = Inferred()
    for text in params.get("Events") or []:
        inferred.observe(json_object(text, "An event"))
    types = inferred.event_types()
    if len(types) != 1:
        raise ValidationError("Events must be of one source and detail-type, each with a detail object.")
    document = to_openapi(types[0])
    if params.get("Type") == "JSONSchemaDraft4":
        document = to_draft4(document)
    return {"Content": json.dumps(document)}


# -- discovery ----------------------------------------------------------------------------------------------
def discovered(svc: Service, bus: str, event: dict[str, Any]) -> list[Params]:
    """What one event routed on ``bus`` changes in the ``discovered-schemas`` registry: the parameters of each
    new version to add (:func:`put_discovered_schema`), [] when none (the common case, and at once when no
    discoverer is started)."""
    discoverers = svc.store(Discoverers)
    if not discoverers:
        return []
    bus_arn = arn("events", svc.region, svc.account, f"event-bus/{bus}")
    changes: list[Params] = []
    for found in discoverers.values():
        if found.state != "STARTED" or found.source_arn != bus_arn:
            continue
        if not found.cross_account and event.get("account") != svc.account:
            continue
        inferring = svc.store(Inferring)
        inferred = inferring.get(found.discoverer_id)
        if inferred is None:
            inferred = inferring[found.discoverer_id] = Inferred()
        source, detail_type = event.get("source"), event.get("detail-type")
        before = inferred.version(str(source), str(detail_type))
        inferred.observe(event)
        if not isinstance(source, str) or not isinstance(detail_type, str):
            continue
        if inferred.version(source, detail_type) != before:
            change = _new_version(svc, inferred, source, detail_type)
            if change is not None:
                changes.append(change)
    return changes


def _new_version(svc: Service, inferred: Inferred, source: str, detail_type: str) -> Params | None:
    name = schema_name(source, detail_type)
    kept = svc.store(Schemas).get(f"{DISCOVERED}/{name}")
    document = to_openapi(inferred.schema(source, detail_type), kept.next_version if kept else 1)
    if kept is not None:
        latest = json.loads(kept.versions[-1]["Content"])
        if {**latest, "info": None} == {**document, "info": None}:  # the same shape (after a restart, say)
            return None
    return {"SchemaName": name, "Content": json.dumps(document)}


def put_discovered_schema(svc: Service, params: Params) -> Answer:
    """A version discovery found (logged as ``schemas:PutDiscoveredSchema``, played again on start)."""
    schema = add_version(svc, DISCOVERED, str(params["SchemaName"]), str(params["Content"]), "OpenApi3", None)
    return {"SchemaVersion": schema.versions[-1]["SchemaVersion"]}


ACTIONS: dict[str, Handler] = {
    "CreateDiscoverer": create_discoverer, "DescribeDiscoverer": describe_discoverer,
    "UpdateDiscoverer": update_discoverer, "DeleteDiscoverer": delete_discoverer,
    "ListDiscoverers": list_discoverers, "StartDiscoverer": start_discoverer, "StopDiscoverer": stop_discoverer,
    "GetDiscoveredSchema": get_discovered_schema,
    #: (not an action of the API: what discovery adds, in the command log)
    "PutDiscoveredSchema": put_discovered_schema,
}

__all__ = ["ACTIONS", "Discoverer", "Discoverers", "discovered"]
