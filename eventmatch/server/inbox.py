"""The inbox worker: routes the events PutEvents accepted, after PutEvents has answered."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from typing import Any

from ..bus import EventBridge
from ..errors import ResourceNotFoundError
from .state import State

log = logging.getLogger("eventmatch.server")

#: an accepted event: (its number in the state's inbox, its bus's name, the event)
Item = tuple[int, str, dict[str, Any]]

#: how many routed events the inbox remembers for inspection
RECENT = 1000
#: routed events are forgotten (with the deliveries they made written) in one transaction at most this often
#: (seconds), or once this many wait: a transaction per request competed with PutEvents' own for the database
FORGET_EVERY = 0.02
FORGET_AT = 5000
#: under load (events arrived less than this many seconds after the last batch), the worker waits this long
#: before routing, and routes whatever arrived meanwhile in one batch: a thread waking for every request
#: competed with the requests for the interpreter (each hand-over of the GIL cost more than the routing)
BATCH_WAIT = 0.003


class Inbox:
    """A thread that takes accepted events in order, routes each on its bus, and then lets the state forget it."""

    def __init__(self, bridge: EventBridge, state: State) -> None:
        self.bridge = bridge
        self.state = state
        # one item per PutEvents request (its accepted events), None to stop
        self._queue: queue.Queue[list[Item] | None] = queue.Queue()
        self._busy = 0
        self._lock = threading.Lock()
        #: the most recent events routed, with the rules each triggered: (bus, event, rule names)
        self.recent: deque[tuple[str, dict[str, Any], list[str]]] = deque(maxlen=RECENT)
        #: how many events were routed since the start (the console's live tail follows it)
        self.routed_count = 0
        self._thread = threading.Thread(target=self._run, name="eventmatch-inbox", daemon=True)
        self._thread.start()

    def put(self, items: list[Item]) -> None:
        with self._lock:
            self._busy += len(items)
        self._queue.put(items)

    def _run(self) -> None:
        routed: list[int] = []  # routed, not forgotten yet
        last = time.monotonic()  # when the state last forgot what was routed
        woke = 0.0  # when the last batch was taken
        while True:
            try:  # with routed events to forget, wait only until they are due
                items = self._queue.get(timeout=max(FORGET_EVERY - (time.monotonic() - last), 0.0) if routed
                                        else None)
            except queue.Empty:
                items = []
            stop = items is None
            if items and time.monotonic() - woke < BATCH_WAIT:  # under load: let a batch gather
                time.sleep(BATCH_WAIT)
                items, stop = self._gather(items)
            if items:
                woke = time.monotonic()
            for seq, bus_name, event in items or ():
                if self._route(bus_name, event):
                    routed.append(seq)
            if stop:
                self._finish(routed)
                return
            if routed and (time.monotonic() - last >= FORGET_EVERY or len(routed) >= FORGET_AT):
                self._finish(routed)
                routed = []
                last = time.monotonic()

    def _gather(self, items: list[Item]) -> tuple[list[Item], bool]:
        """``items`` and every request's items waiting in the queue after them; True if ``stop`` was among them."""
        batch = list(items)
        while True:
            try:
                more = self._queue.get_nowait()
            except queue.Empty:
                return batch, False
            if more is None:
                return batch, True
            batch.extend(more)

    def _route(self, bus_name: str, event: dict[str, Any]) -> bool:
        """Route one event; False if a defect stopped it (it stays in the inbox, routed again on the next start)."""
        try:
            self.recent.append((bus_name, event, self.bridge.bus(bus_name).publish(event)))
            self.routed_count += 1
        except ResourceNotFoundError:
            pass  # AWS accepts events for a bus that does not exist, and drops them
        except Exception:  # a defect
            log.exception("routing event %s failed", event.get("id"))
            with self._lock:
                self._busy -= 1
            return False
        return True

    def _finish(self, routed: list[int]) -> None:
        if routed:
            self.state.routed(routed)
        with self._lock:
            self._busy -= len(routed)

    def find(self, event_id: str) -> tuple[str, dict[str, Any], list[str]] | None:
        """The latest recent event with this id, as (bus, event, the rules it triggered), or None."""
        return next((found for found in reversed(list(self.recent)) if found[1].get("id") == event_id), None)

    @property
    def waiting(self) -> int:
        """Accepted events not routed yet."""
        return self._busy

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every accepted event has been routed and its deliveries on lanes made (True), or
        ``timeout`` seconds (False)."""
        deadline = time.monotonic() + timeout
        while self._busy:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return self.bridge.delivery.lanes.wait_idle(max(deadline - time.monotonic(), 0.0))

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(10)


__all__ = ["Inbox"]
