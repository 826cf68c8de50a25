"""Invalid patterns and events: AWS's messages, positions, and the error hierarchy."""

from __future__ import annotations

import pytest

import eventmatch
from eventmatch import EventmatchError, InvalidEventError, InvalidEventPatternError, compile_pattern

INVALID = [
    ('{"a": 1}', '"a" must be an object or an array'),
    ('{"a": null}', '"a" must be an object or an array'),
    ("{}", "Empty objects are not allowed"),
    ('{"a": {}}', "Empty objects are not allowed"),
    ('{"a": []}', "Empty arrays are not allowed"),
    ('{"a": [[1]]}', "Match value must be String, number, true, false, or null"),
    ('{"a": [{}]}', "Match expression name not found"),
    ('{"a": [{"EXISTS": true}]}', "Unrecognized match type EXISTS"),
    ('{"a": [{"exact": "x"}]}', "Unrecognized match type exact"),
    ('{"a": [{"prefix": "a", "suffix": "b"}]}', "Only one key allowed in match expression"),
    ('{"a": [{"prefix": 1}]}', "prefix match pattern must be a string"),
    ('{"a": [{"prefix": {}}]}', "Prefix expression name not found"),
    ('{"a": [{"prefix": {"foo": "x"}}]}', "Unsupported prefix pattern: foo"),
    ('{"a": [{"suffix": [".png"]}]}', "suffix match pattern must be a string"),
    ('{"a": [{"suffix": {"equals-ignore-case": 1}}]}', "equals-ignore-case match pattern must be a string"),
    ('{"a": [{"equals-ignore-case": ["x"]}]}', "equals-ignore-case match pattern must be a string"),
    ('{"a": [{"exists": "true"}]}', "exists match pattern must be either true or false."),
    ('{"a": [{"numeric": 10}]}', "Value of numeric must be an array."),
    ('{"a": [{"numeric": []}]}', "Invalid member in numeric match: ]"),
    ('{"a": [{"numeric": [1]}]}', "Invalid member in numeric match: 1"),
    ('{"a": [{"numeric": ["!", 1]}]}', "Unrecognized numeric range operator: !"),
    ('{"a": [{"numeric": ["=", "1"]}]}', "Value of equals must be numeric"),
    ('{"a": [{"numeric": [">", 0, "<"]}]}', "Value of < must be numeric"),
    ('{"a": [{"numeric": [">", 0, ">", 0]}]}', "Bad numeric range operator: >"),
    ('{"a": [{"numeric": [">", 1, 2]}]}', "Bad value in numeric range: 2"),
    ('{"a": [{"numeric": ["<", 1, ">", 0]}]}', "Too many elements in numeric expression"),
    ('{"a": [{"numeric": [">", 1, "<", 5, ">", 2]}]}', "Too many terms in numeric range expression"),
    ('{"a": [{"numeric": [">", 1, "<", 1]}]}', "Bottom must be less than top"),
    ('{"a": [{"anything-but": null}]}', "Value of anything-but must be an array or single string/number value."),
    ('{"a": [{"anything-but": {}}]}', "Anything-But expression name not found"),
    ('{"a": [{"anything-but": {"numeric": [">", 1]}}]}', "Unsupported anything-but pattern: numeric"),
    ('{"a": [{"anything-but": ["x", null]}]}', "Inside anything but list, start|null|boolean is not supported."),
    ('{"a": [{"anything-but": [1, "x"]}]}', "Inside anything but list, either all values are number or string, mixed type is not supported"),
    ('{"a": [{"anything-but": []}]}', "Inside anything but list, either all values are number or string, mixed type is not supported"),
    ('{"a": [{"anything-but": {"prefix": ""}}]}', "Null prefix/suffix not allowed"),
    ('{"a": [{"anything-but": {"suffix": 1}}]}', "prefix/suffix match pattern must be a string"),
    ('{"a": [{"anything-but": {"prefix": {"equals-ignore-case": "x"}}}]}', "Value of anything-but must be an array or single string/number value."),
    ('{"a": [{"anything-but": {"equals-ignore-case": 1}}]}', "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."),
    ('{"a": [{"anything-but": {"wildcard": 1}}]}', "wildcard match pattern must be a string"),
    ('{"a": [{"anything-but": {"wildcard": "a**"}}]}', "Consecutive wildcard characters at pos 2"),
    ('{"a": [{"wildcard": "a\\\\b"}]}', "Invalid escape character at pos 2"),
    ('{"a": [{"wildcard": "x**"}]}', "Consecutive wildcard characters at pos 2"),
    ('{"a": [{"cidr": "bad"}]}', "Malformed CIDR, one '/' required"),
    ('{"a": [{"cidr": "10.0.0.0/x"}]}', "Malformed CIDR, mask bits must be an integer"),
    ('{"a": [{"cidr": "10.0.0.0/-1"}]}', "Malformed CIDR, mask bits must not be negative"),
    ('{"a": [{"cidr": "10.0.0.0/32"}]}', "IPv4 mask bits must be < 32"),
    ('{"a": [{"cidr": "::/128"}]}', "IPv6 mask bits must be < 128"),
    ('{"a": [{"cidr": "1.2.3.256/8"}]}', "Invalid IP address: 1.2.3.256"),
    ('{"a": [{"cidr": ["10.0.0.0/8"]}]}', "prefix match pattern must be a string"),
    ('{"$or": [{"a": ["1"]}]}', "Unrecognized match type a"),
    ('{"$or": []}', "Empty arrays are not allowed"),
    ('{"a": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}', "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character"),
    ("[1]", "Filter is not an object"),
    ('"x"', "Filter is not an object"),
    ("this", "Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"),
    ("{'a': 1}", "Unexpected character (''' (code 39)): was expecting double-quote to start field name"),
    ('{"a": ["x"]', "Unexpected end-of-input: expected close marker for Object"),
    ("", "No content to map due to end-of-input"),
]


