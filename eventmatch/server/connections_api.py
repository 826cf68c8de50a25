"""The EventBridge API's connections and API destinations: stored as AWS describes them (their secrets kept
but never shown), their endpoints checked by the server's outbound policy when they are created
(:mod:`.outbound`), and called over HTTP by :mod:`.api_destinations`."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from ..errors import ResourceAlreadyExistsError, ResourceNotFoundError, ValidationError
from .events_api import Context, Handler, _listing
from .resources import (
    AUTH_TYPES,
    CONNECTION_ARN,
    CONNECTION_ARN_TEXT,
    HTTP_METHODS,
    _check,
    _enum_problem,
    _name_problem,
    _now,
    _without_secrets,
)


def _endpoint_check(ctx: Context, params: Mapping[str, Any]) -> None:
    """An API destination's InvocationEndpoint, as the server's outbound policy allows it (not checked while
    the command log is played again: the call is checked anyway, and a destination is not lost to a policy
    changed between two runs)."""
    from .api_destinations import endpoint_problem

    if "InvocationEndpoint" in params and not ctx.restoring:
        problem = endpoint_problem(params["InvocationEndpoint"], ctx.outbound)
        if problem:
            raise ValidationError(problem)


def _oauth_check(ctx: Context, params: Mapping[str, Any]) -> None:
    """A connection's OAuth AuthorizationEndpoint, as the outbound policy allows it."""
    from .api_destinations import endpoint_problem

    auth = params.get("AuthParameters")
    oauth = auth.get("OAuthParameters") if isinstance(auth, Mapping) else None
    if isinstance(oauth, Mapping) and "AuthorizationEndpoint" in oauth and not ctx.restoring:
        problem = endpoint_problem(oauth["AuthorizationEndpoint"], ctx.outbound, "AuthorizationEndpoint")
        if problem:
            raise ValidationError(problem)


# -- connections ----------------------------------------------------------------------------------
def _connection(ctx: Context, name: Any) -> dict[str, Any]:
    found = ctx.store("connections").get(str(name))
    if found is None:
        raise ResourceNotFoundError(f"Failed to describe the connection(s). Connection '{name}' does not exist.")
    return found


def _connection_answer(c: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: c[k] for k in ("ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime", *keys) if k in c}


