"""Rules and their targets over the API: PutRule, DescribeRule, DeleteRule, EnableRule, DisableRule,
ListRules, ListRuleNamesByTarget, PutTargets, RemoveTargets, ListTargetsByRule. The rules are the bus's;
the API keeps each target as PutTargets gave it (what ListTargetsByRule answers), in ``Resources.targets``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...bus import EventBus
from ...errors import ManagedRuleError, ValidationError
from .common import Answer, Handler, Params, listing
from .tags import tags_of

if TYPE_CHECKING:
    from ..service import Service


#: a target as PutTargets gave it
TargetSpec = dict[str, Any]


class Targets(dict[tuple[str, str], dict[str, TargetSpec]]):
    """Each rule's targets as PutTargets gave them (ListTargetsByRule answers them): (bus, rule) -> id -> spec."""


#: the parameter, set by :mod:`..crossing` and never by a request, that names the account that made a rule on
#: another account's bus (DescribeRule's CreatedBy)
CREATED_BY = "eventmatch:CreatedBy"


class Creators(dict[tuple[str, str], str]):
    """The account that created each rule made from another account: (bus, rule) -> account. A rule not in it
    was created by the bus's own account."""


def creator_of(svc: Service, bus_name: str, rule: str) -> str | None:
    """The account that created a rule (None: there is no such rule)."""
    try:
        bus = svc.bridge.bus(bus_name)
    except LookupError:
        return None
    if rule not in bus.rules_by_name:
        return None
    return svc.store(Creators).get((bus.name, rule), svc.account)


#: the rule an archive makes on its bus, as AWS makes it ("Events-Archive-<archive>", managed by EventBridge's
#: archive service; the names as moto's reproduction of AWS has them): listed and described, not changed
MANAGED_PREFIX, MANAGED_BY = "Events-Archive-", "prod.vhs.events.aws.internal"


def managed_rules(svc: Service, bus: EventBus) -> dict[str, dict[str, Any]]:
    """The rules the bus's archives made (by name), as ListRules and DescribeRule give them: the archive's
    pattern plus ``{"replay-name": [{"exists": false}]}`` (replayed events are not archived again)."""
    found: dict[str, dict[str, Any]] = {}
    for listed in svc.bridge.archives.list_archives():
        archive = svc.bridge.archives.get(listed["ArchiveName"])
        if archive is None or archive.bus != bus.name:
            continue
        given = svc.bridge.archives.describe(archive.name).get("EventPattern")
        pattern = {**(json.loads(given) if isinstance(given, str) else {}), "replay-name": [{"exists": False}]}
        name = MANAGED_PREFIX + archive.name
        found[name] = {"Name": name, "Arn": bus.rule_arn(name), "EventPattern": json.dumps(pattern),
                       "State": "ENABLED", "ManagedBy": MANAGED_BY, "EventBusName": bus.name}
    return found


def _not_managed(svc: Service, bus: EventBus, name: object, force: bool = False) -> None:
    """AWS's ManagedRuleException for a change to an archive's rule (DeleteRule and RemoveTargets with Force
    too: here the rule goes with its archive, DeleteArchive)."""
    if isinstance(name, str) and name.startswith(MANAGED_PREFIX) and name in managed_rules(svc, bus):
        raise ManagedRuleError(
            f"Rule {name} is managed by {MANAGED_BY} and cannot be changed here"
            + (" (Force included: delete its archive instead)." if force else ": delete its archive instead."))


def bus_of(svc: Service, params: Params) -> EventBus:
    return svc.bridge.bus(str(params.get("EventBusName") or "default"))


def put_rule(svc: Service, params: Params) -> Answer:
    tags = tags_of(params.get("Tags"))
    bus = bus_of(svc, params)
    _not_managed(svc, bus, params.get("Name"))
    new = params.get("Name") not in bus.rules_by_name
    arn = bus.put_rule(
        params.get("Name"),  # type: ignore[arg-type]  # validated by the bus, with AWS's message
        params.get("EventPattern"),  # JSON text, which the bus reads as AWS does
        schedule_expression=params.get("ScheduleExpression"),
        state=params.get("State", "ENABLED"),
        description=params.get("Description", ""),
        role_arn=params.get("RoleArn"),
    )
    svc.tags.tag(arn, tags)
    creator = params.get(CREATED_BY)
    if new and isinstance(creator, str):
        svc.store(Creators)[(bus.name, str(params.get("Name")))] = creator
    return {"RuleArn": arn}


def describe_rule(svc: Service, params: Params) -> Answer:
    """DescribeRule (an archive's rule too); CreatedBy: "If you use PutRule to put a rule on an event bus in
    another account, the other account is the owner of the rule [...]. However, the value for CreatedBy is the
    account ID as the account that created the rule in the other account" (API reference, DescribeRule)."""
    bus, name = bus_of(svc, params), str(params.get("Name"))
    managed = managed_rules(svc, bus).get(name) if name.startswith(MANAGED_PREFIX) else None
    described = managed if managed is not None else bus.describe_rule(name)
    return {**described, "CreatedBy": svc.store(Creators).get((bus.name, name), svc.account)}


def delete_rule(svc: Service, params: Params) -> Answer:
    """DeleteRule; AWS's API reference (DeleteRule): "If you call delete rule multiple times for the same rule,
    all calls will succeed" (a rule that does not exist is no error; a bus that does not exist is)."""
    bus = bus_of(svc, params)
    name = str(params.get("Name"))
    _not_managed(svc, bus, name, bool(params.get("Force", False)))
    if name not in bus.rules_by_name:
        return {}
    bus.delete_rule(name, force=bool(params.get("Force", False)))
    svc.tags.forget(bus.rule_arn(name))
    svc.store(Targets).pop((bus.name, name), None)
    svc.store(Creators).pop((bus.name, name), None)
    return {}


