"""What a transport is: the small protocol that carries one bus beyond one process.

A transport has a producer side (PutEvents and already-built events go onto a
bus), a rules side (one versioned rules document, :mod:`.rules`, shared by all
workers) and a consumer side: workers that read events, route them through
an :class:`~eventmatch.EventBridge` built from the rules document, and
acknowledge an event only once every delivery of it is over (a
:class:`~eventmatch.bus.Ticket` tells them when). The Redis Streams transport
(:mod:`.redis`) is one implementation; another (Kafka, NATS) implements the
same two protocols and reuses :mod:`.rules` as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from .rules import Handler, RulesDocument


@runtime_checkable
class Consumer(Protocol):
    """One worker: reads, routes, delivers, acknowledges (at least once)."""

    def run_once(self) -> int:
        """One round: take the current rules, read a batch, deliver, acknowledge what is done; returns how many
        events were read."""
        ...

    def run(self, stop: Any = None, max_events: int | None = None) -> int:
        """Rounds until ``stop`` (a threading.Event) is set or ``max_events`` were read; returns how many."""
        ...

    def close(self) -> None:
        """Finish due retries, acknowledge what is done and let go of the connection."""
        ...


@runtime_checkable
class Transport(Protocol):
    """One bus (or several) carried across processes."""

    def put_events(self, entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """AWS's PutEvents: validation and response as the service gives them."""
        ...

    def publish(self, event: Mapping[str, Any], bus: str = "default") -> str:
        """Put an already-built event on ``bus``; returns where it was stored."""
        ...

    def put_rules(self, document: Mapping[str, Any]) -> int:
        """Validate and store a new rules document as a whole; returns its version."""
        ...

    def rules(self) -> RulesDocument:
        """The current rules document."""
        ...

    def worker(self, handlers: Mapping[str, Handler], name: str | None = None, **options: Any) -> Consumer:
        """A consumer that delivers to ``handlers`` (names, as the rules document's targets use them)."""
        ...


__all__ = ["Consumer", "Transport"]