def create_connection(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    name = params.get("Name")
    _check(_name_problem(name) + _enum_problem(params.get("AuthorizationType"), "authorizationType", AUTH_TYPES))
    _oauth_check(ctx, params)
    connections = ctx.store("connections")
    if name in connections:
        raise ResourceAlreadyExistsError(f"Connection {name} already exists.")
    now, bridge, suffix = _now(ctx), ctx.bridge, ctx.new_id()
    connections[str(name)] = {
        "Name": name,
        "ConnectionArn": f"arn:aws:events:{bridge.region}:{bridge.account}:connection/{name}/{suffix}",
        "ConnectionState": "AUTHORIZED",
        "AuthorizationType": params.get("AuthorizationType"),
        "AuthParameters": dict(params.get("AuthParameters") or {}),
        # the secret's own name, and Secrets Manager's six random characters after it
        "SecretArn": f"arn:aws:secretsmanager:{bridge.region}:{bridge.account}:secret:events!connection/{name}/"
                     f"{ctx.new_id()}-{ctx.new_id(lambda: secrets.token_urlsafe(6)[:6])}",
        "CreationTime": now, "LastModifiedTime": now, "LastAuthorizedTime": now,
        **({"Description": params["Description"]} if "Description" in params else {}),
    }
    return _connection_answer(connections[str(name)])


def describe_connection(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    c = _connection(ctx, params.get("Name"))
    shown = {k: v for k, v in c.items() if k != "AuthParameters"}
    return {**shown, "AuthParameters": _without_secrets(c["AuthParameters"])}


def update_connection(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    c = _connection(ctx, params.get("Name"))
    if "AuthorizationType" in params:
        _check(_enum_problem(params["AuthorizationType"], "authorizationType", AUTH_TYPES))
        c["AuthorizationType"] = params["AuthorizationType"]
    if "AuthParameters" in params:
        _oauth_check(ctx, params)
        c["AuthParameters"] = dict(params["AuthParameters"])
    if "Description" in params:
        c["Description"] = params["Description"]
    c["LastModifiedTime"] = c["LastAuthorizedTime"] = _now(ctx)
    c["ConnectionState"] = "AUTHORIZED"
    return _connection_answer(c, "LastAuthorizedTime")


def deauthorize_connection(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    c = _connection(ctx, params.get("Name"))
    c["ConnectionState"] = "DEAUTHORIZED"
    c["LastModifiedTime"] = _now(ctx)
    return {**_connection_answer(c, "LastAuthorizedTime"), "ConnectionState": "DEAUTHORIZING"}


def delete_connection(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    c = _connection(ctx, params.get("Name"))
    del ctx.store("connections")[c["Name"]]
    return {**_connection_answer(c, "LastAuthorizedTime"), "ConnectionState": "DELETING"}


def list_connections(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    prefix, state = str(params.get("NamePrefix") or ""), params.get("ConnectionState")
    keys = ("ConnectionArn", "Name", "ConnectionState", "AuthorizationType", "CreationTime", "LastModifiedTime",
            "LastAuthorizedTime")
    listed = [{k: c[k] for k in keys if k in c} for n, c in sorted(ctx.store("connections").items())
              if n.startswith(prefix) and (state is None or c["ConnectionState"] == state)]
    return _listing("Connections", listed, params)


# -- API destinations -------------------------------------------------------------------------------
def _destination(ctx: Context, name: Any) -> dict[str, Any]:
    found = ctx.store("api-destinations").get(str(name))
    if found is None:
        raise ResourceNotFoundError(
            f"Failed to describe the api-destination(s). An api-destination '{name}' does not exist."
        )
    return found


def _destination_problems(params: Mapping[str, Any], creating: bool) -> list[str]:
    problems = _name_problem(params.get("Name")) if creating else []
    arn = params.get("ConnectionArn")
    if (creating or arn is not None) and (not isinstance(arn, str) or not CONNECTION_ARN.match(arn)):
        problems.append(f"Value '{arn}' at 'connectionArn' failed to satisfy constraint: Member must satisfy regular "
                        f"expression pattern: {CONNECTION_ARN_TEXT}")
    if creating or "HttpMethod" in params:
        problems += _enum_problem(params.get("HttpMethod"), "httpMethod", HTTP_METHODS)
    rate = params.get("InvocationRateLimitPerSecond")
    if rate is not None and (not isinstance(rate, int) or rate < 1):
        problems.append(f"Value '{rate}' at 'invocationRateLimitPerSecond' failed to satisfy constraint: Member must "
                        "have value greater than or equal to 1")
    return problems


def _destination_answer(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d[k] for k in ("ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime")}


def create_api_destination(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    _check(_destination_problems(params, creating=True))
    _endpoint_check(ctx, {"InvocationEndpoint": params.get("InvocationEndpoint")})
    name = str(params["Name"])
    destinations = ctx.store("api-destinations")
    if name in destinations:
        raise ResourceAlreadyExistsError(f"An api-destination '{name}' already exists.")
    now, bridge = _now(ctx), ctx.bridge
    destinations[name] = {
        "Name": name,
        "ApiDestinationArn": f"arn:aws:events:{bridge.region}:{bridge.account}:api-destination/{name}/{ctx.new_id()}",
        "ApiDestinationState": "ACTIVE",
        "ConnectionArn": params["ConnectionArn"],
        "InvocationEndpoint": params.get("InvocationEndpoint"),
        "HttpMethod": params["HttpMethod"],
        "InvocationRateLimitPerSecond": params.get("InvocationRateLimitPerSecond", 300),
        "CreationTime": now, "LastModifiedTime": now,
        **({"Description": params["Description"]} if "Description" in params else {}),
    }
    return _destination_answer(destinations[name])


def describe_api_destination(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    return dict(_destination(ctx, params.get("Name")))


def update_api_destination(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    d = _destination(ctx, params.get("Name"))
    _check(_destination_problems(params, creating=False))
    _endpoint_check(ctx, params)
    for key in ("Description", "ConnectionArn", "InvocationEndpoint", "HttpMethod", "InvocationRateLimitPerSecond"):
        if key in params:
            d[key] = params[key]
    d["LastModifiedTime"] = _now(ctx)
    return _destination_answer(d)


def delete_api_destination(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    d = _destination(ctx, params.get("Name"))
    del ctx.store("api-destinations")[d["Name"]]
    return {}


def list_api_destinations(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    prefix, connection = str(params.get("NamePrefix") or ""), params.get("ConnectionArn")
    listed = [{k: v for k, v in d.items() if k != "Description"}
              for n, d in sorted(ctx.store("api-destinations").items())
              if n.startswith(prefix) and (connection is None or d["ConnectionArn"] == connection)]
    return _listing("ApiDestinations", listed, params)


ACTIONS: dict[str, Handler] = {
    "CreateConnection": create_connection,
    "DescribeConnection": describe_connection,
    "UpdateConnection": update_connection,
    "DeauthorizeConnection": deauthorize_connection,
    "DeleteConnection": delete_connection,
    "ListConnections": list_connections,
    "CreateApiDestination": create_api_destination,
    "DescribeApiDestination": describe_api_destination,
    "UpdateApiDestination": update_api_destination,
    "DeleteApiDestination": delete_api_destination,
    "ListApiDestinations": list_api_destinations,
}

__all__ = ["ACTIONS"]
