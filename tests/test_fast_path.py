"""The fast paths (selective decoding of JSON, generated extraction from dicts) give the full path's answer."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventmatch
from eventmatch.event import flatten, load_event
from eventmatch.pattern import index as index_module
from eventmatch.pattern import machine as machine_module
from eventmatch.pattern.machine import Machine
from eventmatch.pattern.parse import parse_pattern, pattern_text
from tests import reference
from tests.rulesets import replay
from tests.strategies import SCALARS, patterns

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def _generate_at_once() -> Any:
    """These tests check the generated code, also right after each change: no deferral (see the tests
    of DEFER_GENERATION at the end, which turn it back on)."""
    with mock.patch.object(machine_module, "DEFER_GENERATION", False):
        yield

KEYS = ["a", "b", "c", "a.b", "b.c"]  # keys with dots reach the same paths as nesting does


def _value(depth: int) -> st.SearchStrategy[Any]:
    if depth <= 0:
        return SCALARS
    return st.one_of(
        SCALARS,
        st.lists(SCALARS, max_size=3),
        st.lists(st.deferred(lambda: _objects(depth - 1)), min_size=1, max_size=3),
        st.lists(st.one_of(SCALARS, st.deferred(lambda: _objects(depth - 1))), max_size=3),  # mixed arrays
        st.lists(st.lists(st.one_of(SCALARS, st.deferred(lambda: _objects(depth - 1))), max_size=2), max_size=2),
        _objects(depth - 1),
    )


def _objects(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(KEYS), _value(depth), max_size=3)


EVENTS = st.dictionaries(st.sampled_from(KEYS), _value(3), min_size=1, max_size=4)


def _escape(text: str) -> str:
    return '"' + "".join(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else ch for ch in text) + '"'


def dumps(value: Any, draw: Any) -> str:
    """JSON text for ``value``, with escapes, duplicate keys (the last one is ``value``'s) and spacing drawn."""
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            if draw(st.integers(0, 5)) == 0:  # an earlier duplicate that the last one overrides
                parts.append(f"{json.dumps(key)}: {dumps(draw(st.one_of(SCALARS, _objects(1))), draw)}")
            name = _escape(key) if draw(st.booleans()) else json.dumps(key)
            parts.append(f"{name} : {dumps(item, draw)}")
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dumps(item, draw) for item in value) + "]"
    if isinstance(value, str) and draw(st.booleans()):
        return _escape(value)
    return json.dumps(value)


def full_path(machine: Machine, data: str | bytes) -> set[Any]:
    return machine._match_fields(flatten(load_event(data), machine.wanted))


def _machine(rules: list[dict[str, Any]]) -> Machine:
    machine = Machine()
    for i, pattern in enumerate(rules):
        machine.add(f"r{i}", parse_pattern(pattern_text(pattern)))
    return machine


@SETTINGS
@given(st.lists(patterns, min_size=1, max_size=5), EVENTS, st.data())
def test_selective_json_decoding_agrees_with_the_full_parse(
    rules: list[dict[str, Any]], event: dict[str, Any], data: st.DataObject
) -> None:
    machine = _machine(rules)
    text = dumps(event, data.draw)
    expected = full_path(machine, text)
    assert machine.match(text) == machine.match(text.encode()) == expected
    assert machine.match(bytearray(text.encode())) == machine.match(memoryview(text.encode())) == expected
    parsed = json.loads(text)
    assert machine.match(parsed) == expected
    assert expected == {f"r{i}" for i, p in enumerate(rules) if reference.matches(p, parsed)}


@SETTINGS
@given(st.lists(patterns, min_size=1, max_size=5), EVENTS)
def test_generated_dict_extraction_agrees_with_flatten(rules: list[dict[str, Any]], event: dict[str, Any]) -> None:
    machine = _machine(rules)
    extractor = machine._current_extractor()
    assert extractor is not None
    fast = extractor.from_dict(event)
    slow = flatten(event, machine.wanted)
    leaf_paths = set(machine._leaf_counts)
    # the same leaves on every rule path (array ids may be numbered differently, so compare shapes)
    for path in leaf_paths:
        assert sorted(_shape(fast.get(path, []))) == sorted(_shape(slow.get(path, []))), path


def _shape(leaves: list[tuple[Any, tuple[tuple[int, int], ...]]]) -> list[str]:
    return [json.dumps([value, [i for _, i in trail]]) for value, trail in leaves]


