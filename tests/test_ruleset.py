"""RuleSet: many rules in one machine; add, replace, remove, and the order of answers."""

from __future__ import annotations

import json
import threading
from typing import Any
from unittest import mock

import pytest

from eventmatch import InvalidEventError, InvalidEventPatternError, Pattern, RuleSet, compile_pattern
from eventmatch.pattern.index import FieldIndex
from tests.concurrency import run_against

EC2 = {"source": ["aws.ec2"], "detail": {"state": ["terminated"]}}
EVENT = {"source": "aws.ec2", "detail": {"state": "terminated"}}


def test_matching_names_in_insertion_order() -> None:
    rules = RuleSet()
    rules.add("z-any-ec2", {"source": ["aws.ec2"]})
    rules.add("a-terminated", EC2)
    rules.add("other", {"source": ["aws.s3"]})
    assert rules.matching(EVENT) == ["z-any-ec2", "a-terminated"]
    assert rules.matching(b'{"source": "aws.s3"}') == ["other"]
    assert rules.matching('{"source": "x"}') == []


def test_matching_set_has_the_names_of_matching_unordered() -> None:
    rules = RuleSet()
    rules.add("z-any-ec2", {"source": ["aws.ec2"]})
    rules.add("a-terminated", EC2)
    rules.add("other", {"source": ["aws.s3"]})
    text = json.dumps(EVENT)
    for event in (EVENT, text, text.encode(), bytearray(text.encode()), memoryview(text.encode())):
        found = rules.matching_set(event)
        assert found == {"z-any-ec2", "a-terminated"} == set(rules.matching(event))
    assert rules.matching_set('{"source": "x"}') == set()
    # bound to the machine's match, whose repr stays short whatever the rule set holds
    assert repr(rules.matching_set) == "<bound method Machine.match of <Machine of 3 rules on 2 paths>>"
    first = rules.matching_set(EVENT)
    first.add("not a rule")  # each answer is a new set: changing it changes nothing else
    assert rules.matching_set(EVENT) == {"z-any-ec2", "a-terminated"}
    for bad in (b"[1]", b"{", 5, None):
        with pytest.raises(InvalidEventError, match=r"Parameter Event is not valid\."):
            rules.matching_set(bad)  # type: ignore[arg-type]


def test_a_subclass_can_override_matching_set() -> None:
    class Counting(RuleSet):
        calls = 0

        def matching_set(self, event: Any) -> set[str]:
            Counting.calls += 1
            return super().matching_set(event)

    rules = Counting()
    rules.add("a", EC2)
    assert rules.matching_set(EVENT) == {"a"} and Counting.calls == 1


def test_invalid_add_changes_nothing() -> None:
    rules = RuleSet()
    rules.add("keep", EC2)
    with pytest.raises(InvalidEventPatternError):
        rules.add("keep", {"source": []})
    with pytest.raises(InvalidEventPatternError):
        rules.add("new", '{"source": ["x"], "detail": {"n": [{"numeric": [">"]}]}}')
    assert list(rules) == ["keep"]
    assert rules.matching(EVENT) == ["keep"]
    assert rules.pattern("keep") == compile_pattern(EC2)


def test_add_replaces_a_rule_of_the_same_name() -> None:
    rules = RuleSet()
    rules.add("r", {"source": ["aws.s3"]})
    rules.add("r", EC2)
    assert len(rules) == 1
    assert rules.matching(EVENT) == ["r"]
    assert rules.matching({"source": "aws.s3"}) == []


def test_remove() -> None:
    rules = RuleSet()
    rules.add("a", EC2)
    rules.add("b", {"detail": {"state": [{"exists": False}]}})
    rules.remove("a")
    assert "a" not in rules and "b" in rules
    assert rules.matching(EVENT) == []
    assert rules.matching({"detail": {}}) == ["b"]
    with pytest.raises(KeyError, match="no rule named 'a'"):
        rules.remove("a")
    rules.remove("b")
    assert rules.matching({"detail": {}}) == []
    assert rules._machine.fields == {} and rules._machine.wanted == set()


def test_rule_names_are_checked() -> None:
    with pytest.raises(TypeError, match="non-empty string"):
        RuleSet().add("", EC2)


def test_a_compiled_pattern_can_be_added() -> None:
    rules = RuleSet()
    rules.add("p", compile_pattern(EC2))
    assert rules.matching(EVENT) == ["p"]


def test_shared_matchers_across_rules() -> None:
    rules = RuleSet()
    for i in range(50):
        rules.add(f"r{i}", {"source": ["aws.ec2"], "detail": {"n": [{"numeric": [">", i]}]}})
    assert rules.matching({"source": "aws.ec2", "detail": {"n": 10}}) == [f"r{i}" for i in range(10)]


