"""Data-driven conformance: AWS's recorded answers and the reference library's vectors."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import eventmatch
from tests.conftest import DATA, load_json

AWS_CASES: list[dict[str, Any]] = load_json("aws_recorded_patterns.json")
AWS_ERRORS: dict[str, Any] = load_json("aws_recorded_errors.json")
VECTORS = [json.loads(line) for line in (DATA / "reference_library_vectors.jsonl").read_text().splitlines()]

#: Reference-library vectors where eventmatch deliberately answers otherwise, with the reason.
#: Empty: on all 2,565 vectors eventmatch agrees with the library. (The library's one known
#: disagreement with AWS, the wildcard complexity limit, is not exercised by the vectors.)
VECTOR_EXCEPTIONS: dict[int, str] = {}


def _texts(case: dict[str, Any]) -> tuple[str, str]:
    event = case.get("event_text") or json.dumps(case["event"])
    pattern = case.get("pattern_text") or json.dumps(case["pattern"])
    return event, pattern


@pytest.mark.parametrize("case", AWS_CASES, ids=[c["name"] for c in AWS_CASES])
def test_aws_recorded_case(case: dict[str, Any]) -> None:
    event, pattern = _texts(case)
    if case["expected"] == "error":
        with pytest.raises(eventmatch.InvalidEventPatternError) as info:
            eventmatch.test_event_pattern(event, pattern)
        if case.get("error_message"):
            assert str(info.value).split("\n")[0] == case["error_message"]
    else:
        assert eventmatch.test_event_pattern(event, pattern) is case["expected"]


def _raw_error_cases() -> list[tuple[str, str, str]]:
    """(label, pattern text, AWS's full message) for every recorded pattern error."""
    by_name = {c["name"]: _texts(c)[1] for c in AWS_CASES}
    out = []
    for label, err in AWS_ERRORS["pattern_errors"].items():
        source = re.search(r'at \[Source: \(String\)"(.*)"; line', err["raw"], re.S)
        text = by_name.get(label) or (source.group(1) if source else None)
        if text is not None:
            out.append((label, text, err["raw"]))
    return out


@pytest.mark.parametrize(("label", "pattern", "raw"), _raw_error_cases(), ids=lambda x: x if len(x) < 60 else None)
def test_full_error_message_matches_aws(label: str, pattern: str, raw: str) -> None:
    with pytest.raises(eventmatch.InvalidEventPatternError) as info:
        eventmatch.compile_pattern(pattern)
    ours = str(info.value)
    if "<partition>" in raw or "<region>" in raw:
        # the recording anonymised parts of the pattern text; compare the reason line
        assert ours.split("\n")[0] == raw.split("\n")[0]
    elif "Reason: Unexpected character" in raw or "Reason: Unrecognized token" in raw:
        # malformed JSON: the reason line is AWS's; the column can differ by one
        # between JSON-reader versions, so only the line is compared here
        assert ours.split("\n")[0] == raw.split("\n")[0]
    else:
        assert ours == raw


@pytest.mark.parametrize("label", sorted(AWS_ERRORS["invalid_events"]))
def test_invalid_event_messages_are_aws(label: str) -> None:
    bad_events = {
        "test_plain_string_payload": "plain string",
        "test_invalid_event_payload": json.dumps({"source": "test-source", "detail-type": "x"}),
        "test_array_event_payload": json.dumps([{"id": "1"}]),
    }
    with pytest.raises(eventmatch.InvalidEventError) as info:
        eventmatch.test_event_pattern(bad_events[label], {"source": ["test-source"]})
    assert str(info.value) == AWS_ERRORS["invalid_events"][label]["message"]
    assert info.value.code == AWS_ERRORS["invalid_events"][label]["code"]


def test_reference_library_vectors() -> None:
    """All 2,565 vectors through compile_pattern(pattern).matches(event)."""
    wrong = []
    for vector in VECTORS:
        if vector["id"] in VECTOR_EXCEPTIONS:
            continue
        got = eventmatch.compile_pattern(vector["pattern"]).matches(vector["event"])
        if got != vector["match"]:
            wrong.append((vector["id"], vector["source_test"], got))
    assert wrong == []
    assert len(VECTORS) == 2565


def test_vector_exceptions_are_still_exceptions() -> None:
    """Each listed exception really is answered differently (else it should leave the list)."""
    by_id = {v["id"]: v for v in VECTORS}
    for vector_id, reason in VECTOR_EXCEPTIONS.items():
        vector = by_id[vector_id]
        assert reason
        assert eventmatch.compile_pattern(vector["pattern"]).matches(vector["event"]) != vector["match"]