RULE = {"detail": {"n": [{"numeric": [">", 0]}], "s": ["x"]}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"detail": {"n": 1, "s": "x"}}', True),
        ('{"detail": {"n": 1, "s": "\\u0078"}}', True),  # an escaped value
        ('{"\\u0064etail": {"n": 1, "s": "x"}}', True),  # an escaped key
        ('{"detail": {"n": 1, "s": "y"}, "detail": {"n": 1, "s": "x"}}', True),  # the last duplicate wins
        ('{"detail": {"n": 1, "s": "x"}, "detail": {"n": 1, "s": "y"}}', False),
        ('{"detail.n": 1, "detail": {"s": "x"}}', True),  # a key with a dot
        ('{"detail": [{"n": 1, "s": "x"}]}', True),  # objects in an array
        ('{"detail": [[{"n": 1, "s": "x"}]]}', True),  # an array in an array: the full parse decides
        ('{"detail": "x"}', False),  # an unexpected type on the path
        ('{"detail": {"n": 123456789012345678901234567890, "s": "x"}}', True),  # past 64 bits
        ('{"detail": {"n": 1, "s": "x"}, "other": [1e400]}', True),  # past the float range, elsewhere
        ('{"detail": {"n": 1, "s": "x"}, "other": "\\ud800"}', True),  # a lone surrogate, elsewhere
        ('{"detail": {"n": 0.0000001, "s": "x"}, "deep": [[[[[[[[{"a": 1}]]]]]]]]}', True),
    ],
)
def test_fast_path_edge_cases(text: str, expected: bool) -> None:
    machine = _machine([RULE])
    assert bool(machine.match(text)) is expected
    assert bool(machine.match(text.encode())) is expected
    assert bool(full_path(machine, text)) is expected


@pytest.mark.parametrize(
    "data",
    [b'{"x": "\xff", "detail": {"n": 1, "s": "x"}}', b'[{"detail": {}}]', b'{"detail": {"n": 1, "s": "x"}} trailing', b""],
)
def test_invalid_json_is_an_error_even_where_no_rule_looks(data: bytes) -> None:
    rules = eventmatch.RuleSet()
    rules.add("r", RULE)
    with pytest.raises(eventmatch.InvalidEventError):
        rules.matching(data)
    with pytest.raises(eventmatch.InvalidEventError):
        rules.matching_set(data)


def test_exact_big_integers_are_compared_exactly() -> None:
    pattern = eventmatch.compile_pattern({"n": [123456789012345678901234567890]})
    assert pattern.matches('{"n": 123456789012345678901234567890}')
    assert not pattern.matches('{"n": 123456789012345678901234567891}')


def test_extractor_is_rebuilt_when_paths_change_and_only_then() -> None:
    rules = eventmatch.RuleSet()
    rules.add("a", {"a": ["x"]})
    assert rules.matching(b'{"a": "x", "b": "y"}') == ["a"]
    machine = rules._machine
    first = machine._extractor
    rules.add("a2", {"a": ["z"]})  # the same path: nothing to rebuild
    rules.matching(b'{"a": "x"}')
    assert machine._extractor is first
    rules.add("b", {"b": ["y"]})
    assert rules.matching(b'{"a": "x", "b": "y"}') == ["a", "b"]
    assert machine._extractor is not first
    rules.remove("b")
    assert rules.matching(b'{"a": "x", "b": "y"}') == ["a"]


def test_rule_sets_of_many_paths_take_the_general_path_and_come_back() -> None:
    """Past MAX_LEAVES paths no code is generated (it would test every path on every event and take long
    to compile); the general path gives the same answers, and the code comes back below the limit."""
    from eventmatch.pattern.extract import MAX_LEAVES

    rules = eventmatch.RuleSet()
    patterns_ = {f"r{i}": {"detail": {f"o{i % 5}": {f"f{i}": ["x", {"prefix": "p"}]}}} for i in range(MAX_LEAVES)}
    rules.update(patterns_)
    events = [{"detail": {"o1": {"f1": "x", "f6": "pq"}, "o2": {"f2": "y"}}}, {"detail": {"o3": [{"f3": "x"}]}}]

    def check() -> None:
        for event in events:
            expected = [n for n, p in patterns_.items() if reference.matches(p, event)]
            assert rules.matching(event) == rules.matching(json.dumps(event)) == expected
            assert rules.matching_set(event) == set(expected)

    check()
    assert rules._machine._extractor is not None
    patterns_["one-more"] = {"detail": {"wide": [{"exists": True}]}}
    rules.add("one-more", patterns_["one-more"])
    events.append({"detail": {"wide": 5, "o1": {"f1": "p1"}}})
    check()
    assert rules._machine._extractor is None  # the general path
    rules.remove("one-more")
    del patterns_["one-more"]
    check()
    assert rules._machine._extractor is not None


def test_machines_of_one_shape_share_compiled_code_but_not_their_indexes() -> None:
    """The generated source depends only on the paths and the kinds of look-up; it is compiled once and
    each machine runs it on its own indexes."""
    one, two = eventmatch.RuleSet(), eventmatch.RuleSet()
    one.add("x", {"a": ["x"], "b": [{"prefix": "p"}]})
    two.add("y", {"a": ["y"], "b": [{"prefix": "q"}]})
    for event in ({"a": "x", "b": "pz"}, {"a": "y", "b": "qz"}):
        assert one.matching(event) == (["x"] if event["a"] == "x" else [])
        assert two.matching(event) == (["y"] if event["a"] == "y" else [])
        assert one.matching(json.dumps(event)) == one.matching(event)
        assert two.matching(json.dumps(event)) == two.matching(event)
    first, second = one._machine._extractor, two._machine._extractor
    assert first is not None and second is not None and first is not second
    assert first.match_dict.__code__ is second.match_dict.__code__  # type: ignore[union-attr]
    assert first.match_struct.__code__ is second.match_struct.__code__  # type: ignore[union-attr]

    from eventmatch.pattern import extract

    with mock.patch.object(extract, "CACHED_SOURCE_MAX", 0):  # large sources are compiled each time
        three = eventmatch.RuleSet()
        three.add("z", {"a": ["z"], "b": [{"prefix": "p"}]})
        assert three.matching({"a": "z", "b": "pz"}) == ["z"]
        assert three._machine._extractor.match_dict.__code__ is not first.match_dict.__code__  # type: ignore[union-attr]