def test_reprs() -> None:
    rules = RuleSet()
    rules.add("a", EC2)
    assert repr(rules) == "<RuleSet of 1 rule>"
    p = compile_pattern(EC2)
    assert repr(p).startswith("<Pattern {") and isinstance(p, Pattern)
    assert "detail.state" in p.dump()


def test_rules_can_change_while_events_are_matched() -> None:
    rules = RuleSet()
    rules.add("stable", EC2)

    def churn(stop: threading.Event) -> None:
        i = 0
        while not stop.is_set():
            rules.add(f"tmp{i % 20}", {"source": ["aws.ec2"], "detail": {"state": [{"prefix": "term"}]}})
            if i % 3 == 0:
                rules.remove(f"tmp{i % 20}")
            i += 1

    def match() -> None:
        for _ in range(3000):
            assert "stable" in rules.matching(EVENT)

    errors = run_against(churn, match, threads=2)
    assert errors == []


def test_shared_empty_index_tables_are_never_written() -> None:
    """A FieldIndex starts with shared empty tables; every insert must take its own first."""
    from eventmatch.pattern import index as machine

    rules = RuleSet()
    conditions = ["x", 1, True, None, {"prefix": "a"}, {"suffix": "b"}, {"equals-ignore-case": "C"},
                  {"prefix": {"equals-ignore-case": "d"}}, {"suffix": {"equals-ignore-case": "e"}},
                  {"anything-but": ["f"]}, {"anything-but": {"prefix": "g"}}, {"anything-but": {"suffix": "h"}},
                  {"anything-but": {"equals-ignore-case": "I"}}, {"anything-but": {"wildcard": "j*"}},
                  {"numeric": [">", 0]}, {"exists": True}, {"cidr": "10.0.0.0/8"}, {"wildcard": "k*"}]
    for i, c in enumerate(conditions):
        rules.add(f"r{i}", {"f": [c], "g": ["same"]})
    rules.matching({"f": "x", "g": "same"})
    for i in range(len(conditions)):
        rules.remove(f"r{i}")
    assert machine._NO_DICT == {} and machine._NO_LIST == ()


def test_lock_free_matching_sees_each_rule_whole_while_rules_change() -> None:
    """Matching runs without the lock and retries under it if a change overlapped: every answer must be
    one a consistent machine gives (the stable rules always, each changing rule whole or not at all)."""
    rules = RuleSet()
    rules.add("stable", {"source": ["s"], "detail": {"n": [{"numeric": [">", 0]}]}})
    rules.add("stable-or", {"$or": [{"source": ["s"]}, {"detail": {"k": ["v"]}}]})
    event = {"source": "s", "detail": {"n": 5, "k": "v", "tags": ["a", "b"]}}
    text = json.dumps(event)
    answers: set[tuple[str, ...]] = set()

    def churn(stop: threading.Event) -> None:
        i = 0
        while not stop.is_set():
            name = f"flip{i % 7}"
            rules.add(name, {"$or": [{"source": ["s"], "detail": {"tags": ["a"]}}, {"detail": {"k": ["v"], "n": [5]}}]})
            rules.add(f"noise{i}", {"source": [f"other{i}"], "detail": {"n": [i]}})
            for j in range(i % 9):  # members of the anchor group of source "s": it splits and refiles
                rules.add(f"member{j}", {"source": ["s"], "detail": {"n": [1000 + j]}})
            rules.remove(name)
            rules.remove(f"noise{i}")
            for j in range(i % 9):
                rules.remove(f"member{j}")
            i += 1

    def read() -> None:
        for i in range(3000):
            got = tuple(rules.matching(event if i % 2 else text))
            assert got[:2] == ("stable", "stable-or"), got
            answers.add(got[2:])
            unordered = rules.matching_set(text if i % 2 else event)  # the machine's match, bound
            assert {"stable", "stable-or"} <= unordered, unordered
            assert len(unordered) <= 3 and all(n.startswith("flip") for n in unordered - {"stable", "stable-or"})

    errors = run_against(churn, read, threads=3)
    assert not errors, errors[0]
    assert all(len(extra) <= 1 and all(n.startswith("flip") for n in extra) for extra in answers), answers


