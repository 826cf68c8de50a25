"""Hostile input through every public entry point: each raises one of eventmatch's errors (or TypeError for a
Python object of the wrong type), never RecursionError, OverflowError, UnicodeError or a traceback, and leaves
nothing half-changed."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from eventmatch import (
    EventBridge,
    EventmatchError,
    RuleSet,
    compile_pattern,
    explain,
    parse_schedule,
    test_event_pattern,
)
from eventmatch.template import load_template
from tests.test_cli import run

DEPTH = 5000
DEEP_OBJECTS = '{"a":' * DEPTH + '"x"' + "}" * DEPTH
DEEP_ARRAYS = '{"a":' + "[" * DEPTH + '"x"' + "]" * DEPTH + "}"
DEEP_PATTERN = '{"a":' * DEPTH + '["x"]' + "}" * DEPTH

#: hostile events: too deep, not JSON (NaN, Infinity), numbers past every range, invalid UTF-8
EVENTS: dict[str, str | bytes] = {
    "deep objects": DEEP_OBJECTS,
    "deep arrays": DEEP_ARRAYS,
    "deep bytes": DEEP_OBJECTS.encode(),
    "NaN": '{"source": "a", "n": NaN}',
    "Infinity": b'{"source": "a", "n": -Infinity}',
    "huge exponent": '{"source": "a", "n": 1e99999}',
    "huge integer": '{"source": "a", "n": ' + "9" * 6000 + "}",
    "invalid UTF-8": b'{"source": "a\xff\xfe"}',
    "lone continuation byte": b'{"source": "\x80"}',
}
#: valid JSON however large: numbers past every float and past Python's 4,300-digit conversion limit
VALID_JSON = ("huge exponent", "huge integer")
#: hostile patterns
PATTERNS: dict[str, str | bytes] = {
    "deep": DEEP_PATTERN,
    "deep bytes": DEEP_PATTERN.encode(),
    "NaN": '{"n": [{"numeric": [">", NaN]}]}',
    "huge exponent": '{"n": [{"numeric": [">", 1e99999]}]}',
    "huge integer": '{"n": [' + "9" * 6000 + "]}",
    "invalid UTF-8": b'{"source": ["a\xff"]}',
}
GOOD_PATTERN = {"source": ["a"]}
GOOD_EVENT = {"id": "1", "account": "1", "source": "a", "time": "t", "region": "r", "detail-type": "d"}


def _ruleset_matching(event: Any) -> Any:
    rules = RuleSet()
    rules.add("r", GOOD_PATTERN)
    return rules.matching(event)


def _ruleset_matching_set(event: Any) -> Any:
    rules = RuleSet()
    rules.add("r", GOOD_PATTERN)
    return rules.matching_set(event)


def _put_events(event: Any) -> Any:
    detail = event.decode("utf-8", "surrogateescape") if isinstance(event, bytes) else event
    answer = EventBridge().put_events([{"Source": "a", "DetailType": "d", "Detail": detail}])
    return answer["Entries"][0].get("ErrorCode", "accepted")


EVENT_ENTRY_POINTS: dict[str, Callable[[Any], Any]] = {
    "Pattern.matches": lambda e: compile_pattern(GOOD_PATTERN).matches(e),
    "test_event_pattern": lambda e: test_event_pattern(e, GOOD_PATTERN),
    "explain": lambda e: explain(GOOD_PATTERN, e),
    "RuleSet.matching": _ruleset_matching,
    "RuleSet.matching_set": _ruleset_matching_set,
    "EventBridge.publish": lambda e: EventBridge().publish(e),
    "EventBridge.put_events": _put_events,
    "Template.fire": lambda e: load_template(
        "t.yaml", text="Resources: {R: {Type: AWS::Events::Rule, Properties: {EventPattern: {source: [a]}}}}"
    ).fire(e),
}


@pytest.mark.parametrize("entry", sorted(EVENT_ENTRY_POINTS))
@pytest.mark.parametrize("case", sorted(EVENTS))
def test_hostile_events_raise_only_eventmatch_errors(entry: str, case: str) -> None:
    event = EVENTS[case]
    try:
        result = EVENT_ENTRY_POINTS[entry](event)
    except EventmatchError:
        return
    if case in VALID_JSON:
        return  # JSON allows numbers of any size: an answer is right (the rule tests only "source")
    assert entry == "EventBridge.put_events" and result == "MalformedDetail", (entry, case, result)


PATTERN_ENTRY_POINTS: dict[str, Callable[[Any], Any]] = {
    "compile_pattern": compile_pattern,
    "test_event_pattern": lambda p: test_event_pattern(GOOD_EVENT, p),
    "explain": lambda p: explain(p, GOOD_EVENT),
    "RuleSet.add": lambda p: RuleSet().add("r", p),
    "EventBus.put_rule": lambda p: EventBridge().bus().put_rule("r", p),
}


@pytest.mark.parametrize("entry", sorted(PATTERN_ENTRY_POINTS))
@pytest.mark.parametrize("case", sorted(PATTERNS))
def test_hostile_patterns_raise_only_eventmatch_errors(entry: str, case: str) -> None:
    try:
        PATTERN_ENTRY_POINTS[entry](PATTERNS[case])
    except EventmatchError:
        return
    if case in ("huge exponent", "huge integer"):
        return  # valid JSON numbers: AWS's library reads them as decimals; eventmatch keeps them exact
    pytest.fail(f"{entry} accepted {case}")


def test_deep_dicts_as_python_objects() -> None:
    deep: dict[str, Any] = {}
    cursor = deep
    for _ in range(DEPTH):
        cursor["a"] = {}
        cursor = cursor["a"]
    for entry in ("compile_pattern", "RuleSet.add", "EventBus.put_rule"):
        with pytest.raises(EventmatchError):
            PATTERN_ENTRY_POINTS[entry](deep)
    for entry in ("Pattern.matches", "RuleSet.matching", "EventBridge.publish", "explain"):
        with contextlib.suppress(EventmatchError):  # only the rules' paths are read: an answer is right too
            EVENT_ENTRY_POINTS[entry](deep)


def test_schedules_with_huge_values() -> None:
    for expression in ("rate(99999999999999999999 minutes)", "rate(" + "9" * 5000 + " days)",
                       "cron(0 0 * * ? 99999999999)", "at(99999-01-01T00:00:00)"):
        with pytest.raises(EventmatchError):
            parse_schedule(expression)


def test_wrong_python_types_raise_type_error() -> None:
    with pytest.raises(TypeError):
        compile_pattern(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_schedule(None)  # type: ignore[arg-type]
    with pytest.raises((TypeError, EventmatchError)):
        RuleSet().add("r", object())  # type: ignore[arg-type]


@pytest.mark.parametrize("case", ["deep objects", "NaN", "invalid UTF-8", "Infinity"])
def test_the_command_line_reports_hostile_input_without_a_traceback(case: str, tmp_path: Any) -> None:
    event = EVENTS[case]
    path = tmp_path / "event.json"
    path.write_bytes(event if isinstance(event, bytes) else event.encode())
    tested = run("test", json.dumps(GOOD_PATTERN), str(path))
    explained = run("explain", json.dumps(GOOD_PATTERN), str(path))
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"r": GOOD_PATTERN}))
    matched = run("match", "--rules", str(rules), str(path))
    for out in (tested, explained, matched):
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr[-500:]
    deep = tmp_path / "pattern.json"
    deep.write_text(DEEP_PATTERN)
    checked = run("validate", "--pattern", str(deep))
    assert checked.returncode == 1 and "nesting depth" in checked.stdout and "Traceback" not in checked.stderr
