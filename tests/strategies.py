"""Hypothesis strategies for random (valid) patterns and events over a small vocabulary."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

NAMES = ["a", "b", "c"]
STRINGS = ["", "x", "xy", "X", "yx", "xyz", "10.0.0.7", "10.1.0.1", "2001:db8::1", "é", "É"]
NUMBERS: list[Any] = [0, 1, 1.5, -2, 300, 300.0, 3e2, 5000000000, -0.5]
SCALARS = st.one_of(st.sampled_from(STRINGS), st.sampled_from(NUMBERS), st.sampled_from([True, False, None]))


def _leaf_value(depth: int) -> st.SearchStrategy[Any]:
    if depth <= 0:
        return SCALARS
    return st.one_of(
        SCALARS,
        st.lists(SCALARS, max_size=3),
        st.lists(st.deferred(lambda: event_objects(depth - 1)), min_size=1, max_size=3),
        st.lists(st.lists(SCALARS, max_size=2), max_size=2),
        event_objects(depth - 1),
    )


def event_objects(depth: int = 2, min_size: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(NAMES), _leaf_value(depth), min_size=min_size, max_size=3)


CONDITIONS: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(STRINGS),
    st.sampled_from([0, 1, 1.5, 300, -2, True, False, None]),
    st.builds(lambda s: {"prefix": s}, st.sampled_from(["", "x", "X", "10."])),
    st.builds(lambda s: {"suffix": s}, st.sampled_from(["", "y", "z", "::1"])),
    st.builds(lambda s: {"equals-ignore-case": s}, st.sampled_from(["x", "XY", "é", ""])),
    st.builds(lambda s: {"prefix": {"equals-ignore-case": s}}, st.sampled_from(["X", "y", ""])),
    st.builds(lambda s: {"suffix": {"equals-ignore-case": s}}, st.sampled_from(["Y", "z", ""])),
    st.builds(lambda s: {"wildcard": s}, st.sampled_from(["x*", "*y", "*", "x*y*", "", "\\*", "*.*"])),
    st.sampled_from(
        [
            {"numeric": [">", 0]},
            {"numeric": [">=", 1, "<", 300]},
            {"numeric": ["=", 300]},
            {"numeric": ["<=", -0.5]},
            {"numeric": [">", -3, "<=", 1.5]},
        ]
    ),
    st.builds(lambda b: {"exists": b}, st.booleans()),
    st.sampled_from([{"cidr": "10.0.0.0/24"}, {"cidr": "2001:db8::/32"}, {"cidr": "10.0.0.0/8"}]),
    st.sampled_from(
        [
            {"anything-but": "x"},
            {"anything-but": ["x", "xy"]},
            {"anything-but": 300},
            {"anything-but": [0, 1.5]},
            {"anything-but": {"prefix": "x"}},
            {"anything-but": {"suffix": "y"}},
            {"anything-but": {"equals-ignore-case": ["X", "é"]}},
            {"anything-but": {"wildcard": "x*"}},
            {"anything-but": {"prefix": ["x", "1"]}},
        ]
    ),
)


def _pattern_body(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    leaf = st.lists(CONDITIONS, min_size=1, max_size=3)
    value: st.SearchStrategy[Any] = leaf if depth <= 0 else st.one_of(leaf, leaf, st.deferred(lambda: _pattern_body(depth - 1)))
    body = st.dictionaries(st.sampled_from(NAMES), value, min_size=1, max_size=3)
    if depth <= 0:
        return body
    with_or = st.builds(
        lambda b, branches: {**b, "$or": branches},
        st.dictionaries(st.sampled_from(NAMES), leaf, max_size=1),
        st.lists(st.deferred(lambda: _pattern_body(depth - 1)), min_size=2, max_size=3),
    )
    return st.one_of(body, body, with_or)


patterns = _pattern_body(2)
events = event_objects(2, min_size=2)
