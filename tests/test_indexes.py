"""Properties of the per-field indexes for many rules of one operator on one field (numeric ranges, CIDR
blocks, wildcards, the anything-but forms): the RuleSet agrees with the reference evaluator, for dict
events and their JSON text, with the stabbing index as a flat table and as a segment tree."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventmatch
from eventmatch.pattern import index as index_module
from eventmatch.pattern import intervals
from eventmatch.pattern import machine as machine_module
from eventmatch.pattern.compile import clear_cache
from eventmatch.pattern.fragments import FragmentIndex
from eventmatch.pattern.intervals import Stabber
from eventmatch.pattern.wildcard import parse_wildcard
from tests import reference

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# numbers: small integers (bounds are shared often, values land on them), decimals that are not floats,
# and numbers near the documented limits
NUMBERS = st.one_of(
    st.integers(-20, 20),
    st.sampled_from([0.1, 0.3, 2.5, -1.75, 4999999999.5]),  # written as JSON text: "0.1" is the decimal 0.1
)
OPS = st.sampled_from([">", ">=", "<", "<="])


@st.composite
def numeric_condition(draw: Any) -> dict[str, Any]:
    if draw(st.booleans()):
        low, high = sorted([draw(NUMBERS), draw(NUMBERS)])
        return {"numeric": [draw(st.sampled_from([">", ">="])), low, draw(st.sampled_from(["<", "<="])), high]}
    return {"numeric": [draw(OPS), draw(NUMBERS)]}


NUMERIC_VALUES = st.one_of(NUMBERS,
                           st.floats(-25, 25), st.sampled_from([0.1, 0.30000000000000004, 2.5, 5e9, -5e9]))

OCTETS = st.integers(0, 3)
IPV4 = st.builds(lambda a, b, c, d: f"10.{a}.{b}.{c * 64 + d}", OCTETS, OCTETS, OCTETS, st.integers(0, 63))
IPV6 = st.sampled_from(["::", "::1", "2001:db8::1", "2001:db8:ffff::", "a00:1::", "ffff::", "::a00:1"])


@st.composite
def cidr_condition(draw: Any) -> dict[str, Any]:
    if draw(st.integers(0, 5)) == 0:
        return {"cidr": draw(st.sampled_from(["::/0", "2001:db8::/32", "a00::/8", "::/96", "0.0.0.0/0"]))}
    address = draw(IPV4)
    return {"cidr": f"{address}/{draw(st.sampled_from([8, 16, 20, 24, 26, 30, 31]))}"}


CIDR_VALUES = st.one_of(IPV4, IPV6, st.sampled_from([
    "10.0.0", "not an ip", "10.0.0.256", "",
    # what the C parser refuses and the fallback decides (see cidr.ip_to_hex): leading zeros, a NUL,
    # a digit that is not ASCII, an IPv4 tail on an IPv6 address
    "010.0.0.1", "10.0.0.1\x00", "1\uff10.0.0.1", "::ffff:10.0.0.1",
]))

WILD_TEXT = st.text(alphabet="ab/.*", min_size=0, max_size=7).filter(lambda t: "**" not in t)
WILD_VALUES = st.text(alphabet="ab/.", min_size=0, max_size=9)


@st.composite
def wildcard_condition(draw: Any) -> dict[str, Any]:
    return {"wildcard": draw(WILD_TEXT)}


@st.composite
def anything_but_condition(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(["wildcard", "prefix", "suffix", "equals-ignore-case"]))
    if kind == "wildcard":
        values = draw(st.lists(WILD_TEXT, min_size=1, max_size=2))
    else:
        values = draw(st.lists(st.text(alphabet="abAB/", min_size=1, max_size=3), min_size=1, max_size=2))
    return {"anything-but": {kind: values if len(values) > 1 else values[0]}}


BUT_VALUES = st.sampled_from(["a", "b", "ab", "A", "b/"])
AFFIX_VALUES = st.text(alphabet="abAB/", min_size=0, max_size=7)


@st.composite
def affix_condition(draw: Any) -> dict[str, Any]:
    """Prefixes and suffixes (plain and case-folded) and equals-ignore-case, of many lengths on one field:
    values shorter than some keys, and keys of one character or none, meet the fused code's slices."""
    kind = draw(st.sampled_from(["prefix", "suffix", "equals-ignore-case", "prefix-folded", "suffix-folded"]))
    text = draw(st.text(alphabet="abAB/", min_size=0, max_size=5))
    if kind.endswith("-folded"):
        return {kind.split("-")[0]: {"equals-ignore-case": text}}
    return {kind: text}


