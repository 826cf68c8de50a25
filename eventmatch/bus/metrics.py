"""Metrics like EventBridge's (namespace AWS/Events), per rule and per bus."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict, deque
from dataclasses import dataclass


@dataclass
class Summary:
    """A latency statistic: count, sum, minimum and maximum (milliseconds)."""

    count: int = 0
    total: float = 0.0
    minimum: float = float("inf")
    maximum: float = 0.0

    @property
    def average(self) -> float:
        return self.total / self.count if self.count else 0.0


class Metrics:
    """Counters keyed by (bus, rule, metric); every count also adds to the bus total (rule ``None``).

    Names are EventBridge's: MatchedEvents, TriggeredRules, InvocationsCreated,
    InvocationAttempts, Invocations, FailedInvocations, RetryInvocationAttempts,
    DeadLetterInvocations, InvocationsSentToDlq, InvocationsFailedToBeSentToDlq and the
    IngestionToInvocationStartLatency summary; PutEventsLatency (ms) and
    PutEventsRequestSize (bytes) are summaries of the whole account (``bus=None``), as
    AWS gives them with no dimension.
    """

    #: how many routed-event records may wait before the publishing thread folds them in
    FOLD_AT = 4096

    def __init__(self) -> None:
        self._counts: dict[tuple[str | None, str | None, str], int] = defaultdict(int)
        self._summaries: dict[tuple[str | None, str | None, str], Summary] = defaultdict(Summary)
        self._lock = threading.Lock()
        # The routing hot path appends (bus, rule, inline deliveries, inline attempts) here without a
        # lock (deque.append is atomic); readers fold the records into the counters first.
        self._routed: deque[tuple[str, str, int, int]] = deque()

    def routed(self, bus: str, rule: str, delivered: int, attempted: int) -> None:
        """One event matched ``rule``; ``attempted`` targets were called inline, ``delivered`` of them
        without an error (latency 0 ms).

        Counts MatchedEvents and TriggeredRules; InvocationsCreated and InvocationAttempts per target
        called; Invocations and a latency of 0 ms per delivery.
        """
        routed = self._routed
        routed.append((bus, rule, delivered, attempted))
        if len(routed) > self.FOLD_AT:
            self._fold()

    def _fold(self) -> None:
        routed = self._routed
        counts = self._counts
        summaries = self._summaries
        with self._lock:
            # pop exactly what is there now (appends may go on meanwhile), then tally alike records at C speed
            tally = Counter(routed.popleft() for _ in range(len(routed)))
            for (bus, rule, delivered, attempted), n in tally.items():
                for r in (rule, None):
                    counts[(bus, r, "MatchedEvents")] += n
                    counts[(bus, r, "TriggeredRules")] += n
                    if attempted:
                        counts[(bus, r, "InvocationsCreated")] += attempted * n
                        counts[(bus, r, "InvocationAttempts")] += attempted * n
                    if delivered:
                        counts[(bus, r, "Invocations")] += delivered * n
                        s = summaries[(bus, r, "IngestionToInvocationStartLatency")]
                        s.count += delivered * n
                        s.minimum = min(s.minimum, 0.0)

    def count(self, bus: str | None, rule: str | None, metric: str, n: int = 1) -> None:
        with self._lock:
            self._counts[(bus, rule, metric)] += n
            if rule is not None:
                self._counts[(bus, None, metric)] += n

    def observe(self, bus: str | None, rule: str | None, metric: str, value: float) -> None:
        with self._lock:
            for key in ((bus, rule, metric), (bus, None, metric)) if rule is not None else ((bus, None, metric),):
                s = self._summaries[key]
                s.count += 1
                s.total += value
                s.minimum = min(s.minimum, value)
                s.maximum = max(s.maximum, value)

    def get(self, metric: str, bus: str | None = "default", rule: str | None = None) -> int:
        """A counter's value (0 if it never counted)."""
        self._fold()
        return self._counts.get((bus, rule, metric), 0)

    def summary(self, metric: str, bus: str | None = "default", rule: str | None = None) -> Summary:
        self._fold()
        return self._summaries.get((bus, rule, metric), Summary())

    def snapshot(self) -> dict[str, int]:
        """Every counter as ``{"bus/rule/Metric": n}`` (``bus/*/Metric`` for bus totals, ``*/*/Metric`` for
        the account's)."""
        self._fold()
        with self._lock:
            return {f"{b or '*'}/{r or '*'}/{m}": n for (b, r, m), n in sorted(self._counts.items(), key=str)}
