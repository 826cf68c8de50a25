"""The one retry decision of every delivery, rule targets' and Scheduler's alike.

EventBridge and EventBridge Scheduler retry a failed delivery with exponential backoff and full jitter, while
the target's RetryPolicy allows: at most MaximumRetryAttempts retries, and none that would fall after
MaximumEventAgeInSeconds from the event (or the scheduled time).
"""

from __future__ import annotations

import random

BACKOFF_BASE = 1.0  # seconds before the first retry (before jitter)
BACKOFF_CAP = 300.0


def retry_delay(retries: int, maximum_retries: int, age: float, maximum_age: float,
                rng: random.Random) -> float | None:
    """Seconds until the next retry after ``retries`` retries so far, ``age`` seconds after the event; None
    when the policy says give up."""
    delay = rng.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**retries))
    if retries < maximum_retries and age + delay < maximum_age:
        return delay
    return None


__all__ = ["BACKOFF_BASE", "BACKOFF_CAP", "retry_delay"]
