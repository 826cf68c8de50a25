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


#: the cookie that says which account and region the console shows ("ACCOUNT:REGION"; the picker sets it)
PAIR_COOKIE = "eventmatch_pair"


@dataclass
class Consoles:
    """The console's services: a :class:`Backend` per account and region of the server (the app keeps this as
    ``app.state.console``); a page shows the pair its request's ``eventmatch_pair`` cookie names, the default
    pair's without one (or for a pair the server does not hold)."""

    default: Backend
    #: the default pair, (account, region)
    default_pair: tuple[str, str]
    #: the Backend of a pair the server holds, None for another
    of: Callable[[tuple[str, str]], Backend | None]
    #: every pair the server holds, the default first
    pairs: Callable[[], list[tuple[str, str]]]

    def chosen(self, request: Request) -> tuple[tuple[str, str], Backend]:
        """The pair a request's cookie names, and its Backend (the default's when it names none held)."""
        wanted = request.cookies.get(PAIR_COOKIE, "")
        account, _, region = wanted.partition(":")
        backend = self.of((account, region)) if region else None
        if backend is None:
            return self.default_pair, self.default
        return (account, region), backend


def _backend(request: Request) -> Backend:
    """The service the console's app serves: the pair the page asks for (see Consoles)."""
    console: Backend | Consoles = request.app.state.console
    return console.chosen(request)[1] if isinstance(console, Consoles) else console


__all__ = ["PAIR_COOKIE", "Backend", "Call", "Consoles", "RecentEvents", "Records"]
