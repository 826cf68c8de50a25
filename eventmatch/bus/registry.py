"""The registry of one bus: its rules, each with its pattern or schedule and its targets.

Rules are replaced whole (as PutRule does): the rule table is a dict that is
swapped, never edited in place, so a reader sees the old table or the new one;
the bus's :class:`~eventmatch.RuleSet` is thread-safe. What happens to an event
is the router's business (:mod:`eventmatch.bus.router`); a scheduled rule's
next fire time is the scheduler's (:mod:`eventmatch.bus.schedules`), told of
every change here.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from ..arn import arn
from ..errors import LimitExceededError, ResourceNotFoundError, ValidationError
from ..event import load_event
from ..pattern.compile import Pattern, RuleSet, compile_pattern
from ..schedule.parse import Schedule, parse_schedule
from .targets import NAME, Target, build_target

if TYPE_CHECKING:
    from .clock import Clock
    from .targets import Resolver


class _Routes(Protocol):
    """How a bus's events are routed (the bridge's Router)."""

    def route(self, bus: EventBus, event: dict[str, Any]) -> list[str]: ...

    async def route_async(self, bus: EventBus, event: dict[str, Any]) -> list[str]: ...


class _Arms(Protocol):
    """Where a bus's scheduled rules are armed (the bridge's ScheduledRules)."""

    def arm(self, bus: EventBus, rule: Rule) -> None: ...

    def disarm(self, bus: str, rule: str) -> None: ...


class BusHost(Protocol):
    """What a bus needs of the bridge that holds it (an EventBridge is one): its account, region and clock,
    its router and scheduled rules, how targets given by ARN are reached, and its limit of targets a rule.
    A bus knows this interface, not the bridge, so the bridge is built on buses and not the other way."""

    account: str
    region: str
    max_targets_per_rule: int

    @property
    def clock(self) -> Clock: ...

    @property
    def router(self) -> _Routes: ...

    @property
    def schedules(self) -> _Arms: ...

    @property
    def target_resolver(self) -> Resolver | None: ...

BUS_NAME = re.compile(r"^[/\.\-_A-Za-z0-9]+$")
STATES = ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")


@dataclass(frozen=True)
class Rule:
    """A rule as stored: replaced whole by ``put_rule`` (as PutRule does)."""

    name: str
    bus: str
    arn: str
    pattern: Pattern | None
    schedule: Schedule | None
    schedule_expression: str | None
    state: str
    description: str
    targets: tuple[Target, ...] = ()
    #: the role its targets are invoked with (PutRule's RoleArn), as given
    role_arn: str | None = None
    #: how many of the targets are plain (called inline by routing)
    plain_targets: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "plain_targets", sum(1 for target in self.targets if target.plain))

    @property
    def enabled(self) -> bool:
        return self.state != "DISABLED"

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Name": self.name, "Arn": self.arn, "EventBusName": self.bus, "State": self.state}
        if self.pattern is not None:
            out["EventPattern"] = self.pattern.text
        if self.schedule_expression is not None:
            out["ScheduleExpression"] = self.schedule_expression
        if self.description:
            out["Description"] = self.description
        if self.role_arn is not None:
            out["RoleArn"] = self.role_arn
        return out


@dataclass
class BusSettings:
    """What EventBridge keeps of a bus besides its rules: the settings CreateEventBus and UpdateEventBus give
    (Description, KmsKeyIdentifier, DeadLetterConfig, LogConfig, as given), its times, and its resource-based
    policy's statements by Sid (PutPermission)."""

    created: datetime
    modified: datetime
    settings: dict[str, object] = field(default_factory=dict)
    statements: dict[str, dict[str, object]] = field(default_factory=dict)

    def shown(self) -> dict[str, Any]:
        """What DescribeEventBus adds to the bus's name and ARN."""
        extras: dict[str, Any] = {"CreationTime": self.created, "LastModifiedTime": self.modified, **self.settings}
        if self.statements:
            extras["Policy"] = json.dumps({"Version": "2012-10-17", "Statement": list(self.statements.values())})
        return extras