@st.composite
def anything_but_list_condition(draw: Any) -> Any:
    """Anything-but lists, sometimes two on one field (the field then fails only where both exclude), and
    sometimes a rule of two sub-rules (``$or``), so that two predicates give one rule."""
    def one() -> dict[str, Any]:
        return {"anything-but": draw(st.lists(BUT_VALUES, min_size=1, max_size=2, unique=True))}

    shape = draw(st.integers(0, 4))
    if shape == 0:
        return [one(), one()]
    if shape == 1:
        return {"$or": [{"f": [one()]}, {"f": [one()]}]}
    return one()


FAMILIES = {
    "numeric": (numeric_condition(), NUMERIC_VALUES),
    "cidr": (cidr_condition(), CIDR_VALUES),
    "wildcard": (wildcard_condition(), WILD_VALUES),
    "anything-but": (st.one_of(
        anything_but_condition(),
        st.lists(anything_but_condition(), min_size=2, max_size=2),  # two on one field
        st.builds(lambda a, b: {"$or": [{"f": [a]}, {"f": [b]}]}, anything_but_condition(), anything_but_condition()),
    ), WILD_VALUES),
    "anything-but-list": (anything_but_list_condition(), st.one_of(BUT_VALUES, st.integers(0, 2))),
    "affix": (affix_condition(), AFFIX_VALUES),
}


def _valid(pattern: dict[str, Any]) -> bool:
    try:
        eventmatch.compile_pattern(pattern)
    except eventmatch.EventmatchError:
        return False
    return True


CHECKED = {"rules": 0, "events": 0}


def _pattern(condition: Any) -> dict[str, Any]:
    if isinstance(condition, dict) and "$or" in condition:
        return condition
    return {"f": condition if isinstance(condition, list) else [condition]}


