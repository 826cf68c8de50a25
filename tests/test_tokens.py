"""A dict pattern is read from the dict itself (tokens_of), not lexed from its text: same answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventmatch import InvalidEventPatternError, compile_pattern
from eventmatch.pattern.parse import parse_text, pattern_text
from eventmatch.pattern.tokens import tokenize, tokens_of
from tests.strategies import CONDITIONS, patterns

KEYS = st.sampled_from(["a", "b", "$or", "prefix", "numeric", "anything-but", "exists", "wildcard", "é", ""])
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=4),
    CONDITIONS,
)
#: dicts shaped like patterns, most of them invalid in some way
PATTERN_LIKE: st.SearchStrategy[Any] = st.recursive(
    LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=10,
)


def _outcome(text: str, value: object = None) -> Any:
    try:
        return parse_text(text, value)
    except InvalidEventPatternError as error:
        return ("error", str(error), error.path)


@settings(max_examples=500, deadline=None)
@given(st.one_of(patterns, st.dictionaries(KEYS, PATTERN_LIKE, min_size=1, max_size=3)))
def test_a_dict_read_directly_gives_what_its_text_gives(pattern: dict[str, Any]) -> None:
    text = pattern_text(pattern)
    assert _outcome(text, pattern) == _outcome(text)


@settings(max_examples=200, deadline=None)
@given(st.one_of(patterns, PATTERN_LIKE))
def test_the_tokens_of_a_value_are_the_lexers_without_positions(value: Any) -> None:
    tokens = tokens_of(value)
    assert tokens is not None
    lexed = tokenize(json.dumps(value, ensure_ascii=False))
    assert [(t.kind, t.value, t.text) for t in tokens] == [(t.kind, t.value, t.text) for t in lexed]


@pytest.mark.parametrize(
    "value",
    [{"a": ("x",)}, {1: ["x"]}, {"a": [float("nan")]}, {"a": ["\ud800"]}, {"a": [object()]}],
)
def test_what_the_walk_leaves_to_the_lexer(value: Any) -> None:
    assert tokens_of(value) is None


def test_an_invalid_dict_reports_aws_message_and_position() -> None:
    pattern = {"detail": {"n": [{"numeric": [">", "x"]}]}}
    with pytest.raises(InvalidEventPatternError) as from_dict:
        compile_pattern(pattern)
    with pytest.raises(InvalidEventPatternError) as from_text:
        compile_pattern(json.dumps(pattern, ensure_ascii=False))
    assert str(from_dict.value) == str(from_text.value) and "column" in str(from_dict.value)


def test_the_cache_keeps_no_callers_dict() -> None:
    from eventmatch.pattern.compile import _compiled

    pattern = {"source": ["cache.test.only"]}
    compiled = compile_pattern(pattern)
    assert compile_pattern(json.dumps(pattern, ensure_ascii=False)) is compiled
    pattern["source"].append("changed")  # the caller's dict changes; the cached pattern does not
    assert compile_pattern(json.dumps({"source": ["cache.test.only"]}, ensure_ascii=False)) is compiled
    assert compiled.matches({"source": "cache.test.only"}) and not compiled.matches({"source": "changed"})
    assert _compiled.cache_info().currsize >= 1
