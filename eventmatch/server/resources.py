"""The API's resources that are stored and described here but act only inside AWS (or act later): permissions,
a bus's settings, partner event sources, global endpoints; and the checks the stored resources share
(connections and API destinations, which the server calls, are :mod:`.connections_api`'s).

Each is validated as AWS validates it (names, enums, ARN patterns; several problems in one message, as
AWS reports them) and answers in AWS's shapes. Secrets given to a connection are kept but never shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..errors import ResourceAlreadyExistsError, ResourceNotFoundError, ValidationError
from .events_api import BUS_SETTINGS, Context, Handler, _listing

NAME = re.compile(r"^[\.\-_A-Za-z0-9]+$")
NAME_PATTERN = "[\\.\\-_A-Za-z0-9]+"
AUTH_TYPES = ["BASIC", "OAUTH_CLIENT_CREDENTIALS", "API_KEY"]
HTTP_METHODS = ["HEAD", "POST", "PATCH", "DELETE", "PUT", "GET", "OPTIONS"]
#: the ConnectionArn pattern of botocore's model, and its text in AWS's messages
CONNECTION_ARN_TEXT = (
    "^arn:aws([a-z]|\\-)*:events:([a-z]|\\d|\\-)*:([0-9]{12})?:connection\\/[\\.\\-_A-Za-z0-9]+\\/[\\-A-Za-z0-9]+$"
)
CONNECTION_ARN = re.compile(CONNECTION_ARN_TEXT)
SECRET_KEYS = ("Password", "ApiKeyValue", "ClientSecret")


def _check(problems: list[str]) -> None:
    """Raise AWS's ValidationException for every problem found, in one message, as AWS reports them."""
    if problems:
        count = len(problems)
        raise ValidationError(
            f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems)
        )


def _name_problem(name: Any, what: str = "name") -> list[str]:
    if not isinstance(name, str) or not NAME.match(name) or len(name) > 64:
        return [f"Value '{name}' at '{what}' failed to satisfy constraint: Member must satisfy regular expression "
                f"pattern: {NAME_PATTERN}"]
    return []


def _enum_problem(value: Any, where: str, allowed: list[str]) -> list[str]:
    if value not in allowed:
        return [f"Value '{value}' at '{where}' failed to satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(allowed)}]"]
    return []


def _without_secrets(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_secrets(v) for k, v in value.items() if k not in SECRET_KEYS}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def _now(ctx: Context) -> datetime:
    return ctx.now()  # logged with the command: the same time when the log is played again


