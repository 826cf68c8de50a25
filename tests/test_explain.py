"""explain(): field-by-field reports whose verdict is always the compiled machine's."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from eventmatch import InvalidEventError, InvalidEventPatternError, compile_pattern, explain
from eventmatch.testing import Recorder, assert_matches, assert_no_match
from tests.strategies import events, patterns


def test_each_field_is_reported_with_its_values() -> None:
    result = explain({"source": ["aws.ec2"], "detail": {"state": ["terminated", "stopped"]}},
                     {"source": "aws.ec2", "detail": {"state": "running"}})
    assert not result and not result.matched
    by_path = {f.path: f for f in result.branches[0].fields}
    assert by_path["source"].met and by_path["source"].satisfied_by == ("aws.ec2",)
    assert not by_path["detail.state"].met
    assert by_path["detail.state"].reason == 'not met: "running" meets none of "stopped", "terminated"' or \
        by_path["detail.state"].reason == 'not met: "running" meets none of "terminated", "stopped"'
    assert str(result).startswith("no match\n")


def test_absent_fields_and_exists_false() -> None:
    result = explain({"a": [{"exists": False}], "b": ["x"]}, {"c": 1})
    a, b = result.branches[0].fields
    assert a.met and "absent" in a.reason
    assert not b.met and b.reason == "not met: the event has no value at this path"
    present = explain({"a": [{"exists": False}]}, {"a": 5})
    assert present.branches[0].fields[0].reason == "not met: the pattern requires no value, the event has 5"


def test_or_branches_are_reported_separately() -> None:
    result = explain({"$or": [{"a": [1]}, {"b": [2]}]}, {"a": 3, "b": 2})
    assert result.matched
    assert [b.matched for b in result.branches] == [False, True]
    assert "$or branch 2: matches" in str(result)


def test_array_consistency_is_named() -> None:
    result = explain({"l": {"x": ["a"], "y": ["b"]}}, {"l": [{"x": "a", "y": "c"}, {"x": "d", "y": "b"}]})
    assert not result.matched
    assert all(f.met for f in result.branches[0].fields)
    assert "same element of an array" in result.branches[0].note


def test_to_dict_is_json_ready() -> None:
    import json

    d = explain({"n": [{"numeric": [">", 1]}]}, '{"n": 5}').to_dict()
    assert json.loads(json.dumps(d)) == d and d["matched"] is True


def test_errors_are_the_usual_ones() -> None:
    with pytest.raises(InvalidEventPatternError):
        explain({"a": []}, {})
    with pytest.raises(InvalidEventError):
        explain({"a": [1]}, "[1]")


@given(patterns, events)
def test_the_verdict_is_the_machines(pattern: dict[str, Any], event: dict[str, Any]) -> None:
    assert explain(pattern, event).matched == compile_pattern(pattern).matches(event)


def test_assertion_helpers_explain_failures() -> None:
    assert_matches({"a": [1]}, {"a": 1})
    assert_no_match({"a": [1]}, {"a": 2})
    with pytest.raises(AssertionError, match="does not match the pattern:\nno match\n  a: not met: 2 meets none of 1"):
        assert_matches({"a": [1]}, {"a": 2})
    with pytest.raises(AssertionError, match="should not"):
        assert_no_match({"a": [1]}, {"a": 1})


def test_recorder() -> None:
    r = Recorder()
    with pytest.raises(AssertionError):
        _ = r.last
    r(1)
    r(2)
    assert r.payloads == [1, 2] and r.last == 2 and len(r) == 2 and repr(r) == "<Recorder 2 payloads>"
    r.clear()
    assert len(r) == 0
