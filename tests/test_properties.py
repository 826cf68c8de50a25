"""Properties: the compiled machine agrees with the simple reference evaluator."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventmatch
from tests import reference
from tests.strategies import events, patterns

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.lists(patterns, min_size=1, max_size=6), events)
def test_ruleset_matches_exactly_what_the_reference_says(rules: list[dict[str, Any]], event: dict[str, Any]) -> None:
    ruleset = eventmatch.RuleSet()
    for i, pattern in enumerate(rules):
        ruleset.add(f"r{i}", pattern)
    expected = [f"r{i}" for i, pattern in enumerate(rules) if reference.matches(pattern, event)]
    assert ruleset.matching(event) == expected


@SETTINGS
@given(patterns, events)
def test_dict_event_and_its_json_text_agree(pattern: dict[str, Any], event: dict[str, Any]) -> None:
    compiled = eventmatch.compile_pattern(pattern)
    as_dict = compiled.matches(event)
    assert compiled.matches(json.dumps(event)) == as_dict
    assert compiled.matches(json.dumps(event).encode()) == as_dict
    assert eventmatch.compile_pattern(json.dumps(pattern)).matches(event) == as_dict


@SETTINGS
@given(st.lists(patterns, min_size=2, max_size=5), events, st.data())
def test_removing_a_rule_is_the_same_as_never_adding_it(
    rules: list[dict[str, Any]], event: dict[str, Any], data: st.DataObject
) -> None:
    gone = data.draw(st.integers(0, len(rules) - 1))
    full, without = eventmatch.RuleSet(), eventmatch.RuleSet()
    for i, pattern in enumerate(rules):
        full.add(f"r{i}", pattern)
        if i != gone:
            without.add(f"r{i}", pattern)
    full.remove(f"r{gone}")
    assert full.matching(event) == without.matching(event)
