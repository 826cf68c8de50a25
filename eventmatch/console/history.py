"""The metrics over time, for the console's charts: snapshots of the bus's counters taken every
SAMPLE_EVERY seconds by a daemon thread (and whenever the metrics page asks), the last KEEP of them."""

from __future__ import annotations

import itertools
import threading
import time
import weakref
from collections import deque
from typing import Any

SAMPLE_EVERY = 5.0
KEEP = 720  # an hour at one sample every five seconds


class MetricsHistory:
    """Snapshots of a :class:`~eventmatch.bus.metrics.Metrics`, each ``(epoch seconds, {"bus/rule/Metric": n})``.

    The sampling thread holds the metrics weakly and ends when they are gone or :meth:`stop` is called.
    """

    def __init__(self, metrics: Any, every: float = SAMPLE_EVERY, keep: int = KEEP) -> None:
        self._metrics = weakref.ref(metrics)
        self.samples: deque[tuple[float, dict[str, int]]] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self.sample()
        thread = threading.Thread(target=self._run, args=(every,), name="eventmatch-metrics-history", daemon=True)
        thread.start()

    def _run(self, every: float) -> None:
        while not self._stopped.wait(every):
            if not self.sample():
                return

    def sample(self, at_least: float = 0.0) -> bool:
        """Take a snapshot (unless the last is younger than ``at_least`` seconds); False once the metrics are
        gone."""
        metrics = self._metrics()
        if metrics is None:
            return False
        now = time.time()
        with self._lock:
            if self.samples and now - self.samples[-1][0] < at_least:
                return True
            self.samples.append((now, metrics.snapshot()))
        return True

    def stop(self) -> None:
        self._stopped.set()

    def series(self, key_prefix: str, metrics: tuple[str, ...]) -> tuple[list[float], dict[str, list[float]]]:
        """For the counters ``{key_prefix}{metric}``: the sample times (from the second sample on) and, per
        metric, how much it grew since the sample before (a count per interval)."""
        with self._lock:
            samples = list(self.samples)
        times = [t for t, _ in samples[1:]]
        out: dict[str, list[float]] = {}
        for metric in metrics:
            key = key_prefix + metric
            values = [float(s.get(key, 0)) for _, s in samples]
            out[metric] = [b - a for a, b in itertools.pairwise(values)]
        return times, out


__all__ = ["KEEP", "SAMPLE_EVERY", "MetricsHistory"]
