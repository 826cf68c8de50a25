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
    rules.update((f"r{i}", pattern) for i, pattern in enumerate(workload.rules(n_rules)))
    return rules


@pytest.mark.benchmark(group="baseline")
def test_baseline_orjson_loads(benchmark: Any) -> None:
    benchmark(_run_all, orjson.loads, EVENT_BYTES)


@pytest.mark.parametrize("n_rules", [1, 100, 10_000, 100_000])
@pytest.mark.benchmark(group="ruleset-matching-1000-events")
def test_matching_dict_events(benchmark: Any, n_rules: int) -> None:
    benchmark(_run_all, _ruleset(n_rules).matching_set, EVENTS)


@pytest.mark.parametrize("n_rules", [100, 10_000])
@pytest.mark.benchmark(group="ruleset-matching-1000-json-events")
def test_matching_json_events(benchmark: Any, n_rules: int) -> None:
    benchmark(_run_all, _ruleset(n_rules).matching_set, EVENT_BYTES)


def test_workload_matches_something() -> None:
    rules = _ruleset(1000)
    assert sum(len(rules.matching(e)) for e in EVENTS) > 0


@pytest.mark.parametrize("n_rules", [10_000, 100_000])
@pytest.mark.benchmark(group="compile")
def test_compile(benchmark: Any, n_rules: int) -> None:
    from eventmatch.pattern.compile import clear_cache

    patterns = workload.rules(n_rules)

    def build() -> RuleSet:  # the bulk load; one add() at a time is test_add_and_remove_one_rule
        clear_cache()
        rules = RuleSet()
        rules.update((f"r{i}", pattern) for i, pattern in enumerate(patterns))
        return rules

    benchmark.pedantic(build, rounds=1, iterations=1)


@pytest.mark.parametrize("n_rules", [100, 100_000])
@pytest.mark.benchmark(group="add-and-remove-one-rule")
def test_add_and_remove_one_rule(benchmark: Any, n_rules: int) -> None:
    rules = _ruleset(n_rules)
    pattern = {"source": ["com.example.extra"], "detail": {"size": [{"numeric": [">", 5]}]}}

    def add_remove() -> None:
        rules.add("extra", pattern)
        rules.remove("extra")

    benchmark(add_remove)


@pytest.mark.parametrize("n_paths", [10, 100, 1000])
@pytest.mark.benchmark(group="distinct-paths-1000-events")
def test_rules_on_distinct_paths(benchmark: Any, n_paths: int) -> None:
    """One rule a field path: past 64 paths the general path, whose cost follows the event, not the rules."""
    rules = RuleSet()
    rules.update((f"r{i}", pattern) for i, pattern in enumerate(workload.path_rules(n_paths)))
    benchmark(_run_all, rules.matching_set, workload.path_events(1000, n_paths))


@pytest.mark.benchmark(group="rules-added-between-events")
def test_rules_on_new_paths_added_between_events(benchmark: Any) -> None:
    """64 rules, each on a field path of its own three levels deep, each added before the next event (as a
    service adding rules while events flow): the machine does not generate code for every change (ski
    rental, see Machine._deferring). 12.1 s before that, about 0.01 s with it."""
    patterns = workload.path_rules(64)
    events = workload.path_events(64, 64)

    def run() -> None:
        rules = RuleSet()
        for i, (pattern, event) in enumerate(zip(patterns, events, strict=True)):
            rules.add(f"r{i}", pattern)
            rules.matching_set(event)
            rules.matching_set(orjson.dumps(event))

    benchmark.pedantic(run, rounds=3, iterations=1)
