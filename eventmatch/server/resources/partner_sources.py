"""Partner event sources over the API, both sides: the partner's (CreatePartnerEventSource,
DescribePartnerEventSource, DeletePartnerEventSource, ListPartnerEventSources,
ListPartnerEventSourceAccounts) and the customer's (DescribeEventSource, ActivateEventSource,
DeactivateEventSource, ListEventSources). An :class:`EventSource` is stored as AWS describes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ...arn import arn
from ...errors import ResourceAlreadyExistsError, ValidationError
from .common import Answer, Handler, Params, Store, listing

if TYPE_CHECKING:
    from ..service import Service


@dataclass
class EventSource:
    name: str
    arn: str
    created_by: str
    created: datetime
    account: str
    state: str = "PENDING"

    def describe(self) -> Answer:
        """DescribeEventSource's and ListEventSources' shape."""
        return {"Arn": self.arn, "CreatedBy": self.created_by, "CreationTime": self.created, "Name": self.name,
                "State": self.state}


class EventSources(Store[EventSource]):
    """A service's partner event sources, by name."""

    kind = "event_sources"
    model = EventSource
    missing = "Event source {name} does not exist."


def source(svc: Service, name: object) -> EventSource:
    return svc.store(EventSources).named(name)


def create_partner_event_source(svc: Service, params: Params) -> Answer:
    name = params.get("Name")
    if not isinstance(name, str) or not name.startswith("aws.partner/"):
        raise ValidationError(f"Parameter Name is not valid. Reason: {name} does not start with aws.partner/.")
    sources = svc.store(EventSources)
    if name in sources:
        raise ResourceAlreadyExistsError(f"Event source {name} already exists.")
    made = sources[name] = EventSource(name, arn("events", svc.region, "", f"event-source/{name}"),
                                       name.split("/")[1], svc.now(), str(params.get("Account") or svc.account))
    return {"EventSourceArn": made.arn}


def describe_partner_event_source(svc: Service, params: Params) -> Answer:
    s = source(svc, params.get("Name"))
    return {"Arn": s.arn, "Name": s.name}


def delete_partner_event_source(svc: Service, params: Params) -> Answer:
    del svc.store(EventSources)[source(svc, params.get("Name")).name]
    return {}


def list_partner_event_sources(svc: Service, params: Params) -> Answer:
    prefix = str(params.get("NamePrefix") or "")
    listed = [{"Arn": s.arn, "Name": n} for n, s in sorted(svc.store(EventSources).items())
              if n.startswith(prefix)]
    return listing("PartnerEventSources", listed, params)


def list_partner_event_source_accounts(svc: Service, params: Params) -> Answer:
    s = source(svc, params.get("EventSourceName"))
    return {"PartnerEventSourceAccounts": [{"Account": s.account, "CreationTime": s.created, "State": s.state}]}


def describe_event_source(svc: Service, params: Params) -> Answer:
    return source(svc, params.get("Name")).describe()


def activate_event_source(svc: Service, params: Params) -> Answer:
    source(svc, params.get("Name")).state = "ACTIVE"
    return {}


def deactivate_event_source(svc: Service, params: Params) -> Answer:
    source(svc, params.get("Name")).state = "PENDING"
    return {}


def list_event_sources(svc: Service, params: Params) -> Answer:
    prefix = str(params.get("NamePrefix") or "")
    listed = [s.describe() for n, s in sorted(svc.store(EventSources).items()) if n.startswith(prefix)]
    return listing("EventSources", listed, params)


ACTIONS: dict[str, Handler] = {
    "CreatePartnerEventSource": create_partner_event_source,
    "DescribePartnerEventSource": describe_partner_event_source,
    "DeletePartnerEventSource": delete_partner_event_source,
    "ListPartnerEventSources": list_partner_event_sources,
    "ListPartnerEventSourceAccounts": list_partner_event_source_accounts,
    "DescribeEventSource": describe_event_source,
    "ActivateEventSource": activate_event_source,
    "DeactivateEventSource": deactivate_event_source,
    "ListEventSources": list_event_sources,
}

__all__ = ["ACTIONS", "EventSource", "EventSources"]
