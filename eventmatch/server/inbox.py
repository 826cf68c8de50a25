"""The inbox worker: routes the events PutEvents accepted, after PutEvents has answered.

An accepted event stays in the state until each of its deliveries is final (delivered, dead-lettered or
dropped by its policy): a :class:`~eventmatch.bus.tickets.Ticket` per event says when. A restart routes
again what was not final (at least once: a target that had its delivery may get it again), so neither a
delivery waiting on a lane nor one waiting for a retry is lost to a kill -9. A delivery that was waiting for
a retry resumes at that retry: its attempt number, its due time and its event's age are in the state too
(:class:`Journal`), written with the next batch (a kill within those milliseconds starts it again).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..bus import EventBridge
from ..bus.delivery import Resumed
from ..bus.tickets import Ticket
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
        self.journal = bridge.delivery.journal = Journal(state)
        #: the bridge and bus an accepted event is routed on, from its bus (a name, or another account's bus's
        #: ARN) and the event (its account's and region's bridge: see wiring); and every bridge
        self.bridge_of: Callable[[str, dict[str, Any]], tuple[EventBridge, str]] = lambda bus, event: (bridge, bus)
        self.bridges: Callable[[], list[EventBridge]] = lambda: [bridge]
        #: shown each routed event (schema discovery on the server: ``eventmatch serve --discover``), or None
        self.observe: Callable[[dict[str, Any]], None] | None = None
        #: shown each routed event with the bridge and bus it was routed on (Schemas' discoverers), or None
        self.watch: Callable[[EventBridge, str, dict[str, Any]], None] | None = None
        # one item per PutEvents request (its accepted events), None to stop
        self._queue: queue.Queue[list[Item] | None] = queue.Queue()
        self._busy = 0
        self._lock = threading.Lock()
        #: the most recent events routed, with the rules each triggered: (bus, event, rule names)
        self.recent: deque[tuple[str, dict[str, Any], list[str]]] = deque(maxlen=RECENT)
        #: how many events were routed since the start (the console's live tail follows it)
        self.routed_count = 0
        #: the same, for each (account, region) the events were routed in (see view)
        self.recent_of: dict[tuple[str, str], deque[tuple[str, dict[str, Any], list[str]]]] = {}
        self.routed_of: dict[tuple[str, str], int] = {}
        #: the requests whose every event's every delivery is final (their events' numbers), to be forgotten
        self._final: deque[list[int]] = deque()
        self._thread = threading.Thread(target=self._run, name="eventmatch-inbox", daemon=True)
        self._thread.start()

    def put(self, items: list[Item]) -> None:
        """Route ``items``, the events of one request (or of many, on start): the state forgets them together,
        once the last of them is final (it forgets whole requests: one whose events became final apart,
        some now and some after a retry, would otherwise never be forgotten)."""
        with self._lock:
            self._busy += len(items)
        self._queue.put(items)

    def _run(self) -> None:
        last = time.monotonic()  # when the state last forgot what was final
        woke = 0.0  # when the last batch was taken
        while True:
            got: list[Item] | None
            try:  # with final events to forget, wait only until they are due
                got = self._queue.get(timeout=max(FORGET_EVERY - (time.monotonic() - last), 0.0)
                                      if self._final or self.state.unwritten else FORGET_EVERY * 10)
            except queue.Empty:
                got = []
            stop = got is None
            items: list[list[Item]] = [got] if got else []
            if got and time.monotonic() - woke < BATCH_WAIT:  # under load: let a batch gather
                time.sleep(BATCH_WAIT)
                items, stop = self._gather(got)
            if items:
                woke = time.monotonic()
                for request in items:
                    group = _Group([seq for seq, _, _ in request], self._final)
                    for seq, bus_name, event in request:
                        self._route(group, seq, bus_name, event)
                with self._lock:
                    self._busy -= sum(len(request) for request in items)
                if self.bridge.delivery.resumed:  # the start's batch (the first) is routed: what it did not
                    for bridge in self.bridges():  # claim (a rule or target gone since) is dropped
                        bridge.delivery.resumed = {}
            if stop:
                self._forget()
                return
            if (self._final or self.state.unwritten) and (time.monotonic() - last >= FORGET_EVERY
                                                          or len(self._final) >= FORGET_AT):
                self._forget()
                last = time.monotonic()

    def _gather(self, first: list[Item]) -> tuple[list[list[Item]], bool]:
        """``first`` and every request waiting in the queue after it; True if ``stop`` was among them."""
        batch = [first]
        while True:
            try:
                more = self._queue.get_nowait()
            except queue.Empty:
                return batch, False
            if more is None:
                return batch, True
            batch.append(more)

    def _route(self, group: _Group, seq: int, bus_name: str, event: dict[str, Any]) -> None:
        """Route one event of ``group``; once its every delivery is final, the group is told. A defect that
        stops the routing leaves it in the inbox (and its group), routed again on the next start."""
        ticket = Ticket(group.one_final, seq)
        try:
            bridge, name = self.bridge_of(bus_name, event)
            routed = (name, event, bridge.route(event, name, ticket))
            self.recent.append(routed)
            self.routed_count += 1
            pair = (bridge.account, bridge.region)
            kept = self.recent_of.get(pair)
            if kept is None:
                kept = self.recent_of[pair] = deque(maxlen=RECENT)
            kept.append(routed)
            self.routed_of[pair] = self.routed_of.get(pair, 0) + 1
            if self.observe is not None:
                self.observe(event)
            if self.watch is not None:
                self.watch(bridge, name, event)
        except ResourceNotFoundError:
            pass  # AWS accepts events for a bus that does not exist, and drops them (the ticket is sealed)
        except Exception:  # a defect
            log.exception("routing event %s failed", event.get("id"))
            ticket.on_done = _nothing  # not final: kept for the next start

    def _forget(self) -> None:
        """Let the state forget the requests whose events' deliveries are all final."""
        done: list[int] = []
        while self._final:
            done.extend(self._final.popleft())
        if done:
            self.state.routed(done)
        elif self.state.unwritten:
            self.state.flush()

    def view(self, pair: tuple[str, str]) -> PairEvents:
        """The recent events routed in one account and region (what the console shows of that pair)."""
        return PairEvents(self, pair)

    def find(self, event_id: str) -> tuple[str, dict[str, Any], list[str]] | None:
        """The latest recent event with this id, as (bus, event, the rules it triggered), or None."""
        return next((found for found in reversed(list(self.recent)) if found[1].get("id") == event_id), None)

    @property
    def waiting(self) -> int:
        """Accepted events not routed yet, or routed and not yet forgotten by the state."""
        return self._busy + sum(len(seqs) for seqs in list(self._final))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every accepted event has been routed and its deliveries on lanes made (True), or
        ``timeout`` seconds (False)."""
        deadline = time.monotonic() + timeout
        while self._busy:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return all(bridge.delivery.lanes.wait_idle(max(deadline - time.monotonic(), 0.0))
                   for bridge in self.bridges())

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(10)


class PairEvents:
    """The inbox's recent events routed in one (account, region), with the same reads as the inbox's own."""

    __slots__ = ("inbox", "pair")

    def __init__(self, inbox: Inbox, pair: tuple[str, str]) -> None:
        self.inbox, self.pair = inbox, pair

    @property
    def recent(self) -> deque[tuple[str, dict[str, Any], list[str]]]:
        return self.inbox.recent_of.get(self.pair) or deque()

    @property
    def routed_count(self) -> int:
        return self.inbox.routed_of.get(self.pair, 0)

    def find(self, event_id: str) -> tuple[str, dict[str, Any], list[str]] | None:
        return next((found for found in reversed(list(self.recent)) if found[1].get("id") == event_id), None)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        return self.inbox.wait_idle(timeout)


def _nothing() -> None:
    pass


class Journal:
    """The delivery engine's retries of the server's accepted events, kept in the state (see the module)."""

    __slots__ = ("state",)

    def __init__(self, state: State) -> None:
        self.state = state

    @staticmethod
    def _key(key: int, rule: tuple[str, str], target_id: str) -> str:
        return json.dumps([key, *rule, target_id])

    def waiting(self, key: int, rule: tuple[str, str], target_id: str, attempt: int, due: datetime,
                ingested: datetime) -> None:
        self.state.pend(self._key(key, rule, target_id), {"attempt": attempt, "due": due.isoformat(),
                                                         "ingested": ingested.isoformat()}, key)

    def settled(self, key: int, rule: tuple[str, str], target_id: str) -> None:
        self.state.settle(self._key(key, rule, target_id))

    def resumed(self) -> Resumed:
        """The retries a restart resumes, from the state (see DeliveryEngine.resumed)."""
        found: Resumed = {}
        for key, seq, record in self.state.pending():
            if seq is None:
                continue  # Scheduler's (see scheduler_api)
            event, bus, rule, target_id = json.loads(key)
            found[(event, (bus, rule), target_id)] = (int(record["attempt"]), datetime.fromisoformat(record["due"]),
                                                     datetime.fromisoformat(record["ingested"]))
        return found


class _Group:
    """The events of one request: when the last of them is final, their numbers go to ``final``."""

    __slots__ = ("_left", "_lock", "final", "seqs")

    def __init__(self, seqs: list[int], final: deque[list[int]]) -> None:
        self.seqs = seqs
        self.final = final
        self._left = len(seqs)
        self._lock = threading.Lock()

    def one_final(self) -> None:
        with self._lock:
            self._left -= 1
            done = self._left == 0
        if done:
            self.final.append(self.seqs)


__all__ = ["Inbox"]
