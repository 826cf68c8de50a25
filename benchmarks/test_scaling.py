"""Matching cost against the number of rules, with orjson.loads as the same-run baseline.

Run with ``make bench``. Compare each group's mean with the ``baseline`` row of
the same run: the machine is shared and its speed swings.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from benchmarks import workload
from eventmatch import RuleSet

EVENTS = workload.events(1000)
EVENT_BYTES = [orjson.dumps(e) for e in EVENTS]


def _run_all(fn: Any, items: list[Any]) -> None:
    for item in items:
        fn(item)


def _ruleset(n_rules: int) -> RuleSet:
    rules = RuleSet()
    for i, pattern in enumerate(workload.rules(n_rules)):
        rules.add(f"r{i}", pattern)
    return rules


@pytest.mark.benchmark(group="baseline")
def test_baseline_orjson_loads(benchmark: Any) -> None:
    benchmark(_run_all, orjson.loads, EVENT_BYTES)


@pytest.mark.parametrize("n_rules", [10, 1_000, 10_000])
@pytest.mark.benchmark(group="ruleset-matching-1000-events")
def test_matching_dict_events(benchmark: Any, n_rules: int) -> None:
    benchmark(_run_all, _ruleset(n_rules).matching, EVENTS)


@pytest.mark.parametrize("n_rules", [10, 10_000])
@pytest.mark.benchmark(group="ruleset-matching-1000-json-events")
def test_matching_json_events(benchmark: Any, n_rules: int) -> None:
    benchmark(_run_all, _ruleset(n_rules).matching, EVENT_BYTES)


def test_workload_matches_something() -> None:
    rules = _ruleset(1000)
    assert sum(len(rules.matching(e)) for e in EVENTS) > 0
