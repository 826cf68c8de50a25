"""Scheduled rules: the next fire time of every rule with a ScheduleExpression, and firing them.

A rule fires with EventBridge's scheduled event (``source`` ``aws.events``,
``detail-type`` ``Scheduled Event``, the rule's ARN in ``resources``), delivered
through the router like any other event, to that rule alone.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .entries import iso_seconds

if TYPE_CHECKING:
    from .clock import Clock
    from .registry import EventBus, Rule
    from .router import Router


class ScheduledRules:
    """The next fire time of each scheduled rule, by (bus, rule)."""

    def __init__(self, clock: Clock, router: Router, account: str, region: str) -> None:
        self.clock = clock
        self.router = router
        self.account = account
        self.region = region
        self._next: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()

    def arm(self, bus: EventBus, rule: Rule) -> None:
        """A rule was put or enabled: its next fire time counts from now (none without a schedule)."""
        key = (bus.name, rule.name)
        first = rule.schedule.next(self.clock.now()) if rule.schedule is not None and rule.enabled else None
        with self._lock:
            if first is None:
                self._next.pop(key, None)
            else:
                self._next[key] = first.astimezone(UTC)

    def disarm(self, bus: str, rule: str) -> None:
        """A rule was deleted."""
        with self._lock:
            self._next.pop((bus, rule), None)

    def next_fire(self, bus: str, rule: str) -> datetime | None:
        """When the rule fires next (UTC), or None."""
        return self._next.get((bus, rule))

    def next_due(self, now: datetime, buses: dict[str, EventBus]) -> tuple[datetime, Callable[[], None]] | None:
        """The earliest fire time due by ``now``, as (when, the action that fires it), or None."""
        best: tuple[datetime, str, str] | None = None
        with self._lock:
            for (bus, name), when in self._next.items():
                if when <= now and (best is None or when < best[0]):
                    best = (when, bus, name)
        if best is None:
            return None
        when, bus_name, name = best
        found = buses.get(bus_name)
        if found is None:  # the bus is gone
            return when, lambda: self.disarm(bus_name, name)
        return when, lambda: self.fire(found, name, when)

    def fire(self, bus: EventBus, name: str, when: datetime) -> None:
        """Fire rule ``name`` for its time ``when`` and move it on to its next time."""
        key = (bus.name, name)
        rule = bus.rules_by_name.get(name)
        if rule is None or rule.schedule is None or not rule.enabled:
            self.disarm(bus.name, name)
            return
        nxt = rule.schedule.next(when)
        with self._lock:
            if nxt is None:
                self._next.pop(key, None)
            else:
                self._next[key] = nxt.astimezone(UTC)
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
        self.router.route(bus, event, names=[name], ingested=when)


__all__ = ["ScheduledRules"]
