"""What the console needs of the service it shows: the typed interface the server wires it to.

The console knows this interface, not the server: the server builds a :class:`Backend` (its bridge, its
inbox of recent events, its records of deliveries, its Scheduler and a way to run an API action as the wire
runs it) and hands it to :func:`eventmatch.console.routes`. Nothing here imports the server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.requests import Request

from ..bus import EventBridge
from ..scheduler import Scheduler
from .history import MetricsHistory

#: an API action run as the wire runs it (validation, messages, the state's log): (status, answer)
Call = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]


class RecentEvents(Protocol):
    """The events routed lately, and how many have been routed since the start."""

    @property
    def recent(self) -> Sequence[tuple[str, dict[str, Any], list[str]]]: ...

    @property
    def routed_count(self) -> int: ...

    def find(self, event_id: str) -> tuple[str, dict[str, Any], list[str]] | None: ...

    def wait_idle(self, timeout: float = 10.0) -> bool: ...


class Records(Protocol):
    """The attempts to reach targets and the dead letters kept."""

    @property
    def attempts(self) -> list[dict[str, Any]]: ...

    def dead_letters(self, limit: int = 100, seq: int | None = None) -> list[dict[str, Any]]: ...


@dataclass
class Backend:
    """The service behind the console (the app it serves keeps it as ``app.state.console``)."""

    bridge: EventBridge
    events: RecentEvents
    records: Records
    scheduler: Scheduler
    #: runs an API action (only those the console's pages offer)
    call: Call
    #: a rule's target as PutTargets gave it: ((bus, rule), target id) -> its description, or None
    target_spec: Callable[[tuple[str, str], str], Mapping[str, Any] | None]
    #: each redriven dead letter's outcome, by its seq
    redriven: dict[int, str] = field(default_factory=dict)
    #: the metrics sampled for the charts
    history: MetricsHistory = field(init=False)

    def __post_init__(self) -> None:
        self.history = MetricsHistory(self.bridge.metrics)


def _backend(request: Request) -> Backend:
    """The service the console's app serves."""
    backend: Backend = request.app.state.console
    return backend


__all__ = ["Backend", "Call", "RecentEvents", "Records"]
