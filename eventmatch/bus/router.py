"""The router: the one path from an event to its rules' targets.

Every way an event reaches a rule goes through :meth:`Router.route`:
``publish``, ``PutEvents`` and ``route(only=...)`` (the bus matches the event
and archives it first), replays (the rules the bus matches, by name) and
scheduled rules (the one rule that fired, by name). So
every path counts the same metrics (MatchedEvents and TriggeredRules per rule,
then each target's invocation metrics) and delivers the same way.

Plain targets (the whole event, synchronous, no timeout) are called inline, the
common case kept short; the others go to the delivery engine, which handles
payloads, timeouts, retries and dead letters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .delivery import Delivery, DeliveryEngine

if TYPE_CHECKING:
    from .archive import ArchiveStore
    from .clock import Clock
    from .metrics import Metrics
    from .registry import EventBus
    from .tickets import Ticket


class Router:
    """Matches events on a bus and hands them to the rules' targets."""

    def __init__(self, clock: Clock, metrics: Metrics, delivery: DeliveryEngine, archives: ArchiveStore) -> None:
        self.clock = clock
        self.metrics = metrics
        self.delivery = delivery
        self.archives = archives

    def route(
        self,
        bus: EventBus,
        event: dict[str, Any],
        ticket: Ticket | None = None,
        only: Collection[str] | None = None,
        *,
        names: list[str] | None = None,
        ingested: datetime | None = None,
    ) -> list[str]:
        """Deliver ``event`` to the targets of the rules it triggers on ``bus``; returns their names.

        Without ``names``, the bus matches the event (and its archives are offered it, unless it is a
        replayed one: an archive never holds a replay); with them, those rules are triggered as they are
        (a scheduled rule, a replay's matches). ``only`` keeps the rules named in it (a replay's
        FilterArns); ``ingested`` is when the event entered the bus (default: now), from which retries
        count its age.
        """
        if names is None:
            names = bus.match_names(event)
            if self.archives.active and "replay-name" not in event:
                self.archives.offer(bus.name, event)
            if not names:
                return names
        table = bus.rules_by_name
        routed = self.metrics.routed
        delivery = self.delivery
        now = ingested
        matched = []
        for name in names:
            rule = table.get(name)
            if rule is None or (only is not None and name not in only):  # removed since the match, or not asked
                continue
            matched.append(name)
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
                    delivery.dispatch(Delivery(rule, target, event, now, 0, ticket))
            # inline deliveries start at ingestion: a latency of 0 ms on the bus's clock
            routed(bus.name, name, delivered, rule.plain_targets)
        return matched

    async def route_async(self, bus: EventBus, event: dict[str, Any]) -> list[str]:
        """Like :meth:`route`, awaiting coroutine targets (all targets of the event run concurrently)."""
        rules = bus.matching_rules(event)
        if self.archives.active and "replay-name" not in event:
            self.archives.offer(bus.name, event)
        now = self.clock.now()
        jobs = []
        for rule in rules:
            self.metrics.routed(bus.name, rule.name, 0, 0)
            for target in rule.targets:
                jobs.append(self.delivery.deliver_async(Delivery(rule, target, event, now)))
        await asyncio.gather(*jobs)
        return [rule.name for rule in rules]


__all__ = ["Router"]
