"""Requests that name an event bus by its ARN, of another account or region of this server.

EventBridge's user guide ("Permissions for event buses"): "EventBridge APIs that accept an event bus Name
parameter such as PutRule, PutTargets, DeleteRule, RemoveTargets, DisableRule, and EnableRule also accept the
event bus ARN. Use these parameters to reference cross-account or cross-Region event buses through the APIs.
For example, you can call PutRule to create a rule on an event bus in a different account". So:

- an ARN of the caller's own account and region is the bus of that name;
- an ARN of another account in the same region acts on that account's bus, as far as the bus's policy allows
  the caller's account the action (:func:`eventmatch.bus.policy.allows`); the rule a PutRule makes there is the
  other account's (its ARN says so) and remembers who created it (DescribeRule's ``CreatedBy``);
  otherwise ``AccessDeniedException``, in the form AWS gives it;
- an ARN of another region is refused: AWS answers a PutRule naming another region's bus with ``Cross-region API
  call is not allowed.`` (quoted in aws-samples/amazon-eventbridge-resource-policy-samples#10) and a PutTargets
  with ``Cross-region api call is not allowed.`` (quoted in hashicorp/terraform-provider-aws#31444).

PutEvents names a bus per entry (:func:`entry_bus`): another account's bus in the same region receives the
entry when its policy lets the caller's account put events on it (AWS's own recorded flow, a PutEvents from
one account naming the other's custom bus by ARN, shows it delivered, with the sender's account in the event);
otherwise the entry alone fails with ``AccessDeniedException``. An entry naming another region's bus: AWS's
answer is not recorded; this server refuses the request as PutRule's is refused (docs/server.md says so).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..arn import partition
from ..bus.entries import bus_name
from ..bus.policy import allows
from ..bus.registry import BusSettings
from ..errors import AccessDeniedError, ResourceNotFoundError, ValidationError
from .resources.common import Params
from .resources.rules import CREATED_BY, creator_of

if TYPE_CHECKING:
    from .service import Service

#: AWS's answer to PutRule (and, here, the other actions) naming another region's bus
CROSS_REGION = "Cross-region API call is not allowed."
#: AWS's answer to PutTargets naming another region's bus
CROSS_REGION_TARGETS = "Cross-region api call is not allowed."

#: the actions whose EventBusName may be another account's bus, by its ARN
BUS_ACTIONS = frozenset({
    "PutRule", "PutTargets", "DeleteRule", "RemoveTargets", "DisableRule", "EnableRule", "DescribeRule",
    "ListRules", "ListTargetsByRule", "ListRuleNamesByTarget",
})


def owner(svc: Service, action: str, params: Params) -> tuple[Service, Params]:
    """The service an action runs on (the bus owner's, for another account's bus ARN), and its parameters
    there (the bus by name). Raises AWS's errors for another region's bus, or a bus whose policy does not allow
    the caller."""
    if CREATED_BY in params:  # set here only, never by a request
        params = {key: value for key, value in params.items() if key != CREATED_BY}
    name = params.get("EventBusName")
    if action not in BUS_ACTIONS or not isinstance(name, str) or not name.startswith("arn:"):
        return svc, params
    parts = _parts(name)
    if parts is None:
        return svc, params
    region, account, bus = parts
    if region != svc.region:
        raise ValidationError(CROSS_REGION_TARGETS if action == "PutTargets" else CROSS_REGION)
    here = {**params, "EventBusName": bus}
    if account == svc.account:
        return svc, here
    other = svc.others((account, region))
    rule = params.get("Rule") if action in ("PutTargets", "RemoveTargets", "ListTargetsByRule") else params.get("Name")
    creator = creator_of(other, bus, rule) if other is not None and isinstance(rule, str) else None
    settings = _settings(other, bus) if other is not None else None
    if other is None or settings is None or not allows(settings, f"events:{action}", svc.account, account,
                                                        creator):
        resource = f"event-bus/{bus}" if not isinstance(rule, str) else (
            f"rule/{rule}" if bus == "default" else f"rule/{bus}/{rule}")
        raise _denied(svc, action, f"arn:{partition(region)}:events:{region}:{account}:{resource}")
    if action == "PutRule":
        here[CREATED_BY] = svc.account
    return other, here


def entry_bus(svc: Service) -> Callable[[str], str | tuple[str, str]]:
    """How PutEvents on ``svc`` reads an entry's EventBusName: the bus's name, or its ARN when it is another
    account's bus that takes the caller's events (routed there: see :mod:`.wiring`), or the entry's error."""

    def place(name: str) -> str | tuple[str, str]:
        if not name.startswith("arn:"):
            return name
        parts = _parts(name)
        if parts is None:
            return bus_name(name)
        region, account, bus = parts
        if region != svc.region:
            raise ValidationError(CROSS_REGION)
        if account == svc.account:
            return bus
        other = svc.others((account, region))
        settings = _settings(other, bus) if other is not None else None
        if settings is not None and allows(settings, "events:PutEvents", svc.account, account):
            return f"arn:{partition(region)}:events:{region}:{account}:event-bus/{bus}"
        return "AccessDeniedException", str(_denied(svc, "PutEvents", name))

    return place


def _parts(arn: str) -> tuple[str, str, str] | None:
    """(region, account, bus name) of an event bus's ARN, or None for text that is not one."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "events" or not parts[5].startswith("event-bus/"):
        return None
    return parts[3], parts[4], parts[5][len("event-bus/"):]


def _settings(svc: Service, bus: str) -> BusSettings | None:
    """A bus's settings (its policy among them), None for a bus that does not exist."""
    try:
        return svc.bridge.bus(bus).settings
    except ResourceNotFoundError:
        return None


def _denied(svc: Service, action: str, resource: str) -> AccessDeniedError:
    """AWS's AccessDeniedException for an action no resource-based policy allows (the caller named as its
    account's root: this server has no IAM users)."""
    return AccessDeniedError(
        f"User: arn:{partition(svc.region)}:iam::{svc.account}:root is not authorized to perform: events:{action} "
        f"on resource: {resource} because no resource-based policy allows the events:{action} action")


__all__ = ["BUS_ACTIONS", "CROSS_REGION", "CROSS_REGION_TARGETS", "entry_bus", "owner"]