@pytest.mark.parametrize(("pattern", "reason"), INVALID)
def test_invalid_pattern_is_rejected_with_aws_message(pattern: str, reason: str) -> None:
    with pytest.raises(InvalidEventPatternError) as info:
        compile_pattern(pattern)
    assert info.value.reason == reason
    assert str(info.value).split("\n")[0] == f"Event pattern is not valid. Reason: {reason}"


def test_error_knows_position_and_field_path() -> None:
    text = '{\n  "detail": {\n    "state": []\n  }\n}'
    with pytest.raises(InvalidEventPatternError) as info:
        compile_pattern(text)
    err = info.value
    assert (err.line, err.column) == (3, 16)
    assert err.path == "detail.state"
    assert str(err).endswith("line: 3, column: 16]")


def test_long_patterns_are_truncated_in_the_message_as_aws_does() -> None:
    text = '{"a": [' + ", ".join(['"x"'] * 200) + ", []]}"
    with pytest.raises(InvalidEventPatternError) as info:
        compile_pattern(text)
    assert f"[truncated {len(text) - 500} chars]" in str(info.value)


def test_errors_share_one_base() -> None:
    assert issubclass(InvalidEventPatternError, EventmatchError)
    assert issubclass(InvalidEventError, EventmatchError)
    assert InvalidEventPatternError.code == "InvalidEventPatternException"


def test_pattern_of_a_wrong_type_names_the_type() -> None:
    with pytest.raises(TypeError, match="not int"):
        compile_pattern(42)  # type: ignore[arg-type]


def test_dict_pattern_that_is_not_json_is_rejected() -> None:
    with pytest.raises(InvalidEventPatternError, match="not JSON-serializable"):
        compile_pattern({"a": [object()]})


def test_bytes_pattern() -> None:
    assert compile_pattern(b'{"a": ["x"]}').matches({"a": "x"})


@pytest.mark.parametrize(
    ("event", "detail"),
    [
        ("plain string", "not valid JSON"),
        ("[1, 2]", "a JSON object, not an array"),
        ('"text"', "a JSON object, not a string"),
        ('{"source": "x"}', "lacks the envelope field(s) id, account, time, region, detail-type"),
        (12, "not int"),
    ],
)
def test_invalid_events_for_test_event_pattern(event: object, detail: str) -> None:
    with pytest.raises(InvalidEventError) as info:
        eventmatch.test_event_pattern(event, {"source": ["x"]})  # type: ignore[arg-type]
    assert str(info.value) == "Parameter Event is not valid."
    assert detail in info.value.detail


def test_matches_rejects_values_that_are_not_json() -> None:
    with pytest.raises(InvalidEventError, match=r"Parameter Event is not valid") as info:
        compile_pattern({"a": ["x"]}).matches({"a": {1, 2}})
    assert "the value at a is not JSON: set" in info.value.detail


def test_pattern_is_checked_before_event() -> None:
    with pytest.raises(InvalidEventPatternError):
        eventmatch.test_event_pattern("not json", "{}")