class EventBus:
    """One event bus. Create through :class:`EventBridge` (``bridge.bus(name)``)."""

    def __init__(self, bridge: BusHost, name: str) -> None:
        self.bridge = bridge
        self.name = name
        self.arn = arn("events", bridge.region, bridge.account, f"event-bus/{name}")
        #: name -> rule; replaced whole on every change (never edited in place), so a reader holding it sees
        #: one consistent table
        self.rules_by_name: dict[str, Rule] = {}
        self._ruleset = RuleSet()
        #: the names of the enabled pattern rules an event matches, in the order they were added (the
        #: rule set's own method, bound: the router calls it once per event)
        self.match_names = self._ruleset.matching
        self._route = bridge.router.route  # bound once: publish is the hot path
        self._lock = threading.RLock()
        now = bridge.clock.now()
        #: its settings, times and policy (see BusSettings)
        self.settings = BusSettings(now, now)

    def __repr__(self) -> str:
        return f"<EventBus {self.name!r}: {len(self.rules_by_name)} rules>"

    # -- rules -----------------------------------------------------------------------
    def rule_arn(self, name: str) -> str:
        base = arn("events", self.bridge.region, self.bridge.account, "rule/")
        return base + (name if self.name == "default" else f"{self.name}/{name}")

    def put_rule(
        self,
        name: str,
        event_pattern: str | Mapping[str, Any] | None = None,
        *,
        schedule_expression: str | None = None,
        state: str = "ENABLED",
        description: str = "",
        schedule_tz: str = "UTC",
        schedule_service: str = "events",
        role_arn: str | None = None,
    ) -> str:
        """Create or replace a rule (PutRule); returns its ARN. Targets of a replaced rule are kept.

        ``schedule_service="scheduler"`` reads the expression as EventBridge
        Scheduler does (``at()``, either rate unit form): for schedules from
        ``AWS::Scheduler::Schedule`` and SAM's ``ScheduleV2``, run on this bus.
        """
        if not isinstance(name, str) or not NAME.match(name) or len(name) > 64:
            raise ValidationError(
                f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length 1 to 64"
            )
        if event_pattern is None and schedule_expression is None:
            raise ValidationError("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        if state not in STATES:
            raise ValidationError(
                f"1 validation error detected: Value '{state}' at 'state' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(STATES)}]"
            )
        if not isinstance(description, str) or len(description) > 512:
            raise ValidationError("Parameter Description is not valid. Reason: longer than 512 characters.")
        if role_arn is not None and (not isinstance(role_arn, str) or not 1 <= len(role_arn) <= 1600):
            raise ValidationError("Parameter RoleArn is not valid. Reason: a role's ARN of 1 to 1600 characters.")
        pattern = compile_pattern(event_pattern) if event_pattern is not None else None
        schedule = None
        if schedule_expression is not None:
            if self.name != "default":
                raise ValidationError("ScheduleExpression is supported only on the default event bus.")
            schedule = parse_schedule(schedule_expression, schedule_tz, start=self.bridge.clock.now(),
                                      service=schedule_service)
        with self._lock:
            old = self.rules_by_name.get(name)
            rule = Rule(
                name,
                self.name,
                self.rule_arn(name),
                pattern,
                schedule,
                schedule_expression,
                state,
                description,
                old.targets if old else (),
                role_arn,
            )
            self._install(rule)
            self.bridge.schedules.arm(self, rule)
        return rule.arn

    def _install(self, rule: Rule) -> None:
        rules = dict(self.rules_by_name)
        rules[rule.name] = rule
        self.rules_by_name = rules  # readers see the old table or the new one, never a mix
        if rule.pattern is not None and rule.enabled:
            self._ruleset.add(rule.name, rule.pattern)
        elif rule.name in self._ruleset:
            self._ruleset.remove(rule.name)

    def rule(self, name: str) -> Rule:
        """The rule called ``name`` (ResourceNotFoundError, with AWS's message, if there is none)."""
        rule = self.rules_by_name.get(name)
        if rule is None:
            raise ResourceNotFoundError(f"Rule {name} does not exist on EventBus {self.name}.")
        return rule

    def describe_rule(self, name: str) -> dict[str, Any]:
        return self.rule(name).describe()

    def list_rules(self, prefix: str = "") -> list[dict[str, Any]]:
        return [r.describe() for n, r in sorted(self.rules_by_name.items()) if n.startswith(prefix)]

    def delete_rule(self, name: str, *, force: bool = False) -> None:
        """Delete a rule (DeleteRule): AWS refuses while it has targets unless ``force``."""
        with self._lock:
            rule = self.rule(name)
            if rule.targets and not force:
                raise ValidationError("Rule can't be deleted since it has targets.")
            rules = dict(self.rules_by_name)
            del rules[name]
            self.rules_by_name = rules
            if name in self._ruleset:
                self._ruleset.remove(name)
            self.bridge.schedules.disarm(self.name, name)

    def enable_rule(self, name: str) -> None:
        self._set_state(name, "ENABLED")

    def disable_rule(self, name: str) -> None:
        self._set_state(name, "DISABLED")

    def _set_state(self, name: str, state: str) -> None:
        with self._lock:
            rule = replace(self.rule(name), state=state)
            self._install(rule)
            if rule.enabled:
                self.bridge.schedules.arm(self, rule)

    # -- targets ---------------------------------------------------------------------------
    def put_targets(self, rule_name: str, targets: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Add or replace targets (PutTargets). Each is a mapping with ``Id`` and ``Fn`` (the callable),
        optionally ``Arn``, ``Input``, ``InputPath``, ``InputTransformer``, ``RetryPolicy``,
        ``DeadLetter`` (a callable taking the payload and AWS's attributes) and ``Timeout`` (seconds):
        see :mod:`eventmatch.bus.targets`.

        Every target is validated before any is stored.
        """
        resolve = self.bridge.target_resolver
        built = [build_target(spec, i + 1, resolve) for i, spec in enumerate(targets)]
        with self._lock:
            rule = self.rule(rule_name)
            current = {t.id: t for t in rule.targets}
            for target in built:
                current[target.id] = target
            if len(current) > self.bridge.max_targets_per_rule:
                raise LimitExceededError("The requested resource exceeds the maximum number allowed.")
            self._install(replace(rule, targets=tuple(current.values())))
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def remove_targets(self, rule_name: str, ids: Iterable[str]) -> dict[str, Any]:
        wanted = set(ids)
        with self._lock:
            rule = self.rule(rule_name)
            self._install(replace(rule, targets=tuple(t for t in rule.targets if t.id not in wanted)))
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def list_targets(self, rule_name: str) -> list[dict[str, Any]]:
        return [t.describe() for t in self.rule(rule_name).targets]

    def test_event_pattern(self, pattern: Any, event: Any) -> bool:
        from ..pattern.check import test_event_pattern

        return test_event_pattern(event, pattern)

    # -- events ------------------------------------------------------------------------------
    def publish(self, event: Mapping[str, Any] | str | bytes) -> list[str]:
        """Route an already-built event (a dict or JSON) to the matching rules' targets; returns their names."""
        loaded: dict[str, Any] = event if type(event) is dict else dict(load_event(event))
        return self._route(self, loaded)

    async def publish_async(self, event: Mapping[str, Any] | str | bytes) -> list[str]:
        """Like :meth:`publish`, awaiting coroutine targets (all targets of the event run concurrently)."""
        loaded = load_event(event)
        return await self.bridge.router.route_async(self, dict(loaded))

    def matching_rules(self, event: Mapping[str, Any]) -> list[Rule]:
        """The enabled rules whose patterns ``event`` matches (the router's one way of asking)."""
        names = self.match_names(event)
        if not names:  # most events on most buses
            return []
        rules = self.rules_by_name
        return [rules[name] for name in names if name in rules]


__all__ = ["BUS_NAME", "STATES", "BusHost", "BusSettings", "EventBus", "Rule"]
