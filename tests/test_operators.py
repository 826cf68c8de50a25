"""Unit tests, one group per operator, with the tricky cases."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventmatch import compile_pattern
from eventmatch.pattern.index import FieldIndex
from eventmatch.pattern.numbers import canonical
from eventmatch.pattern.operators import Numeric
from tests import reference


def m(pattern: dict[str, Any] | str, event: dict[str, Any] | str) -> bool:
    return compile_pattern(pattern).matches(event)


class TestExactValues:
    def test_string(self) -> None:
        assert m({"a": ["x"]}, {"a": "x"})
        assert not m({"a": ["x"]}, {"a": "X"})

    def test_string_five_is_not_number_five(self) -> None:
        assert not m({"a": ["5"]}, {"a": 5})
        assert not m({"a": [5]}, {"a": "5"})

    def test_numbers_compare_by_value(self) -> None:
        for spelling in ("300", "300.0", "3e2", "3.0E+2", "300.000"):
            assert m({"a": [300]}, '{"a": ' + spelling + "}"), spelling
        assert m('{"a": [3e2]}', {"a": 300})
        assert not m({"a": [300]}, {"a": 300.000001})

    def test_numbers_are_exact_decimals(self) -> None:
        assert m({"a": [0.1]}, {"a": 0.1})
        assert not m({"a": [27.807807921694092]}, '{"a": 27.80780792169409}')

    def test_numbers_at_the_ends_of_the_documented_range(self) -> None:
        assert m({"a": [5000000000]}, {"a": 5e9})
        assert m({"a": [-5000000000]}, {"a": -5e9})
        assert m({"a": [{"numeric": ["<=", 5e9]}]}, {"a": 5000000000})
        assert not m({"a": [{"numeric": ["<", 5e9]}]}, {"a": 5000000000})
        assert m({"a": [{"numeric": [">=", -5e9, "<=", 5e9]}]}, {"a": 4999999999.999999})
        assert m({"a": [{"numeric": ["=", 0.000001]}]}, {"a": 1e-6})

    def test_large_integers_beyond_the_range_still_compare_exactly(self) -> None:
        assert m({"account": [123456789012]}, {"account": 123456789012})
        assert not m({"a": [10000000000000001]}, '{"a": 10000000000000000}')
        assert m({"a": [{"numeric": [">", 1e300]}]}, '{"a": 2e300}')

    def test_booleans_are_not_numbers(self) -> None:
        assert m({"a": [True]}, {"a": True})
        assert not m({"a": [1]}, {"a": True})
        assert not m({"a": [True]}, {"a": 1})
        assert not m({"a": [True]}, {"a": "true"})

    def test_null_versus_missing(self) -> None:
        assert m({"a": [None]}, {"a": None})
        assert not m({"a": [None]}, {})
        assert not m({"a": [None]}, {"a": "null"})
        assert not m({"a": [None]}, {"a": []})

    def test_empty_string(self) -> None:
        assert m({"a": [""]}, {"a": ""})
        assert not m({"a": [""]}, {"a": None})
        assert not m({"a": [""]}, {})

    def test_unicode(self) -> None:
        assert m({"a": ["🚀 é"]}, {"a": "🚀 é"})
        assert m('{"a": ["\\ud83d\\ude80"]}', '{"a": "🚀"}')
        assert m({"a": [{"prefix": "é"}]}, {"a": "été"})
        assert m({"a": [{"suffix": "🚀"}]}, {"a": "go 🚀"})


class TestArrays:
    def test_any_element_matches(self) -> None:
        assert m({"a": ["x"]}, {"a": ["y", "x"]})
        assert not m({"a": ["x"]}, {"a": ["y", "z"]})

    def test_arrays_of_arrays(self) -> None:
        assert m({"a": ["x"]}, {"a": [["y"], ["x"]]})
        assert m({"a": {"b": ["x"]}}, {"a": [[{"b": "x"}]]})

    def test_empty_array_in_event_is_absent(self) -> None:
        assert not m({"a": [{"exists": True}]}, {"a": []})
        assert m({"a": [{"exists": False}]}, {"a": []})
        assert not m({"a": [None]}, {"a": []})

    def test_empty_array_in_pattern_is_rejected(self) -> None:
        from eventmatch import InvalidEventPatternError

        with pytest.raises(InvalidEventPatternError, match="Empty arrays are not allowed"):
            compile_pattern({"a": []})

    def test_fields_of_one_array_element_must_match_together(self) -> None:
        pattern = {"a": {"b": ["1"], "c": ["2"]}}
        assert m(pattern, {"a": [{"b": "1", "c": "2"}, {"b": "3", "c": "4"}]})
        assert not m(pattern, {"a": [{"b": "1", "c": "3"}, {"b": "3", "c": "2"}]})

    def test_fields_outside_the_array_are_free(self) -> None:
        assert m({"a": {"b": ["1"]}, "c": ["2"]}, {"a": [{"b": "1"}], "c": ["2"]})

    def test_scalar_elements_do_not_pin_a_position(self) -> None:
        pattern = {"p": [1.5], "p.q": ["x"]}
        assert m(pattern, {"p": [[{"q": "x"}, 2, 1.5]]})

    def test_absence_within_the_chosen_element(self) -> None:
        pattern = {"a": {"b": ["1"], "c": [{"exists": False}]}}
        assert m(pattern, {"a": [{"b": "1", "c": "3"}, {"b": "1"}]})
        assert not m(pattern, {"a": [{"b": "1", "c": "3"}, {"b": "3"}]})


class TestPrefixSuffix:
    def test_prefix(self) -> None:
        assert m({"t": [{"prefix": "2022-07"}]}, {"t": "2022-07-13"})
        assert not m({"t": [{"prefix": "2022-08"}]}, {"t": "2022-07-13"})
        assert m({"t": [{"prefix": ""}]}, {"t": "anything"})
        assert not m({"t": [{"prefix": "1"}]}, {"t": 12})

    def test_suffix_is_case_sensitive(self) -> None:
        assert m({"f": [{"suffix": ".png"}]}, {"f": "a.png"})
        assert not m({"f": [{"suffix": ".PNG"}]}, {"f": "a.png"})
        assert not m({"f": [{"suffix": "2"}]}, {"f": 12})

    def test_ignore_case_forms(self) -> None:
        assert m({"s": [{"prefix": {"equals-ignore-case": "EventB"}}]}, {"s": "eventbridge"})
        assert m({"f": [{"suffix": {"equals-ignore-case": ".png"}}]}, {"f": "A.PNG"})
        assert not m({"f": [{"suffix": {"equals-ignore-case": ".png"}}]}, {"f": "a.jpg"})


class TestEqualsIgnoreCase:
    def test_cases(self) -> None:
        assert m({"a": [{"equals-ignore-case": "alice"}]}, {"a": "ALICE"})
        assert m({"a": [{"equals-ignore-case": "ÄB"}]}, {"a": "äb"})
        assert m({"a": [{"equals-ignore-case": "ß"}]}, {"a": "SS"})
        assert m({"a": [{"equals-ignore-case": ""}]}, {"a": ""})
        assert not m({"a": [{"equals-ignore-case": "1"}]}, {"a": 1})


class TestAnythingBut:
    def test_single_values(self) -> None:
        assert m({"s": [{"anything-but": "init"}]}, {"s": "running"})
        assert not m({"s": [{"anything-but": "init"}]}, {"s": "init"})
        assert m({"n": [{"anything-but": 0}]}, {"n": 789})
        assert not m({"n": [{"anything-but": [5]}]}, {"n": 5.0})

    def test_other_types_always_pass(self) -> None:
        assert m({"s": [{"anything-but": "a"}]}, {"s": None})
        assert m({"s": [{"anything-but": "a"}]}, {"s": True})
        assert m({"n": [{"anything-but": 5}]}, {"n": "5"})
        assert m({"s": [{"anything-but": {"prefix": "init"}}]}, {"s": 12})

    def test_a_missing_field_does_not_match(self) -> None:
        for ab in ("a", ["a", "b"], {"prefix": "a"}, {"suffix": "a"}, {"equals-ignore-case": "a"}, {"wildcard": "a*"}):
            assert not m({"s": [{"anything-but": ab}]}, {}), ab

    def test_arrays_any_element_not_excluded(self) -> None:
        assert m({"s": [{"anything-but": "a"}]}, {"s": ["a", "b"]})
        assert not m({"s": [{"anything-but": "a"}]}, {"s": ["a", "a"]})

    def test_shapes(self) -> None:
        assert not m({"s": [{"anything-but": {"prefix": ["init", "post"]}}]}, {"s": "post-init"})
        assert m({"f": [{"anything-but": {"suffix": [".txt", ".jpg"]}}]}, {"f": "a.txt.bak"})
        assert not m({"s": [{"anything-but": {"equals-ignore-case": ["stopped"]}}]}, {"s": "Stopped"})
        assert not m({"p": [{"anything-but": {"wildcard": "*/init/*"}}]}, {"p": "dir/init/file"})
        assert m({"p": [{"anything-but": {"wildcard": ""}}]}, {"p": "dir/init/file"})

    def test_with_exists_false_in_one_field(self) -> None:
        pattern = {"S": [{"anything-but": ["roses"]}, {"exists": False}]}
        assert m(pattern, {"S": "tulips"})
        assert m(pattern, {})
        assert not m(pattern, {"S": "roses"})


class TestNumeric:
    @pytest.mark.parametrize(
        ("expr", "value", "expected"),
        [
            ([">", 0], 0, False),
            ([">", 0], 0.000001, True),
            ([">=", 0], 0, True),
            (["<", 10], 9.999, True),
            (["<=", 10], 10, True),
            (["=", 301.8], 301.8, True),
            (["=", 301.8], 3.018e2, True),
            ([">", 0, "<=", 5], 5, True),
            ([">", 0, "<=", 5], 5.0000001, False),
            ([">=", -1, "<", 1], -1, True),
        ],
    )
    def test_ranges(self, expr: list[Any], value: float, expected: bool) -> None:
        assert m({"n": [{"numeric": expr}]}, {"n": value}) is expected

    def test_only_numbers(self) -> None:
        assert not m({"n": [{"numeric": [">", 100]}]}, {"n": "300"})
        assert not m({"n": [{"numeric": [">", 100]}]}, {"n": None})
        assert not m({"n": [{"numeric": [">", 0]}]}, {"n": True})


class TestExists:
    def test_exists_true(self) -> None:
        assert m({"a": [{"exists": True}]}, {"a": "x"})
        assert m({"a": [{"exists": True}]}, {"a": None})
        assert not m({"a": [{"exists": True}]}, {"a": {"b": 1}})
        assert not m({"a": [{"exists": True}]}, {})

    def test_exists_false(self) -> None:
        assert m({"a": [{"exists": False}]}, {})
        assert not m({"a": [{"exists": False}]}, {"a": None})
        assert m({"a": [{"exists": False}]}, {"a": {"b": 1}})

    def test_exists_false_alone_matches_an_empty_event(self) -> None:
        assert m({"detail": {"c": [{"exists": False}]}, "d": [{"exists": False}]}, {})

    def test_exists_false_under_a_scalar_parent(self) -> None:
        assert m({"a": {"b": [{"exists": False}]}}, {"a": "text"})


class TestCidr:
    def test_ipv4(self) -> None:
        assert m({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.0.255"})
        assert not m({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.1.0"})
        assert not m({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.0.256"})
        assert not m({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": 10})

    def test_ipv6(self) -> None:
        pattern = {"ip": [{"cidr": "2001:db8:1234:1a00::/64"}]}
        assert m(pattern, {"ip": "2001:0db8:1234:1a00:0000:0000:0000:0000"})
        assert m(pattern, {"ip": "2001:DB8:1234:1A00::FFFF"})
        assert not m(pattern, {"ip": "2001:0db8:123f:1a01::"})

    def test_host_bits_are_masked(self) -> None:
        assert m({"ip": [{"cidr": "10.0.0.77/8"}]}, {"ip": "10.200.0.1"})


class TestWildcard:
    def test_stars(self) -> None:
        assert m({"f": [{"wildcard": "/Users/*/doc.txt"}]}, {"f": "/Users/me/a/b/doc.txt"})
        assert not m({"f": [{"wildcard": "/Users/*/doc.txt"}]}, {"f": "/Users/me/notdoc.txt"})
        assert m({"f": [{"wildcard": "*"}]}, {"f": ""})
        assert not m({"f": [{"wildcard": ""}]}, {"f": "a"})
        assert not m({"f": [{"wildcard": "1*"}]}, {"f": 12})

    def test_escapes(self) -> None:
        assert m({"f": [{"wildcard": "a\\*b"}]}, {"f": "a*b"})
        assert not m({"f": [{"wildcard": "a\\*b"}]}, {"f": "axb"})
        assert m({"f": [{"wildcard": "a\\\\b"}]}, {"f": "a\\b"})
        assert m({"f": [{"wildcard": "a\\\\*"}]}, {"f": "a\\anything"})

    def test_newlines_are_characters_too(self) -> None:
        assert m({"f": [{"wildcard": "a*b"}]}, {"f": "a\nb"})


class TestStructure:
    def test_dots_in_keys_join_like_nesting(self) -> None:
        assert m({"d": {"state": {"status": ["ok"]}}}, {"d": {"state.status": "ok"}})
        assert m({"d": {"state.status": ["ok"]}}, {"d": {"state": {"status": "ok"}}})

    def test_keys_are_case_sensitive(self) -> None:
        assert not m({"MY_KEY": ["v"]}, {"my_key": "v"})

    def test_json_text_inside_a_string_is_a_string(self) -> None:
        assert not m({"d": {"k": ["v"]}}, {"d": json.dumps({"k": "v"})})

    def test_or_at_top_and_nested(self) -> None:
        pattern = {"src": ["a"], "$or": [{"x": ["1"]}, {"y": {"$or": [{"z": ["2"]}, {"w": ["3"]}]}}]}
        assert m(pattern, {"src": "a", "x": "1"})
        assert m(pattern, {"src": "a", "y": {"w": "3"}})
        assert not m(pattern, {"src": "a", "y": {"w": "4"}})
        assert not m(pattern, {"src": "b", "x": "1"})

    def test_or_that_is_not_a_relationship_is_a_field(self) -> None:
        assert m({"$or": ["a"]}, {"$or": "a"})
        assert m({"$or": {"k": ["v"]}}, {"$or": {"k": "v"}})

    def test_duplicate_keys_in_text_last_one_wins(self) -> None:
        text = '{"x": ["y"], "x": ["z"]}'
        assert m(text, {"x": "z"})
        assert not m(text, {"x": "y"})

    def test_several_matchers_in_one_field_are_alternatives(self) -> None:
        assert m({"k": [{"exists": True}, {"prefix": "IGNORED"}]}, {"k": "v"})


def test_numeric_equal_is_indexed_like_an_exact_number_with_the_same_answers() -> None:
    """{"numeric": ["=", n]} is looked up in the exact-number table; it must still mean numeric equality."""
    import eventmatch

    rules = eventmatch.RuleSet()
    rules.add("eq", {"x": [{"numeric": ["=", 300]}], "t": ["a"]})
    rules.add("exact", {"x": [300]})
    rules.add("big", {"x": [{"numeric": ["=", 123456789012345678901234567890]}], "t": ["a"]})
    for value, expected in ((300, ["eq", "exact"]), (300.0, ["eq", "exact"]), (3e2, ["eq", "exact"]),
                            ("300", []), (299.99999999999994, []), (300.0000000000001, []),
                            (123456789012345678901234567890, ["big"]), (123456789012345678901234567891, []),
                            (1.2345678901234568e29, [])):
        assert rules.matching({"x": value, "t": "a"}) == expected, value
    rules.remove("eq")
    assert rules.matching({"x": 300, "t": "a"}) == ["exact"]


_BOUNDS = [-5, -0.5, 0, 1, 1.5, 300, 5e9, 1e300, 2**60 + 1]


def _near(x: float) -> list[Any]:
    f = float(x)
    return [x, f, math.nextafter(f, math.inf), math.nextafter(f, -math.inf)]


_RANGE_VALUES = st.one_of(
    st.sampled_from([v for b in _BOUNDS for v in _near(b)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**64), 2**64),
    st.sampled_from([Decimal("1.5"), Decimal("0.1"), True, None, "1"]),
)


#: (low, low open?, high, high open?) of up to eight numeric ranges (impossible ones are skipped)
_RANGE_SPECS = st.lists(
    st.tuples(st.sampled_from([None, *_BOUNDS]), st.booleans(), st.sampled_from([None, *_BOUNDS]), st.booleans()),
    min_size=1,
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(
    _RANGE_SPECS,
    st.lists(_RANGE_VALUES, min_size=1, max_size=20),
)
def test_numeric_range_table_finds_what_testing_each_range_finds(
    spec: list[tuple[Any, bool, Any, bool]], values: list[Any]
) -> None:
    """FieldIndex bisects the ranges' float bounds; values at a bound, past 2**53, infinite, NaN or not
    numbers take the one-by-one tests. Either way: the ranges that Numeric.test accepts."""
    index = FieldIndex()
    matchers = []
    for i, (low, low_open, high, high_open) in enumerate(spec):
        if (low is None and high is None) or (low is not None and high is not None and low >= high):
            continue
        m = Numeric(
            None if low is None else canonical(Decimal(str(low))),
            low_open,
            None if high is None else canonical(Decimal(str(high))),
            high_open,
        )
        matchers.append((m, i))
        index.insert(m, i)
    for value in values:
        found: list[list[int]] = []
        index.lookup(value, found)
        got = sorted(pid for pids in found for pid in pids)
        assert got == sorted(pid for m, pid in matchers if m.test(value)), value


@settings(max_examples=300, deadline=None)
@given(
    _RANGE_SPECS,
    st.lists(_RANGE_VALUES.filter(lambda v: not isinstance(v, Decimal)), min_size=1, max_size=6),
    st.booleans(),
)
def test_generated_matchers_find_the_ranges_that_testing_each_finds(
    spec: list[tuple[Any, bool, Any, bool]], values: list[Any], with_exact: bool
) -> None:
    """The fused matchers write the range table's look-up (and the exact-number guard) out inline; through
    a RuleSet, for a value or an array of them: the rules whose ranges Numeric.test accepts."""
    from eventmatch import RuleSet

    rules, expected_of = RuleSet(), []
    for i, (low, low_open, high, high_open) in enumerate(spec):
        if (low is None and high is None) or (low is not None and high is not None and low >= high):
            continue
        condition: list[Any] = []
        if low is not None:
            condition += [">" if low_open else ">=", low]
        if high is not None:
            condition += ["<" if high_open else "<=", high]
        rules.add(f"r{i}", {"n": [{"numeric": condition}]})
        rules.add(f"m{i}", {"n": [{"numeric": condition}], "t": ["a"]})  # multi-field: the checks after
        expected_of.append((f"r{i}", {"n": [{"numeric": condition}]}))
    if with_exact:
        rules.add("exact", {"n": [300]})
        expected_of.append(("exact", {"n": [300]}))
    for event in [{"n": values[0], "t": "a"}, {"n": values, "t": "a"}]:
        singles = [name for name, p in expected_of if reference.matches(p, event)]
        expected = singles + [f"m{name[1:]}" for name in singles if name.startswith("r")]
        assert sorted(rules.matching(event)) == sorted(expected), event
        if not any(isinstance(v, float) and not math.isfinite(v) for v in values):
            assert rules.matching(json.dumps(event)) == rules.matching(event)
