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

#: how many routed events the inbox remembers for inspection
RECENT = 1000


class Inbox:
    """A thread that takes accepted events in order, routes each on its bus, and then lets the state forget it."""

    def __init__(self, bridge: EventBridge, state: State) -> None:
        self.bridge = bridge
        self.state = state
        self._queue: queue.Queue[tuple[int, str, dict[str, Any]] | None] = queue.Queue()
        self._busy = 0
        self._lock = threading.Lock()
        #: the most recent events routed, with the rules each triggered: (bus, event, rule names)
        self.recent: deque[tuple[str, dict[str, Any], list[str]]] = deque(maxlen=RECENT)
        self._thread = threading.Thread(target=self._run, name="eventmatch-inbox", daemon=True)
        self._thread.start()

    def put(self, items: list[tuple[int, str, dict[str, Any]]]) -> None:
        with self._lock:
            self._busy += len(items)
        for item in items:
            self._queue.put(item)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < 256:  # what else is waiting: routed together, forgotten in one transaction
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            routed: list[int] = []
            for item in batch:
                if item is None:
                    self._finish(routed)
                    return
                seq, bus_name, event = item
                try:
                    self.recent.append((bus_name, event, self.bridge.bus(bus_name).publish(event)))
                except ResourceNotFoundError:
                    pass  # AWS accepts events for a bus that does not exist, and drops them
                except Exception:  # a defect: the event stays in the inbox, routed again on the next start
                    log.exception("routing event %s failed", event.get("id"))
                    with self._lock:
                        self._busy -= 1
                    continue
                routed.append(seq)
            self._finish(routed)

    def _finish(self, routed: list[int]) -> None:
        if routed:
            self.state.routed(routed)
        with self._lock:
            self._busy -= len(routed)

    @property
    def waiting(self) -> int:
        """Accepted events not routed yet."""
        return self._busy

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every accepted event has been routed (True), or ``timeout`` seconds (False)."""
        deadline = time.monotonic() + timeout
        while self._busy:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(10)


__all__ = ["Inbox"]
