"""Per-event cost with the matches per event held equal (``benchmarks/held_equal.py``), in the
pytest-benchmark suite: 100 and 100,000 rules of ``workload.one_match_rules``, 2,000 events each matching
exactly one rule, beside ``orjson.loads`` of the same events as the same-run baseline."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from benchmarks import workload
from benchmarks.report import ruleset

SIZES = (100, 100_000)


def _run_all(fn: Any, items: list[Any]) -> None:
    for item in items:
        fn(item)


@pytest.fixture(scope="module")
def cases() -> dict[int, tuple[Any, list[bytes]]]:
    built = {}
    for n in SIZES:
        rules = ruleset(workload.one_match_rules(n))
        lines = [orjson.dumps(e) for e in workload.one_match_events(n, 2000)]
        assert all(len(rules.matching_set(line)) == 1 for line in lines)
        built[n] = (rules, lines)
    return built


@pytest.mark.benchmark(group="held-equal")
def test_baseline_orjson_loads(benchmark: Any, cases: dict[int, tuple[Any, list[bytes]]]) -> None:
    benchmark(_run_all, orjson.loads, cases[100][1])


@pytest.mark.parametrize("n_rules", SIZES)
@pytest.mark.benchmark(group="held-equal")
def test_one_match_an_event(benchmark: Any, cases: dict[int, tuple[Any, list[bytes]]], n_rules: int) -> None:
    rules, lines = cases[n_rules]
    benchmark(_run_all, rules.matching_set, lines)
