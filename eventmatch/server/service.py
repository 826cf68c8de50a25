"""The service layer's state for one account and region, and the registry that holds one per pair.

A :class:`Service` is what the API handlers of both APIs work on: the account and region's
:class:`~eventmatch.EventBridge` and :class:`~eventmatch.scheduler.Scheduler`, the resources the APIs keep
beside them (typed models, each kind in its own module of :mod:`.resources`, by kind in
:meth:`Service.store`), one tag store
(:class:`~eventmatch.bus.tags.TagStore`) and one record of the times and ids a change makes up
(:class:`Facts`). The :class:`Registry` holds a service per (account, region); the wire layer picks one
per request, by the request's signature (:mod:`.sigv4`); an unsigned one gets the default pair
(``eventmatch serve --region`` and ``--account``), which ``Server.bridge`` is.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

from ..bus import EventBridge
from ..bus.tags import TagStore
from .outbound import OutboundPolicy
from .sigv4 import Pair

if TYPE_CHECKING:
    from ..bus.clock import Clock
    from ..scheduler import Scheduler
    from .inbox import Inbox
    from .state import State

#: a kind of store (:class:`~.resources.common.Store`, or another class whose instances start empty)
Kind = TypeVar("Kind")


class Compacts(Protocol):
    """What compacts the command log as it grows (:class:`~.commands.Compactor`)."""

    def soon(self) -> None: ...



class Facts:
    """The times and random ids a change makes up, recorded so that the command log plays it again the same
    way: while a command runs they are appended to ``made`` (logged with it); while the log is played, the
    logged ones are given back in order. Both APIs' handlers take theirs from here."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.made: list[str] = []
        self._given: list[str] | None = None

    def now(self) -> datetime:
        """The time a change happens (the logged one while the log is played again)."""
        if self._given:
            return datetime.fromisoformat(self._given.pop(0))
        now = self.clock.now()
        self.made.append(now.isoformat())
        return now

    def new_id(self, make: Callable[[], str] | None = None) -> str:
        """A random id for the ARNs and ids a change makes up: a UUID's text, or what ``make`` makes (the
        logged one while replaying)."""
        if self._given:
            return self._given.pop(0)
        made = make() if make is not None else str(uuid.uuid4())
        self.made.append(made)
        return made

    def start(self, given: list[str] | None = None) -> None:
        """A command starts: nothing made yet; ``given`` (a logged command's facts) handed back first."""
        self.made = []
        self._given = list(given) if given else None


class Service:
    """One account and region's EventBridge, Scheduler and API resources (see the module's docstring)."""

    def __init__(self, bridge: EventBridge, state: State | None = None, inbox: Inbox | None = None,
                 lock: threading.Lock | None = None) -> None:
        self.bridge = bridge
        self.account = bridge.account
        self.region = bridge.region
        #: where changes are logged and accepted events kept (``eventmatch serve --state``); None: nowhere
        self.state = state
        #: routes accepted events after PutEvents answers; None: PutEvents routes before it answers
        self.inbox = inbox
        #: the server's EventBridge Scheduler for this pair (set by the server once made)
        self.scheduler: Scheduler | None = None
        self._stores: dict[type, object] = {}
        self.tags = TagStore()
        self.facts = Facts(bridge.clock)
        #: changes are made one at a time, under this lock (the server's, shared by every pair)
        self.lock = lock or threading.Lock()
        #: when this API started: the default bus's and the default schedule group's creation time
        self.started = bridge.bus("default").settings.created
        #: where the server's own HTTP calls may go (API destinations, OAuth endpoints): checked at creation too
        self.outbound = OutboundPolicy()
        #: True while the command log is played again on start (creation-time checks of endpoints skipped)
        self.restoring = False
        #: compacts the command log as it grows (see :mod:`.commands`); None: never
        self.compactor: Compacts | None = None
        #: the service of another (account, region) of the same server if it exists (the registry's lookup)
        self.others: Callable[[Pair], Service | None] = lambda pair: None

    def store(self, kind: type[Kind]) -> Kind:
        """This service's store of ``kind`` (its connections: ``svc.store(Connections)``), made empty the first
        time it is asked for."""
        found = self._stores.get(kind)
        if found is None:
            found = self._stores[kind] = kind()
        return found  # type: ignore[return-value]  # made by this very class

    def now(self) -> datetime:
        """The time a change happens (see Facts.now)."""
        return self.facts.now()

    def new_id(self, make: Callable[[], str] | None = None) -> str:
        """A random id a change makes up (see Facts.new_id)."""
        return self.facts.new_id(make)


class Registry:
    """The services of one server, by (account, region); ``default`` is the pair of unsigned requests and of
    ``Server.bridge``. A pair not seen yet gets a new service from ``make`` (None: the default pair only),
    when a request signed for it comes, or the command log names it."""

    def __init__(self, default: Service, make: Callable[[Pair], Service] | None = None) -> None:
        self.default = default
        self.default_pair: Pair = (default.account, default.region)
        self._services: dict[Pair, Service] = {self.default_pair: default}
        self._make = make
        self._lock = threading.Lock()

    def get(self, pair: Pair | None = None) -> Service:
        """The service of ``pair`` (the default one for None), made the first time it is asked for."""
        if pair is None:
            return self.default
        service = self._services.get(pair)
        if service is None:
            if self._make is None:
                return self.default
            with self._lock:
                service = self._services.get(pair)
                if service is None:
                    service = self._make(pair)
                    services = dict(self._services)
                    services[pair] = service
                    self._services = services  # replaced whole: readers on other threads see one or the other
        return service

    def known(self, pair: Pair) -> Service | None:
        """The service of ``pair`` if it exists already (a lookup that makes nothing)."""
        return self._services.get(pair)

    def __iter__(self) -> Iterator[Service]:
        return iter(list(self._services.values()))


__all__ = ["Facts", "Pair", "Registry", "Service"]