# -- a bus's settings and permissions --------------------------------------------------------------
def update_event_bus(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bus = ctx.bridge.bus(str(params.get("Name") or "default"))
    settings = ctx.store("bus-settings").setdefault(bus.name, {"CreationTime": ctx.started})
    for key in BUS_SETTINGS:
        if key in params:
            settings[key] = params[key]
    settings["LastModifiedTime"] = _now(ctx)
    return {"Arn": bus.arn, "Name": bus.name, **{k: v for k, v in settings.items() if k in BUS_SETTINGS}}


def put_permission(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bus = ctx.bridge.bus(str(params.get("EventBusName") or "default"))
    statements = ctx.store("permissions").setdefault(bus.name, {})
    if params.get("Policy") is not None:
        try:
            policy = json.loads(str(params["Policy"]))
        except ValueError:
            raise ValidationError("Parameter Policy is not valid. Reason: not valid JSON.") from None
        for given in policy.get("Statement", []) if isinstance(policy, dict) else []:
            statements[str(given.get("Sid") or ctx.new_id())] = given
        return {}
    sid = params.get("StatementId")
    _check(_name_problem(sid, "statementId"))
    statement: dict[str, Any] = {
        "Sid": sid, "Effect": "Allow",
        "Principal": "*" if params.get("Principal") == "*" else {"AWS": f"arn:aws:iam::{params.get('Principal')}:root"},
        "Action": params.get("Action", "events:PutEvents"), "Resource": bus.arn,
    }
    if params.get("Condition"):
        condition = params["Condition"]
        statement["Condition"] = {condition.get("Type", "StringEquals"): {condition.get("Key"): condition.get("Value")}}
    statements[str(sid)] = statement
    return {}


def remove_permission(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bus = ctx.bridge.bus(str(params.get("EventBusName") or "default"))
    statements = ctx.store("permissions").setdefault(bus.name, {})
    if params.get("RemoveAllPermissions"):
        statements.clear()
        return {}
    sid = str(params.get("StatementId"))
    if sid not in statements:
        raise ResourceNotFoundError("Statement with the provided id does not exist.")
    del statements[sid]
    return {}


# -- partner event sources (both sides) ------------------------------------------------------------
def _source(ctx: Context, name: Any) -> dict[str, Any]:
    found = ctx.store("event-sources").get(str(name))
    if found is None:
        raise ResourceNotFoundError(f"Event source {name} does not exist.")
    return found


def create_partner_event_source(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    name = params.get("Name")
    if not isinstance(name, str) or not name.startswith("aws.partner/"):
        raise ValidationError(f"Parameter Name is not valid. Reason: {name} does not start with aws.partner/.")
    sources = ctx.store("event-sources")
    if name in sources:
        raise ResourceAlreadyExistsError(f"Event source {name} already exists.")
    bridge = ctx.bridge
    sources[name] = {"Name": name, "Arn": f"arn:aws:events:{bridge.region}::event-source/{name}",
                     "CreatedBy": name.split("/")[1] if "/" in name else name, "CreationTime": _now(ctx),
                     "State": "PENDING", "Account": str(params.get("Account") or bridge.account)}
    return {"EventSourceArn": sources[name]["Arn"]}


def describe_partner_event_source(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    s = _source(ctx, params.get("Name"))
    return {"Arn": s["Arn"], "Name": s["Name"]}


def delete_partner_event_source(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    s = _source(ctx, params.get("Name"))
    del ctx.store("event-sources")[s["Name"]]
    return {}


def list_partner_event_sources(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    prefix = str(params.get("NamePrefix") or "")
    listed = [{"Arn": s["Arn"], "Name": n} for n, s in sorted(ctx.store("event-sources").items())
              if n.startswith(prefix)]
    return _listing("PartnerEventSources", listed, params)


def list_partner_event_source_accounts(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    s = _source(ctx, params.get("EventSourceName"))
    return {"PartnerEventSourceAccounts": [{"Account": s["Account"], "CreationTime": s["CreationTime"],
                                            "State": s["State"]}]}


def describe_event_source(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    s = _source(ctx, params.get("Name"))
    return {k: s[k] for k in ("Arn", "CreatedBy", "CreationTime", "Name", "State")}


def _set_source_state(ctx: Context, params: Mapping[str, Any], state: str) -> dict[str, Any]:
    _source(ctx, params.get("Name"))["State"] = state
    return {}


def activate_event_source(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    return _set_source_state(ctx, params, "ACTIVE")


def deactivate_event_source(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    return _set_source_state(ctx, params, "PENDING")


def list_event_sources(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    prefix = str(params.get("NamePrefix") or "")
    listed = [{k: s[k] for k in ("Arn", "CreatedBy", "CreationTime", "Name", "State")}
              for n, s in sorted(ctx.store("event-sources").items()) if n.startswith(prefix)]
    return _listing("EventSources", listed, params)


def put_partner_events(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    """Partner events go to the partner event bus named after their source, as AWS routes them."""
    entries = params.get("Entries")
    if not isinstance(entries, list):
        raise ValidationError("Parameter Entries is not valid.")
    answer = ctx.bridge.put_events([{**e, "EventBusName": e.get("Source")} for e in entries if isinstance(e, dict)])
    return {"FailedEntryCount": answer["FailedEntryCount"], "Entries": answer["Entries"]}


# -- global endpoints ---------------------------------------------------------------------------
def _endpoint(ctx: Context, name: Any) -> dict[str, Any]:
    found = ctx.store("endpoints").get(str(name))
    if found is None:
        raise ResourceNotFoundError(f"Endpoint {name} does not exist.")
    return found


ENDPOINT_FIELDS = ("Description", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn")


def create_endpoint(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    name = params.get("Name")
    _check(_name_problem(name))
    endpoints = ctx.store("endpoints")
    if name in endpoints:
        raise ResourceAlreadyExistsError(f"Endpoint {name} already exists.")
    bridge, now = ctx.bridge, _now(ctx)
    endpoint_id = ctx.new_id().replace("-", "")[:10]
    endpoints[str(name)] = {
        "Name": name, "Arn": f"arn:aws:events:{bridge.region}:{bridge.account}:endpoint/{name}",
        "EndpointId": endpoint_id, "EndpointUrl": f"https://{endpoint_id}.endpoint.events.amazonaws.com",
        "State": "ACTIVE", "CreationTime": now, "LastModifiedTime": now,
        **{k: params[k] for k in ENDPOINT_FIELDS if k in params},
    }
    e = endpoints[str(name)]
    return {k: e[k] for k in ("Name", "Arn", "State", *ENDPOINT_FIELDS) if k in e}


def describe_endpoint(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    return dict(_endpoint(ctx, params.get("Name")))


def update_endpoint(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    e = _endpoint(ctx, params.get("Name"))
    e.update({k: params[k] for k in ENDPOINT_FIELDS if k in params})
    e["LastModifiedTime"] = _now(ctx)
    return {k: e[k] for k in ("Name", "Arn", "EndpointId", "EndpointUrl", "State", *ENDPOINT_FIELDS) if k in e}


def delete_endpoint(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    e = _endpoint(ctx, params.get("Name"))
    del ctx.store("endpoints")[e["Name"]]
    return {}


def list_endpoints(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    prefix = str(params.get("NamePrefix") or "")
    listed = [dict(e) for n, e in sorted(ctx.store("endpoints").items()) if n.startswith(prefix)]
    return _listing("Endpoints", listed, params)


ACTIONS: dict[str, Handler] = {
    "UpdateEventBus": update_event_bus,
    "PutPermission": put_permission,
    "RemovePermission": remove_permission,
    "CreatePartnerEventSource": create_partner_event_source,
    "DescribePartnerEventSource": describe_partner_event_source,
    "DeletePartnerEventSource": delete_partner_event_source,
    "ListPartnerEventSources": list_partner_event_sources,
    "ListPartnerEventSourceAccounts": list_partner_event_source_accounts,
    "DescribeEventSource": describe_event_source,
    "ActivateEventSource": activate_event_source,
    "DeactivateEventSource": deactivate_event_source,
    "ListEventSources": list_event_sources,
    "PutPartnerEvents": put_partner_events,
    "CreateEndpoint": create_endpoint,
    "DescribeEndpoint": describe_endpoint,
    "UpdateEndpoint": update_endpoint,
    "DeleteEndpoint": delete_endpoint,
    "ListEndpoints": list_endpoints,
}

__all__ = ["ACTIONS"]
