"""EventBridge Scheduler in process: schedule groups, schedules that fire on the bridge's clock, their targets.

A :class:`Scheduler` lives beside an :class:`~eventmatch.EventBridge` and runs on its clock (the virtual
clock in tests, the system clock in applications): ``bridge.advance(...)`` and ``bridge.start()`` fire
its schedules as they fire the bridge's scheduled rules and retries.

>>> from datetime import datetime, UTC
>>> from eventmatch import EventBridge, VirtualClock
>>> bridge = EventBridge(clock=VirtualClock(datetime(2026, 1, 1, tzinfo=UTC)))
>>> received = []
>>> scheduler = Scheduler(bridge, functions={"arn:aws:lambda:us-east-1:123456789012:function:f": received.append})
>>> _ = scheduler.create_schedule("hourly", "rate(1 hour)", {
...     "Arn": "arn:aws:lambda:us-east-1:123456789012:function:f", "RoleArn": "arn:aws:iam::123456789012:role/r",
...     "Input": '{"at": "<aws.scheduler.scheduled-time>"}'})
>>> bridge.advance(2 * 3600)
2
>>> received
[{'at': '2026-01-01T01:00:00Z'}, {'at': '2026-01-01T02:00:00Z'}]

What a target receives is the schedule's ``Input`` with Scheduler's context attributes put in
(``<aws.scheduler.schedule-arn>``, ``<aws.scheduler.scheduled-time>``, ``<aws.scheduler.execution-id>``,
``<aws.scheduler.attempt-number>``), as JSON when it is JSON, else as text; ``{}`` without an Input. A
target on an event bus of the bridge (``EventBridgeParameters``) gets a PutEvents entry with the Input
as its Detail. Other targets are reached through ``resolver`` (``eventmatch serve`` forwards, records
or calls them), or ``functions`` by ARN.

Timing: the next invocation of every schedule waits in one heap, so an invocation costs O(log n) in the
number of schedules. A FLEXIBLE window moves each invocation to a random time inside the window (seeded
by ``seed`` for tests). Each invocation is then a job of the bridge's delivery engine
(:mod:`eventmatch.bus.delivery`, :mod:`.invocation`), as a rule's delivery is: on its target's lane when it
has one, retried with the same exponential backoff and jitter while the target's RetryPolicy allows
(MaximumRetryAttempts, default 185; MaximumEventAgeInSeconds, default 86400), then sent to its
DeadLetterConfig (``dead_letter``) with Scheduler's attributes; the attempt number counts from 1.
Scheduler's metrics (``metrics``) and the record of attempts (``invocations``) are kept on the way.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import json
import random
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..arn import arn
from ..bus.metrics import Metrics
from ..bus.tags import TagStore
from ..bus.targets import build_target
from ..errors import ConflictError, ResourceNotFoundError, ValidationError
from ..schedule import parse_schedule
from .invocation import Invocation, InvocationJournal
from .models import Schedule, ScheduleGroup, build_schedule

if TYPE_CHECKING:
    from ..bus import EventBridge

NAME = re.compile(r"[0-9a-zA-Z\-_.]{1,64}")
DEFAULT_GROUP = "default"
#: how many invocations a Scheduler remembers for inspection
RECENT = 10_000

#: reaches a target given by its spec (Arn, Input...): a callable taking the payload
Resolver = Callable[[Mapping[str, Any]], Callable[[Any], Any]]
#: receives a dead letter: (the DLQ's ARN, the payload, AWS's attributes)
DeadLetter = Callable[[str, Any, dict[str, Any]], None]


@dataclass(order=True)
class _Due:
    """A schedule's next invocation, waiting in the heap: when it runs, then what it is (its retries wait in
    the delivery engine's)."""

    when: datetime
    seq: int
    key: tuple[str, str] = field(compare=False)
    generation: int = field(compare=False)
    nominal: datetime = field(compare=False)  # the schedule's own time (the window moves ``when``)


