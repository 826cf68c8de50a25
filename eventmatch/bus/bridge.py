"""The service: :class:`EventBridge`, its buses, PutEvents, time, archives and replays.

:class:`EventBridge` holds named buses (``default`` always exists), one clock
and the parts every bus shares: the router (:mod:`.router`), the delivery
engine (:mod:`.delivery`), the scheduled rules (:mod:`.schedules`), the
archives (:mod:`.archive`), the replays (:mod:`.replay`) and the metrics.
Retries and scheduled rules fall due on the clock: ``advance`` moves a
:class:`VirtualClock` and runs them (tests run instantly); with the system
clock call ``run_pending()`` or ``start()`` a background thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from ..arn import arn as make_arn
from ..errors import ResourceAlreadyExistsError, ResourceNotFoundError, ValidationError
from ..event import load_event
from ..pattern.compile import compile_pattern
from .archive import Archive, ArchiveStore
from .clock import Clock, SystemClock, VirtualClock
from .delivery import DeliveryEngine
from .entries import accept_entries, bus_name
from .metrics import Metrics
from .registry import BUS_NAME, EventBus
from .replay import Replays
from .router import Router
from .schedules import ScheduledRules
from .targets import NAME, Resolver
from .tickets import Ticket

#: seconds advance() waits for the deliveries an action handed to lanes (a target's own timeout is shorter)
LANE_WAIT = 60.0

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
        archive_table: str = "events",
        seed: int | None = None,
        target_resolver: Resolver | None = None,
    ) -> None:
        self.account = account
        self.region = region
        self.clock: Clock = clock or SystemClock()
        self.max_targets_per_rule = max_targets_per_rule
        #: reaches targets given by ARN alone (see eventmatch.bus.targets.build_target); None: ``Fn`` is required
        self.target_resolver = target_resolver
        self.metrics = Metrics()
        self.archives = ArchiveStore(archive_path, archive_table)
        self.delivery = DeliveryEngine(self.clock, self.metrics, seed)
        self.router = Router(self.clock, self.metrics, self.delivery, self.archives)
        self.schedules = ScheduledRules(self.clock, self.router, account, region)
        self.replays = Replays(self.clock, self.archives, self.router, self.bus, account, region)
        self._buses: dict[str, EventBus] = {"default": EventBus(self, "default")}
        self._runner: threading.Thread | None = None
        self._stop = threading.Event()
        #: other things that run on this bridge's clock (an EventBridge Scheduler): each has
        #: ``next_due(now) -> (when, action) | None``, asked with the retries and scheduled rules
        self.timers: list[Any] = []

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

    # -- events ------------------------------------------------------------------------------
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
                self.router.route(bus, event)
        self.metrics.observe(None, None, "PutEventsRequestSize", size)
        self.metrics.observe(None, None, "PutEventsLatency", (time.perf_counter() - start) * 1000)
        return response

    def publish(self, event: Mapping[str, Any] | str | bytes, bus: str = "default") -> list[str]:
        """Route an already-built event on a bus (embedded use); returns the names of the rules it matched."""
        return self.bus(bus).publish(event)

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
            loaded: dict[str, Any] = event if type(event) is dict else dict(load_event(event))
            return self.router.route(self.bus(bus), loaded, ticket, None if only is None else set(only))
        finally:
            if ticket is not None:
                ticket.seal()

    # -- time: retries and scheduled rules -----------------------------------------------
    @property
    def hung_target_calls(self) -> int:
        """Synchronous target calls still running past their Timeout when the bus gave up waiting."""
        return self.delivery.hung_target_calls

    def pending(self) -> int:
        """Deliveries waiting for a retry."""
        return self.delivery.pending()

    def next_due(self, now: datetime) -> tuple[datetime, Callable[[], None]] | None:
        """The earliest retry, scheduled rule or timer's action due by ``now``, as (when, action), or None (a
        bridge is a timer itself: another bridge on the same clock can run it)."""
        return self._next_due(now)

    def _next_due(self, now: datetime) -> tuple[datetime, Callable[[], None]] | None:
        """The earliest retry or scheduled rule due by ``now``."""
        best = self.delivery.next_retry(now)
        for due in (self.schedules.next_due(now, self._buses), *(t.next_due(now) for t in self.timers)):
            if due is not None and (best is None or due[0] < best[0]):
                best = due
        return best

    def run_pending(self) -> int:
        """Run the retries and scheduled rules that are due by the clock; returns how many ran."""
        ran = 0
        now = self.clock.now()
        while (due := self._next_due(now)) is not None:
            due[1]()
            ran += 1
        self.archives.expire(now)
        return ran

    def advance(self, seconds: float | timedelta) -> int:
        """Move a VirtualClock forward, running retries and scheduled rules in time order as they fall due."""
        clock = self.clock
        if not isinstance(clock, VirtualClock):
            raise TypeError("advance() needs the bridge to run on a VirtualClock")
        end = clock.now() + (seconds if isinstance(seconds, timedelta) else timedelta(seconds=seconds))
        ran = 0
        while (due := self._next_due(end)) is not None:
            when, action = due
            if when > clock.now():
                clock.set(when)
            action()
            ran += 1
            # what the action handed to lanes is made before time moves on: on a virtual clock, each retry
            # falls due after the attempt before it, as on the system clock
            self.delivery.lanes.wait_idle(LANE_WAIT)
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
        self.replays.stop()
        self._stop.set()
        if self._runner is not None:
            self._runner.join()
            self._runner = None
        self.delivery.stop()

    # -- archives and replays ----------------------------------------------------------------
    def create_archive(
        self,
        name: str,
        bus: str = "default",
        event_pattern: Any = None,
        retention_days: int | None = None,
        description: str = "",
        created: datetime | None = None,
    ) -> Archive:
        """CreateArchive: keep the events of ``bus`` (those ``event_pattern`` matches) for replays. ``created``:
        its creation time (default now; a restored archive keeps its own)."""
        if not isinstance(name, str) or not NAME.match(name) or len(name) > 48:
            raise ValidationError(
                f"1 validation error detected: Value '{name}' at 'archiveName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length 1 to 48"
            )
        source = self.bus(bus)
        pattern = compile_pattern(event_pattern) if event_pattern is not None else None
        arn = make_arn("events", self.region, self.account, f"archive/{name}")
        return self.archives.create(name, source.name, pattern, retention_days, created or self.clock.now(), arn=arn,
                                    description=description, source_arn=source.arn)

    def start_replay(
        self,
        name: str,
        archive: str,
        start: datetime,
        end: datetime,
        rules: Sequence[str] | None = None,
        *,
        wait: bool = True,
        description: str | None = None,
        lingers: bool = False,
    ) -> dict[str, Any]:
        """Replay archived events whose ``time`` lies in [start, end) to the archive's bus (to ``rules`` only,
        when given: AWS's FilterArns). Events carry ``replay-name``. Returns the replay's description.

        With ``wait`` (the default) the replay runs to completion before this returns. With
        ``wait=False`` it runs on a thread of its own and this returns at once in state ``STARTING``, as
        AWS's StartReplay does: :meth:`describe_replay` follows it (``RUNNING``, then ``COMPLETED``,
        or ``CANCELLED`` after :meth:`cancel_replay`, or ``FAILED`` with a ``StateReason``), and
        :meth:`wait_replay` waits for its end. At most ten replays are active at once. One that ``lingers``
        (with ``wait=False``; the server's StartReplay) stays RUNNING after its events are routed, as AWS's
        do, so that it can be cancelled: at least a second on the system clock, until the clock next moves on
        a virtual one.
        """
        return self.replays.start(name, archive, start, end, rules, wait=wait, description=description,
                                  lingers=lingers)

    def cancel_replay(self, name: str) -> dict[str, Any]:
        """AWS's CancelReplay: a replay that is starting or running turns ``CANCELLING`` and stops before its
        next event (then ``CANCELLED``). Returns ``{"ReplayArn", "State"}``."""
        return self.replays.cancel_replay(name)

    def wait_replay(self, name: str, timeout: float | None = None) -> dict[str, Any]:
        """Wait (up to ``timeout`` seconds) for a replay started with ``wait=False`` to end."""
        return self.replays.wait_replay(name, timeout)

    def describe_replay(self, name: str) -> dict[str, Any]:
        return self.replays.describe_replay(name)

    def list_replays(self, name_prefix: str | None = None, state: str | None = None) -> list[dict[str, Any]]:
        """The replays (optionally those whose name starts with ``name_prefix``, or in ``state``), by name."""
        return self.replays.list_replays(name_prefix, state)


__all__ = ["EventBridge"]
