"""Rules, schedules and targets read from CloudFormation and SAM templates.

Recognised resources:

* ``AWS::Events::Rule``: EventPattern, ScheduleExpression, State, Description,
  EventBusName, Targets (Id, Arn, Input, InputPath, InputTransformer).
* ``AWS::Serverless::Function`` and ``AWS::Serverless::StateMachine`` events
  of type ``EventBridgeRule`` and ``CloudWatchEvent`` (Pattern, EventBusName,
  Input, InputPath, InputTransformer, State, RuleName, Target.Id), ``Schedule``
  (Schedule, Input, Enabled or State, Name) and ``ScheduleV2``
  (ScheduleExpression, ScheduleExpressionTimezone, Input, State, Name). The
  function (or state machine) is the target.
* ``AWS::Scheduler::Schedule``: ScheduleExpression,
  ScheduleExpressionTimezone, State, Target (Arn, Input, and the rest kept for
  :meth:`Template.install` into a Scheduler), GroupName, FlexibleTimeWindow,
  StartDate, EndDate, ActionAfterCompletion, KmsKeyArn.
* ``AWS::Scheduler::ScheduleGroup``: a schedule group.
* ``AWS::Events::EventBus``: a custom bus.

:func:`load_template` validates everything it reads with the same checks the
bus applies (AWS's messages for patterns, schedules and targets) and reports
every problem at once, each with its place in the template; a template with
a problem yields nothing.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import EventmatchError, TemplateError, ValidationError
from ..pattern import Pattern, compile_pattern
from ..schedule import parse_schedule
from .intrinsics import Resolver, Unresolvable
from .read import read_template_text

SAM_FUNCTIONS = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")
PATTERN_EVENTS = ("EventBridgeRule", "CloudWatchEvent")
SCHEDULE_EVENTS = ("Schedule", "ScheduleV2")
#: EventBridge Scheduler's schedules (the rest are EventBridge rules)
SCHEDULER_KINDS = ("AWS::Scheduler::Schedule", "AWS::Serverless::Function/ScheduleV2",
                   "AWS::Serverless::StateMachine/ScheduleV2")
#: the suffix SAM's translator gives a generated target's Id (samtranslator/model/eventsources/push.py,
#: samtranslator/model/stepfunctions/events.py), truncated to 64 characters with the suffix kept
SAM_TARGET_SUFFIX = {
    "AWS::Serverless::Function": "LambdaTarget",
    "AWS::Serverless::StateMachine": "StepFunctionsTarget",
}
#: what an EventBridge Scheduler target without Input receives. Scheduler's API reference says only that it
#: "delivers a default notification"; it is not the EventBridge rule envelope (no aws.events source, no rule
#: ARN). eventmatch delivers an empty JSON object, the payload the Scheduler console offers by default.
SCHEDULER_DEFAULT_INPUT = "{}"


def sam_target_id(event_logical_id: str, suffix: str) -> str:
    """SAM's generated target Id: the event's logical id (function id + event name) and a suffix, at most 64."""
    if len(event_logical_id) + len(suffix) <= 64:
        return event_logical_id + suffix
    return event_logical_id[: 64 - len(suffix)] + suffix


@dataclass(frozen=True, slots=True)
class TemplateTarget:
    """A target as the template declares it (``arn`` is the resolved ARN or name of what is invoked)."""

    id: str
    arn: str
    input: str | None = None
    input_path: str | None = None
    input_transformer: Mapping[str, Any] | None = None

    def spec(self) -> dict[str, Any]:
        """The PutTargets-style mapping for :meth:`eventmatch.EventBus.put_targets` (without ``Fn``)."""
        out: dict[str, Any] = {"Id": self.id, "Arn": self.arn}
        if self.input is not None:
            out["Input"] = self.input
        if self.input_path is not None:
            out["InputPath"] = self.input_path
        if self.input_transformer is not None:
            out["InputTransformer"] = dict(self.input_transformer)
        return out


@dataclass(frozen=True, slots=True)
class TemplateRule:
    """One rule or schedule of a template.

    ``where`` is its place in the template (``Resources.OrderRule`` or
    ``Resources.Fn.Properties.Events.Nightly``); ``kind`` the resource type,
    with the SAM event type after a slash (``AWS::Serverless::Function/Schedule``).
    """

    name: str
    kind: str
    where: str
    bus: str
    state: str
    targets: tuple[TemplateTarget, ...]
    pattern: Pattern | None = None
    schedule: str | None = None
    timezone: str = "UTC"
    description: str = ""
    #: an EventBridge Scheduler schedule's own settings, resolved (GroupName, FlexibleTimeWindow, StartDate,
    #: EndDate, ActionAfterCompletion, KmsKeyArn, and the whole Target: RoleArn, RetryPolicy, DeadLetterConfig...)
    scheduler: Mapping[str, Any] | None = None

    @property
    def enabled(self) -> bool:
        return self.state != "DISABLED"

    @property
    def service(self) -> str:
        """Whose schedule rules apply: ``"scheduler"`` (EventBridge Scheduler) or ``"events"`` (a rule)."""
        return "scheduler" if self.kind in SCHEDULER_KINDS else "events"


@dataclass(frozen=True, slots=True)
class Firing:
    """What one target would receive for one event."""

    rule: TemplateRule
    target: TemplateTarget
    payload: Any

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule.name, "bus": self.rule.bus, "target": self.target.id, "arn": self.target.arn,
                "payload": self.payload}


@dataclass
class Template:
    """The rules, schedules and buses of one template."""

    source: str
    rules: tuple[TemplateRule, ...]
    buses: tuple[str, ...]
    #: the template's ``AWS::Scheduler::ScheduleGroup`` names
    schedule_groups: tuple[str, ...] = ()
    _bridge: Any = field(default=None, repr=False)
    _received: list[Firing] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __repr__(self) -> str:
        return f"<Template {self.source}: {len(self.rules)} rules, buses {', '.join(self.buses)}>"

    @property
    def pattern_rules(self) -> tuple[TemplateRule, ...]:
        return tuple(r for r in self.rules if r.pattern is not None)

    @property
    def schedules(self) -> tuple[TemplateRule, ...]:
        return tuple(r for r in self.rules if r.schedule is not None)

    def bridge(self, clock: Any = None, deliver: Any = None) -> Any:
        """An :class:`eventmatch.EventBridge` with this template's buses, rules and targets.

        ``deliver(rule, target, payload)`` is called for every delivery (by
        default nothing happens). Scheduled rules are put on the default bus
        with their time zone; Scheduler schedules too.
        """
        from ..bus import EventBridge, VirtualClock

        bridge = EventBridge(clock=clock or VirtualClock())
        for bus in self.buses:
            if bus != "default":
                bridge.create_event_bus(bus)
        for rule in self.rules:
            _install(bridge, rule, deliver)
        return bridge

    def install(self, bridge: Any, scheduler: Any = None) -> None:
        """Create this template's buses, rules and targets in a running ``bridge`` (``eventmatch serve
        --template``): targets are reached by their ARNs, through the bridge's target resolver. With a
        ``scheduler`` (:class:`eventmatch.scheduler.Scheduler`), the template's schedule groups and its
        EventBridge Scheduler schedules (``AWS::Scheduler::Schedule``, SAM's ``ScheduleV2``) are created
        there, with all their settings; without one they run as rules on the default bus."""
        existing = {b["Name"] for b in bridge.list_event_buses()}
        for bus in self.buses:
            if bus not in existing:
                bridge.create_event_bus(bus)
        if scheduler is not None:
            for group in self.schedule_groups:
                if group not in scheduler.groups:
                    scheduler.create_schedule_group(group)
        for rule in self.rules:
            if scheduler is not None and rule.scheduler is not None:
                _install_schedule(scheduler, rule, bridge.account)
            else:
                _install(bridge, rule, None, by_arn=True)

    def _ready(self) -> Any:
        """The template's own bridge (made once), whose deliveries are collected for :meth:`fire`."""
        if self._bridge is None:
            self._bridge = self.bridge(deliver=lambda r, t, p: self._received.append(Firing(r, t, p)))
        return self._bridge

    def _event_and_buses(self, event: Mapping[str, Any] | str | bytes, bus: str | None) -> tuple[dict[str, Any],
                                                                                                  list[str]]:
        from ..event import load_event

        loaded = dict(load_event(event))
        for key, value in _envelope_defaults().items():
            loaded.setdefault(key, value)
        if bus is not None and bus not in self.buses:
            raise TemplateError(self.source, [("", f"no bus named {bus} (buses: {', '.join(self.buses)})")])
        return loaded, [bus] if bus is not None else list(self.buses)

    def matching(self, event: Mapping[str, Any] | str | bytes, bus: str | None = None) -> list[TemplateRule]:
        """The rules that ``event`` would trigger, whether or not they have targets.

        The same decision as :meth:`fire` (it asks the same buses): the event
        goes to ``bus``, or to every bus; DISABLED rules and schedules never
        match; envelope fields AWS always sets are filled in when missing.
        """
        loaded, names = self._event_and_buses(event, bus)
        by_place = {(r.bus, r.name): r for r in self.rules}
        with self._lock:
            bridge = self._ready()
            return [by_place[(name, rule.name)] for name in names for rule in bridge.bus(name).matching_rules(loaded)]

    def fire(self, event: Mapping[str, Any] | str | bytes, bus: str | None = None) -> list[Firing]:
        """The targets that would receive ``event``, with what each would receive.

        The event goes to ``bus``, or to every bus of the template when
        ``bus`` is None. Envelope fields AWS always sets (version, id, time,
        account, region, resources) are filled in when the event lacks them.
        """
        loaded, names = self._event_and_buses(event, bus)
        with self._lock:
            bridge = self._ready()
            self._received.clear()
            for name in names:
                bridge.publish(loaded, bus=name)
            bridge.run_pending()
            out = list(self._received)
            self._received.clear()
        return out


def _envelope_defaults() -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "account": "123456789012",
        "region": "us-east-1",
        "resources": [],
    }