def enable_rule(svc: Service, params: Params) -> Answer:
    bus = bus_of(svc, params)
    _not_managed(svc, bus, params.get("Name"))
    bus.enable_rule(str(params.get("Name")))
    return {}


def disable_rule(svc: Service, params: Params) -> Answer:
    bus = bus_of(svc, params)
    _not_managed(svc, bus, params.get("Name"))
    bus.disable_rule(str(params.get("Name")))
    return {}


def list_rules(svc: Service, params: Params) -> Answer:
    bus, prefix = bus_of(svc, params), str(params.get("NamePrefix") or "")
    rules = bus.list_rules(prefix) + [r for n, r in managed_rules(svc, bus).items() if n.startswith(prefix)]
    return listing("Rules", sorted(rules, key=lambda rule: rule["Name"]), params)


def list_rule_names_by_target(svc: Service, params: Params) -> Answer:
    arn = params.get("TargetArn")
    bus = bus_of(svc, params)
    names = [r["Name"] for r in bus.list_rules() if any(t["Arn"] == arn for t in bus.list_targets(r["Name"]))]
    return listing("RuleNames", names, params)


#: what an ARN looks like (arn:partition:service:region:account:resource; region and account may be empty)
ARN = re.compile(r"^arn:[a-z][a-z-]*:[a-z0-9][a-z0-9-]*:[a-z0-9-]*:\d*:.+$")


def _target_problem(target: Mapping[str, Any]) -> str | None:
    """AWS's ValidationException for a target whose Arn is not an ARN, or whose service needs parameters it
    lacks (AWS's messages, as its API answers them: a FIFO queue needs SqsParameters' MessageGroupId, a Batch
    job queue its BatchParameters)."""
    arn = target.get("Arn")
    if not isinstance(arn, str):
        return None
    if not ARN.match(arn):
        return f"Parameter {arn} is not valid. Reason: Provided Arn is not in correct format."
    service = arn.split(":", 3)[2]
    if service == "sqs" and arn.endswith(".fifo") and not target.get("SqsParameters"):
        return f"Parameter(s) SqsParameters must be specified for target: {target.get('Id')}."
    if service == "batch" and ":job-queue/" in arn and not target.get("BatchParameters"):
        return f"Parameter(s) BatchParameters must be specified for target: {target.get('Id')}."
    return None


def put_targets(svc: Service, params: Params) -> Answer:
    targets = params.get("Targets")
    if not isinstance(targets, list):
        raise ValidationError("Parameter Targets is not valid.")
    for target in targets:
        problem = _target_problem(target) if isinstance(target, Mapping) else None
        if problem is not None:
            raise ValidationError(problem)
    bus, rule = bus_of(svc, params), str(params.get("Rule"))
    _not_managed(svc, bus, rule)
    answer = bus.put_targets(rule, [_with_dead_letter(svc, t) for t in targets])
    failed = {f.get("TargetId") for f in answer.get("FailedEntries", [])}
    specs = svc.store(Targets).setdefault((bus.name, rule), {})
    for target in targets:
        if isinstance(target, Mapping) and target.get("Id") not in failed:
            specs[str(target.get("Id"))] = dict(target)
    return answer


def _with_dead_letter(svc: Service, target: Any) -> Any:
    """A target's DeadLetterConfig (an SQS queue's ARN) as the bus takes it: a callable that records what
    the queue receives (the payload, and AWS's attributes as the message's attributes)."""
    if not isinstance(target, Mapping) or not isinstance(target.get("DeadLetterConfig"), Mapping):
        return target
    arn = str(target["DeadLetterConfig"].get("Arn"))
    target_id = target.get("Id")

    def dead_letter(payload: object, attributes: dict[str, object]) -> None:
        if svc.state is not None:
            svc.state.record(f"{target_id}:dead-letter", arn, {"payload": payload, "attributes": attributes})

    return {**target, "DeadLetter": dead_letter}


def remove_targets(svc: Service, params: Params) -> Answer:
    bus, rule = bus_of(svc, params), str(params.get("Rule"))
    _not_managed(svc, bus, rule, bool(params.get("Force", False)))
    ids = params.get("Ids") or []
    answer = bus.remove_targets(rule, ids)
    specs = svc.store(Targets).get((bus.name, rule), {})
    for target_id in ids:
        specs.pop(str(target_id), None)
    return answer


def list_targets_by_rule(svc: Service, params: Params) -> Answer:
    bus, rule = bus_of(svc, params), str(params.get("Rule"))
    if rule.startswith(MANAGED_PREFIX) and rule in managed_rules(svc, bus):  # an archive's rule: the archive
        archive = svc.bridge.archives.get(rule[len(MANAGED_PREFIX):])
        return listing("Targets", [{"Id": rule, "Arn": archive.arn if archive else ""}], params)
    specs = svc.store(Targets).get((bus.name, rule), {})
    # as PutTargets gave them (AWS answers what it was given), in the rule's order
    targets: list[Any] = [specs.get(t["Id"], t) for t in bus.list_targets(rule)]
    return listing("Targets", targets, params)


ACTIONS: dict[str, Handler] = {
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
}

__all__ = ["ACTIONS", "CREATED_BY", "Creators", "TargetSpec", "Targets", "bus_of", "creator_of", "put_targets"]
