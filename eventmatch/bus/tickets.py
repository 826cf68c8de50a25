"""Tickets: how a transport learns that every delivery of one routed event is over."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class Ticket:
    """Tells when every delivery of one routed event is done: delivered, dead-lettered or dropped.

    A transport that must acknowledge an event only once its deliveries are
    over passes a ticket to :meth:`EventBridge.route`; ``on_done`` runs once,
    from whichever thread finishes the last delivery (possibly a retry, much
    later), or at once if nothing was left outstanding.
    """

    __slots__ = ("_lock", "_outstanding", "_sealed", "key", "on_done")

    def __init__(self, on_done: Callable[[], Any], key: int | None = None) -> None:
        # the lock is made by the first acquire(): most events' deliveries are all inline, and then routing
        # only seals the ticket (every acquire() happens on the routing thread, before seal(), and before the
        # release() of its own delivery, so the lock exists before any other thread needs it)
        self._lock: threading.Lock | None = None
        self._outstanding = 0
        self._sealed = False
        self.on_done = on_done
        #: the event's number in a durable store (the server's inbox), which a retry journal files its
        #: pending retries under (see DeliveryEngine.journal); None: not kept anywhere
        self.key = key

    def acquire(self) -> None:
        if self._lock is None:
            self._lock = threading.Lock()
        with self._lock:
            self._outstanding += 1

    def release(self) -> None:
        assert self._lock is not None, "release() without acquire()"
        with self._lock:
            self._outstanding -= 1
            fire = self._sealed and self._outstanding == 0
        if fire:
            self.on_done()

    def seal(self) -> None:
        """Routing is over: no more deliveries will be added."""
        if self._lock is None:  # nothing was acquired: done now
            self._sealed = True
            self.on_done()
            return
        with self._lock:
            self._sealed = True
            fire = self._outstanding == 0
        if fire:
            self.on_done()

    @property
    def outstanding(self) -> int:
        return self._outstanding


__all__ = ["Ticket"]