def test_remembered_look_ups_never_outlive_a_change_made_during_a_match() -> None:
    """The fused matchers remember the slow look-ups of strings per field (FieldIndex.str_lookup). A
    result computed while a change was under way must not be remembered past it: once the changes stop,
    every answer is the final machine's."""
    rules = RuleSet()
    rules.add("stable", {"f": [{"anything-but": {"prefix": "zz"}}]})
    values = [f"ab{i}" for i in range(5)] + ["zz", "q"]

    def churn(stop: threading.Event) -> None:
        i = 0
        while not stop.is_set():
            rules.add("shut", {"f": [{"anything-but": {"prefix": "ab"}}]})
            rules.add("open", {"f": [{"prefix": "a"}], "g": [{"exists": False}]})
            rules.add("wild", {"f": [{"wildcard": f"*{i % 5}"}]})
            rules.remove("shut")
            rules.remove("open")
            rules.remove("wild")
            i += 1

    def read() -> None:
        for i in range(4000):
            value = values[i % len(values)]
            got = rules.matching({"f": value} if i % 2 else json.dumps({"f": value}))
            assert set(got) <= {"stable", "shut", "open", "wild"}, got

    errors = run_against(churn, read, threads=3)
    assert not errors, errors[0]
    for value in values:
        expected = [] if value == "zz" else ["stable"]
        assert rules.matching({"f": value}) == expected, value
        assert rules.matching(json.dumps({"f": value})) == expected, value


def test_a_look_up_made_during_a_change_is_not_remembered_past_it() -> None:
    """Deterministic version of the race above: a match that looks a string up just before a change's
    last step (the tables already changed, the summaries not yet) must not leave its result behind."""
    def but_prefix(text: str) -> Any:
        return compile_pattern({"f": [{"anything-but": {"prefix": text}}]}).sub_rules[0]["f"][0]

    index = FieldIndex()
    index.insert(but_prefix("zz"), 1)
    single = {1: "one", 2: "two"}  # predicate id -> rule key, as the machine's single_rule
    assert index.str_lookup("abc", single) == (("one",), ())
    real = FieldIndex._summarise

    def racing(self: FieldIndex) -> None:
        self.str_lookup("abc", single)  # a matching thread runs here
        real(self)

    with mock.patch.object(FieldIndex, "_summarise", racing):
        index.insert(but_prefix("ab"), 2)
    assert index.memo.get("abc") is None
    assert index.str_lookup("abc", single) == (("one",), ())
    with mock.patch.object(FieldIndex, "_summarise", racing):
        index.delete(but_prefix("ab"), 2)
    assert index.memo.get("abc") is None
    assert index.str_lookup("abc", single) == (("one",), ())


def test_a_range_table_built_during_a_change_is_not_kept_past_it() -> None:
    """The same for the interval table of numeric ranges (FieldIndex._range_lookup)."""

    def numeric(*spec: Any) -> Any:
        return compile_pattern({"n": [{"numeric": list(spec)}]}).sub_rules[0]["n"][0]

    def look(index: FieldIndex, value: float) -> list[int]:
        found: list[list[int]] = []
        index.lookup(value, found)
        return sorted(pid for pids in found for pid in pids)

    index = FieldIndex()
    index.insert(numeric(">", 0), 1)
    assert look(index, 5.5) == [1]
    real = FieldIndex._summarise

    def racing(self: FieldIndex) -> None:
        look(self, 5.5)  # a matching thread runs here, and builds the table from the changed ranges
        real(self)

    with mock.patch.object(FieldIndex, "_summarise", racing):
        index.insert(numeric("<", 3), 2)
    assert look(index, 5.5) == [1] and look(index, 1.5) == [1, 2] and look(index, -1.0) == [2]
    with mock.patch.object(FieldIndex, "_summarise", racing):
        index.delete(numeric(">", 0), 1)
    assert look(index, 5.5) == [] and look(index, 1.5) == [2]


def test_anchor_prefers_strings_and_precise_numbers_to_small_whole_numbers() -> None:
    """The anchor is a guess at the most selective field: a small whole number (often a common value
    such as 0) or a literal loses to a string or a precise number; the answers never depend on it."""
    from eventmatch.pattern.machine import Machine

    rules = RuleSet()
    rules.add("z", {"type": ["MultiPolygon"], "z": [{"numeric": ["=", 0]}]})
    rules.add("x", {"type": ["Polygon"], "x": [{"numeric": ["=", -122.42916360922355]}]})
    rules.add("flag", {"ok": [True], "code": [7]})
    machine: Machine = rules._machine
    anchors = {c.rule: next(s.path for s in c.slots if s.pred == c.anchor) for c in machine.by_rule.values()}  # type: ignore[union-attr]
    assert anchors["z"] == "type" and anchors["flag"] == "code"  # "x": a tie, broken by field order
    assert rules.matching({"type": "MultiPolygon", "z": 0, "x": -122.42916360922355}) == ["z"]
    assert rules.matching({"type": "Polygon", "z": 0, "x": -122.42916360922355}) == ["x"]
    assert rules.matching({"ok": True, "code": 7}) == ["flag"]


def test_patterns_are_equal_when_their_texts_are_and_hash_alike() -> None:
    a, b = compile_pattern('{"a": ["x"]}'), compile_pattern('{"a":["x"]}')
    assert a == compile_pattern('{"a": ["x"]}') and hash(a) == hash(compile_pattern('{"a": ["x"]}'))
    assert a != b  # same meaning, different text: unequal, as re.compile("a") != re.compile("(?:a)")
    assert len({a, b, compile_pattern('{"a": ["x"]}')}) == 2


