"""Metrics like EventBridge's (namespace AWS/Events), per rule and per bus."""

from __future__ import annotations

import threading
from collections import defaultdict
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

    Names are EventBridge's: MatchedEvents, TriggeredRules, Invocations,
    FailedInvocations, RetryInvocationAttempts, DeadLetterInvocations,
    InvocationsSentToDlq, InvocationsFailedToBeSentToDlq and the
    IngestionToInvocationStartLatency summary.
    """

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str | None, str], int] = defaultdict(int)
        self._summaries: dict[tuple[str, str | None, str], Summary] = defaultdict(Summary)
        self._lock = threading.Lock()

    def count(self, bus: str, rule: str | None, metric: str, n: int = 1) -> None:
        with self._lock:
            self._counts[(bus, rule, metric)] += n
            if rule is not None:
                self._counts[(bus, None, metric)] += n

    def count_many(self, bus: str, rule: str, amounts: tuple[tuple[str, int], ...]) -> None:
        """Count several metrics of one rule at once (one lock for all)."""
        counts = self._counts
        with self._lock:
            for metric, n in amounts:
                counts[(bus, rule, metric)] += n
                counts[(bus, None, metric)] += n

    def observe(self, bus: str, rule: str | None, metric: str, value: float) -> None:
        with self._lock:
            for key in ((bus, rule, metric), (bus, None, metric)) if rule is not None else ((bus, None, metric),):
                s = self._summaries[key]
                s.count += 1
                s.total += value
                s.minimum = min(s.minimum, value)
                s.maximum = max(s.maximum, value)

    def observe_many(self, bus: str, rule: str, metric: str, value: float, n: int) -> None:
        """``n`` observations of the same value."""
        with self._lock:
            for key in ((bus, rule, metric), (bus, None, metric)):
                s = self._summaries[key]
                s.count += n
                s.total += value * n
                s.minimum = min(s.minimum, value)
                s.maximum = max(s.maximum, value)

    def get(self, metric: str, bus: str = "default", rule: str | None = None) -> int:
        """A counter's value (0 if it never counted)."""
        return self._counts.get((bus, rule, metric), 0)

    def summary(self, metric: str, bus: str = "default", rule: str | None = None) -> Summary:
        return self._summaries.get((bus, rule, metric), Summary())

    def snapshot(self) -> dict[str, int]:
        """Every counter as ``{"bus/rule/Metric": n}`` (``bus/*/Metric`` for bus totals)."""
        with self._lock:
            return {f"{b}/{r or '*'}/{m}": n for (b, r, m), n in sorted(self._counts.items(), key=str)}