def _install(bridge: Any, rule: TemplateRule, deliver: Any, *, by_arn: bool = False) -> None:
    bus = bridge.bus(rule.bus)
    if rule.pattern is not None:
        bus.put_rule(rule.name, rule.pattern.text, state=rule.state, description=rule.description)
    else:
        bus.put_rule(rule.name, schedule_expression=rule.schedule, state=rule.state,
                     description=rule.description, schedule_tz=rule.timezone, schedule_service=rule.service)
    specs = []
    for target in rule.targets:

        def fn(payload: Any, _r: TemplateRule = rule, _t: TemplateTarget = target) -> None:
            if deliver is not None:
                deliver(_r, _t, payload)

        spec = target.spec() if by_arn else {**target.spec(), "Fn": fn}
        if rule.service == "scheduler":
            spec["Input"] = _scheduler_input(target)
        specs.append(spec)
    if specs:
        bus.put_targets(rule.name, specs)


def _install_schedule(scheduler: Any, rule: TemplateRule, account: str) -> None:
    """One Scheduler schedule of a template, created in ``scheduler`` (a RoleArn the template leaves to
    SAM's generated role is given a role of that name)."""
    settings = dict(rule.scheduler or {})
    target = dict(settings.pop("Target", {}))
    target.setdefault("Arn", rule.targets[0].arn if rule.targets else "")
    target.setdefault("RoleArn", f"arn:aws:iam::{account}:role/{rule.name}-role")
    if rule.targets and rule.targets[0].input is not None:
        target.setdefault("Input", rule.targets[0].input)
    options = {k: v for k, v in settings.items() if k in ("StartDate", "EndDate", "ActionAfterCompletion", "KmsKeyArn")}
    scheduler.create_schedule(rule.name, rule.schedule, target, flexible_time_window=settings.get("FlexibleTimeWindow"),
                              group=settings.get("GroupName"), ScheduleExpressionTimezone=rule.timezone,
                              State=rule.state, Description=rule.description or None, **options)


