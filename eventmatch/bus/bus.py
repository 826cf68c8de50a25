"""The event bus: PutEvents, rules, targets, delivery with retries and dead letters, archives, schedules.

:class:`EventBridge` holds named buses (``default`` always exists) and a clock;
:class:`EventBus` is one bus. Matching uses one :class:`~eventmatch.RuleSet` per
bus; rules may change while events flow (the rule table is replaced, never
edited in place, and the rule set is thread-safe).

Delivery is at least once. A target is called with its payload (the event, a
constant Input, the value at an InputPath, or a transformed input). If it
raises (or outlives its ``timeout``), the delivery is retried with exponential
backoff and full jitter on the bus's clock until the target's RetryPolicy is
exhausted; then it goes to the target's dead-letter callable with AWS's
attributes. :class:`PermanentDeliveryError` skips the retries. Retries fall due
on the clock: ``EventBridge.advance`` moves a :class:`VirtualClock` and runs
them (tests run instantly); with the system clock call ``run_pending()`` or
``start()`` a background thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import heapq
import inspect
import itertools
import json
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import (
    IllegalStatusError,
    InvalidEventPatternError,
    LimitExceededError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
    ValidationError,
)
from ..event import load_event
from ..pattern.compile import Pattern, RuleSet, compile_pattern
from ..schedule.parse import Schedule, parse_schedule
from .archive import Archive, ArchiveStore
from .clock import Clock, SystemClock, VirtualClock
from .entries import accept_entries, bus_name, iso_seconds
from .metrics import Metrics
from .transform import MISSING, InputTransformer, NotDelivered, parse_json_path, payload_of, resolve

NAME = re.compile(r"^[\.\-_A-Za-z0-9]+$")
BUS_NAME = re.compile(r"^[/\.\-_A-Za-z0-9]+$")
STATES = ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
BACKOFF_BASE = 1.0  # seconds before the first retry (before jitter)
BACKOFF_CAP = 300.0
#: worker threads for synchronous targets that have a Timeout (see EventBridge._run_with_timeout)
TARGET_WORKERS = 32


class PermanentDeliveryError(Exception):
    """Raise from a target to fail a delivery without retrying (it goes to the dead-letter target)."""

    def __init__(self, message: str, code: str = "NO_RESOURCE") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class RetryPolicy:
    """AWS's RetryPolicy: MaximumRetryAttempts 0-185, MaximumEventAgeInSeconds 60-86400."""

    maximum_retry_attempts: int = 185
    maximum_event_age_seconds: int = 86400

    def __post_init__(self) -> None:
        if type(self.maximum_retry_attempts) is not int or not 0 <= self.maximum_retry_attempts <= 185:
            raise ValidationError(
                f"1 validation error detected: Value '{self.maximum_retry_attempts}' at "
                "'retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value "
                "between 0 and 185"
            )
        if type(self.maximum_event_age_seconds) is not int or not 60 <= self.maximum_event_age_seconds <= 86400:
            raise ValidationError(
                f"1 validation error detected: Value '{self.maximum_event_age_seconds}' at "
                "'retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value "
                "between 60 and 86400"
            )


@dataclass(frozen=True)
class Target:
    """One target of a rule: a callable and what it receives."""

    id: str
    fn: Callable[..., Any]
    arn: str
    input: Any = None  # parsed constant Input
    has_input: bool = False
    input_path: tuple[str | int, ...] | None = None
    transformer: InputTransformer | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    dead_letter: Callable[[Any, dict[str, Any]], Any] | None = None
    timeout: float | None = None
    is_async: bool = False
    #: receives the whole event, synchronously, with no timeout: delivered inline (set from the above)
    plain: bool = field(init=False, repr=False, compare=False, default=False)

    def __post_init__(self) -> None:
        plain = not (
            self.has_input
            or self.input_path is not None
            or self.transformer is not None
            or self.timeout is not None
            or self.is_async
        )
        object.__setattr__(self, "plain", plain)  # an attribute, not a property: read per event

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Id": self.id, "Arn": self.arn}
        if self.has_input:
            out["Input"] = json.dumps(self.input)
        if self.input_path is not None:
            out["InputPath"] = "$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in self.input_path)
        if self.transformer is not None:
            out["InputTransformer"] = {"InputTemplate": self.transformer.template}
        out["RetryPolicy"] = {
            "MaximumRetryAttempts": self.retry.maximum_retry_attempts,
            "MaximumEventAgeInSeconds": self.retry.maximum_event_age_seconds,
        }
        return out


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
        return out


@dataclass
class _Delivery:
    rule: Rule
    target: Target
    event: dict[str, Any]
    ingested: datetime
    attempt: int = 0
    ticket: Ticket | None = None


