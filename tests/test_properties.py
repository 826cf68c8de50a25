"""Properties: the compiled machine agrees with the simple reference evaluator."""

from __future__ import annotations

import contextlib
import json
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventmatch
from eventmatch.pattern import anchors as anchors_module
from tests import reference
from tests.rulesets import expected_matches, replay, with_removed
from tests.strategies import CONDITIONS, SCALARS, events, patterns

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


SHARED_ANCHOR = {"a": ["x"]}  # an exact string many rules share: their sub-rules form one anchor group

# groups below GROUP_SPLIT_AT members check each member through its plan, larger ones are split by a
# second field: the group tests draw one of these (1,000: never split), so that both ways meet groups of
# every size
SPLIT_AT = st.sampled_from([2, anchors_module.GROUP_SPLIT_AT, 16, 1000])
# ... and a split group files the members of a second field in a FewIndex up to FEW_MAX distinct matchers,
# then in a FieldIndex: 0 (always a FieldIndex), 1 and the default (both, as they grow), 1,000 (never)
FEW_MAX = st.sampled_from([0, 1, anchors_module.FEW_MAX, 1000])


def splitting_at(n: int, few: int | None = None) -> Any:
    patch = mock.patch.object(anchors_module, "GROUP_SPLIT_AT", n)
    if few is None:
        return patch
    both = contextlib.ExitStack()
    both.enter_context(patch)
    both.enter_context(mock.patch.object(anchors_module, "FEW_MAX", few))
    return both


