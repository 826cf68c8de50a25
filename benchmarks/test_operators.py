"""Many rules of one operator on one field (``benchmarks/operators.py``), in the pytest-benchmark suite:
10 and 1,000 rules per operator on 2,000 small JSON events, beside ``orjson.loads`` of the same events as
the same-run baseline. ``make perf`` runs the full table (10 to 10,000 rules, with the anchors)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from benchmarks import operators
from eventmatch import RuleSet

EVENTS = {n: operators.events(2000, n) for n in (10, 1000)}


def _run_all(fn: Any, items: list[Any]) -> None:
    for item in items:
        fn(item)


@pytest.mark.benchmark(group="operators-baseline")
def test_baseline_orjson_loads(benchmark: Any) -> None:
    benchmark(_run_all, orjson.loads, EVENTS[10])


@pytest.mark.parametrize("n_rules", [10, 1000])
@pytest.mark.parametrize("operator", operators.OPERATORS)
@pytest.mark.benchmark(group="operators-2000-json-events")
def test_many_rules_of_one_operator(benchmark: Any, operator: str, n_rules: int) -> None:
    rules = RuleSet()
    rules.update((f"r-{i}", p) for i, p in enumerate(operators.rules(operator, n_rules)))
    # the anything-but forms match nearly every rule: 200 events at 1,000 rules
    lines = EVENTS[n_rules][: 200 if operator.startswith("anything-but") and n_rules > 100 else None]
    benchmark(_run_all, rules.matching_set, lines)
