"""The router: the one path from an event to its rules' targets.

Every way an event reaches a rule goes through :meth:`Router.dispatch`:
``publish`` and ``PutEvents`` (through :meth:`Router.route`, which matches and
archives first), ``route(only=...)`` and replays (``route`` with the rules
allowed), and scheduled rules (``dispatch`` with the one rule that fired). So
every path counts the same metrics (MatchedEvents and TriggeredRules per rule,
then each target's invocation metrics) and delivers the same way.

Plain targets (the whole event, synchronous, no timeout) are called inline, the
common case kept short; the others go to the delivery engine, which handles
payloads, timeouts, retries and dead letters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .delivery import Delivery, DeliveryEngine

if TYPE_CHECKING:
    from .archive import ArchiveStore
    from .clock import Clock
    from .metrics import Metrics
    from .registry import EventBus, Rule
    from .tickets import Ticket


class Router:
    """Matches events on a bus and hands them to the rules' targets."""

    def __init__(self, clock: Clock, metrics: Metrics, delivery: DeliveryEngine, archives: ArchiveStore) -> None:
        self.clock = clock
        self.metrics = metrics
        self.delivery = delivery
        self.archives = archives

    def select(self, bus: EventBus, event: dict[str, Any], only: Collection[str] | None) -> list[Rule]:
        """The rules of ``bus`` that ``event`` triggers (``only`` those named, when given); archives the event
        on the way unless it is a replayed one (an archive never holds a replay)."""
        rules = bus.matching_rules(event)
        if "replay-name" not in event and self.archives.active:
            self.archives.offer(bus.name, event)
        if only is not None:
            rules = [rule for rule in rules if rule.name in only]
        return rules

    def route(
        self,
        bus: EventBus,
        event: dict[str, Any],
        ticket: Ticket | None = None,
        only: Collection[str] | None = None,
    ) -> list[str]:
        """Match ``event`` on ``bus`` and deliver it; returns the names of the rules it triggered."""
        rules = self.select(bus, event, only)
        if not rules:
            return []
        return self.dispatch(bus, event, rules, ticket)

    def dispatch(
        self,
        bus: EventBus,
        event: dict[str, Any],
        rules: Sequence[Rule],
        ticket: Ticket | None = None,
        ingested: datetime | None = None,
    ) -> list[str]:
        """Deliver ``event`` to every target of ``rules``; returns their names. ``ingested`` is when the event
        entered the bus (default: now), from which retries count its age."""
        routed = self.metrics.routed
        delivery = self.delivery
        now = ingested
        matched = []
        for rule in rules:
            matched.append(rule.name)
            delivered = 0
            for target in rule.targets:
                if target.plain:
                    try:  # the common case, inline: the event itself to a synchronous callable
                        target.invoke(event)
                    except Exception as exc:
                        now = now or self.clock.now()
                        if ticket is not None:
                            ticket.acquire()
                        delivery.failed(Delivery(rule, target, event, now, 0, ticket), event, exc, inline=True)
                    else:
                        delivered += 1
                else:
                    now = now or self.clock.now()
                    if ticket is not None:
                        ticket.acquire()
                    delivery.deliver(Delivery(rule, target, event, now, 0, ticket))
            # inline deliveries start at ingestion: a latency of 0 ms on the bus's clock
            routed(bus.name, rule.name, delivered, rule.plain_targets)
        return matched

    async def route_async(self, bus: EventBus, event: dict[str, Any]) -> list[str]:
        """Like :meth:`route`, awaiting coroutine targets (all targets of the event run concurrently)."""
        rules = self.select(bus, event, None)
        now = self.clock.now()
        jobs = []
        for rule in rules:
            self.metrics.routed(bus.name, rule.name, 0, 0)
            for target in rule.targets:
                jobs.append(self.delivery.deliver_async(Delivery(rule, target, event, now)))
        await asyncio.gather(*jobs)
        return [rule.name for rule in rules]


__all__ = ["Router"]