def test_a_rules_pattern_is_the_one_added() -> None:
    rules = RuleSet()
    given = compile_pattern(EC2)
    rules.add("p", given)
    rules.add("q", json.dumps(EC2, indent=2))
    assert rules.pattern("p") == given and rules.pattern("p").text == given.text
    assert rules.pattern("q").text == json.dumps(EC2, indent=2)
    with pytest.raises(KeyError):
        rules.pattern("nope")


def test_the_second_rule_anchored_by_a_value_forms_a_group_with_the_first() -> None:
    """The first sub-rule anchored by an exact value is indexed alone; the second moves it into a group
    with itself. A value with many other predicates (one-field rules) gets a group at once."""
    from eventmatch.pattern.machine import LONE_SEARCH_MAX, Machine

    rules = RuleSet()
    machine: Machine = rules._machine
    rules.add("one", {"source": ["a"], "n": [1]})
    assert not machine.groups
    rules.add("two", {"source": ["a"], "n": [2]})
    assert list(machine.groups) and len(next(iter(machine.groups.values())).members) == 2
    assert rules.matching({"source": "a", "n": 1}) == ["one"]
    assert rules.matching({"source": "a", "n": 2}) == ["two"]
    rules.remove("one")
    assert rules.matching({"source": "a", "n": 1}) == []
    for i in range(LONE_SEARCH_MAX + 1):
        rules.add(f"only{i}", {"source": ["b"]})
    rules.add("crowded", {"source": ["b"], "n": [3]})
    assert [key[1].value for key in machine.groups] == ["a", "b"]  # type: ignore[attr-defined]
    assert rules.matching({"source": "b", "n": 3})[-1] == "crowded"


def test_a_group_stops_refiling_at_its_limit_and_still_answers_right(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refiling a group costs time in its size, so it stops at GROUP_REFILE_MAX members (one add never
    pays for more); later members are filed as they come, and matching is unchanged."""
    from eventmatch.pattern import anchors as machine_module

    monkeypatch.setattr(machine_module, "GROUP_REFILE_MAX", 8)
    monkeypatch.setattr(machine_module, "GROUP_SPLIT_AT", 4)
    refiles = 0
    refile = machine_module.AnchorGroup._refile

    def counting(self: machine_module.AnchorGroup) -> None:
        nonlocal refiles
        refiles += 1
        refile(self)

    monkeypatch.setattr(machine_module.AnchorGroup, "_refile", counting)
    rules = RuleSet()
    for i in range(40):
        second = {"n": [i % 7]} if i % 2 else {"p": [{"prefix": f"v{i % 5}"}]}
        rules.add(f"r{i}", {"source": ["s"], **second})
    group = next(iter(rules._machine.groups.values()))
    assert len(group.members) == 40 and refiles == 2 and group.refile_at == machine_module.NEVER  # at 4 and 8
    for n, p in [(3, "v3x"), (0, "v0"), (6, "zz")]:
        expected = [f"r{i}" for i in range(40) if (i % 2 and i % 7 == n) or (not i % 2 and p.startswith(f"v{i % 5}"))]
        assert rules.matching({"source": "s", "n": n, "p": p}) == expected


def test_update_adds_many_rules_and_validates_all_of_them_first() -> None:
    import gc

    rules = RuleSet()
    rules.add("keep", EC2)
    rules.update({"a": {"source": ["a"]}, "b": compile_pattern({"source": ["b"]})})
    rules.update([("c", '{"source": ["c"]}'), ("a", {"source": ["a2"]})])  # "a" replaced, as dict.update does
    assert list(rules) == ["keep", "a", "b", "c"]
    assert rules.matching({"source": "a2"}) == ["a"] and rules.matching({"source": "a"}) == []
    assert gc.isenabled()

    with pytest.raises(InvalidEventPatternError) as caught:
        rules.update({"d": {"source": ["d"]}, "bad": {"source": [{"prefix": 1}]}})
    with pytest.raises(InvalidEventPatternError) as alone:
        compile_pattern({"source": [{"prefix": 1}]})
    assert str(caught.value) == str(alone.value)  # AWS's message, unchanged
    assert "in rule 'bad'" in caught.value.__notes__
    assert "d" not in rules and len(rules) == 4  # nothing added
    with pytest.raises(TypeError, match="pairs"):
        rules.update([("e", {"source": ["e"]}, "extra")])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="non-empty string"):
        rules.update({"": {"source": ["e"]}})
    for wrong in (5, None, '{"e": {"source": ["e"]}}'):
        with pytest.raises(TypeError, match="mapping of rule names"):
            rules.update(wrong)  # type: ignore[arg-type]
    assert "e" not in rules and gc.isenabled()
