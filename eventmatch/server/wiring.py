"""How a server's services are built and brought back: the default pair's, and one for each other account and
region a request is signed for (or the command log names).

Every service has its own :class:`~eventmatch.EventBridge` and Scheduler, and shares the rest with the others:
the state (one SQLite file: the command log, each change with its pair; the inbox; deliveries), the inbox (an
accepted event is routed on the bridge of its ``account`` and ``region``), the lock that makes changes one at
a time, the outbound policy, and the clock: another pair's bridge runs its retries, scheduled rules and
schedules as a timer of the default bridge, so that ``bridge.advance()`` and ``bridge.start()`` drive them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..bus import EventBridge, EventBus
from ..errors import ResourceNotFoundError
from ..scheduler import Scheduler
from . import commands
from .api_destinations import Caller
from .forward import Forwarder
from .inbox import Inbox
from .outbound import OutboundPolicy
from .resources.discoverers import Discoverers, discovered, put_discovered_schema
from .resources.events import put_events
from .service import Registry, Service
from .sigv4 import Pair
from .state import State
from .targets import BusLookup, Functions, target_resolver


def build(bridge: EventBridge, state: State, inbox: Inbox, outbound: OutboundPolicy, functions: Functions | None,
          forwarder: Forwarder | None, prepare: Callable[[Registry], None] | None = None) -> Registry:
    """The registry of a server on ``bridge`` (the default pair's), its state played again (see restore), after
    ``prepare`` made what it makes (templates' buses and rules)."""
    made: list[Registry] = []  # (the registry, once made: a bus target of another pair is looked up in it)

    def buses(arn: str) -> EventBus | None:
        parts = arn.split(":", 5)
        service = made[0].known((parts[4], parts[3])) if made and len(parts) == 6 else None
        if service is None or not parts[5].startswith("event-bus/"):
            return None
        try:
            return service.bridge.bus(parts[5][len("event-bus/"):])
        except ResourceNotFoundError:
            return None

    default = _service(bridge, state, inbox, outbound, functions, forwarder, buses)

    def make(pair: Pair) -> Service:
        # its archived events in the state file too, in a table of its own
        table = "events_" + "_".join(part.replace("-", "_") for part in pair)
        other = EventBridge(clock=bridge.clock, account=pair[0], region=pair[1], archive_path=bridge.archives.path,
                            archive_table=table if bridge.archives.path != ":memory:" else "events")
        bridge.timers.append(other)  # a bridge is a timer (next_due): its retries and schedules run on this clock
        service = _service(other, state, inbox, outbound, functions, forwarder, buses, default)
        service.others = made[0].known
        other.delivery.resumed = bridge.delivery.resumed
        return service

    services = Registry(default, make)
    made.append(services)
    default.others = services.known

    def route_on(bus: str, event: dict[str, Any]) -> tuple[EventBridge, str]:
        """An accepted event's bridge and bus: its bus's, for another account's bus named by ARN (see
        crossing); else its account's and region's."""
        if bus.startswith("arn:"):
            parts = bus.split(":", 5)
            owner = services.known((parts[4], parts[3]))
            return (owner or default).bridge, parts[5][len("event-bus/"):]
        return (services.known((event.get("account"), event.get("region"))) or default).bridge, bus  # type: ignore[arg-type]

    inbox.bridge_of = route_on

    def watch(routed_on: EventBridge, bus: str, event: dict[str, Any]) -> None:
        """Schemas' discovery: the versions an event makes, each a logged command of its pair."""
        service = services.known((routed_on.account, routed_on.region))
        if service is None or not service.store(Discoverers):
            return
        with service.lock:
            for params in discovered(service, bus, event):
                commands.run(service, commands.SCHEMAS + "PutDiscoveredSchema", put_discovered_schema, params)

    inbox.watch = watch
    inbox.bridges = lambda: [service.bridge for service in services]
    if prepare is not None:
        prepare(services)
    restore(services, state, inbox, prepare)
    return services


def _service(bridge: EventBridge, state: State, inbox: Inbox, outbound: OutboundPolicy, functions: Functions | None,
             forwarder: Forwarder | None, buses: BusLookup, default: Service | None = None) -> Service:
    """One pair's service: its bridge's targets reached by ARN, its Scheduler; ``default``: the default pair's
    (whose lock, state and compactor it shares), None for the default itself."""
    service = Service(bridge, default.state if default else None, inbox, default.lock if default else None)
    service.outbound = outbound
    if bridge.target_resolver is None:
        bridge.target_resolver = target_resolver(bridge, state, Caller(service, outbound), functions, forwarder,
                                                 buses)
    bridge.delivery.journal = inbox.journal
    service.scheduler = _scheduler(service, state)
    pair = (service.account, service.region)
    bridge.replays.kept = lambda replay: state.log_command(commands.REPLAY, replay, None, pair)  # a restart shows them
    if default is not None:
        service.compactor = default.compactor
        service.restoring = default.restoring
        service.scheduler.journal = default.scheduler.journal if default.scheduler else None
    return service


def restore(services: Registry, state: State, inbox: Inbox, prepare: Callable[[Registry], None] | None = None) -> None:
    """Bring the services back as ``state`` left them (the command log played again, each change on its pair;
    the invocations and deliveries that were not final resumed), then keep what they do from now on."""
    default = services.default
    commands.play(services, state)  # the commands played are in the log already: not logged again
    records: dict[Pair, list[dict[str, Any]]] = {}
    for _, seq, record in state.pending():
        if seq is None:  # Scheduler's: its schedule's ARN names its pair
            parts = str(record["arn"]).split(":")
            records.setdefault((parts[4], parts[3]), []).append(record)
    journal = InvocationsKept(state)
    for service in services:
        scheduler = service.scheduler
        assert scheduler is not None
        # the default schedule group, as the default bus, dates from when the state was first used
        group = scheduler.groups["default"]
        scheduler.groups["default"] = replace(group, created=service.started, modified=service.started)
        # invocations that were not final when the process ended: each resumes at the attempt it was waiting for
        scheduler.journal = journal
        scheduler.resume(records.pop((service.account, service.region), []))
        service.state = state
    for pair, kept in records.items():  # a pair no change named (its schedules came from a snapshot)
        scheduler = services.get(pair).scheduler
        assert scheduler is not None
        scheduler.journal = journal
        scheduler.resume(kept)
    def shadows() -> Registry:  # what a compaction plays the log on: prepared as the services were
        made = commands.shadows_of(services)
        if prepare is not None:
            prepare(made)
        return made

    default.compactor = commands.Compactor(state, shadows)
    for service in services:
        service.compactor = default.compactor
    default.compactor.soon()  # a long log (from before compaction, or a crash mid-way) is compacted now
    waiting = state.waiting()
    if waiting:  # the retries they were waiting for resume where they were
        resumed = inbox.journal.resumed()
        for service in services:
            service.bridge.delivery.resumed = resumed
        inbox.put(waiting)


def _scheduler(service: Service, state: State) -> Scheduler:
    """The Scheduler of ``service``: the events its bus targets put are accepted as PutEvents accepts them,
    the times its changes make up are the service's facts, its tags are the service's, and its self-deletions
    and dead letters are kept in ``state``."""
    bridge = service.bridge
    pair = (service.account, service.region)

    def scheduler_put_events(entries: list[dict[str, Any]]) -> dict[str, Any]:
        """A schedule's EventBridge target: the entries accepted as PutEvents over the wire accepts them (kept,
        routed by the inbox, seen by inspection and the live tail)."""
        return put_events(service, {"Entries": entries})

    def completed(name: str, group: str) -> None:  # a schedule that deleted itself stays deleted after a restart
        if service.state is not None:
            state.log_command(commands.SCHEDULER + "DeleteSchedule", {"Name": name, "GroupName": group}, [], pair)

    scheduler = Scheduler(bridge, resolver=bridge.target_resolver, put_events=scheduler_put_events,
                          completed=completed, tags=service.tags,
                          dead_letter=lambda arn, payload, attributes: state.record(
                              "scheduler:dead-letter", arn, {"payload": payload, "attributes": attributes}))
    scheduler.stamp = service.facts.now
    return scheduler


class InvocationsKept:
    """Scheduler's invocations not final yet, kept in the state (a restart resumes them: Scheduler.resume)."""

    __slots__ = ("state",)

    def __init__(self, state: State) -> None:
        self.state = state

    def pending(self, execution: str, record: dict[str, Any]) -> None:
        self.state.pend(f"scheduler:{execution}", record)

    def settled(self, execution: str) -> None:
        self.state.settle(f"scheduler:{execution}")


__all__ = ["InvocationsKept", "build", "restore"]