@SETTINGS
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5), patterns), min_size=1, max_size=12), EVENTS)
def test_fused_matchers_follow_rule_changes_between_matches(
    steps: list[tuple[bool, int, dict[str, Any]]], event: dict[str, Any]
) -> None:
    """Rules added and removed between matches: the generated matchers (built at one match, read by the
    next) never answer from a machine that has changed since, whether or not the change rebuilt them."""
    replay(steps, event, as_json=True)


def test_matchers_are_rebuilt_when_a_field_starts_or_stops_using_a_kind_of_look_up() -> None:
    """The fused matchers are written for the tables each field's index has in use."""
    rules = eventmatch.RuleSet()
    rules.add("exact", {"a": ["xyz"]})
    assert rules.matching(b'{"a": "xyz"}') == ["exact"]
    machine = rules._machine
    first = machine._extractor
    rules.add("exact2", {"a": ["abc"]})  # the same kind of look-up on the same path: the same code
    assert rules.matching({"a": "abc"}) == ["exact2"]
    assert machine._extractor is first
    for name, condition in [("prefix", {"prefix": "xy"}), ("but", {"anything-but": "q"}), ("num", {"numeric": [">", 1]})]:
        rules.add(name, {"a": [condition]})
    assert rules.matching(b'{"a": "xyz"}') == ["exact", "prefix", "but"]
    assert rules.matching({"a": 5}) == ["but", "num"]
    assert machine._extractor is not first
    for name in ("prefix", "but", "num"):
        rules.remove(name)
    assert rules.matching(b'{"a": "xyz"}') == ["exact"]
    assert rules.matching({"a": 5}) == []


@SETTINGS
@given(st.lists(patterns, min_size=1, max_size=5), st.lists(EVENTS, min_size=1, max_size=6))
def test_fields_with_too_many_distinct_strings_are_looked_up_in_full(
    rules: list[dict[str, Any]], events: list[dict[str, Any]]
) -> None:
    """With a memo of two strings, fields turn their memo off within a few events: both ways of looking
    a string up (remembered and in full) must give the reference's answer."""
    with mock.patch.object(index_module, "MEMO_SIZE", 2), mock.patch.object(index_module, "MEMO_SIZE_SLOW", 2):
        ruleset = eventmatch.RuleSet()
        for i, pattern in enumerate(rules):
            ruleset.add(f"r{i}", pattern)
        for event in events * 2:
            expected = [f"r{i}" for i, p in enumerate(rules) if reference.matches(p, event)]
            assert ruleset.matching(event) == expected
            assert ruleset.matching(json.dumps(event)) == expected


def test_after_a_change_the_general_path_serves_until_it_has_cost_what_generating_did() -> None:
    """Ski rental: rules added one at a time between events do not make each next event generate code."""
    generated: list[object] = []
    real = machine_module.build_extractor

    def counting(*args: Any) -> Any:
        generated.append(args)
        return real(*args)

    with mock.patch.object(machine_module, "DEFER_GENERATION", True), mock.patch.object(
        machine_module, "build_extractor", counting
    ):
        rules = eventmatch.RuleSet()
        rules.add("r0", {"source": ["s"], "detail": {"o0": {"f0": ["v"]}}})
        detail: dict[str, dict[str, str]] = {}
        for i in range(40):
            detail.setdefault(f"o{i % 10}", {})[f"f{i}"] = "v"
        event = {"source": "s", "detail": detail}
        assert rules.matching(event) == ["r0"]
        assert len(generated) == 1  # a machine's first code is generated at once
        machine = rules._machine
        for i in range(1, 40):
            rules.add(f"r{i}", {"source": ["s"], "detail": {f"o{i % 10}": {f"f{i}": ["v"]}}})
            assert rules.matching(event) == [f"r{k}" for k in range(i + 1)]
            assert rules.matching(json.dumps(event)) == [f"r{k}" for k in range(i + 1)]
        # each new path made the code stale; without the deferral, 39 more generations
        assert len(generated) < 10
        machine._rent = 0.0  # the general path has now cost what the last generation did
        assert rules.matching(event) == [f"r{k}" for k in range(40)]
        assert not machine._extractor_stale
        assert rules.matching(json.dumps(event)) == [f"r{k}" for k in range(40)]