def _check(conditions: list[dict[str, Any]], values: list[Any]) -> None:
    patterns = [p for p in (_pattern(c) for c in conditions) if _valid(p)]
    CHECKED["rules"] += len(patterns)
    CHECKED["events"] += len(values)
    rules = eventmatch.RuleSet()
    rules.update((f"r{i}", p) for i, p in enumerate(patterns))
    with mock.patch.object(machine_module, "build_extractor", lambda *args: None):  # no generated code
        general = eventmatch.RuleSet()
        general.update((f"r{i}", p) for i, p in enumerate(patterns))
        for value in values:
            expected = sorted(f"r{i}" for i, p in enumerate(patterns) if reference.matches(p, {"f": value}))
            assert sorted(general.matching({"f": value})) == expected, value
        assert general._machine._extractor is None
    for value in values:
        event = {"f": value}
        expected = sorted(f"r{i}" for i, p in enumerate(patterns) if reference.matches(p, event))
        assert sorted(rules.matching(event)) == expected, value
        assert sorted(rules.matching(json.dumps(event))) == expected, value
        # the value in an array, beside another field: the general and the generated paths alike
        event = {"f": [value, "x"], "g": 1}
        expected = sorted(f"r{i}" for i, p in enumerate(patterns) if reference.matches(p, event))
        assert sorted(rules.matching(event)) == expected, value


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("layout", ["flat", "flat, no memo", "tree, no memo"])
def test_many_rules_of_one_operator_on_one_field_agree_with_the_reference(
    family: str, layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if layout == "flat, no memo" and family not in ("numeric", "cidr"):
        pytest.skip("only the stabbing indexes have a flat table of their own for the fused matchers")
    if layout.startswith("tree"):  # every stabbing index a segment tree
        monkeypatch.setattr(intervals, "FLAT_PER_INTERVAL", 0)
        monkeypatch.setattr(intervals, "FLAT_SLACK", 0)
    if layout.endswith("no memo"):  # no value remembered (FieldIndex.memo): the fused tables answer each
        monkeypatch.setattr(index_module, "MEMO_SIZE", 1)
        monkeypatch.setattr(index_module, "MEMO_SIZE_SLOW", 1)
    clear_cache()
    conditions, values = FAMILIES[family]

    @SETTINGS
    @given(st.lists(conditions, min_size=20, max_size=150), st.lists(values, min_size=1, max_size=12))
    def run(drawn: list[dict[str, Any]], event_values: list[Any]) -> None:
        _check(drawn, event_values)

    CHECKED.update(rules=0, events=0)
    run()
    assert CHECKED["rules"] > 1000 and CHECKED["events"] > 100, CHECKED  # many rules per field were tried


def test_rules_added_and_removed_keep_the_indexes_in_step() -> None:
    """The boxes are rebuilt after every change: a removed range, block or wildcard stops matching."""
    rules = eventmatch.RuleSet()
    for i in range(200):
        rules.add(f"n{i}", {"f": [{"numeric": [">=", i, "<", i + 3]}]})
        rules.add(f"c{i}", {"f": [{"cidr": f"10.0.{i}.0/24"}]})
        rules.add(f"w{i}", {"f": [{"wildcard": f"k{i}/*"}]})
    assert sorted(rules.matching({"f": 100.5})) == ["n100", "n98", "n99"]
    assert rules.matching({"f": "10.0.7.9"}) == ["c7"]
    assert rules.matching({"f": "k7/x"}) == ["w7"]
    rules.remove("n99")
    rules.remove("c7")
    rules.remove("w7")
    assert sorted(rules.matching({"f": 100.5})) == ["n100", "n98"]
    assert rules.matching({"f": "10.0.7.9"}) == []
    assert rules.matching({"f": "k7/x"}) == []


def test_a_stabber_as_a_tree_and_as_a_flat_table_agree() -> None:
    import random

    rnd = random.Random(5)
    bounds = sorted({rnd.randrange(100) for _ in range(60)})
    spans = []
    for k in range(300):
        a, b = sorted([rnd.randrange(2 * len(bounds) + 1) for _ in range(2)])
        spans.append((a, b, k))
    saved = intervals.FLAT_PER_INTERVAL, intervals.FLAT_SLACK
    try:
        intervals.FLAT_PER_INTERVAL, intervals.FLAT_SLACK = 0, 10**9
        flat = Stabber(bounds, spans, {})
        intervals.FLAT_PER_INTERVAL, intervals.FLAT_SLACK = 0, 0
        tree = Stabber(bounds, spans, {})
    finally:
        intervals.FLAT_PER_INTERVAL, intervals.FLAT_SLACK = saved
    assert flat.flat is not None
    assert tree.flat is None
    for value in [x / 2 for x in range(-2, 204)]:
        a: list[int] = []
        b: list[int] = []
        flat.stab(value, a)
        tree.stab(value, b)
        assert sorted(a) == sorted(b)


@pytest.mark.parametrize(("letters", "count"), [("ab/", 400), ("ab/", 12), ("ab/. \u3000-", 600), ("ab.-", 30)])
def test_a_fragment_index_finds_what_each_pattern_finds(letters: str, count: int) -> None:
    """Prefixes, suffixes, words (runs between delimiters, ``/``, ``.`` and whitespace here) and substrings,
    with few keys (searched for with ``in``) and many (looked up)."""
    import random

    rnd = random.Random(9)
    atoms = [*letters, "ab", "ba", "a-b"]

    def text(size: int, star: bool) -> str:
        return "".join(rnd.choice(atoms + ["*"] * star) for _ in range(rnd.randrange(size)))

    texts = {("*{}*" if rnd.random() < 0.5 else "{}").format(text(8, True)) for _ in range(count)}
    patterns = [t for t in texts if "**" not in t]
    compiled = [(parse_wildcard(t), t) for t in patterns]
    index = FragmentIndex([(pieces, _tester(pieces), t) for pieces, t in compiled])
    assert index.words or count < 100
    for _ in range(2000):
        value = text(12, False)
        found: list[str] = []
        index.lookup(value, found)
        assert sorted(found) == sorted(t for pieces, t in compiled if _tester(pieces)(value))


def test_a_pattern_is_filed_under_a_word_between_delimiters() -> None:
    from eventmatch.pattern import fragments

    assert fragments.value_words("tenant-7/2024/obj-1.json") == ["tenant-7", "2024", "obj-1", "json"]
    assert fragments._words(parse_wildcard("*/tenant-7/*.json*")) == {"tenant-7"}  # "json" may go on: no word
    assert fragments._words(parse_wildcard("*tenant-7/*")) == set()  # a star may add to "tenant-7"
    patterns = [f"*/tenant-{i}/*/*.json*" for i in range(40)] + ["*tenant*"]
    index = FragmentIndex([(parse_wildcard(t), _tester(parse_wildcard(t)), t) for t in patterns])
    assert len(index.words) == 40 and sum(len(t) for t in index.infix.values()) == 1
    assert "40 words" in repr(index)
    found: list[str] = []
    index.lookup("bucket/tenant-7/x/y.json.gz", found)
    assert sorted(found) == ["*/tenant-7/*/*.json*", "*tenant*"]


def _tester(pieces: Any) -> Any:
    import re

    from eventmatch.pattern.wildcard import wildcard_regex

    regex = re.compile(wildcard_regex(pieces), re.DOTALL)
    return lambda value: regex.fullmatch(value) is not None