class Ticket:
    """Tells when every delivery of one routed event is done: delivered, dead-lettered or dropped.

    A transport that must acknowledge an event only once its deliveries are
    over passes a ticket to :meth:`EventBridge.route`; ``on_done`` runs once,
    from whichever thread finishes the last delivery (possibly a retry, much
    later), or at once if nothing was left outstanding.
    """

    __slots__ = ("_lock", "_outstanding", "_sealed", "on_done")

    def __init__(self, on_done: Callable[[], Any]) -> None:
        self._lock = threading.Lock()
        self._outstanding = 0
        self._sealed = False
        self.on_done = on_done

    def acquire(self) -> None:
        with self._lock:
            self._outstanding += 1

    def release(self) -> None:
        with self._lock:
            self._outstanding -= 1
            fire = self._sealed and self._outstanding == 0
        if fire:
            self.on_done()

    def seal(self) -> None:
        """Routing is over: no more deliveries will be added."""
        with self._lock:
            self._sealed = True
            fire = self._outstanding == 0
        if fire:
            self.on_done()

    @property
    def outstanding(self) -> int:
        return self._outstanding


class EventBus:
    """One event bus. Create through :class:`EventBridge` (``bridge.bus(name)``)."""

    def __init__(self, bridge: EventBridge, name: str) -> None:
        self.bridge = bridge
        self.name = name
        self.arn = f"arn:aws:events:{bridge.region}:{bridge.account}:event-bus/{name}"
        self._rules: dict[str, Rule] = {}
        self._ruleset = RuleSet()
        self._lock = threading.RLock()
        self._next_fire: dict[str, datetime] = {}

    def __repr__(self) -> str:
        return f"<EventBus {self.name!r}: {len(self._rules)} rules>"

    # -- rules -----------------------------------------------------------------------
    def rule_arn(self, name: str) -> str:
        base = f"arn:aws:events:{self.bridge.region}:{self.bridge.account}:rule/"
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
        pattern = compile_pattern(event_pattern) if event_pattern is not None else None
        schedule = None
        if schedule_expression is not None:
            if self.name != "default":
                raise ValidationError("ScheduleExpression is supported only on the default event bus.")
            schedule = parse_schedule(schedule_expression, schedule_tz, start=self.bridge.clock.now(),
                                      service=schedule_service)
        with self._lock:
            old = self._rules.get(name)
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
            )
            self._install(rule)
            self._next_fire.pop(name, None)
            if schedule is not None:
                first = schedule.next(self.bridge.clock.now())
                if first is not None:
                    self._next_fire[name] = first.astimezone(UTC)
        return rule.arn

    def _install(self, rule: Rule) -> None:
        rules = dict(self._rules)
        rules[rule.name] = rule
        self._rules = rules  # readers see the old table or the new one, never a mix
        if rule.pattern is not None and rule.enabled:
            self._ruleset.add(rule.name, rule.pattern)
        elif rule.name in self._ruleset:
            self._ruleset.remove(rule.name)

    def _rule(self, name: str) -> Rule:
        rule = self._rules.get(name)
        if rule is None:
            raise ResourceNotFoundError(f"Rule {name} does not exist on EventBus {self.name}.")
        return rule

    def describe_rule(self, name: str) -> dict[str, Any]:
        return self._rule(name).describe()

    def list_rules(self, prefix: str = "") -> list[dict[str, Any]]:
        return [r.describe() for n, r in sorted(self._rules.items()) if n.startswith(prefix)]

    def delete_rule(self, name: str, *, force: bool = False) -> None:
        """Delete a rule (DeleteRule): AWS refuses while it has targets unless ``force``."""
        with self._lock:
            rule = self._rule(name)
            if rule.targets and not force:
                raise ValidationError("Rule can't be deleted since it has targets.")
            rules = dict(self._rules)
            del rules[name]
            self._rules = rules
            if name in self._ruleset:
                self._ruleset.remove(name)
            self._next_fire.pop(name, None)

    def enable_rule(self, name: str) -> None:
        self._set_state(name, "ENABLED")

    def disable_rule(self, name: str) -> None:
        self._set_state(name, "DISABLED")

    def _set_state(self, name: str, state: str) -> None:
        with self._lock:
            rule = self._rule(name)
            self._install(replace(rule, state=state))
            if rule.schedule is not None and state != "DISABLED":
                nxt = rule.schedule.next(self.bridge.clock.now())
                if nxt is not None:
                    self._next_fire[name] = nxt.astimezone(UTC)

    # -- targets ---------------------------------------------------------------------------
    def put_targets(self, rule_name: str, targets: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Add or replace targets (PutTargets). Each is a mapping with ``Id`` and ``Fn`` (the callable),
        optionally ``Arn``, ``Input``, ``InputPath``, ``InputTransformer``, ``RetryPolicy``,
        ``DeadLetter`` (a callable taking the payload and AWS's attributes) and ``Timeout`` (seconds).

        Every target is validated before any is stored.
        """
        built = [self._target(spec, i + 1) for i, spec in enumerate(targets)]
        with self._lock:
            rule = self._rule(rule_name)
            current = {t.id: t for t in rule.targets}
            for target in built:
                current[target.id] = target
            if len(current) > self.bridge.max_targets_per_rule:
                raise LimitExceededError("The requested resource exceeds the maximum number allowed.")
            self._install(replace(rule, targets=tuple(current.values())))
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def _target(self, spec: Mapping[str, Any], position: int) -> Target:
        if not isinstance(spec, Mapping):
            raise ValidationError(f"Target {position} must be a mapping with Id and Fn.")
        target_id = spec.get("Id")
        if not isinstance(target_id, str) or not NAME.match(target_id):
            raise ValidationError(
                f"1 validation error detected: Value '{target_id}' at 'targets.{position}.member.id' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+"
            )
        if len(target_id) > 64:
            raise ValidationError(
                f"1 validation error detected: Value '{target_id}' at 'targets.{position}.member.id' failed to "
                "satisfy constraint: Member must have length less than or equal to 64"
            )
        fn = spec.get("Fn")
        if not callable(fn):
            raise ValidationError(f"Fn for target {target_id} must be a callable or a coroutine function.")
        given = [k for k in ("Input", "InputPath", "InputTransformer") if spec.get(k) is not None]
        if len(given) > 1:
            raise ValidationError(
                f"Only one of Input, InputPath, or InputTransformer must be provided for target {target_id}."
            )
        constant, has_input = None, False
        if "Input" in given:
            text = spec["Input"]
            try:
                constant = json.loads(text) if isinstance(text, str) else None
            except ValueError:
                constant = None
            if not isinstance(text, str) or len(text) > 8192 or (constant is None and text.strip() != "null"):
                raise ValidationError(
                    f"Input for target {target_id} must be valid JSON text of at most 8192 characters."
                )
            has_input = True
        input_path = None
        if "InputPath" in given:
            try:
                path_text = spec["InputPath"]
                if not isinstance(path_text, str) or len(path_text) > 256:
                    raise ValueError(path_text)
                input_path = parse_json_path(path_text)
            except ValueError:
                raise ValidationError(f"InputPath for target {target_id} is not a valid JSON path.") from None
        transformer = (
            InputTransformer.create(spec["InputTransformer"], target_id) if "InputTransformer" in given else None
        )
        retry = spec.get("RetryPolicy") or {}
        if isinstance(retry, Mapping):
            retry = RetryPolicy(retry.get("MaximumRetryAttempts", 185), retry.get("MaximumEventAgeInSeconds", 86400))
        if not isinstance(retry, RetryPolicy):
            raise ValidationError(f"RetryPolicy for target {target_id} must be a mapping or a RetryPolicy.")
        dead_letter = spec.get("DeadLetter")
        if dead_letter is not None and not callable(dead_letter):
            raise ValidationError(f"DeadLetter for target {target_id} must be a callable.")
        timeout = spec.get("Timeout")
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
            raise ValidationError(f"Timeout for target {target_id} must be a positive number of seconds.")
        arn = spec.get("Arn") or f"python:{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
        return Target(
            target_id,
            fn,
            arn,
            constant,
            has_input,
            input_path,
            transformer,
            retry,
            dead_letter,
            timeout,
            inspect.iscoroutinefunction(fn),
        )

    def remove_targets(self, rule_name: str, ids: Iterable[str]) -> dict[str, Any]:
        wanted = set(ids)
        with self._lock:
            rule = self._rule(rule_name)
            self._install(replace(rule, targets=tuple(t for t in rule.targets if t.id not in wanted)))
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def list_targets(self, rule_name: str) -> list[dict[str, Any]]:
        return [t.describe() for t in self._rule(rule_name).targets]

    def test_event_pattern(self, pattern: Any, event: Any) -> bool:
        from .. import test_event_pattern

        return test_event_pattern(pattern, event)

    # -- events ------------------------------------------------------------------------------
    def publish(self, event: Mapping[str, Any] | str | bytes) -> list[str]:
        """Route an already-built event (a dict or JSON) to the matching rules' targets; returns their names."""
        if type(event) is not dict:
            loaded = load_event(event)
            event = loaded if isinstance(loaded, dict) else dict(loaded)
        return self.bridge._route(self, event)

    async def publish_async(self, event: Mapping[str, Any] | str | bytes) -> list[str]:
        """Like :meth:`publish`, awaiting coroutine targets (all targets of the event run concurrently)."""
        loaded = load_event(event)
        return await self.bridge._route_async(self, dict(loaded))

    def matching_rules(self, event: Mapping[str, Any]) -> list[Rule]:
        rules = self._rules
        return [rules[name] for name in self._ruleset.matching(event) if name in rules]


class EventBridge:
    """The service: named event buses (``default`` always exists), one clock, archives, metrics.

    >>> bridge = EventBridge(clock=VirtualClock())
    >>> bus = bridge.bus()
    >>> seen = []
    >>> _ = bus.put_rule("ec2-terminated", {"source": ["aws.ec2"], "detail": {"state": ["terminated"]}})
    >>> _ = bus.put_targets("ec2-terminated", [{"Id": "t1", "Fn": seen.append}])
    >>> bridge.publish({"source": "aws.ec2", "detail-type": "x", "detail": {"state": "terminated"}})
    ['ec2-terminated']
    >>> seen[0]["detail"]
    {'state': 'terminated'}
    """

    def __init__(
        self,
        *,
        account: str = "123456789012",
        region: str = "us-east-1",
        clock: Clock | None = None,
        max_targets_per_rule: int = 5,
        archive_path: str = ":memory:",
        seed: int | None = None,
    ) -> None:
        self.account = account
        self.region = region
        self.clock: Clock = clock or SystemClock()
        self.max_targets_per_rule = max_targets_per_rule
        self.metrics = Metrics()
        self.archives = ArchiveStore(archive_path)
        self._buses: dict[str, EventBus] = {"default": EventBus(self, "default")}
        self._pending: list[tuple[datetime, int, _Delivery]] = []
        self._seq = itertools.count()
        self._pending_lock = threading.Lock()
        self._random = random.Random(seed)
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._pool_hung = 0  # the current pool's workers held by calls past their timeout
        #: synchronous target calls still running past their Timeout when the bus gave up waiting
        self.hung_target_calls = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: threading.Thread | None = None
        self._stop = threading.Event()
        self._replays: dict[str, dict[str, Any]] = {}
        self._replay_lock = threading.Lock()  # replay states change on the replays' own threads
        self._replay_runs: dict[str, tuple[threading.Thread | None, threading.Event]] = {}

    def __repr__(self) -> str:
        return f"<EventBridge {len(self._buses)} buses, clock={self.clock!r}>"

    # -- buses -----------------------------------------------------------------------
    def bus(self, name: str = "default") -> EventBus:
        bus = self._buses.get(bus_name(name))
        if bus is None:
            raise ResourceNotFoundError(f"Event bus {name} does not exist.")
        return bus

    def create_event_bus(self, name: str) -> EventBus:
        if not isinstance(name, str) or not BUS_NAME.match(name) or len(name) > 256:
            raise ValidationError(
                f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must "
                "satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+"
            )
        if name in self._buses:
            raise ResourceAlreadyExistsError(f"Event bus {name} already exists.")
        bus = EventBus(self, name)
        buses = dict(self._buses)
        buses[name] = bus
        self._buses = buses
        return bus

    def delete_event_bus(self, name: str) -> None:
        if name == "default":
            raise ValidationError("Cannot delete event bus default.")
        if name not in self._buses:
            raise ResourceNotFoundError(f"Event bus {name} does not exist.")
        buses = dict(self._buses)
        del buses[name]
        self._buses = buses

    def list_event_buses(self) -> list[dict[str, str]]:
        return [{"Name": b.name, "Arn": b.arn} for b in self._buses.values()]

    # -- PutEvents ---------------------------------------------------------------------------
    def put_events(self, entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """PutEvents: validate each entry, build its envelope, route it. Returns AWS's response shape.

        Records PutEventsRequestSize (the entries' size as AWS counts it against its 256 KB limit) and
        PutEventsLatency (milliseconds, wall time, routing and inline deliveries included) for the
        account (``metrics.summary(name, bus=None)``)."""
        start = time.perf_counter()
        response, accepted, size = accept_entries(entries, self.account, self.region, self.clock.now())
        for name, event in accepted:
            bus = self._buses.get(name)
            if bus is not None:  # AWS accepts events for a bus that does not exist and drops them
                self._route(bus, event)
        self.metrics.observe(None, None, "PutEventsRequestSize", size)
        self.metrics.observe(None, None, "PutEventsLatency", (time.perf_counter() - start) * 1000)
        return response

    def publish(self, event: Mapping[str, Any] | str | bytes, bus: str = "default") -> list[str]:
        """Route an already-built event on a bus (embedded use); returns the names of the rules it matched."""
        return self.bus(bus).publish(event)

    # -- routing and delivery ----------------------------------------------------------------
    def route(
        self,
        event: Mapping[str, Any],
        bus: str = "default",
        ticket: Ticket | None = None,
        only: Iterable[str] | None = None,
    ) -> list[str]:
        """Route an event like :meth:`publish`. With a ``ticket``, seal it once routing is over, so that
        its ``on_done`` runs when the event's last delivery is done (for transports that acknowledge).
        With ``only``, deliver to those rules only (a replay's FilterArns)."""
        try:
            loaded = event if type(event) is dict else dict(load_event(event))
            target_bus = self.bus(bus)
            if only is None:
                return self._route(target_bus, loaded, ticket)
            allowed = set(only)
            now = self.clock.now()
            matched = []
            for rule in target_bus.matching_rules(loaded):
                if rule.name not in allowed:
                    continue
                matched.append(rule.name)
                self.metrics.count(target_bus.name, rule.name, "MatchedEvents")
                for target in rule.targets:
                    if ticket is not None:
                        ticket.acquire()
                    self._deliver(_Delivery(rule, target, loaded, now, 0, ticket))
            return matched
        finally:
            if ticket is not None:
                ticket.seal()

    def _route(self, bus: EventBus, event: dict[str, Any], ticket: Ticket | None = None) -> list[str]:
        names = bus._ruleset.matching(event)
        if self.archives.active and "replay-name" not in event:
            self.archives.offer(bus.name, event)
        if not names:
            return names
        rules = bus._rules
        routed = self.metrics.routed
        now = None
        matched = []
        for name in names:
            rule = rules.get(name)
            if rule is None:  # removed since the match
                continue
            matched.append(name)
            delivered = 0
            for target in rule.targets:
                if target.plain:
                    try:  # the common case, inline: the event itself to a plain callable
                        target.fn(event)
                    except PermanentDeliveryError as exc:
                        now = now or self.clock.now()
                        if ticket is not None:
                            ticket.acquire()
                        failed = _Delivery(rule, target, event, now, 0, ticket)
                        self._failed(failed, event, exc.code, str(exc), retriable=False)
                    except Exception as exc:
                        now = now or self.clock.now()
                        if ticket is not None:
                            ticket.acquire()
                        failed = _Delivery(rule, target, event, now, 0, ticket)
                        self._failed(failed, event, "TARGET_ERROR", f"{type(exc).__name__}: {exc}", retriable=True)
                    else:
                        delivered += 1
                else:
                    now = now or self.clock.now()
                    if ticket is not None:
                        ticket.acquire()
                    self._deliver(_Delivery(rule, target, event, now, 0, ticket))
            # inline deliveries start at ingestion: a latency of 0 ms on the bus's clock
            routed(bus.name, name, delivered, rule.plain_targets)
        return matched

    async def _route_async(self, bus: EventBus, event: dict[str, Any]) -> list[str]:
        rules = bus.matching_rules(event)
        now = self.clock.now()
        if "replay-name" not in event:
            self.archives.offer(bus.name, event)
        jobs = []
        for rule in rules:
            self.metrics.count(bus.name, rule.name, "MatchedEvents")
            self.metrics.count(bus.name, rule.name, "TriggeredRules")
            for target in rule.targets:
                jobs.append(self._deliver_async(_Delivery(rule, target, event, now)))
        await asyncio.gather(*jobs)
        return [r.name for r in rules]

    def _payload(self, d: _Delivery) -> Any:
        target, event = d.target, d.event
        if target.has_input:
            return target.input
        if target.input_path is not None:
            value = resolve(event, target.input_path)
            return None if value is MISSING else value
        if target.transformer is not None:
            text = target.transformer.render(event, d.rule.name, d.rule.arn, iso_seconds(d.ingested))
            return payload_of(text)
        return event

    def _deliver(self, d: _Delivery) -> None:
        if d.attempt == 0:
            self.metrics.count(d.rule.bus, d.rule.name, "InvocationsCreated")
        try:
            payload = self._payload(d)
        except NotDelivered:
            self.metrics.count(d.rule.bus, d.rule.name, "FailedInvocations")
            if d.ticket is not None:
                d.ticket.release()
            return
        if d.attempt == 0:
            latency = (self.clock.now() - d.ingested).total_seconds() * 1000
            self.metrics.observe(d.rule.bus, d.rule.name, "IngestionToInvocationStartLatency", latency)
        target = d.target
        self.metrics.count(d.rule.bus, d.rule.name, "InvocationAttempts")
        try:
            if target.is_async:
                self._run_coroutine(target.fn(payload), target.timeout)
            elif target.timeout is not None:
                self._run_with_timeout(target.fn, payload, target.timeout)
            else:
                target.fn(payload)
        except PermanentDeliveryError as exc:
            self._failed(d, payload, exc.code, str(exc), retriable=False)
        except concurrent.futures.TimeoutError:
            self._failed(d, payload, "TIMEOUT", f"target {target.id} did not finish within {target.timeout} s", True)
        except Exception as exc:
            self._failed(d, payload, "TARGET_ERROR", f"{type(exc).__name__}: {exc}", retriable=True)
        else:
            self.metrics.count(d.rule.bus, d.rule.name, "Invocations")
            if d.ticket is not None:
                d.ticket.release()

    async def _deliver_async(self, d: _Delivery) -> None:
        target = d.target
        if not target.is_async and target.timeout is None:
            self._deliver(d)
            return
        if d.attempt == 0:
            self.metrics.count(d.rule.bus, d.rule.name, "InvocationsCreated")
        try:
            payload = self._payload(d)
        except NotDelivered:
            self.metrics.count(d.rule.bus, d.rule.name, "FailedInvocations")
            return
        if d.attempt == 0:
            latency = (self.clock.now() - d.ingested).total_seconds() * 1000
            self.metrics.observe(d.rule.bus, d.rule.name, "IngestionToInvocationStartLatency", latency)
        self.metrics.count(d.rule.bus, d.rule.name, "InvocationAttempts")
        try:
            if target.is_async:
                await asyncio.wait_for(target.fn(payload), target.timeout)
            else:
                await asyncio.wait_for(asyncio.to_thread(target.fn, payload), target.timeout)
        except PermanentDeliveryError as exc:
            self._failed(d, payload, exc.code, str(exc), retriable=False)
        except TimeoutError:
            self._failed(d, payload, "TIMEOUT", f"target {target.id} did not finish within {target.timeout} s", True)
        except Exception as exc:
            self._failed(d, payload, "TARGET_ERROR", f"{type(exc).__name__}: {exc}", retriable=True)
        else:
            self.metrics.count(d.rule.bus, d.rule.name, "Invocations")

    def _failed(self, d: _Delivery, payload: Any, code: str, message: str, retriable: bool) -> None:
        policy = d.target.retry
        now = self.clock.now()
        age = (now - d.ingested).total_seconds()
        delay = self._random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**d.attempt))
        if retriable and d.attempt < policy.maximum_retry_attempts and age + delay < policy.maximum_event_age_seconds:
            self.metrics.count(d.rule.bus, d.rule.name, "RetryInvocationAttempts")
            retry = _Delivery(d.rule, d.target, d.event, d.ingested, d.attempt + 1, d.ticket)
            with self._pending_lock:
                heapq.heappush(self._pending, (now + timedelta(seconds=delay), next(self._seq), retry))
            return
        try:
            self._give_up(d, payload, code, message, retriable)
        finally:
            if d.ticket is not None:
                d.ticket.release()

    def _give_up(self, d: _Delivery, payload: Any, code: str, message: str, retriable: bool) -> None:
        policy = d.target.retry
        self.metrics.count(d.rule.bus, d.rule.name, "Invocations")
        self.metrics.count(d.rule.bus, d.rule.name, "FailedInvocations")
        if d.target.dead_letter is None:
            return
        exhausted = "MaximumRetryAttempts" if d.attempt >= policy.maximum_retry_attempts else "MaximumEventAgeInSeconds"
        attributes = {
            "RULE_ARN": d.rule.arn,
            "TARGET_ARN": d.target.arn,
            "ERROR_CODE": code,
            "ERROR_MESSAGE": message,
            "RETRY_ATTEMPTS": d.attempt,
        }
        if retriable:
            attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
        try:
            d.target.dead_letter(payload, attributes)
        except Exception:
            self.metrics.count(d.rule.bus, d.rule.name, "InvocationsFailedToBeSentToDlq")
        else:
            self.metrics.count(d.rule.bus, d.rule.name, "DeadLetterInvocations")
            self.metrics.count(d.rule.bus, d.rule.name, "InvocationsSentToDlq")

    def _run_with_timeout(self, fn: Callable[[Any], Any], payload: Any, timeout: float) -> None:
        """Call a synchronous target on a worker thread and wait up to ``timeout`` seconds.

        Past the timeout, a call still waiting for a worker is cancelled (it never runs, so a retry is
        not doubled by a late first attempt); one already running cannot be stopped (Python cannot kill
        a thread) and keeps its worker. So that hung targets do not take every worker, once half of a
        pool's workers are held by calls past their timeout the bus starts a new pool for the calls
        that follow, leaving the old one to its hung calls (``hung_target_calls`` counts them).
        """
        with self._pool_lock:  # (submitted under the lock: another thread may retire this pool next)
            pool = self._pool
            if pool is None:
                pool = self._pool = concurrent.futures.ThreadPoolExecutor(
                    max_workers=TARGET_WORKERS, thread_name_prefix="eventmatch-target"
                )
                self._pool_hung = 0
            future = pool.submit(fn, payload)
        try:
            future.result(timeout)
        except concurrent.futures.TimeoutError:
            if not future.cancel():  # running: it holds its worker until it returns
                with self._pool_lock:
                    self.hung_target_calls += 1
                    if self._pool is pool:
                        self._pool_hung += 1
                        if self._pool_hung >= TARGET_WORKERS // 2:
                            self._pool = None  # the next call starts a new pool
                            pool.shutdown(wait=False)  # its threads end as their calls return
            raise

    def _run_coroutine(self, coro: Any, timeout: float | None) -> None:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="eventmatch-async-targets", daemon=True).start()
            self._loop = loop
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    # -- time: retries and scheduled rules -----------------------------------------------
    def pending(self) -> int:
        """Deliveries waiting for a retry."""
        return len(self._pending)

    def run_pending(self) -> int:
        """Run the retries and scheduled rules that are due by the clock; returns how many ran."""
        ran = 0
        now = self.clock.now()
        while True:
            due = self._next_due(now)
            if due is None:
                break
            _, action = due
            action()
            ran += 1
        self.archives.expire(now)
        return ran

    def _next_due(self, now: datetime) -> tuple[datetime, Callable[[], None]] | None:
        best: tuple[datetime, Callable[[], None]] | None = None
        with self._pending_lock:
            if self._pending and self._pending[0][0] <= now:
                d = self._pending[0][2]
                best = (self._pending[0][0], lambda: self._deliver(self._pop_pending(d)))
        for bus in self._buses.values():
            for name, when in list(bus._next_fire.items()):
                if when <= now and (best is None or when < best[0]):
                    best = (when, lambda bus=bus, name=name, when=when: self._fire(bus, name, when))
        return best

    def _pop_pending(self, d: _Delivery) -> _Delivery:
        with self._pending_lock:
            heapq.heappop(self._pending)
        return d

    def _fire(self, bus: EventBus, name: str, when: datetime) -> None:
        rule = bus._rules.get(name)
        if rule is None or rule.schedule is None or not rule.enabled:
            bus._next_fire.pop(name, None)
            return
        nxt = rule.schedule.next(when)
        if nxt is None:
            bus._next_fire.pop(name, None)
        else:
            bus._next_fire[name] = nxt.astimezone(UTC)
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.account,
            "time": iso_seconds(when),
            "region": self.region,
            "resources": [rule.arn],
            "detail": {},
        }
        self.metrics.count(bus.name, name, "TriggeredRules")
        for target in rule.targets:
            self._deliver(_Delivery(rule, target, event, when))

    def advance(self, seconds: float | timedelta) -> int:
        """Move a VirtualClock forward, running retries and scheduled rules in time order as they fall due."""
        clock = self.clock
        if not isinstance(clock, VirtualClock):
            raise TypeError("advance() needs the bridge to run on a VirtualClock")
        end = clock.now() + (seconds if isinstance(seconds, timedelta) else timedelta(seconds=seconds))
        ran = 0
        while True:
            due = self._next_due(end)
            if due is None:
                break
            when, action = due
            if when > clock.now():
                clock.set(when)
            action()
            ran += 1
        clock.set(end)
        self.archives.expire(end)
        return ran

    def start(self, interval: float = 0.05) -> None:
        """Run due retries and scheduled rules in a background thread (for the system clock)."""
        if self._runner is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval):
                self.run_pending()

        self._runner = threading.Thread(target=loop, name="eventmatch-bus-timer", daemon=True)
        self._runner.start()

    def stop(self) -> None:
        """Stop the background thread of start(), the worker threads of timed targets and the event loop
        of coroutine targets, and cancel the replays running in the background (each ends CANCELLED
        before its next event)."""
        with self._replay_lock:
            for name, (thread, cancel) in self._replay_runs.items():
                replay = self._replays[name]
                if thread is not None and replay["State"] in ("STARTING", "RUNNING"):
                    replay["State"] = "CANCELLING"
                    cancel.set()
        self._stop.set()
        if self._runner is not None:
            self._runner.join()
            self._runner = None
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop = None

    # -- archives and replays ----------------------------------------------------------------
    def create_archive(
        self, name: str, bus: str = "default", event_pattern: Any = None, retention_days: int | None = None
    ) -> Archive:
        source = self.bus(bus)
        try:
            pattern = compile_pattern(event_pattern) if event_pattern is not None else None
        except InvalidEventPatternError:
            raise
        return self.archives.create(name, source.name, pattern, retention_days, self.clock.now())

    def start_replay(
        self,
        name: str,
        archive: str,
        start: datetime,
        end: datetime,
        rules: Sequence[str] | None = None,
        *,
        wait: bool = True,
    ) -> dict[str, Any]:
        """Replay archived events whose ``time`` lies in [start, end) to the archive's bus (to ``rules`` only,
        when given: AWS's FilterArns). Events carry ``replay-name``. Returns the replay's description.

        With ``wait`` (the default) the replay runs to completion before this returns. With
        ``wait=False`` it runs on a thread of its own and this returns at once in state ``STARTING``, as
        AWS's StartReplay does: :meth:`describe_replay` follows it (``RUNNING``, then ``COMPLETED``,
        or ``CANCELLED`` after :meth:`cancel_replay`, or ``FAILED`` with a ``StateReason``), and
        :meth:`wait_replay` waits for its end. At most ten replays are active at once.
        """
        if not isinstance(name, str) or not NAME.match(name) or len(name) > 64:
            raise ValidationError(
                f"1 validation error detected: Value '{name}' at 'replayName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length 1 to 64"
            )
        for label, when in (("start", start), ("end", end)):
            if not isinstance(when, datetime):
                raise TypeError(f"start_replay: {label} must be a datetime, not {type(when).__name__}")
            if when.tzinfo is None:
                raise ValueError(f"start_replay: {label} must be timezone-aware (for example tzinfo=UTC), got {when}")
        if isinstance(rules, str | bytes) or (
            rules is not None and not all(isinstance(rule, str) for rule in rules)
        ):
            raise TypeError("start_replay: rules must be a list of rule names or ARNs")
        if name in self._replays:
            raise ResourceAlreadyExistsError(f"Replay {name} already exists.")
        found = self.archives.get(archive)
        if found is None:
            raise ValidationError(f"Parameter EventSourceArn is not valid. Reason: Archive {archive} does not exist.")
        if not start < end:
            raise ValidationError(
                "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime."
            )
        bus = self.bus(found.bus)
        allowed = None if rules is None else {r.rsplit("/", 1)[-1] for r in rules}
        events = self.archives.events(archive, start, end)  # read here: the store's connection is this thread's
        cancel = threading.Event()
        with self._replay_lock:
            if name in self._replays:
                raise ResourceAlreadyExistsError(f"Replay {name} already exists.")
            if sum(1 for r in self._replays.values() if r["State"] in _REPLAY_ACTIVE) >= MAX_ACTIVE_REPLAYS:
                raise LimitExceededError("The requested resource exceeds the maximum number allowed.")
            replay: dict[str, Any] = {
                "ReplayName": name,
                "ReplayArn": f"arn:aws:events:{self.region}:{self.account}:replay/{name}",
                "EventSourceArn": found.arn,
                "Destination": {"Arn": bus.arn, **({"FilterArns": list(rules)} if rules is not None else {})},
                "State": "STARTING",
                "EventStartTime": start,
                "EventEndTime": end,
                "ReplayStartTime": self.clock.now(),
                "ReplayedEvents": 0,
            }
            self._replays[name] = replay
            self._replay_runs[name] = (None, cancel)
        if wait:
            self._run_replay(replay, bus, events, allowed, cancel)
            return self.describe_replay(name)
        thread = threading.Thread(
            target=self._run_replay,
            args=(replay, bus, events, allowed, cancel),
            name=f"eventmatch-replay-{name}",
            daemon=True,
        )
        with self._replay_lock:
            self._replay_runs[name] = (thread, cancel)
            described = self._describe(replay)
        thread.start()
        return described

    def _run_replay(
        self,
        replay: dict[str, Any],
        bus: EventBus,
        events: list[dict[str, Any]],
        allowed: set[str] | None,
        cancel: threading.Event,
    ) -> None:
        """The body of a replay: deliver the events in order until done or cancelled."""
        name = replay["ReplayName"]
        with self._replay_lock:
            if replay["State"] == "STARTING":
                replay["State"] = "RUNNING"
        reason = None
        try:
            for event in events:
                if cancel.is_set():
                    break
                event["replay-name"] = name
                now = self.clock.now()
                for rule in bus.matching_rules(event):
                    if allowed is not None and rule.name not in allowed:
                        continue
                    self.metrics.count(bus.name, rule.name, "MatchedEvents")
                    for target in rule.targets:
                        self._deliver(_Delivery(rule, target, event, now))
                with self._replay_lock:
                    replay["ReplayedEvents"] += 1
                    replay["EventLastReplayedTime"] = now
        except Exception as exc:  # a replay that fails says why, as AWS's StateReason does
            reason = f"{type(exc).__name__}: {exc}"
        with self._replay_lock:
            if reason is not None:
                replay["State"] = "FAILED"
                replay["StateReason"] = reason
            else:
                replay["State"] = "CANCELLED" if cancel.is_set() else "COMPLETED"
            replay["ReplayEndTime"] = self.clock.now()

    def cancel_replay(self, name: str) -> dict[str, Any]:
        """AWS's CancelReplay: a replay that is starting or running turns ``CANCELLING`` and stops before its
        next event (then ``CANCELLED``). Returns ``{"ReplayArn", "State"}``."""
        with self._replay_lock:
            replay = self._replays.get(name)
            if replay is None:
                raise ResourceNotFoundError(f"Replay {name} does not exist.")
            if replay["State"] not in ("STARTING", "RUNNING"):
                # AWS's documented reason for IllegalStatusException (the service's own text is not recorded)
                raise IllegalStatusError(
                    "An error occurred because a replay can be canceled only when the state is Running or Starting."
                )
            replay["State"] = "CANCELLING"
            self._replay_runs[name][1].set()
            return {"ReplayArn": replay["ReplayArn"], "State": "CANCELLING"}

    def wait_replay(self, name: str, timeout: float | None = None) -> dict[str, Any]:
        """Wait (up to ``timeout`` seconds) for a replay started with ``wait=False`` to end; returns its
        description, whose ``State`` tells whether it did."""
        with self._replay_lock:
            run = self._replay_runs.get(name)
        if run is None:
            raise ResourceNotFoundError(f"Replay {name} does not exist.")
        thread = run[0]
        if thread is not None:
            thread.join(timeout)
        return self.describe_replay(name)

    def describe_replay(self, name: str) -> dict[str, Any]:
        with self._replay_lock:
            replay = self._replays.get(name)
            if replay is None:
                raise ResourceNotFoundError(f"Replay {name} does not exist.")
            return self._describe(replay)

    def list_replays(self, name_prefix: str | None = None, state: str | None = None) -> list[dict[str, Any]]:
        """The replays (optionally those whose name starts with ``name_prefix``, or in ``state``), by name."""
        if state is not None and state not in REPLAY_STATES:
            raise ValidationError(
                f"1 validation error detected: Value '{state}' at 'state' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(REPLAY_STATES)}]"
            )
        with self._replay_lock:
            return [
                self._describe(r)
                for n, r in sorted(self._replays.items())
                if (name_prefix is None or n.startswith(name_prefix)) and (state is None or r["State"] == state)
            ]

    @staticmethod
    def _describe(replay: dict[str, Any]) -> dict[str, Any]:
        described = dict(replay)
        if "Destination" in described:
            described["Destination"] = {
                k: list(v) if isinstance(v, list) else v for k, v in described["Destination"].items()
            }
        return described


#: a replay's states, in the API reference's order
REPLAY_STATES = ("STARTING", "RUNNING", "CANCELLING", "COMPLETED", "CANCELLED", "FAILED")
#: replay states that count against the limit of active replays
_REPLAY_ACTIVE = ("STARTING", "RUNNING", "CANCELLING")
#: at most this many replays are active at once (AWS's quota)
MAX_ACTIVE_REPLAYS = 10


__all__ = ["EventBridge", "EventBus", "PermanentDeliveryError", "RetryPolicy", "Rule", "Target"]
