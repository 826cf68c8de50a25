"""EventBridge's API actions, as the AWS JSON 1.1 protocol names them, on an :class:`~eventmatch.EventBridge`.

Each handler takes the request's JSON object and returns the response's. Errors are the library's own
(each carries AWS's code and message), which :mod:`.wire` puts on the wire.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..bus import EventBridge, EventBus
from ..bus.entries import accept_entries
from ..errors import ResourceNotFoundError, ValidationError
from .outbound import OutboundPolicy
from .paging import page

if TYPE_CHECKING:
    from .inbox import Inbox
    from .state import State


class Context:
    """What the handlers work on: the bridge, and the API's own state (tags by resource ARN)."""

    def __init__(self, bridge: EventBridge, state: State | None = None, inbox: Inbox | None = None) -> None:
        self.bridge = bridge
        #: where changes are logged and accepted events kept (``eventmatch serve --state``); None: nowhere
        self.state = state
        #: routes accepted events after PutEvents answers; None: PutEvents routes before it answers
        self.inbox = inbox
        self.tags: dict[str, dict[str, str]] = {}
        #: the stored resources of :mod:`.resources`, by kind and name
        self.stores: dict[str, dict[str, dict[str, Any]]] = {}
        self.lock = threading.Lock()
        #: when this API started: the default bus's creation time
        self.started = bridge.clock.now()
        #: each rule's targets as PutTargets gave them, which ListTargetsByRule answers: (bus, rule) -> id -> spec
        self.target_specs: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        # what the current command made up (its times and random ids: see now() and new_id()), logged with it
        # so that playing the log again on start gives the same ARNs and times; while replaying, the facts
        # logged, given back in order
        self.facts: list[str] = []
        self._replay: list[str] | None = None
        #: where the server's own HTTP calls may go (API destinations, OAuth endpoints): checked at creation too
        self.outbound = OutboundPolicy()
        #: True while the command log is played again on start (creation-time checks of endpoints skipped)
        self.restoring = False

    def now(self) -> datetime:
        """The time a change happens, for the times it stamps (the logged one while the log is played again)."""
        if self._replay:
            return datetime.fromisoformat(self._replay.pop(0))
        now = self.bridge.clock.now()
        self.facts.append(now.isoformat())
        return now

    def new_id(self, make: Callable[[], str] | None = None) -> str:
        """A random id for the ARNs and ids a change makes up: a UUID's text, or what ``make`` makes (the logged
        one while replaying)."""
        if self._replay:
            return self._replay.pop(0)
        made = make() if make is not None else str(uuid.uuid4())
        self.facts.append(made)
        return made

    def replaying(self, facts: list[str] | None) -> None:
        """Give back ``facts`` (a command's, from the log) to the next calls of now() and new_id(); None to stop."""
        self._replay = list(facts) if facts else None

    def store(self, kind: str) -> dict[str, dict[str, Any]]:
        """The stored resources of one kind (connections, api-destinations, ...), by name."""
        return self.stores.setdefault(kind, {})

    def bus_extras(self, bus_name: str) -> dict[str, Any]:
        """What DescribeEventBus and ListEventBuses add for a bus: its settings (CreateEventBus,
        UpdateEventBus), its times, and its policy when PutPermission gave it statements."""
        extras = {"CreationTime": self.started, "LastModifiedTime": self.started,  # the default bus's
                  **self.stores.get("bus-settings", {}).get(bus_name, {})}
        statements = self.stores.get("permissions", {}).get(bus_name)
        if statements:
            extras["Policy"] = json.dumps({"Version": "2012-10-17", "Statement": list(statements.values())})
        return extras


#: what CreateEventBus and UpdateEventBus keep of a bus, and answer
BUS_SETTINGS = ("Description", "KmsKeyIdentifier", "DeadLetterConfig", "LogConfig")

Handler = Callable[[Context, Mapping[str, Any]], dict[str, Any]]


def _bus(bridge: EventBridge, params: Mapping[str, Any]) -> EventBus:
    return bridge.bus(str(params.get("EventBusName") or "default"))


