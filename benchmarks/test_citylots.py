"""The fourteen rule types of AWS's reference benchmark on citylots-shaped events.

Run with ``make bench``; compare each row with the ``orjson.loads`` baseline of
the same run. ``make perf`` runs the same workload interleaved with AWS's Java
event-ruler and Go quamina and writes docs/performance.md.
"""

from __future__ import annotations

import gc
from typing import Any

import orjson
import pytest

from benchmarks import citylots
from eventmatch import RuleSet

N_EVENTS = 20_000
LINES = citylots.event_lines(N_EVENTS)
DICTS = [orjson.loads(line) for line in LINES]
gc.collect()
gc.freeze()  # the inputs stay alive for the whole run; keep the cyclic collector off them


def _ruleset(kind: str) -> RuleSet:
    rules = RuleSet()
    for i, pattern in enumerate(citylots.RULE_TYPES[kind]):
        rules.add(f"{kind}-{i}", pattern)
    return rules


def _count(matching: Any, items: list[Any]) -> int:
    n = 0
    for item in items:
        n += len(matching(item))
    return n


def _parse_all(items: list[bytes]) -> None:
    loads = orjson.loads
    for item in items:
        loads(item)


@pytest.mark.benchmark(group="citylots-baseline")
def test_baseline_orjson_loads(benchmark: Any) -> None:
    benchmark.pedantic(_parse_all, args=(LINES,), rounds=3, iterations=1)


@pytest.mark.parametrize("form", ["json", "dict", "json-ordered"])
@pytest.mark.parametrize("kind", list(citylots.RULE_TYPES))
def test_rule_type(benchmark: Any, kind: str, form: str) -> None:
    """``matching_set`` (unordered, as the anchors answer); ``json-ordered`` is ``matching``, which sorts."""
    rules = _ruleset(kind)
    benchmark.group = f"citylots-{form}"
    benchmark.extra_info["events"] = N_EVENTS
    fn = rules.matching if form == "json-ordered" else rules.matching_set
    matches = benchmark.pedantic(_count, args=(fn, DICTS if form == "dict" else LINES), rounds=3)
    assert matches > 0


def test_every_rule_matches_some_events_and_both_forms_agree() -> None:
    for kind in citylots.RULE_TYPES:
        rules = _ruleset(kind)
        per_rule: dict[str, int] = {}
        for line, event in zip(LINES[:2000], DICTS[:2000], strict=True):
            found = rules.matching(line)
            assert found == rules.matching(event)
            assert set(found) == rules.matching_set(line) == rules.matching_set(event)
            for name in found:
                per_rule[name] = per_rule.get(name, 0) + 1
        assert per_rule, kind
