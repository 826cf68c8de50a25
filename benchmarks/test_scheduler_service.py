"""EventBridge Scheduler: the cost of an invocation with 100 and with 10,000 schedules.

Every schedule's next invocation waits in one heap, so firing one costs O(log n). Each round fires the
next 1,000 invocations (one schedule in a hundred fires each minute, the rest once a day) on a virtual
clock; compare the two means within one run: the ratio, not the absolute figure, is the result.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from eventmatch import EventBridge, VirtualClock
from eventmatch.scheduler import Scheduler

START = datetime(2026, 1, 1, tzinfo=UTC)
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:f"
ROLE = "arn:aws:iam::123456789012:role/r"


def _loaded(schedules: int) -> tuple[EventBridge, Scheduler]:
    bridge = EventBridge(clock=VirtualClock(START))
    scheduler = Scheduler(bridge, functions={FUNCTION: lambda payload: None})
    target = {"Arn": FUNCTION, "RoleArn": ROLE}
    for i in range(schedules):
        busy = i % 100 == 0
        scheduler.create_schedule(f"s{i}", "rate(1 minute)" if busy else "rate(1 day)", target)
    return bridge, scheduler


@pytest.mark.parametrize("schedules", [100, 10_000])
def test_fire_1000_invocations(benchmark: Any, schedules: int) -> None:
    bridge, _ = _loaded(schedules)
    busy = max(schedules // 100, 1)
    minutes = 1000 // busy  # the busy schedules fire once a minute each: about 1,000 invocations

    def fire() -> int:
        return bridge.advance(timedelta(minutes=minutes))

    ran = benchmark.pedantic(fire, rounds=5, iterations=1)
    assert ran >= 1000 * 0.9
