"""The bus: events routed from publish() through 100 rules to no-op callables, next to bare matching.

Compare the two groups' means within one run (``make bench``).
"""

from __future__ import annotations

import gc
from typing import Any

import pytest

from benchmarks import workload
from eventmatch import EventBridge, RuleSet, VirtualClock

EVENTS = workload.events(2000)
gc.collect()
gc.freeze()


def _noop(payload: Any) -> None:
    return None


def _bridge(n_rules: int) -> tuple[EventBridge, RuleSet]:
    bridge = EventBridge(clock=VirtualClock())
    bus = bridge.bus()
    rules = RuleSet()
    for i, pattern in enumerate(workload.rules(n_rules)):
        bus.put_rule(f"r{i}", pattern)
        bus.put_targets(f"r{i}", [{"Id": "noop", "Fn": _noop}])
        rules.add(f"r{i}", pattern)
    return bridge, rules


def _run(fn: Any, items: list[Any]) -> int:
    n = 0
    for item in items:
        n += len(fn(item))
    return n


@pytest.mark.benchmark(group="bus-100-rules")
def test_bare_ruleset_matching(benchmark: Any) -> None:
    _, rules = _bridge(100)
    benchmark(_run, rules.matching, EVENTS)


@pytest.mark.benchmark(group="bus-100-rules")
def test_publish_to_noop_targets(benchmark: Any) -> None:
    bridge, _ = _bridge(100)
    delivered = benchmark(_run, bridge.bus().publish, EVENTS)
    assert delivered > 0


DELIVERING = [{"source": "com.example.bench", "detail-type": "t", "detail": {"n": i % 100}} for i in range(2000)]


def _delivering_bridge() -> tuple[EventBridge, RuleSet]:
    """100 rules; every event matches exactly one of them, so every event is delivered once."""
    bridge = EventBridge(clock=VirtualClock())
    bus = bridge.bus()
    rules = RuleSet()
    for i in range(100):
        pattern = {"source": ["com.example.bench"], "detail": {"n": [i]}}
        bus.put_rule(f"r{i}", pattern)
        bus.put_targets(f"r{i}", [{"Id": "noop", "Fn": _noop}])
        rules.add(f"r{i}", pattern)
    return bridge, rules


@pytest.mark.benchmark(group="bus-100-rules-every-event-delivered")
def test_bare_matching_every_event_matches(benchmark: Any) -> None:
    _, rules = _delivering_bridge()
    assert benchmark(_run, rules.matching, DELIVERING) == len(DELIVERING)


@pytest.mark.benchmark(group="bus-100-rules-every-event-delivered")
def test_publish_every_event_delivered(benchmark: Any) -> None:
    bridge, _ = _delivering_bridge()
    assert benchmark(_run, bridge.bus().publish, DELIVERING) == len(DELIVERING)
