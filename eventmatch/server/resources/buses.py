"""Event buses over the API: CreateEventBus, DescribeEventBus, UpdateEventBus, DeleteEventBus, ListEventBuses,
and a bus's policy (PutPermission, RemovePermission). The model is the bus's own: an
:class:`~eventmatch.bus.EventBus` and its :class:`~eventmatch.bus.registry.BusSettings` (settings, times and
policy statements), which go with it when it is deleted."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ...arn import partition
from ...bus.registry import BusSettings
from ...errors import ResourceNotFoundError, ValidationError
from .common import Answer, Handler, Params, check, given, listing, name_problem
from .rules import Creators, Targets
from .tags import tags_of

if TYPE_CHECKING:
    from ..service import Service

#: what CreateEventBus and UpdateEventBus keep of a bus, and answer
SETTINGS = ("Description", "KmsKeyIdentifier", "DeadLetterConfig", "LogConfig")


#: PutPermission with another Action (AWS's own message is not recorded: this one says what its API reference
#: says of Action, "Currently, this must be events:PutEvents")
ACTION = "Parameter Action is not valid. Reason: Currently, this must be events:PutEvents."


def settings_of(svc: Service, bus_name: str) -> BusSettings:
    """The settings of a bus (the bus's own: ResourceNotFoundException for a bus that does not exist)."""
    return svc.bridge.bus(bus_name).settings


#: a custom bus's name with a '/' (AWS's API reference, CreateEventBus: "Custom event bus names can't contain the
#: / character, but you can use the / character in partner event bus names"; AWS's own message for it is not
#: recorded: this one says what the reference says)
SLASH = "Parameter Name is not valid. Reason: Custom event bus names can't contain the / character."


def create_event_bus(svc: Service, params: Params) -> Answer:
    name = params.get("Name")
    if isinstance(name, str) and params.get("EventSourceName") is None:  # a custom bus, not a partner's
        if name.startswith("aws."):  # AWS's answer (quoted in hashicorp/terraform-provider-aws#35065)
            raise ValidationError("EventBus name starting with 'aws.' is not valid.")
        if "/" in name:
            raise ValidationError(SLASH)
    tags = tags_of(params.get("Tags"))
    bus = svc.bridge.create_event_bus(params.get("Name"))  # type: ignore[arg-type]  # validated by the bridge
    svc.tags.tag(bus.arn, tags)
    now = svc.now()
    settings = given(params, SETTINGS)
    bus.settings = BusSettings(now, now, settings)
    return {"EventBusArn": bus.arn, **settings}


def describe_event_bus(svc: Service, params: Params) -> Answer:
    bus = svc.bridge.bus(str(params.get("Name") or "default"))
    return {"Name": bus.name, "Arn": bus.arn, **settings_of(svc, bus.name).shown()}


def update_event_bus(svc: Service, params: Params) -> Answer:
    bus = svc.bridge.bus(str(params.get("Name") or "default"))
    settings = settings_of(svc, bus.name)
    settings.settings.update(given(params, SETTINGS))
    settings.modified = svc.now()
    return {"Arn": bus.arn, "Name": bus.name, **settings.settings}


def delete_event_bus(svc: Service, params: Params) -> Answer:
    name = str(params.get("Name"))
    arn = svc.bridge.bus(name).arn if name != "default" else ""
    svc.bridge.delete_event_bus(name)
    targets = svc.store(Targets)
    for gone in [key for key in targets if key[0] == name]:
        del targets[gone]
    creators = svc.store(Creators)
    for gone in [key for key in creators if key[0] == name]:
        del creators[gone]
    svc.tags.forget_where(lambda tagged: tagged == arn or f":rule/{name}/" in tagged)
    return {}


def list_event_buses(svc: Service, params: Params) -> Answer:
    prefix = str(params.get("NamePrefix") or "")
    listed = ("Description", "Policy", "CreationTime", "LastModifiedTime")  # the model's EventBus
    buses = [{**b, **{k: v for k, v in settings_of(svc, b["Name"]).shown().items() if k in listed}}
             for b in svc.bridge.list_event_buses() if b["Name"].startswith(prefix)]
    return listing("EventBuses", buses, params)


def put_permission(svc: Service, params: Params) -> Answer:
    bus = svc.bridge.bus(str(params.get("EventBusName") or "default"))
    statements = settings_of(svc, bus.name).statements
    if params.get("Policy") is not None:
        try:
            policy = json.loads(str(params["Policy"]))
        except ValueError:
            raise ValidationError("Parameter Policy is not valid. Reason: not valid JSON.") from None
        for given_statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            statements[str(given_statement.get("Sid") or svc.new_id())] = given_statement
        return {}
    sid = params.get("StatementId")
    check(name_problem(sid, "statementId"))
    action = params.get("Action", "events:PutEvents")
    if action != "events:PutEvents":  # the API reference (PutPermission, Action): it must be events:PutEvents
        raise ValidationError(ACTION)
    principal = params.get("Principal")
    statement: dict[str, Any] = {
        "Sid": sid, "Effect": "Allow",
        "Principal": "*" if principal == "*" else {"AWS": f"arn:{partition(svc.region)}:iam::{principal}:root"},
        "Action": action, "Resource": bus.arn,
    }
    condition = params.get("Condition")
    if condition:
        statement["Condition"] = {condition.get("Type", "StringEquals"): {condition.get("Key"): condition.get("Value")}}
    statements[str(sid)] = statement
    return {}


def remove_permission(svc: Service, params: Params) -> Answer:
    bus = svc.bridge.bus(str(params.get("EventBusName") or "default"))
    statements = settings_of(svc, bus.name).statements
    if params.get("RemoveAllPermissions"):
        statements.clear()
        return {}
    sid = str(params.get("StatementId"))
    if sid not in statements:
        raise ResourceNotFoundError("Statement with the provided id does not exist.")
    del statements[sid]
    return {}


ACTIONS: dict[str, Handler] = {
    "CreateEventBus": create_event_bus,
    "DescribeEventBus": describe_event_bus,
    "UpdateEventBus": update_event_bus,
    "DeleteEventBus": delete_event_bus,
    "ListEventBuses": list_event_buses,
    "PutPermission": put_permission,
    "RemovePermission": remove_permission,
}

__all__ = ["ACTIONS", "SETTINGS", "settings_of"]
