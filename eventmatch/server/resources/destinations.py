"""API destinations over the API: CreateApiDestination, DescribeApiDestination, UpdateApiDestination,
DeleteApiDestination, ListApiDestinations. An :class:`ApiDestination` is called over HTTP by the server
(:mod:`..api_destinations`); its endpoint is checked by the outbound policy when it is given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ...arn import arn
from ...errors import ResourceAlreadyExistsError
from .common import Answer, Handler, Params, Store, check, enum_problem, listing, name_problem
from .connections import CONNECTION_ARN, CONNECTION_ARN_TEXT, endpoint_checked

if TYPE_CHECKING:
    from ..service import Service

HTTP_METHODS = ["HEAD", "POST", "PATCH", "DELETE", "PUT", "GET", "OPTIONS"]
#: AWS's default rate limit of an API destination (invocations a second)
DEFAULT_RATE = 300


@dataclass
class ApiDestination:
    """One API destination: an HTTP endpoint, its method, the connection that authorizes it, a rate limit."""

    name: str
    arn: str
    connection_arn: str
    endpoint: str
    method: str
    created: datetime
    modified: datetime
    rate: int = DEFAULT_RATE
    state: str = "ACTIVE"
    description: str | None = None

    def answer(self) -> Answer:
        """What Create- and UpdateApiDestination answer."""
        return {"ApiDestinationArn": self.arn, "ApiDestinationState": self.state, "CreationTime": self.created,
                "LastModifiedTime": self.modified}

    def summary(self) -> Answer:
        """ListApiDestinations' shape."""
        return {"Name": self.name, **self.answer(), "ConnectionArn": self.connection_arn,
                "InvocationEndpoint": self.endpoint, "HttpMethod": self.method,
                "InvocationRateLimitPerSecond": self.rate}

    def describe(self) -> Answer:
        shown = self.summary()
        if self.description is not None:
            shown["Description"] = self.description
        return shown


class ApiDestinations(Store[ApiDestination]):
    """A service's API destinations, by name."""

    kind = "api_destinations"
    model = ApiDestination
    missing = "Failed to describe the api-destination(s). An api-destination '{name}' does not exist."


def destination(svc: Service, name: object) -> ApiDestination:
    return svc.store(ApiDestinations).named(name)


def _problems(params: Params, creating: bool) -> list[str]:
    problems = name_problem(params.get("Name")) if creating else []
    arn = params.get("ConnectionArn")
    if (creating or arn is not None) and (not isinstance(arn, str) or not CONNECTION_ARN.match(arn)):
        problems.append(f"Value '{arn}' at 'connectionArn' failed to satisfy constraint: Member must satisfy regular "
                        f"expression pattern: {CONNECTION_ARN_TEXT}")
    if creating or "HttpMethod" in params:
        problems += enum_problem(params.get("HttpMethod"), "httpMethod", HTTP_METHODS)
    rate = params.get("InvocationRateLimitPerSecond")
    if rate is not None and (not isinstance(rate, int) or rate < 1):
        problems.append(f"Value '{rate}' at 'invocationRateLimitPerSecond' failed to satisfy constraint: Member must "
                        "have value greater than or equal to 1")
    return problems


def create_api_destination(svc: Service, params: Params) -> Answer:
    check(_problems(params, creating=True))
    endpoint_checked(svc, params.get("InvocationEndpoint"), "InvocationEndpoint")
    name = str(params["Name"])
    destinations = svc.store(ApiDestinations)
    if name in destinations:
        raise ResourceAlreadyExistsError(f"An api-destination '{name}' already exists.")
    now = svc.now()
    made = destinations[name] = ApiDestination(
        name, arn("events", svc.region, svc.account, f"api-destination/{name}/{svc.new_id()}"),
        str(params["ConnectionArn"]), str(params.get("InvocationEndpoint")), str(params["HttpMethod"]), now, now,
        int(params.get("InvocationRateLimitPerSecond", DEFAULT_RATE)), description=params.get("Description"))
    return made.answer()


def describe_api_destination(svc: Service, params: Params) -> Answer:
    return destination(svc, params.get("Name")).describe()


def update_api_destination(svc: Service, params: Params) -> Answer:
    d = destination(svc, params.get("Name"))
    check(_problems(params, creating=False))
    if "InvocationEndpoint" in params:
        endpoint_checked(svc, params["InvocationEndpoint"], "InvocationEndpoint")
        d.endpoint = str(params["InvocationEndpoint"])
    if "Description" in params:
        d.description = params["Description"]
    if "ConnectionArn" in params:
        d.connection_arn = str(params["ConnectionArn"])
    if "HttpMethod" in params:
        d.method = str(params["HttpMethod"])
    if "InvocationRateLimitPerSecond" in params:
        d.rate = int(params["InvocationRateLimitPerSecond"])
    d.modified = svc.now()
    return d.answer()


def delete_api_destination(svc: Service, params: Params) -> Answer:
    d = destination(svc, params.get("Name"))
    del svc.store(ApiDestinations)[d.name]
    return {}


def list_api_destinations(svc: Service, params: Params) -> Answer:
    prefix, connection = str(params.get("NamePrefix") or ""), params.get("ConnectionArn")
    listed = [d.summary() for n, d in sorted(svc.store(ApiDestinations).items())
              if n.startswith(prefix) and (connection is None or d.connection_arn == connection)]
    return listing("ApiDestinations", listed, params)


ACTIONS: dict[str, Handler] = {
    "CreateApiDestination": create_api_destination,
    "DescribeApiDestination": describe_api_destination,
    "UpdateApiDestination": update_api_destination,
    "DeleteApiDestination": delete_api_destination,
    "ListApiDestinations": list_api_destinations,
}

__all__ = ["ACTIONS", "ApiDestination", "ApiDestinations"]