# half the examples of the others: each builds a set of up to 40 rules and removes some (the slowest test
# of the suite, 86 s of it on a slow day)
@settings(SETTINGS, max_examples=200)
@given(st.lists(patterns, min_size=10, max_size=40), events, st.data(), SPLIT_AT, FEW_MAX)
def test_rules_sharing_an_anchor_match_and_remove_like_the_reference(
    rules: list[dict[str, Any]], event: dict[str, Any], data: st.DataObject, split_at: int, few: int
) -> None:
    """Many rules with one common exact field: the group they share is split by a second field once it
    is large; matching, and removing rules from it, must still agree with the reference."""
    seconds = data.draw(st.lists(st.sampled_from([None, "x", "xy", "X"]), min_size=len(rules), max_size=len(rules)))
    # most get a second exact field too, so the group is split by it
    rules = [{**r, **SHARED_ANCHOR, **({"b": [b]} if b is not None else {})} for r, b in zip(rules, seconds, strict=True)]
    if data.draw(st.booleans()):
        event = {**event, "a": "x"}
    gone = set(data.draw(st.lists(st.integers(0, len(rules) - 1), max_size=len(rules) // 2)))
    with splitting_at(split_at, few):
        ruleset = with_removed(rules, gone)
    assert ruleset.matching(event) == expected_matches(rules, gone, event)


_ELEMENT = st.fixed_dictionaries(
    {"a": st.one_of(st.just("x"), st.just("y"), st.lists(st.sampled_from(["x", "y"]), max_size=2))},
    optional={"b": st.one_of(SCALARS, st.lists(SCALARS, max_size=3))},
)


@SETTINGS
@given(
    st.lists(st.tuples(st.lists(CONDITIONS, min_size=1, max_size=2), st.booleans()), min_size=4, max_size=16),
    st.one_of(_ELEMENT, st.lists(_ELEMENT, min_size=1, max_size=4)),
    st.data(),
    SPLIT_AT,
    FEW_MAX,
)
def test_two_field_members_of_a_group_agree_with_the_reference_inside_arrays(
    seconds: list[tuple[list[Any], bool]], c: Any, data: st.DataObject, split_at: int, few: int
) -> None:
    """Rules of two fields sharing one anchor (``c.a`` = "x"): a split group takes a look-up hit on the
    second field as a match, unless both values come from arrays, whose positions must then agree."""
    rules = [
        {"c": {"a": ["x"], "b": conditions}} if nested else {"c": {"a": ["x"]}, "b": conditions}
        for conditions, nested in seconds
    ]
    event = {"c": c, "b": data.draw(st.one_of(SCALARS, st.lists(SCALARS, max_size=3)))}
    gone = set(data.draw(st.lists(st.integers(0, len(rules) - 1), max_size=len(rules) // 3)))
    with splitting_at(split_at, few):
        ruleset = with_removed(rules, gone)
    expected = expected_matches(rules, gone, event)
    assert ruleset.matching(event) == expected
    assert ruleset.matching(json.dumps(event)) == expected


_SHAPES = st.sampled_from(
    [
        {"a": ["x"]},  # one field: never grouped
        {"a": ["x"], "b": ["x"]},
        {"a": ["x"], "b": [{"prefix": "x"}]},
        {"a": ["x"], "b": [{"numeric": [">", 0]}], "c": ["xy"]},
        {"a": ["x", "xy"], "b": ["x"]},  # two anchor values: indexed alone, never grouped
        {"a": ["x"], "b": [{"exists": False}]},
        {"b": ["x"], "a": ["x"]},
    ]
)


@SETTINGS
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 11), _SHAPES), min_size=1, max_size=30), events, SPLIT_AT)
def test_adding_and_removing_around_one_anchor_value_agrees_with_the_reference(
    steps: list[tuple[bool, int, dict[str, Any]]], event: dict[str, Any], split_at: int
) -> None:
    """Rules come and go on one anchor value: alone, grouped (from the second), crowded by one-field
    rules; after every step the machine answers as the reference does."""
    with splitting_at(split_at):
        replay(steps, {**event, "a": "x"})


@SETTINGS
@given(
    st.lists(st.tuples(st.lists(CONDITIONS, min_size=1, max_size=2), st.lists(CONDITIONS, max_size=2)), min_size=2, max_size=12),
    events,
    st.data(),
)
def test_members_checked_through_their_plans_agree_with_the_reference(
    members: list[tuple[list[Any], list[Any]]], event: dict[str, Any], data: st.DataObject
) -> None:
    """A group below GROUP_SPLIT_AT members (here any group: none splits) tests each member's other fields
    through its plan (exact, prefix, numeric ranges on and off their bounds, anything-but, any other
    matcher) or in full (a field that may be absent, several matchers of other kinds): every member of one
    and two further fields."""
    rules = [{"a": ["x"], "b": b, **({"c": c} if c else {})} for b, c in members]
    event = {**event, "a": "x", "b": data.draw(st.one_of(SCALARS, st.lists(SCALARS, max_size=3)))}
    if data.draw(st.booleans()):
        event["c"] = data.draw(st.one_of(SCALARS, st.lists(SCALARS, max_size=3)))
    gone = set(data.draw(st.lists(st.integers(0, len(rules) - 1), max_size=len(rules) // 3)))
    with splitting_at(1000):
        ruleset = with_removed(rules, gone)
    expected = expected_matches(rules, gone, event)
    group = next(iter(ruleset._machine.groups.values()), None)
    assert group is None or not group.split
    assert ruleset.matching(event) == expected
    assert ruleset.matching(json.dumps(event)) == expected


@pytest.mark.parametrize(("split_at", "few"), [(anchors_module.GROUP_SPLIT_AT, anchors_module.FEW_MAX), (anchors_module.GROUP_SPLIT_AT, 0), (1000, 0)])
def test_a_thousand_rules_on_a_small_vocabulary_agree_with_the_reference(
    split_at: int, few: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seeded and larger than the hypothesis tests: about a thousand rules over four fields and five
    values, added, replaced and removed, so that anchor groups grow through several refilings, values
    get crowded and lone anchors join groups; dict and JSON answers are checked along the way."""
    import random

    monkeypatch.setattr(anchors_module, "GROUP_SPLIT_AT", split_at)
    monkeypatch.setattr(anchors_module, "FEW_MAX", few)
    rnd = random.Random(20261129)
    values = ["x", "y", "z", "xy", "X"]

    def condition() -> Any:
        kind = rnd.randrange(8)
        if kind < 3:
            return rnd.choice(values)
        return [
            {"prefix": rnd.choice(["x", "y", ""])},
            {"numeric": [">", rnd.randrange(5)]},
            {"anything-but": rnd.choice(values)},
            {"exists": rnd.random() < 0.7},
            rnd.randrange(4),
        ][kind - 3]

    def pattern() -> dict[str, Any]:
        return {
            name: {"e": [condition()]} if rnd.random() < 0.2 else [condition() for _ in range(rnd.randrange(1, 3))]
            for name in rnd.sample(["a", "b", "c", "d"], rnd.randrange(1, 4))
        }

    def value() -> Any:
        return [
            lambda: rnd.randrange(5),
            lambda: [rnd.choice(values) for _ in range(rnd.randrange(3))],
            lambda: {"e": rnd.choice([*values, 1, 3])},
            lambda: [{"e": rnd.choice(values)} for _ in range(2)],
            lambda: rnd.choice(values),
        ][rnd.randrange(5)]()

    ruleset = eventmatch.RuleSet()
    live: dict[str, dict[str, Any]] = {}
    for step in range(1, 2001):
        name = f"r{rnd.randrange(1200)}"
        if name in live and rnd.random() < 0.3:
            ruleset.remove(name)
            del live[name]
        else:
            live[name] = pattern()
            ruleset.add(name, live[name])
        if step % 200 == 0:
            for _ in range(10):
                event = {f: value() for f in ["a", "b", "c", "d"] if rnd.random() < 0.8}
                expected = sorted(n for n, p in live.items() if reference.matches(p, event))
                assert sorted(ruleset.matching(event)) == expected
                assert sorted(ruleset.matching(json.dumps(event))) == expected
    assert len(ruleset._machine.groups) > 20  # the groups this test is about did form