def _listing(key: str, items: list[Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """A list action's answer: one page of ``items`` under ``key``, and the NextToken when more follow."""
    shown, token = page(key, items, params)
    return {key: shown, **({"NextToken": token} if token else {})}


def create_event_bus(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bridge = ctx.bridge
    tags = _tags(params.get("Tags"))
    bus = bridge.create_event_bus(params.get("Name"))  # type: ignore[arg-type]  # validated by the bridge
    if tags:
        ctx.tags[bus.arn] = tags
    given = {k: params[k] for k in BUS_SETTINGS if k in params}
    now = ctx.now()
    ctx.store("bus-settings")[bus.name] = {**given, "CreationTime": now, "LastModifiedTime": now}
    return {"EventBusArn": bus.arn, **given}


def describe_event_bus(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bridge = ctx.bridge
    bus = bridge.bus(str(params.get("Name") or "default"))
    return {"Name": bus.name, "Arn": bus.arn, **ctx.bus_extras(bus.name)}


def delete_event_bus(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bridge = ctx.bridge
    name = str(params.get("Name"))
    arn = bridge.bus(name).arn if name != "default" else ""
    bridge.delete_event_bus(name)
    ctx.target_specs = {k: v for k, v in ctx.target_specs.items() if k[0] != name}
    ctx.store("bus-settings").pop(name, None)
    ctx.tags = {k: v for k, v in ctx.tags.items() if not (k == arn or f":rule/{name}/" in k)}
    return {}


def list_event_buses(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bridge = ctx.bridge
    prefix = str(params.get("NamePrefix") or "")
    listed = ("Description", "Policy", "CreationTime", "LastModifiedTime")  # the model's EventBus
    buses = [{**b, **{k: v for k, v in ctx.bus_extras(b["Name"]).items() if k in listed}}
             for b in bridge.list_event_buses() if b["Name"].startswith(prefix)]
    return _listing("EventBuses", buses, params)


def put_rule(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bridge = ctx.bridge
    tags = _tags(params.get("Tags"))
    arn = _bus(bridge, params).put_rule(
        params.get("Name"),  # type: ignore[arg-type]  # validated by the bus, with AWS's message
        params.get("EventPattern"),  # JSON text, which the bus reads as AWS does
        schedule_expression=params.get("ScheduleExpression"),
        state=params.get("State", "ENABLED"),
        description=params.get("Description", ""),
    )
    if tags:
        ctx.tags[arn] = {**ctx.tags.get(arn, {}), **tags}
    return {"RuleArn": arn}


def describe_rule(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bridge = ctx.bridge
    return {**_bus(bridge, params).describe_rule(str(params.get("Name"))), "CreatedBy": bridge.account}


def delete_rule(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bridge = ctx.bridge
    bus = _bus(bridge, params)
    name = str(params.get("Name"))
    bus.delete_rule(name, force=bool(params.get("Force", False)))
    ctx.tags.pop(bus.rule_arn(name), None)
    ctx.target_specs.pop((bus.name, name), None)
    return {}


def enable_rule(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bridge = ctx.bridge
    _bus(bridge, params).enable_rule(str(params.get("Name")))
    return {}


def disable_rule(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bridge = ctx.bridge
    _bus(bridge, params).disable_rule(str(params.get("Name")))
    return {}


def list_rules(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bridge = ctx.bridge
    rules = _bus(bridge, params).list_rules(str(params.get("NamePrefix") or ""))
    return _listing("Rules", rules, params)


def list_rule_names_by_target(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bridge = ctx.bridge
    arn = params.get("TargetArn")
    bus = _bus(bridge, params)
    names = [r["Name"] for r in bus.list_rules() if any(t["Arn"] == arn for t in bus.list_targets(r["Name"]))]
    return _listing("RuleNames", names, params)


def put_targets(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bridge = ctx.bridge
    targets = params.get("Targets")
    if not isinstance(targets, list):
        raise ValidationError("Parameter Targets is not valid.")
    bus, rule = _bus(bridge, params), str(params.get("Rule"))
    answer = bus.put_targets(rule, [_dead_letter(ctx, t) for t in targets])
    failed = {f.get("TargetId") for f in answer.get("FailedEntries", [])}
    specs = ctx.target_specs.setdefault((bus.name, rule), {})
    for target in targets:
        if isinstance(target, Mapping) and target.get("Id") not in failed:
            specs[str(target.get("Id"))] = dict(target)
    return answer


def _dead_letter(ctx: Context, target: Any) -> Any:
    """A target's DeadLetterConfig (an SQS queue's ARN) as the bus takes it: a callable that records what
    the queue receives (the payload, and AWS's attributes as the message's attributes)."""
    if not isinstance(target, Mapping) or not isinstance(target.get("DeadLetterConfig"), Mapping):
        return target
    arn = str(target["DeadLetterConfig"].get("Arn"))

    def dead_letter(payload: Any, attributes: dict[str, Any]) -> None:
        if ctx.state is not None:
            ctx.state.record(f"{target.get('Id')}:dead-letter", arn, {"payload": payload, "attributes": attributes})

    return {**target, "DeadLetter": dead_letter}


def remove_targets(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bridge = ctx.bridge
    bus, rule = _bus(bridge, params), str(params.get("Rule"))
    answer = bus.remove_targets(rule, params.get("Ids") or [])
    specs = ctx.target_specs.get((bus.name, rule), {})
    for target_id in params.get("Ids") or []:
        specs.pop(str(target_id), None)
    return answer


def list_targets_by_rule(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bridge = ctx.bridge
    bus, rule = _bus(bridge, params), str(params.get("Rule"))
    specs = ctx.target_specs.get((bus.name, rule), {})
    # as PutTargets gave them (AWS answers what it was given), in the rule's order
    targets = [specs.get(t["Id"], t) for t in bus.list_targets(rule)]
    return _listing("Targets", targets, params)


def put_events(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bridge = ctx.bridge
    entries = params.get("Entries")
    if not isinstance(entries, list):
        raise ValidationError("Parameter Entries is not valid.")
    if ctx.inbox is None or ctx.state is None:
        return bridge.put_events(entries)
    # accepted events are stored (committed) before the answer, and routed after it
    response, accepted, size = accept_entries(entries, bridge.account, bridge.region, bridge.clock.now())
    bridge.metrics.observe(None, None, "PutEventsRequestSize", size)
    if accepted:
        seqs = ctx.state.accept(accepted)
        ctx.inbox.put([(seq, bus, event) for seq, (bus, event) in zip(seqs, accepted, strict=True)])
    return response


def test_event_pattern(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    from ..pattern.check import test_event_pattern as check

    return {"Result": check(str(params.get("Event")), str(params.get("EventPattern")))}


# -- tags ----------------------------------------------------------------------------------------
def _tags(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, list) or not all(isinstance(t, Mapping) and isinstance(t.get("Key"), str)
                                              and isinstance(t.get("Value"), str) for t in value):
        raise ValidationError("Parameter Tags is not valid. Reason: each tag needs a Key and a Value.")
    return {t["Key"]: t["Value"] for t in value}


def _existing(ctx: Context, arn: Any) -> str:
    """The ARN of a bus or rule that exists (ResourceNotFoundException with AWS's message otherwise)."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        raise ValidationError("Parameter ResourceARN is not valid. Reason: Provided Arn is not in correct format.")
    resource = arn.split(":", 5)[-1]
    kind, _, path = resource.partition("/")
    if kind == "event-bus":
        ctx.bridge.bus(path)
    elif kind == "rule":
        bus, _, rule = path.rpartition("/")
        ctx.bridge.bus(bus or "default").rule(rule)
    else:
        raise ResourceNotFoundError(f"Resource {arn} does not exist.")
    return arn


def tag_resource(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    arn = _existing(ctx, params.get("ResourceARN"))
    ctx.tags[arn] = {**ctx.tags.get(arn, {}), **_tags(params.get("Tags"))}
    return {}


def untag_resource(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    arn = _existing(ctx, params.get("ResourceARN"))
    keys = params.get("TagKeys") or []
    ctx.tags[arn] = {k: v for k, v in ctx.tags.get(arn, {}).items() if k not in keys}
    return {}


def list_tags_for_resource(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    arn = _existing(ctx, params.get("ResourceARN"))
    return {"Tags": [{"Key": k, "Value": v} for k, v in ctx.tags.get(arn, {}).items()]}


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
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}

test_event_pattern.__test__ = False  # type: ignore[attr-defined]  # not a pytest test

__all__ = ["ACTIONS", "Context", "Handler"]
