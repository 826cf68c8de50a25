"""EventBridge's API actions, as the AWS JSON 1.1 protocol names them, on an :class:`~eventmatch.EventBridge`.

Each handler takes the request's JSON object and returns the response's. Errors are the library's own
(each carries AWS's code and message), which :mod:`.wire` puts on the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..bus import EventBridge, EventBus
from ..errors import ValidationError

Handler = Callable[[EventBridge, Mapping[str, Any]], dict[str, Any]]


def _bus(bridge: EventBridge, params: Mapping[str, Any]) -> EventBus:
    return bridge.bus(str(params.get("EventBusName") or "default"))


def _pattern(value: Any) -> Any:
    return value  # EventPattern travels as JSON text, which the bus reads as AWS does


def _page(items: list[Any], params: Mapping[str, Any]) -> tuple[list[Any], str | None]:
    """A page of ``items`` by ``Limit`` and ``NextToken`` (the token is the index of the next item)."""
    limit = params.get("Limit")
    start = 0
    token = params.get("NextToken")
    if token is not None:
        try:
            start = int(str(token))
        except ValueError:
            raise ValidationError("The NextToken provided is invalid.") from None
    if limit is None:
        return items[start:], None
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise ValidationError(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
            "Member must have value between 1 and 100"
        )
    end = start + limit
    return items[start:end], (str(end) if end < len(items) else None)


def create_event_bus(bridge: EventBridge, params: Mapping[str, Any]) -> dict[str, Any]:
    bus = bridge.create_event_bus(params.get("Name"))  # type: ignore[arg-type]  # validated by the bridge
    return {"EventBusArn": bus.arn}


def describe_event_bus(bridge: EventBridge, params: Mapping[str, Any]) -> dict[str, Any]:
    bus = bridge.bus(str(params.get("Name") or "default"))
    return {"Name": bus.name, "Arn": bus.arn}


def delete_event_bus(bridge: EventBridge, params: Mapping[str, Any]) -> dict[str, Any]:
    bridge.delete_event_bus(str(params.get("Name")))
    return {}


def list_event_buses(bridge: EventBridge, params: Mapping[str, Any]) -> dict[str, Any]:
    prefix = str(params.get("NamePrefix") or "")
    buses = [b for b in bridge.list_event_buses() if b["Name"].startswith(prefix)]
    page, token = _page(buses, params)
    return {"EventBuses": page, **({"NextToken": token} if token else {})}


def put_rule(bridge: EventBridge, params: Mapping[str, Any]) -> dict[str, Any]:
    arn = _bus(bridge, params).put_rule(
        params.get("Name"),  # type: ignore[arg-type]  # validated by the bus, with AWS's message
        _pattern(params.get("EventPattern")),
        schedule_expression=params.get("ScheduleExpression"),
        state=params.get("State", "ENABLED"),
        description=params.get("Description", ""),
    )
    return {"RuleArn": arn}


def describe_rule(bridge: EventBridge, params: Mapping[str, Any]) -> dict[str, Any]:
    return _bus(bridge, params).describe_rule(str(params.get("Name")))


def delete_rule(bridge: EventBridge, params: Mapping[str, Any]) -> dict[str, Any]:
    _bus(bridge, params).delete_rule(str(params.get("Name")), force=bool(params.get("Force", False)))
    return {}


def enable_rule(bridge: EventBridge, params: Mapping[str, Any]) -> dict[str, Any]:
    _bus(bridge, params).enable_rule(str(params.get("Name")))
    return {}


def disable_rule(bridge: EventBridge, params: Mapping[str, Any]) -> dict[str, Any]:
    _bus(bridge, params).disable_rule(str(params.get("Name")))
    return {}


def list_rules(bridge: EventBridge, params: Mapping[str, Any]) -> dict[str, Any]:
    rules = _bus(bridge, params).list_rules(str(params.get("NamePrefix") or ""))
    page, token = _page(rules, params)
    return {"Rules": page, **({"NextToken": token} if token else {})}


def list_rule_names_by_target(bridge: EventBridge, params: Mapping[str, Any]) -> dict[str, Any]:
    arn = params.get("TargetArn")
    bus = _bus(bridge, params)
    names = [r["Name"] for r in bus.list_rules() if any(t["Arn"] == arn for t in bus.list_targets(r["Name"]))]
    page, token = _page(names, params)
    return {"RuleNames": page, **({"NextToken": token} if token else {})}


def put_targets(bridge: EventBridge, params: Mapping[str, Any]) -> dict[str, Any]:
    targets = params.get("Targets")
    if not isinstance(targets, list):
        raise ValidationError("Parameter Targets is not valid.")
    return _bus(bridge, params).put_targets(str(params.get("Rule")), targets)


def remove_targets(bridge: EventBridge, params: Mapping[str, Any]) -> dict[str, Any]:
    return _bus(bridge, params).remove_targets(str(params.get("Rule")), params.get("Ids") or [])


def list_targets_by_rule(bridge: EventBridge, params: Mapping[str, Any]) -> dict[str, Any]:
    targets = _bus(bridge, params).list_targets(str(params.get("Rule")))
    page, token = _page(targets, params)
    return {"Targets": page, **({"NextToken": token} if token else {})}


def put_events(bridge: EventBridge, params: Mapping[str, Any]) -> dict[str, Any]:
    entries = params.get("Entries")
    if not isinstance(entries, list):
        raise ValidationError("Parameter Entries is not valid.")
    return bridge.put_events(entries)


def test_event_pattern(bridge: EventBridge, params: Mapping[str, Any]) -> dict[str, Any]:
    from .. import test_event_pattern as check

    return {"Result": check(str(params.get("Event")), str(params.get("EventPattern")))}


#: action name (the part of X-Amz-Target after ``AWSEvents.``) -> handler
ACTIONS: dict[str, Handler] = {
    "CreateEventBus": create_event_bus,
    "DescribeEventBus": describe_event_bus,
    "DeleteEventBus": delete_event_bus,
    "ListEventBuses": list_event_buses,
    "PutRule": put_rule,
    "DescribeRule": describe_rule,
    "DeleteRule": delete_rule,
    "EnableRule": enable_rule,
    "DisableRule": disable_rule,
    "ListRules": list_rules,
    "ListRuleNamesByTarget": list_rule_names_by_target,
    "PutTargets": put_targets,
    "RemoveTargets": remove_targets,
    "ListTargetsByRule": list_targets_by_rule,
    "PutEvents": put_events,
    "TestEventPattern": test_event_pattern,
}

test_event_pattern.__test__ = False  # type: ignore[attr-defined]  # not a pytest test

__all__ = ["ACTIONS", "Handler"]
