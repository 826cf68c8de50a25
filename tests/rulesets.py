"""Driving a RuleSet through changes and checking its answers against the reference evaluator."""

from __future__ import annotations

import json
from typing import Any

import eventmatch
from tests import reference


def with_removed(rules: list[dict[str, Any]], gone: set[int]) -> eventmatch.RuleSet:
    """A RuleSet given ``rules`` as r0, r1, ..., then with the rules numbered in ``gone`` removed."""
    ruleset = eventmatch.RuleSet()
    for i, pattern in enumerate(rules):
        ruleset.add(f"r{i}", pattern)
    for i in gone:
        ruleset.remove(f"r{i}")
    return ruleset


def expected_matches(rules: list[dict[str, Any]], gone: set[int], event: dict[str, Any]) -> list[str]:
    """The names, in order, of the rules not in ``gone`` that the reference says ``event`` matches."""
    return [f"r{i}" for i, p in enumerate(rules) if i not in gone and reference.matches(p, event)]


def replay(steps: list[tuple[bool, int, dict[str, Any]]], event: dict[str, Any], as_json: bool = False) -> None:
    """Apply (add?, k, pattern) steps to rule rk of one RuleSet (a removal of an absent rule is skipped);
    after each, the RuleSet must match ``event`` (and its JSON bytes) as the reference does."""
    rules = eventmatch.RuleSet()
    live: dict[str, dict[str, Any]] = {}
    data = json.dumps(event).encode()
    for add, k, pattern in steps:
        name = f"r{k}"
        if add:
            rules.add(name, pattern)
            live[name] = pattern
        elif name in live:
            rules.remove(name)
            del live[name]
        expected = sorted(n for n, p in live.items() if reference.matches(p, event))
        assert sorted(rules.matching(event)) == expected
        if as_json:
            assert sorted(rules.matching(data)) == expected