def _scheduler_input(target: TemplateTarget) -> str:
    """A Scheduler target's Input as the bus takes it (JSON text). Scheduler sends no event envelope, and
    its Input need be JSON only for Lambda, Step Functions and EventBridge targets ("For all other target
    types, a JSON is not required"): other text reaches the target as it is (a JSON string here)."""
    if target.input is None:
        return SCHEDULER_DEFAULT_INPUT
    try:
        json.loads(target.input)
    except ValueError:
        if any(target.arn.startswith(f"arn:aws:{service}:") for service in ("lambda", "states", "events")):
            raise ValidationError(
                f"Input for target {target.arn} must be well-formed JSON: EventBridge Scheduler requires it "
                "for Lambda, Step Functions and EventBridge targets."
            ) from None
        return json.dumps(target.input)
    return target.input


class _Reader:
    """Walks the resources, collecting rules and problems."""

    def __init__(self, source: str, data: Mapping[str, Any], resolver: Resolver) -> None:
        self.source = source
        self.data = data
        self.resolver = resolver
        self.problems: list[tuple[str, str]] = []
        self.rules: list[TemplateRule] = []
        self.buses: list[str] = ["default"]
        self.schedule_groups: list[str] = []

    def resolve(self, value: Any, where: str, *, lenient: bool = False) -> Any:
        try:
            return self.resolver.resolve(value)
        except Unresolvable as exc:
            if lenient:
                return f"<{json.dumps(value, default=str)}>"
            raise _Problem(where, str(exc)) from None

    def read(self) -> None:
        resources = self.data["Resources"]
        for logical_id, resource in resources.items():
            where = f"Resources.{logical_id}"
            if not isinstance(resource, Mapping) or not isinstance(resource.get("Type"), str):
                self.problems.append((where, "a resource must be a mapping with a Type"))
                continue
            kind = resource["Type"]
            if "Condition" in resource:
                try:
                    exists = self.resolver.condition(resource["Condition"])
                except Unresolvable as exc:
                    self.problems.append((f"{where}.Condition", str(exc)))
                    continue
                if not exists:
                    continue  # a resource whose condition is false is not created
            props = resource.get("Properties") or {}
            if not isinstance(props, Mapping):
                self.problems.append((f"{where}.Properties", "Properties must be a mapping"))
                continue
            try:
                if kind == "AWS::Events::EventBus":
                    name = self.resolve(props.get("Name", logical_id), f"{where}.Properties.Name")
                    self.buses.append(str(name))
                elif kind == "AWS::Events::Rule":
                    self.events_rule(logical_id, where, props)
                elif kind in SAM_FUNCTIONS:
                    self.sam_events(logical_id, where, kind, props)
                elif kind == "AWS::Scheduler::Schedule":
                    self.scheduler(logical_id, where, props)
                elif kind == "AWS::Scheduler::ScheduleGroup":
                    self.schedule_groups.append(self.text(props.get("Name", logical_id), f"{where}.Properties.Name"))
            except _Problem as p:
                self.problems.append((p.where, p.message))

    # -- the resource types ---------------------------------------------------------------
    def events_rule(self, logical_id: str, where: str, props: Mapping[str, Any]) -> None:
        at = f"{where}.Properties"
        name = self.text(props.get("Name", logical_id), f"{at}.Name")
        targets = []
        raw_targets = props.get("Targets") or []
        if not isinstance(raw_targets, list):
            raise _Problem(f"{at}.Targets", "Targets must be a list")
        failed = False
        for i, raw in enumerate(raw_targets):
            tw = f"{at}.Targets[{i}]"
            try:
                if not isinstance(raw, Mapping) or "Id" not in raw:
                    raise _Problem(tw, "a target must be a mapping with an Id")
                targets.append(
                    TemplateTarget(
                        self.text(raw["Id"], f"{tw}.Id"),
                        str(self.resolve(raw.get("Arn", ""), f"{tw}.Arn", lenient=True)),
                        **self.inputs(raw, tw),
                    )
                )
            except _Problem as p:  # noted; the rest of the resource is still read, so every problem shows
                self.problems.append((p.where, p.message))
                failed = True
        self.add(
            failed=failed,
            name=name,
            kind="AWS::Events::Rule",
            where=where,
            bus=self.bus_name(props.get("EventBusName"), f"{at}.EventBusName"),
            state=self.text(props.get("State", "ENABLED"), f"{at}.State"),
            targets=tuple(targets),
            pattern=props.get("EventPattern"),
            pattern_where=f"{at}.EventPattern",
            schedule=props.get("ScheduleExpression"),
            schedule_where=f"{at}.ScheduleExpression",
            description=self.text(props.get("Description", ""), f"{at}.Description"),
        )

    def sam_events(self, logical_id: str, where: str, kind: str, props: Mapping[str, Any]) -> None:
        events = props.get("Events") or {}
        if not isinstance(events, Mapping):
            raise _Problem(f"{where}.Properties.Events", "Events must be a mapping")
        # the target is the function's (or state machine's) ARN, as SAM's generated rule has it (!GetAtt .Arn)
        function_arn = self.resolver.get_att([logical_id, "Arn"])
        for event_name, spec in events.items():
            ew = f"{where}.Properties.Events.{event_name}"
            if not isinstance(spec, Mapping) or not isinstance(spec.get("Type"), str):
                self.problems.append((ew, "an event source must be a mapping with a Type"))
                continue
            etype = spec["Type"]
            if etype not in PATTERN_EVENTS + SCHEDULE_EVENTS:
                continue
            ep = spec.get("Properties") or {}
            at = f"{ew}.Properties"
            try:
                target_spec = ep.get("Target") or {}
                generated = sam_target_id(f"{logical_id}{event_name}", SAM_TARGET_SUFFIX[kind])
                # SAM takes Target.Id on EventBridgeRule events (and a state machine's Schedule), not on a
                # function's Schedule; ScheduleV2's target has no Id
                takes_id = etype in PATTERN_EVENTS or kind == "AWS::Serverless::StateMachine"
                given = takes_id and isinstance(target_spec, Mapping)
                raw_id = target_spec.get("Id", generated) if given else generated
                target_id = self.text(raw_id, f"{at}.Target.Id") if etype != "ScheduleV2" else "Target"
                target = TemplateTarget(target_id, function_arn, **self.inputs(ep, at))
                rule_key = "Name" if etype in SCHEDULE_EVENTS else "RuleName"
                name = self.text(ep.get(rule_key, f"{logical_id}{event_name}"[:64]), f"{at}.{rule_key}")
                state = ep.get("State")
                if state is None and "Enabled" in ep:
                    state = "ENABLED" if self.resolve(ep["Enabled"], f"{at}.Enabled") else "DISABLED"
                common: dict[str, Any] = {
                    "name": name,
                    "kind": f"{kind}/{etype}",
                    "where": ew,
                    "state": self.text(state or "ENABLED", f"{at}.State"),
                    "targets": (target,),
                    "description": self.text(ep.get("Description", ""), f"{at}.Description"),
                }
                if etype in PATTERN_EVENTS:
                    self.add(
                        **common,
                        bus=self.bus_name(ep.get("EventBusName"), f"{at}.EventBusName"),
                        pattern=ep.get("Pattern"),
                        pattern_where=f"{at}.Pattern",
                        require="pattern",
                    )
                else:
                    key = "Schedule" if etype == "Schedule" else "ScheduleExpression"
                    if etype == "ScheduleV2":  # SAM's target: the function, with the event's Scheduler settings
                        settings: dict[str, Any] = {k: ep[k] for k in ("RoleArn", "RetryPolicy", "DeadLetterConfig")
                                                    if k in ep}
                        dlq = settings.get("DeadLetterConfig")
                        if isinstance(dlq, Mapping):  # SAM's form (Arn, QueueLogicalId, Type): the Arn is AWS's
                            settings["DeadLetterConfig"] = {k: v for k, v in dlq.items() if k == "Arn"}
                        common["scheduler"] = self.scheduler_settings(ep, at, {"Arn": function_arn, **settings})
                    self.add(
                        **common,
                        bus="default",
                        schedule=ep.get(key),
                        schedule_where=f"{at}.{key}",
                        timezone=self.text(
                            ep.get("ScheduleExpressionTimezone", "UTC"), f"{at}.ScheduleExpressionTimezone"
                        ),
                        require="schedule",
                    )
            except _Problem as p:
                self.problems.append((p.where, p.message))

    def scheduler(self, logical_id: str, where: str, props: Mapping[str, Any]) -> None:
        at = f"{where}.Properties"
        raw = props.get("Target")
        if not isinstance(raw, Mapping):
            raise _Problem(f"{at}.Target", "a schedule needs a Target mapping with an Arn")
        target = TemplateTarget(
            "Target",
            str(self.resolve(raw.get("Arn", ""), f"{at}.Target.Arn", lenient=True)),
            **{k: v for k, v in self.inputs(raw, f"{at}.Target").items() if k == "input"},
        )
        self.add(
            name=self.text(props.get("Name", logical_id), f"{at}.Name"),
            kind="AWS::Scheduler::Schedule",
            where=where,
            bus="default",
            state=self.text(props.get("State", "ENABLED"), f"{at}.State"),
            targets=(target,),
            schedule=props.get("ScheduleExpression"),
            schedule_where=f"{at}.ScheduleExpression",
            timezone=self.text(props.get("ScheduleExpressionTimezone", "UTC"), f"{at}.ScheduleExpressionTimezone"),
            description=self.text(props.get("Description", ""), f"{at}.Description"),
            require="schedule",
            scheduler=self.scheduler_settings(props, at, dict(raw)),
        )

    def scheduler_settings(self, props: Mapping[str, Any], at: str, target: dict[str, Any]) -> dict[str, Any]:
        """A Scheduler schedule's own settings, resolved (ARNs of the template's resources as they would be)."""
        out: dict[str, Any] = {}
        for key in ("GroupName", "FlexibleTimeWindow", "StartDate", "EndDate", "ActionAfterCompletion", "KmsKeyArn"):
            if props.get(key) is not None:
                out[key] = self.resolve(props[key], f"{at}.{key}", lenient=True)
        out["Target"] = {k: self.resolve(v, f"{at}.Target.{k}", lenient=True) for k, v in target.items()}
        return out

    # -- pieces --------------------------------------------------------------------------
    def text(self, value: Any, where: str) -> str:
        resolved = self.resolve(value, where)
        if not isinstance(resolved, str):
            raise _Problem(where, f"expected a string, got {json.dumps(resolved, default=str)}")
        return resolved

    def optional_text(self, value: Any, where: str) -> str | None:
        return None if value is None else self.text(value, where)

    def bus_name(self, value: Any, where: str) -> str:
        if value is None:
            return "default"
        name = self.text(value, where)
        if name.startswith("arn:") and ":event-bus/" in name:
            name = name.split(":event-bus/", 1)[1]
        return name

    def inputs(self, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
        """Input, InputPath and InputTransformer. A parameter with no value that feeds only these (what a
        target receives, not which rules fire) reads as ``${Name}``, so the rest can still be listed and tested."""
        self.resolver.placeholders = True
        try:
            return self._inputs(raw, where)
        finally:
            self.resolver.placeholders = False

    def _inputs(self, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if raw.get("Input") is not None:
            out["input"] = self.text(raw["Input"], f"{where}.Input")
        if raw.get("InputPath") is not None:
            out["input_path"] = self.text(raw["InputPath"], f"{where}.InputPath")
        if raw.get("InputTransformer") is not None:
            transformer = self.resolve(raw["InputTransformer"], f"{where}.InputTransformer")
            if not isinstance(transformer, Mapping):
                raise _Problem(f"{where}.InputTransformer", "InputTransformer must be a mapping")
            out["input_transformer"] = transformer
        return out

    def add(
        self,
        *,
        name: str,
        kind: str,
        where: str,
        bus: str,
        state: str,
        targets: tuple[TemplateTarget, ...],
        pattern: Any = None,
        pattern_where: str = "",
        schedule: Any = None,
        schedule_where: str = "",
        timezone: str = "UTC",
        description: str = "",
        require: str = "",
        failed: bool = False,
        scheduler: Mapping[str, Any] | None = None,
    ) -> None:
        """Check the pattern and the schedule (every problem noted) and keep the rule if all is well."""
        compiled = None
        problems: list[tuple[str, str]] = []
        if pattern is None and schedule is None:
            what = {"pattern": "Pattern", "schedule": "schedule expression"}.get(
                require, "EventPattern or ScheduleExpression"
            )
            problems.append((where, f"the rule has no {what}"))
        if pattern is not None:
            try:
                value = self.resolve(pattern, pattern_where)
                compiled = compile_pattern(value if isinstance(value, (str, Mapping)) else json.dumps(value))
            except _Problem as p:
                problems.append((p.where, p.message))
            except EventmatchError as exc:
                problems.append((pattern_where, str(exc)))
        expression = None
        if schedule is not None:
            service = "scheduler" if kind in SCHEDULER_KINDS else "events"
            try:
                expression = self.text(schedule, schedule_where)
                parse_schedule(expression, timezone, service=service)
            except _Problem as p:
                problems.append((p.where, p.message))
            except EventmatchError as exc:
                detail = getattr(exc, "detail", "")
                problems.append((schedule_where, f"{exc}" + (f" ({detail})" if detail else "")))
        self.problems.extend(problems)
        if problems or failed:
            return
        self.rules.append(
            TemplateRule(name, kind, where, bus, state, targets, compiled, expression, timezone, description, scheduler)
        )


class _Problem(Exception):
    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message


def load_template(
    source: str | Path,
    parameters: Mapping[str, str] | None = None,
    *,
    text: str | None = None,
) -> Template:
    """Read a CloudFormation or SAM template (a path, or ``text`` with ``source`` naming it).

    ``parameters`` give values to the template's parameters (others take
    their ``Default``). Raises :class:`~eventmatch.TemplateError` listing
    every problem, each with its place in the template.
    """
    name = str(source)
    if text is None:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplateError(name, [("", f"cannot read the template: {exc}")]) from None
    data = read_template_text(text, name)
    resolver = Resolver(data, parameters)
    reader = _Reader(name, data, resolver)
    reader.problems.extend(resolver.problems)
    reader.read()
    template = Template(name, tuple(reader.rules), tuple(dict.fromkeys(reader.buses)),
                        tuple(dict.fromkeys(reader.schedule_groups)))
    seen: dict[tuple[str, str], str] = {}
    for rule in template.rules:
        key = (rule.bus, rule.name)
        if key in seen:
            problem = f"rule name {rule.name} on bus {rule.bus} is also used by {seen[key]}"
            reader.problems.append((rule.where, problem))
        seen[key] = rule.where
    # a dry run through the bus applies its checks (names, targets, transformers) with AWS's messages, to
    # every rule that was read, whatever problems the others have, so that every problem shows at once
    from ..bus import EventBridge

    bridge = EventBridge()
    try:
        for bus in template.buses:
            if bus != "default":
                try:
                    bridge.create_event_bus(bus)
                except EventmatchError as exc:
                    reader.problems.append(("Resources", f"bus {bus}: {exc}"))
        for rule in template.rules:
            if rule.bus not in template.buses:
                with contextlib.suppress(EventmatchError):
                    bridge.create_event_bus(rule.bus)
            try:
                _install(bridge, rule, None)
            except EventmatchError as exc:
                reader.problems.append((rule.where, str(exc)))
    finally:
        bridge.stop()
    if reader.problems:
        raise TemplateError(name, reader.problems)
    buses = list(template.buses) + [r.bus for r in template.rules]
    template.buses = tuple(dict.fromkeys(buses))
    return template
