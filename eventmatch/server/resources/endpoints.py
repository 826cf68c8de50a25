"""Global endpoints over the API: CreateEndpoint, DescribeEndpoint, UpdateEndpoint, DeleteEndpoint,
ListEndpoints. An :class:`Endpoint` is stored and described as AWS describes it; its failover acts only
inside AWS."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ...arn import arn
from ...errors import ResourceAlreadyExistsError
from .common import Answer, Handler, Params, Store, check, given, listing, name_problem

if TYPE_CHECKING:
    from ..service import Service

#: what CreateEndpoint and UpdateEndpoint keep as given
FIELDS = ("Description", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn")


@dataclass
class Endpoint:
    name: str
    arn: str
    endpoint_id: str
    created: datetime
    modified: datetime
    state: str = "ACTIVE"
    #: the FIELDS given
    settings: dict[str, object] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"https://{self.endpoint_id}.endpoint.events.amazonaws.com"

    def describe(self) -> Answer:
        return {"Name": self.name, "Arn": self.arn, "EndpointId": self.endpoint_id, "EndpointUrl": self.url,
                "State": self.state, "CreationTime": self.created, "LastModifiedTime": self.modified,
                **self.settings}


class Endpoints(Store[Endpoint]):
    """A service's global endpoints, by name."""

    kind = "endpoints"
    model = Endpoint
    missing = "Endpoint {name} does not exist."


def endpoint(svc: Service, name: object) -> Endpoint:
    return svc.store(Endpoints).named(name)


def create_endpoint(svc: Service, params: Params) -> Answer:
    name = params.get("Name")
    check(name_problem(name))
    endpoints = svc.store(Endpoints)
    if name in endpoints:
        raise ResourceAlreadyExistsError(f"Endpoint {name} already exists.")
    now = svc.now()
    made = endpoints[str(name)] = Endpoint(
        str(name), arn("events", svc.region, svc.account, f"endpoint/{name}"), svc.new_id().replace("-", "")[:10],
        now, now, settings=given(params, FIELDS))
    return {"Name": made.name, "Arn": made.arn, "State": made.state, **made.settings}


def describe_endpoint(svc: Service, params: Params) -> Answer:
    return endpoint(svc, params.get("Name")).describe()


def update_endpoint(svc: Service, params: Params) -> Answer:
    e = endpoint(svc, params.get("Name"))
    e.settings.update(given(params, FIELDS))
    e.modified = svc.now()
    return {"Name": e.name, "Arn": e.arn, "EndpointId": e.endpoint_id, "EndpointUrl": e.url, "State": e.state,
            **e.settings}


def delete_endpoint(svc: Service, params: Params) -> Answer:
    e = endpoint(svc, params.get("Name"))
    del svc.store(Endpoints)[e.name]
    return {}


def list_endpoints(svc: Service, params: Params) -> Answer:
    prefix = str(params.get("NamePrefix") or "")
    listed = [e.describe() for n, e in sorted(svc.store(Endpoints).items()) if n.startswith(prefix)]
    return listing("Endpoints", listed, params)


ACTIONS: dict[str, Handler] = {
    "CreateEndpoint": create_endpoint,
    "DescribeEndpoint": describe_endpoint,
    "UpdateEndpoint": update_endpoint,
    "DeleteEndpoint": delete_endpoint,
    "ListEndpoints": list_endpoints,
}

__all__ = ["ACTIONS", "Endpoint", "Endpoints"]