class Scheduler:
    """EventBridge Scheduler's resources and firing, on ``bridge``'s clock (see the module's docstring)."""

    def __init__(
        self,
        bridge: EventBridge,
        *,
        resolver: Resolver | None = None,
        functions: Mapping[str, Callable[[Any], Any]] | None = None,
        dead_letter: DeadLetter | None = None,
        seed: int | None = None,
        put_events: Callable[[list[dict[str, Any]]], dict[str, Any]] | None = None,
        completed: Callable[[str, str], None] | None = None,
        tags: TagStore | None = None,
    ) -> None:
        self.bridge = bridge
        self.clock = bridge.clock
        self.resolver = resolver
        #: how an EventBridge target's event is put on its bus: the bridge's PutEvents, or the server's own
        #: acceptance (stored, routed, seen by inspection and the live tail)
        self.put_events = put_events or bridge.put_events
        #: told (name, group) when a schedule deletes itself (ActionAfterCompletion DELETE): the server logs it
        self.completed = completed
        self.functions = dict(functions or {})
        self.dead_letter = dead_letter
        self._random = random.Random(seed)
        now = self.clock.now()
        self.groups: dict[str, ScheduleGroup] = {DEFAULT_GROUP: ScheduleGroup(
            DEFAULT_GROUP, self._arn("schedule-group", DEFAULT_GROUP), now, now)}
        self.schedules: dict[tuple[str, str], Schedule] = {}
        #: the tags of its groups and schedules (the server gives the store EventBridge's API uses too)
        self.tags = tags if tags is not None else TagStore()
        #: the latest invocations made (schedule ARN, scheduled time, attempt, outcome) for inspection, newest last
        self.invocations: deque[dict[str, Any]] = deque(maxlen=RECENT)
        self._tokens: dict[str, tuple[str, str, str]] = {}  # ClientToken -> (action, key, ARN)
        self._heap: list[_Due] = []
        self._generation: dict[tuple[str, str], int] = {}
        self._seq = itertools.count()
        self._lock = threading.RLock()
        #: where the creation and modification times of new schedules and groups come from, when set (the
        #: server logs them, and gives them back when its log is played again); the clock's time otherwise
        self.stamp: Callable[[], datetime] | None = None
        #: where invocations not final yet are written (see InvocationJournal), or None
        self.journal: InvocationJournal | None = None
        #: Scheduler's metrics (AWS/Scheduler: InvocationAttemptCount, TargetErrorCount, InvocationDroppedCount,
        #: InvocationsSentToDeadLetterCount...) by (group, schedule)
        self.metrics = Metrics()
        bridge.timers.append(self)

    def __repr__(self) -> str:
        return f"<Scheduler {len(self.schedules)} schedules in {len(self.groups)} groups>"

    def _arn(self, kind: str, name: str) -> str:
        return arn("scheduler", self.bridge.region, self.bridge.account, f"{kind}/{name}")

    # -- groups -----------------------------------------------------------------------------
    def create_schedule_group(self, name: str, tags: Mapping[str, str] | None = None,
                              client_token: str | None = None) -> str:
        """CreateScheduleGroup; returns its ARN."""
        _check_name(name, "name")
        with self._lock:
            if name in self.groups:
                if client_token and self._tokens.get(client_token, ("",))[0] == f"group:{name}":
                    return self.groups[name].arn
                raise ConflictError(f"Schedule group {name} already exists.")
            now = self.stamp() if self.stamp is not None else self.clock.now()
            group = ScheduleGroup(name, self._arn("schedule-group", name), now, now)
            self.groups[name] = group
            if tags:
                self.tags.tag(group.arn, tags)
            if client_token:
                self._tokens[client_token] = (f"group:{name}", name, group.arn)
            return group.arn

    def get_schedule_group(self, name: str) -> dict[str, Any]:
        return self._group(name).describe()

    def delete_schedule_group(self, name: str) -> None:
        """DeleteScheduleGroup: its schedules go with it (AWS deletes them in the background; here at once)."""
        with self._lock:
            group = self._group(name)
            if name == DEFAULT_GROUP:
                raise ValidationError("Cannot delete the default schedule group.")
            for key in [k for k in self.schedules if k[0] == name]:
                self._remove(key)
            del self.groups[name]
            self.tags.forget(group.arn)

    def list_schedule_groups(self, name_prefix: str = "") -> list[dict[str, Any]]:
        return [g.describe() for n, g in sorted(self.groups.items()) if n.startswith(name_prefix)]

    def _group(self, name: str) -> ScheduleGroup:
        group = self.groups.get(name)
        if group is None:
            raise ResourceNotFoundError(f"Schedule group {name} does not exist.")
        return group

    # -- schedules ---------------------------------------------------------------------------
    def create_schedule(self, name: str, expression: str, target: Mapping[str, Any], *,
                        flexible_time_window: Mapping[str, Any] | None = None, group: str | None = None,
                        client_token: str | None = None, **options: Any) -> str:
        """CreateSchedule; returns its ARN. ``options``: ScheduleExpressionTimezone, StartDate, EndDate,
        State, Description, KmsKeyArn, ActionAfterCompletion (by their API names)."""
        group = group or DEFAULT_GROUP
        with self._lock:
            key = (group, name)
            if client_token and client_token in self._tokens and self._tokens[client_token][1] == f"{group}/{name}":
                return self._tokens[client_token][2]  # a retried request: the same answer, nothing new
            schedule = self._build(name, group, expression, target, flexible_time_window, options)
            if key in self.schedules:
                raise ConflictError(f"Schedule {name} already exists.")
            self.schedules[key] = schedule
            if client_token:
                self._tokens[client_token] = ("schedule", f"{group}/{name}", schedule.arn)
            self._arm(key, self.clock.now())
            return schedule.arn

    def update_schedule(self, name: str, expression: str, target: Mapping[str, Any], *,
                        flexible_time_window: Mapping[str, Any] | None = None, group: str | None = None,
                        **options: Any) -> str:
        """UpdateSchedule: every setting is replaced (what is not given goes back to its default), as AWS does."""
        group = group or DEFAULT_GROUP
        with self._lock:
            old = self._get(group, name)
            schedule = self._build(name, group, expression, target, flexible_time_window, options)
            self.schedules[(group, name)] = replace(schedule, created=old.created)
            self._arm((group, name), self.clock.now())
            return schedule.arn

    def get_schedule(self, name: str, group: str | None = None) -> dict[str, Any]:
        return self._get(group or DEFAULT_GROUP, name).describe()

    def delete_schedule(self, name: str, group: str | None = None) -> None:
        with self._lock:
            self._get(group or DEFAULT_GROUP, name)
            self._remove((group or DEFAULT_GROUP, name))

    def list_schedules(self, group: str | None = None, name_prefix: str = "",
                       state: str | None = None) -> list[dict[str, Any]]:
        if group is not None:
            self._group(group)
        return [s.summary() for (g, n), s in sorted(self.schedules.items())
                if (group is None or g == group) and n.startswith(name_prefix) and (state is None or s.state == state)]

    def next_invocation(self, name: str, group: str | None = None) -> datetime | None:
        """When the schedule is invoked next (UTC, the flexible window applied), or None."""
        key = (group or DEFAULT_GROUP, name)
        with self._lock:
            times = [d.when for d in self._heap if d.key == key and d.generation == self._generation.get(key)]
        return min(times) if times else None

    def _get(self, group: str, name: str) -> Schedule:
        schedule = self.schedules.get((group, name))
        if schedule is None:
            if group not in self.groups:
                raise ResourceNotFoundError(f"Schedule group {group} does not exist.")
            raise ResourceNotFoundError(f"Schedule {name} does not exist.")
        return schedule

    def _remove(self, key: tuple[str, str]) -> None:
        schedule = self.schedules.pop(key)
        self._generation[key] = self._generation.get(key, 0) + 1  # its waiting invocation is void
        self.tags.forget(schedule.arn)

    def _build(self, name: str, group: str, expression: str, target: Mapping[str, Any],
               window: Mapping[str, Any] | None, options: Mapping[str, Any]) -> Schedule:
        _check_name(name, "name")
        self._group(group)
        return build_schedule(name, group, self._arn("schedule", f"{group}/{name}"), expression, target, window,
                              options, self.stamp if self.stamp is not None else self.clock.now)

    # -- time ------------------------------------------------------------------------------
    def _arm(self, key: tuple[str, str], after: datetime) -> bool:
        """Queue the schedule's next invocation after ``after``; False when there is none (disabled, or
        finished: no time left)."""
        generation = self._generation[key] = self._generation.get(key, 0) + 1
        schedule = self.schedules[key]
        if schedule.state != "ENABLED":
            return False
        nominal = schedule.timing.next(after)
        if nominal is None:
            return False
        nominal = nominal.astimezone(UTC)
        when = nominal
        if schedule.flexible_window.get("Mode") == "FLEXIBLE":
            when += timedelta(minutes=self._random.uniform(0, schedule.flexible_window["MaximumWindowInMinutes"]))
        heapq.heappush(self._heap, _Due(when, next(self._seq), key, generation, nominal))
        return True

    def next_due(self, now: datetime) -> tuple[datetime, Callable[[], None]] | None:
        """The earliest invocation due by ``now`` (the bridge asks, as its clock moves)."""
        with self._lock:
            while self._heap:
                due = self._heap[0]
                if due.generation != self._generation.get(due.key):
                    heapq.heappop(self._heap)  # the schedule changed or went since this was queued
                    continue
                if due.when > now:
                    return None
                return due.when, functools.partial(self._run, due)
        return None

    def _run(self, due: _Due) -> None:
        """Invoke: the next invocation is queued, and this one handed to the bridge's delivery engine (on its
        target's lane when it has one, never holding back the other schedules or the clock)."""
        with self._lock:
            if not self._heap or self._heap[0] is not due:
                return
            heapq.heappop(self._heap)
            schedule = self.schedules.get(due.key)
            if schedule is None:
                return
            finished = not self._arm(due.key, due.nominal)
            if finished and schedule.action_after_completion == "DELETE":
                self._remove(due.key)
                if self.completed is not None:
                    self.completed(schedule.name, schedule.group)
        invocation = self._invocation(schedule, due.nominal, due.when, str(uuid.uuid4()))
        if self.journal is not None:  # kept until it is final
            self.journal.pending(invocation.execution, invocation.record())
        self.bridge.delivery.dispatch(invocation)

    def _invocation(self, schedule: Schedule, nominal: datetime, when: datetime, execution: str,
                    attempt: int = 0) -> Invocation:
        dlq = (schedule.target.get("DeadLetterConfig") or {}).get("Arn")
        dead_letter = self.dead_letter
        target = build_target({
            "Id": schedule.name, "Arn": str(schedule.target["Arn"]), "Fn": self._sender(schedule),
            "RetryPolicy": schedule.target["RetryPolicy"],
            "DeadLetter": (lambda payload, attributes: dead_letter(str(dlq), payload, attributes))
            if dlq and dead_letter is not None else None}, 1)
        return Invocation(schedule, target, nominal, execution, when, self.invocations, self.metrics, self.journal,
                          attempt)

    def _sender(self, schedule: Schedule) -> Callable[[Any], Any]:
        """What delivers to the schedule's target: a function of ``functions``, PutEvents for a bus of the
        bridge, else the resolver's callable (with its lane), or nothing to call."""
        arn = str(schedule.target["Arn"])
        if arn in self.functions:
            return self.functions[arn]
        if arn.startswith(self._bus_prefix):
            return functools.partial(self._put_event, schedule)
        if self.resolver is None:
            return _nothing
        return self.resolver({**schedule.target, "Id": f"{schedule.group}/{schedule.name}"})

    def resume(self, records: list[dict[str, Any]]) -> int:
        """Queue again the invocations a journal kept (on a restart): each at the attempt and due time it was
        waiting for, with the target it was invoked with (the schedule may have changed or gone since).
        Returns how many."""
        for record in records:
            key = (str(record["group"]), str(record["name"]))
            current = self.schedules.get(key)
            if current is not None:
                schedule = replace(current, target=record["target"])
            else:
                schedule = Schedule(key[1], key[0], record["arn"], record["expression"],
                                    parse_schedule(record["expression"]), record["target"], {})
            due = datetime.fromisoformat(record["due"])
            invocation = self._invocation(schedule, datetime.fromisoformat(record["nominal"]), due,
                                          str(record["execution"]), int(record["attempt"]) - 1)
            self.bridge.delivery.retry_at(invocation, due)
        return len(records)

    @property
    def _bus_prefix(self) -> str:
        return arn("events", self.bridge.region, self.bridge.account, "event-bus/")

    def _put_event(self, schedule: Schedule, payload: Any) -> None:
        """An EventBridge target: PutEvents into this bridge's bus, as Scheduler's templated target does (one
        event, put as PutEvents puts it)."""
        params = schedule.target.get("EventBridgeParameters") or {}
        detail = payload if isinstance(payload, str) else json.dumps(payload)
        bus = str(schedule.target["Arn"])[len(self._bus_prefix):]
        answer = self.put_events([{"Source": params.get("Source", "aws.scheduler"),
                                   "DetailType": params.get("DetailType", "Scheduled Event"),
                                   "Detail": detail, "EventBusName": bus, "Resources": [schedule.arn]}])
        if answer["FailedEntryCount"]:
            raise ValidationError(str(answer["Entries"][0].get("ErrorMessage")))


def _nothing(payload: Any) -> None:
    """A target nothing reaches (no resolver): the invocation succeeds, as a recorded one would."""


def _check_name(name: Any, where: str) -> None:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValidationError(
            f"1 validation error detected: Value '{name}' at '{where}' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$")
