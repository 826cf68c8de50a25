"""The compiled machine: many rules share one set of indexes.

Every field path that some rule uses has a :class:`FieldIndex`, which maps an
event value to the *predicates* it satisfies without looking at the rules one
by one: exact values, prefixes and suffixes are dictionary look-ups (one per
distinct prefix or suffix length), numeric ranges and the remaining operators
are checked per distinct matcher, shared by all the rules that use it.

A predicate is one field of one sub-rule (a pattern with ``$or`` has several
sub-rules). A sub-rule matches when every one of its required fields has a
satisfied predicate; sub-rules that also say something about absence
(``exists: false``) or whose values came from arrays are then checked in full,
field by field in the order AWS's reference library uses, so that the
array-consistency and absence semantics are AWS's.

Thread safety: changes and matches take the machine's lock, so rules can be
added and removed while other threads match events; a match sees each rule
either before or after a change, never half-changed. (Under CPython's global
interpreter lock, matching threads would not run in parallel anyway, and an
uncontended lock costs about as much as one dictionary look-up.)
"""

from __future__ import annotations

import threading
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from sys import intern as _intern
from time import perf_counter
from typing import Any

from ..event import Fields, Leaf, flatten, load_event
from . import operators as op
from .extract import Extractor, Fused, build_extractor
from .numbers import FLOAT_EXACT, event_number, nearest_float
from .parse import SubRule

REQUIRED, OPTIONAL, ABSENT = 0, 1, 2


def java_order(path: str) -> bytes:
    """Sort key that orders field paths as AWS's reference library does (UTF-16 units)."""
    return path.encode("utf-16-be", "surrogatepass")


@dataclass(slots=True)
class Slot:
    """One field of a sub-rule: its path, kind, its positive matchers and their predicate id."""

    path: str
    kind: int  # REQUIRED, OPTIONAL (a value matches or the field is absent) or ABSENT
    # its predicate id: what the indexes file it under; -1 for ABSENT; for a field checked after its
    # sub-rule's anchor, not indexed, -2 - its position (it only keys that field's trails)
    pred: int
    matchers: tuple[op.Matcher, ...]  # empty for ABSENT


@dataclass(slots=True)
class CompiledSubRule:
    rule: Any  # the rule key given to Machine.add
    sid: int  # its id in Machine.sub_rules
    slots: tuple[Slot, ...]  # in the reference library's field order
    n_indexed: int  # how many required predicates the indexes must report before checking
    simple: bool  # only REQUIRED slots: a full count with flat values is a match
    anchor: int  # the predicate indexed alone (-1: every predicate is indexed)

    def inserts(self) -> list[tuple[str, op.Matcher, int]]:
        """(path, matcher, predicate id) of what the machine's indexes hold for this sub-rule (unless it
        is in an anchor group): its anchor's matchers, or those of every field with positive matchers."""
        anchor = self.anchor
        return [
            (s.path, m, s.pred)
            for s in self.slots
            if s.kind != ABSENT and (anchor < 0 or s.pred == anchor)
            for m in s.matchers
        ]


#: Matchers a dictionary look-up finds: a sub-rule with a required field made of
#: these is indexed by that field alone (its *anchor*) and checked in full only
#: when the anchor matches, so rules that share common fields cost nothing for
#: events they do not select.
_EXACT = (op.ExactString, op.ExactNumber, op.ExactLiteral)
_LOOKED_UP = (*_EXACT, op.EqualsIgnoreCase, op.Prefix, op.Suffix)


#: the shared empty tables of a new FieldIndex, never mutated: FieldIndex._own replaces one before its first
#: insert (a plain dict, not a read-only proxy, because look-ups in it are on the hot path)
_NO_DICT: Any = {}
_NO_LIST: Any = ()


def _is_exact(m: op.Matcher) -> bool:
    """An exact value, or ``{"numeric": ["=", n]}``, which an exact-number look-up finds just as well."""
    return type(m) in _EXACT or _numeric_equal(m)


_INF = float("inf")

#: how many distinct strings a field index remembers the slow look-ups of (FieldIndex.str_lookup): an
#: index of anything-but lists only, whose look-up without the memo is one small dict's get(), turns its
#: memo off sooner than one with affixes, anything-but shapes or matchers tested one by one. Measured on
#: a field of 2,999 distinct values: a 4,096-entry memo made anything-but lists 8% slower, wildcards 11%
#: faster, anything-but prefix and suffix 3% faster.
MEMO_SIZE = 1024
MEMO_SIZE_SLOW = 4096

#: how many numeric ranges a field index tables by interval (more are tested one by one)
RANGE_TABLE_MAX = 64

#: a field that cannot anchor a sub-rule (its matchers are tested, not looked up)
NOT_ANCHORABLE = 3


def _rank(ms: tuple[op.Matcher, ...]) -> int:
    """How selective a field's look-up is likely to be, best first: 0 exact strings and numbers that
    look like identifiers or measurements (fractions, large values); 1 small whole numbers, which are
    often common values (0, 1, a status code); 2 true, false, null and the other look-ups (prefix,
    suffix, equals-ignore-case); NOT_ANCHORABLE for matchers an index tests."""
    if all(_is_exact(m) for m in ms):
        return max(_exact_rank(m) for m in ms)
    return 2 if all(isinstance(m, _LOOKED_UP) for m in ms) else NOT_ANCHORABLE


def _exact_rank(m: op.Matcher) -> int:
    if type(m) is op.ExactString:
        return 0
    if type(m) is op.ExactLiteral:
        return 2
    number = m.value if type(m) is op.ExactNumber else m.low  # type: ignore[attr-defined]
    return 1 if number == int(number) and abs(number) < 1000 else 0


def _numeric_equal(m: op.Matcher) -> bool:
    return (
        type(m) is op.Numeric
        and m.low is not None
        and m.low == m.high
        and not m.low_open
        and not m.high_open
    )


def _sharing(index: FieldIndex, ms: tuple[op.Matcher, ...]) -> int:
    """How many predicate ids of ``index`` these matchers' exact values select."""
    return sum(len(index.exact_pids(m)) for m in ms)


def _prefix_hits(table: dict[str, Any], lengths: list[int], text: str, out: list[Any]) -> None:
    """Append to ``out`` the entries of ``table`` keyed by a prefix of ``text`` (one look-up per key length)."""
    for n in lengths:
        if n > len(text):
            break
        hit = table.get(text[:n])
        if hit:
            out.append(hit)


def _suffix_hits(table: dict[str, Any], lengths: list[int], text: str, out: list[Any]) -> None:
    """Append to ``out`` the entries of ``table`` keyed by a suffix of ``text`` (one look-up per key length)."""
    for n in lengths:
        if n > len(text):
            break
        hit = table.get(text[len(text) - n :])
        if hit:
            out.append(hit)


def _add(table: dict[Any, list[int]], key: Any, pid: int) -> None:
    pids = table.get(key)
    if pids is None:
        table[key] = [pid]  # a list of one: most values have one predicate (append would reserve four)
    else:
        pids.append(pid)


def _drop(table: dict[Any, list[int]], key: Any, pid: int) -> None:
    pids = table.get(key)
    if pids is not None:
        pids.remove(pid)
        if not pids:
            del table[key]


def _tested_alone(matcher: op.Matcher) -> bool:
    """Ignore-case matchers whose values are not ASCII: their fold keys are not exact (see op.fold), so they
    are checked one by one (``checked``), as AWS's per-character case mapping needs."""
    kind = type(matcher)
    if kind is op.EqualsIgnoreCase or kind is op.Prefix or kind is op.Suffix:
        return matcher.regex is not None  # type: ignore[attr-defined]
    if kind is op.AnythingButShape and matcher.kind == "equals-ignore-case":  # type: ignore[attr-defined]
        return not all(v.isascii() for v in matcher.values)  # type: ignore[attr-defined]
    return False


@dataclass(slots=True)
class FieldIndex:
    """Everything the rules ask of one field path, indexed by operator kind.

    Tables start as one shared empty (read-only) object and get their own
    container on first insert: most fields use one or two operator kinds, and
    an index per field (and per anchor group's second field) is common.
    """

    exact_str: dict[str, list[int]] = field(default_factory=lambda: _NO_DICT)
    exact_num: dict[Any, list[int]] = field(default_factory=lambda: _NO_DICT)
    # the nearest float of every exact number: a float event value not in here equals none of them
    exact_floats: dict[float, int] = field(default_factory=lambda: _NO_DICT)
    literal: dict[Any, list[int]] = field(default_factory=lambda: _NO_DICT)  # keyed by True/False/None identity
    prefix: dict[str, list[int]] = field(default_factory=lambda: _NO_DICT)
    prefix_lengths: list[int] = _NO_LIST
    suffix: dict[str, list[int]] = field(default_factory=lambda: _NO_DICT)
    suffix_lengths: list[int] = _NO_LIST
    folded_eq: dict[str, list[int]] = field(default_factory=lambda: _NO_DICT)
    folded_prefix: dict[str, list[int]] = field(default_factory=lambda: _NO_DICT)
    folded_prefix_lengths: list[int] = _NO_LIST
    folded_suffix: dict[str, list[int]] = field(default_factory=lambda: _NO_DICT)
    folded_suffix_lengths: list[int] = _NO_LIST
    exists: list[int] = _NO_LIST
    # anything-but over strings: every such predicate matches unless the value is one it excludes
    # (a predicate may hold several: it then fails only where all of them exclude the value)
    but: list[int] = _NO_LIST  # the predicates, once each
    # predicate -> how many anything-but matchers it has
    but_n: dict[int, int] = field(default_factory=lambda: _NO_DICT)
    # value -> predicate -> how many of its anything-but matchers exclude the value
    but_excluded: dict[str, dict[int, int]] = field(default_factory=lambda: _NO_DICT)
    # anything-but prefix, suffix and equals-ignore-case: each matcher (with its predicates) passes every
    # value except strings found in its exclusion tables, which map a key to the matchers it excludes
    shape: dict[op.Matcher, list[int]] = field(default_factory=lambda: _NO_DICT)
    shape_prefix: dict[str, list[op.Matcher]] = field(default_factory=lambda: _NO_DICT)
    shape_prefix_lengths: list[int] = _NO_LIST
    shape_suffix: dict[str, list[op.Matcher]] = field(default_factory=lambda: _NO_DICT)
    shape_suffix_lengths: list[int] = _NO_LIST
    shape_folded: dict[str, list[op.Matcher]] = field(default_factory=lambda: _NO_DICT)
    # numeric ranges (not "="): found by bisecting their bounds, see _range_lookup
    ranges: dict[op.Matcher, list[int]] = field(default_factory=lambda: _NO_DICT)
    # the interval table of ranges, built by the first look-up after a change (see _range_lookup)
    range_box: list[tuple[list[float], list[list[list[int]]]] | None] = _NO_LIST
    # the same table for the fused matchers, resolved (see _build_fused_ranges), in a box of its own
    fused_range_box: list[tuple[list[float], list[tuple[tuple[Any, ...], tuple[int, ...]]]] | None] = _NO_LIST
    # matchers checked one by one, shared by all the predicates that use them
    checked: dict[op.Matcher, list[int]] = field(default_factory=lambda: _NO_DICT)
    # how many keys of each length an affix table holds (its *_lengths list has each length once)
    length_counts: dict[str, dict[int, int]] = field(default_factory=lambda: _NO_DICT)
    size: int = 0
    # summaries kept by insert/delete, so that a look-up skips whole groups of empty tables
    affixes: bool = False  # any prefix, suffix or case-folded table
    others: bool = False  # any anything-but or checked matcher
    # which tables are in use, in KINDS order: the fused matchers are written for these (and rebuilt on a change)
    kinds: tuple[bool, ...] = (False,) * 9
    # string value -> what str_lookup found for it, since the last change (see str_lookup)
    memo: dict[str, tuple[tuple[Any, ...], tuple[int, ...]]] = field(default_factory=lambda: _NO_DICT)
    memoize: bool = True  # False once the memo filled up since the last change: too many distinct values

    def exact_pids(self, matcher: op.Matcher) -> Sequence[int]:
        """The predicate ids filed under an exact matcher's value (string, number, ``numeric =``, literal);
        empty for any other matcher."""
        kind = type(matcher)
        if kind is op.ExactString:
            return self.exact_str.get(matcher.value, ())  # type: ignore[attr-defined]
        if kind is op.ExactNumber:
            return self.exact_num.get(matcher.value, ())  # type: ignore[attr-defined]
        if kind is op.ExactLiteral:
            return self.literal.get(matcher.value, ())  # type: ignore[attr-defined]
        if _numeric_equal(matcher):
            return self.exact_num.get(matcher.low, ())  # type: ignore[attr-defined]
        return ()

    def insert(self, matcher: op.Matcher, pid: int) -> None:
        self.size += 1
        kind = type(matcher)
        if kind is op.ExactString:
            _add(self._own("exact_str"), matcher.value, pid)  # type: ignore[attr-defined]
        elif kind is op.ExactNumber or _numeric_equal(matcher):
            number = matcher.value if kind is op.ExactNumber else matcher.low  # type: ignore[attr-defined]
            _add(self._own("exact_num"), number, pid)
            near = nearest_float(number)
            floats = self._own("exact_floats")
            floats[near] = floats.get(near, 0) + 1
        elif kind is op.ExactLiteral:
            _add(self._own("literal"), matcher.value, pid)  # type: ignore[attr-defined]
        elif kind is op.Exists:
            self._own("exists").append(pid)
        elif kind is op.AnythingBut and matcher.strings is not None:  # type: ignore[attr-defined]
            but_n = self._own("but_n")
            but_n[pid] = but_n.get(pid, 0) + 1
            self.but = list(but_n)
            for text in matcher.strings:  # type: ignore[attr-defined]
                excluded = self._own("but_excluded").setdefault(text, {})
                excluded[pid] = excluded.get(pid, 0) + 1
        elif _tested_alone(matcher):
            _add(self._own("checked"), matcher, pid)
        elif kind is op.EqualsIgnoreCase:
            _add(self._own("folded_eq"), matcher.folded, pid)  # type: ignore[attr-defined]
        elif kind is op.Prefix or kind is op.Suffix:
            m: op.Prefix | op.Suffix = matcher  # type: ignore[assignment]
            name = ("folded_" if m.ignore_case else "") + ("prefix" if kind is op.Prefix else "suffix")
            table = self._own(name)
            if m.folded not in table:
                self._count_length(name, len(m.folded), +1)
            _add(table, m.folded, pid)
        elif kind is op.AnythingButShape and matcher.kind != "wildcard":  # type: ignore[attr-defined]
            shape = self._own("shape")
            pids = shape.get(matcher)
            if pids is None:
                shape[matcher] = [pid]
                for key, name in self._shape_keys(matcher):
                    table = self._own(name)
                    if key not in table and name != "shape_folded":
                        self._count_length(name, len(key), +1)
                    table.setdefault(key, []).append(matcher)
            else:
                pids.append(pid)
        elif kind is op.Numeric:
            _add(self._own("ranges"), matcher, pid)
        else:
            _add(self._own("checked"), matcher, pid)
        self._summarise()

    def delete(self, matcher: op.Matcher, pid: int) -> None:
        self.size -= 1
        kind = type(matcher)
        if kind is op.ExactString:
            _drop(self.exact_str, matcher.value, pid)  # type: ignore[attr-defined]
        elif kind is op.ExactNumber or _numeric_equal(matcher):
            number = matcher.value if kind is op.ExactNumber else matcher.low  # type: ignore[attr-defined]
            _drop(self.exact_num, number, pid)
            near = nearest_float(number)
            left = self.exact_floats[near] - 1
            if left:
                self.exact_floats[near] = left
            else:
                del self.exact_floats[near]
        elif kind is op.ExactLiteral:
            _drop(self.literal, matcher.value, pid)  # type: ignore[attr-defined]
        elif kind is op.Exists:
            self.exists.remove(pid)
        elif kind is op.AnythingBut and matcher.strings is not None:  # type: ignore[attr-defined]
            left = self.but_n[pid] - 1
            if left:
                self.but_n[pid] = left
            else:
                del self.but_n[pid]
            self.but = list(self.but_n)
            for text in matcher.strings:  # type: ignore[attr-defined]
                excluded = self.but_excluded[text]
                excluded[pid] -= 1
                if not excluded[pid]:
                    del excluded[pid]
                if not excluded:
                    del self.but_excluded[text]
        elif _tested_alone(matcher):
            _drop(self.checked, matcher, pid)
        elif kind is op.EqualsIgnoreCase:
            _drop(self.folded_eq, matcher.folded, pid)  # type: ignore[attr-defined]
        elif kind is op.Prefix or kind is op.Suffix:
            m: op.Prefix | op.Suffix = matcher  # type: ignore[assignment]
            name = ("folded_" if m.ignore_case else "") + ("prefix" if kind is op.Prefix else "suffix")
            table = getattr(self, name)
            _drop(table, m.folded, pid)
            if m.folded not in table:
                self._count_length(name, len(m.folded), -1)
        elif kind is op.AnythingButShape and matcher.kind != "wildcard":  # type: ignore[attr-defined]
            pids = self.shape[matcher]
            pids.remove(pid)
            if not pids:
                del self.shape[matcher]
                for key, name in self._shape_keys(matcher):
                    table = getattr(self, name)
                    table[key].remove(matcher)
                    if not table[key]:
                        del table[key]
                        if name != "shape_folded":
                            self._count_length(name, len(key), -1)
        elif kind is op.Numeric:
            _drop(self.ranges, matcher, pid)
        else:
            _drop(self.checked, matcher, pid)
        self._summarise()

    def _summarise(self) -> None:
        self.affixes = bool(
            self.prefix or self.suffix or self.folded_eq or self.folded_prefix or self.folded_suffix
        )
        self.others = bool(self.but or self.shape or self.checked)
        self.kinds = (
            bool(self.exists),
            bool(self.exact_str),
            bool(self.literal),
            bool(self.exact_num),
            self.affixes,
            bool(self.but),
            bool(self.shape),
            bool(self.checked),
            bool(self.ranges),
        )
        self.range_box = [] if self.ranges else _NO_LIST
        self.fused_range_box = [] if self.ranges else _NO_LIST
        self.memoize = True
        self.memo = _NO_DICT  # last, after every table is changed: see str_lookup

    def _own(self, name: str) -> Any:
        """The table ``name``, replacing the shared empty one by a container of its own first."""
        table = getattr(self, name)
        if table is _NO_DICT:
            table = {}
            setattr(self, name, table)
        elif table is _NO_LIST:
            table = []
            setattr(self, name, table)
        return table

    def _count_length(self, name: str, n: int, delta: int) -> None:
        """Keep ``{name}_lengths`` sorted with each key length once, as keys of table ``name`` come and go."""
        counts = self._own("length_counts").setdefault(name, {})
        left = counts.get(n, 0) + delta
        lengths = self._own(f"{name}_lengths")
        if left:
            if n not in counts:
                insort(lengths, n)
            counts[n] = left
        else:
            del counts[n]
            lengths.remove(n)

    @staticmethod
    def _shape_keys(matcher: op.Matcher) -> list[tuple[str, str]]:
        """The exclusion-table keys of an anything-but prefix, suffix or equals-ignore-case matcher."""
        m: op.AnythingButShape = matcher  # type: ignore[assignment]
        if m.kind == "prefix":
            return [(v, "shape_prefix") for v in m.values]
        if m.kind == "suffix":
            return [(v, "shape_suffix") for v in m.values]
        return [(op.fold(v), "shape_folded") for v in m.values]

    def _shape_lookup(self, value: Any, out: list[list[int]]) -> None:
        """Anything-but prefix, suffix and equals-ignore-case: every matcher but those excluding the value.

        The affix loops are written out here rather than calling _prefix_hits/_suffix_hits: this runs for
        every string value of the field, and collecting hits into a list first cost 10-15% on those types.
        """
        if type(value) is not str:
            out.extend(self.shape.values())
            return
        shut: set[op.Matcher] | None = None
        if self.shape_prefix:
            affixes = self.shape_prefix
            for n in self.shape_prefix_lengths:
                if n > len(value):
                    break
                ms = affixes.get(value[:n])
                if ms:
                    shut = set(ms) if shut is None else shut.union(ms)
        if self.shape_suffix:
            affixes = self.shape_suffix
            for n in self.shape_suffix_lengths:
                if n > len(value):
                    break
                ms = affixes.get(value[len(value) - n :])
                if ms:
                    shut = set(ms) if shut is None else shut.union(ms)
        if self.shape_folded:
            ms = self.shape_folded.get(op.fold(value))
            if ms:
                shut = set(ms) if shut is None else shut.union(ms)
        if shut is None:
            out.extend(self.shape.values())
        else:
            for matcher, pids in self.shape.items():
                if matcher not in shut:
                    out.append(pids)

    def lookup(self, value: Any, out: list[list[int]]) -> None:
        """Append to ``out`` the lists of predicate ids that ``value`` satisfies."""
        if self.exists:
            out.append(self.exists)
        kind = type(value)
        if kind is str:
            if self.exact_str:
                hit = self.exact_str.get(value)
                if hit:
                    out.append(hit)
            if self.affixes:
                self._affix_lookup(value, out)
        elif kind is bool or value is None:
            hit = self.literal.get(value)
            if hit:
                out.append(hit)
        else:
            if self.exact_num:
                self._number_lookup(value, out)
            if self.ranges:
                self._range_lookup(value, out)
        if self.others:
            self._other_lookup(value, kind is str, out)

    def but_left(self, excluded: dict[int, int]) -> list[int]:
        """The anything-but predicates that a string does not make fail, given ``excluded`` (for each
        predicate listing the string: how many of its values it is, see insert)."""
        counts = self.but_n
        return [p for p in self.but if excluded.get(p, 0) < counts[p]]

    def _other_lookup(self, value: Any, is_str: bool, out: list[list[int]]) -> None:
        """Anything-but (all its forms) and the matchers checked one by one."""
        if self.but:
            excluded = self.but_excluded.get(value) if is_str else None
            out.append(self.but if excluded is None else self.but_left(excluded))
        if self.shape:
            self._shape_lookup(value, out)
        if self.checked:
            for matcher, pids in self.checked.items():
                if matcher.test(value):
                    out.append(pids)

    def str_lookup(self, value: str, single: dict[int, Any]) -> tuple[tuple[Any, ...], tuple[int, ...]]:
        """What the affix, anything-but and checked look-ups find for a string, remembered per value, and
        resolved: the rule keys of the one-field sub-rules found (``single``: predicate id -> rule key,
        the machine's ``single_rule``), and the other predicate ids found.

        For the fused matchers, which first try ``memo.get(value)``. Strings on a field tend to repeat
        (a state, a type, a street name), and these look-ups cost a loop each. Once the memo holds
        MEMO_SIZE values (MEMO_SIZE_SLOW where the look-ups are costlier than anything-but lists) the
        field has too many distinct ones: ``memoize`` turns off, and the fused
        matchers look up in full until the next change. The memo is dropped by every change of the index,
        as its last step: a result computed while a change was under way can only land in a memo that
        the change's end replaces. The resolution holds as long as the memo: the machine sets a one-field
        predicate's rule before indexing it and forgets it only after unindexing it.
        """
        memo = self.memo
        if memo is _NO_DICT:
            memo = self.memo = {}
        found: list[list[int]] = []
        if self.affixes:
            self._affix_lookup(value, found)
        if self.others:
            self._other_lookup(value, True, found)
        hit = _resolve(found, single)
        memo[value] = hit
        if len(memo) >= (MEMO_SIZE_SLOW if self.affixes or self.shape or self.checked else MEMO_SIZE):
            self.memoize = False
        return hit

    def _range_lookup(self, value: Any, out: list[list[int]]) -> None:
        """Numeric ranges: the bounds of all of them, as floats, cut the number line into intervals, and
        a value strictly inside one meets the same ranges as any other; the first look-up after a change
        lists them per interval. A value equal to a bound (which may need the exact decimal comparison),
        past 2**53, or not a finite int or float is tested against each range.

        The table goes into ``range_box``, which every change replaces (empty) as its last step, so a
        table built while a change was under way lands in a box that the change's end throws away.
        """
        kind = type(value)
        # a finite float, or an int that a float holds exactly
        if (kind is float or (kind is int and -FLOAT_EXACT < value < FLOAT_EXACT)) and value - value == 0.0:
            box = self.range_box
            table = box[0] if box else self._build_ranges(box)
            if table is not None:
                bounds, within = table
                i = bisect_left(bounds, value)
                if i == len(bounds) or bounds[i] != value:
                    out.extend(within[i])
                    return
        for matcher, pids in self.ranges.items():
            if matcher.test(value):
                out.append(pids)

    def _build_ranges(
        self, box: list[tuple[list[float], list[list[list[int]]]] | None]
    ) -> tuple[list[float], list[list[list[int]]]] | None:
        """The interval table of the ranges (None past RANGE_TABLE_MAX of them: tested one by one)."""
        table = None
        ranges = list(self.ranges.items())
        if len(ranges) <= RANGE_TABLE_MAX:
            bounds = sorted({b for m, _ in ranges for b in (m.low_f, m.high_f) if b is not None})  # type: ignore[attr-defined]
            where = {b: i for i, b in enumerate(bounds)}
            # interval i lies between bounds[i - 1] and bounds[i]
            within: list[list[list[int]]] = [[] for _ in range(len(bounds) + 1)]
            for m, pids in ranges:
                low, high = m.low_f, m.high_f  # type: ignore[attr-defined]
                first = 0 if low is None else where[low] + 1
                last = len(bounds) if high is None else where[high]
                for i in range(first, last + 1):
                    within[i].append(pids)
            table = (bounds, within)
        if box is not _NO_LIST:
            box.append(table)
        return table

    def _build_fused_ranges(
        self,
        box: list[tuple[list[float], list[tuple[tuple[Any, ...], tuple[int, ...]]]] | None],
        single: dict[int, Any],
    ) -> tuple[list[float], list[tuple[tuple[Any, ...], tuple[int, ...]]]] | None:
        """The interval table of the ranges for the fused matchers: the bounds begin with -inf and end with
        +inf, so that any float's ``bisect_left`` is a bound's position (an infinity lands on its
        sentinel, which sends it to the test of each range; NaN lands before -inf, in an interval of no
        ranges), and each interval lists what ``str_lookup`` gives a string: the rule keys of one-field
        sub-rules, then the other predicate ids.
        It goes into ``fused_range_box``, which every change replaces as ``range_box`` is; the
        resolution holds as long (see str_lookup)."""
        table = self._build_ranges([])
        fused = None
        if table is not None:
            bounds, within = table
            fused = ([-_INF, *bounds, _INF], [((), ()), *(_resolve(lists, single) for lists in within)])
        if box is not _NO_LIST:
            box.append(fused)
        return fused

    def _number_lookup(self, value: Any, out: list[list[int]]) -> None:
        """Exact numbers (and ``numeric =``): a float no exact number rounds to equals none of them."""
        if type(value) is not float or value in self.exact_floats:
            number = event_number(value)
            if number is not None:
                hit = self.exact_num.get(number)
                if hit:
                    out.append(hit)

    def _affix_lookup(self, value: str, out: list[list[int]]) -> None:
        """Prefix, suffix and case-folded look-ups of a string value."""
        if self.prefix:
            _prefix_hits(self.prefix, self.prefix_lengths, value, out)
        if self.suffix:
            _suffix_hits(self.suffix, self.suffix_lengths, value, out)
        if self.folded_eq or self.folded_prefix or self.folded_suffix:
            folded = op.fold(value)
            hit = self.folded_eq.get(folded)
            if hit:
                out.append(hit)
            if self.folded_prefix:
                _prefix_hits(self.folded_prefix, self.folded_prefix_lengths, folded, out)
            if self.folded_suffix:
                _suffix_hits(self.folded_suffix, self.folded_suffix_lengths, folded, out)


#: an anchor group files its members by a second field once it has this many; a smaller one checks
#: each member through its compact plan (see AnchorGroup.plan). Measured per event, groups of n rules
#: on ten sources matched over and over (hot): plans beat the full check of each member that small
#: groups used before (n=2: 3.06 -> 2.68 µs, n=3: 3.51 -> 2.90 µs) but lose to a split group from n=3
#: on (split/plan: n=3 2.54/2.95, n=7 2.80/4.08, n=12 2.94/5.14 µs), whose look-ups cost the same for
#: any number of members. Cold, at 100,000 rules, plans for groups up to 16 members took 27% less
#: memory per rule and 20% less time to compile, and 5-10% less time per event: not worth the hot cost.
GROUP_SPLIT_AT = 4

# how a plan tests one field of a member (see AnchorGroup.plan)
_P_EXACT, _P_EXACT_SET, _P_PREFIX, _P_RANGE, _P_BUT, _P_TEST = range(6)

#: ... and files them all again each time it doubles, up to this many members: refiling 4,096 members
#: takes about 15 ms, 65,536 about 330 ms, too long for one add; past it, new members are filed by
#: how the members already filed share their values
GROUP_REFILE_MAX = 4096
NEVER = 1 << 62

#: the first sub-rule anchored by a value is indexed alone; a second one looks for it among the value's
#: predicates when they are at most this many (more: the value gets a group without that search)
LONE_SEARCH_MAX = 8
CROWDED = -1


@dataclass(slots=True)
class AnchorGroup:
    """Sub-rules that share one anchor (a path and one exact value), indexed once.

    The machine's index holds one id for the whole group. Once the group is
    large, each member is filed in the group's own field indexes by a second
    required field (its most selective one: exact values first, then other
    look-ups, then anything else an index can test; among equals, the values
    the fewest members share), so an event checks in full only the members
    whose second field its values meet, plus the few with no second required
    field (``rest``). A member of just two fields needs no check at all
    (``pairs``). This keeps many rules on one common value (a shared
    ``source``) from costing a full check each.
    """

    gid: int
    path: str
    matcher: op.Matcher
    members: dict[int, CompiledSubRule] = field(default_factory=dict)  # sub-rule id -> sub-rule
    split: bool = False
    # the group files its members again when it has this many (_refile); read when the group is made
    refile_at: int = field(default_factory=lambda: GROUP_SPLIT_AT)
    # until the group splits: one entry per member (see _plan_entry); replaced, never changed, so a
    # match reads one whole plan
    plan: tuple[tuple[Any, ...], ...] = ()
    # (until the group splits these are the shared empty _NO_DICT: most groups stay small; _refile makes them)
    fields: dict[str, FieldIndex] = field(default_factory=lambda: _NO_DICT)  # second field -> its index (of sids)
    filed: dict[int, tuple[str, tuple[op.Matcher, ...]]] = field(default_factory=lambda: _NO_DICT)  # sid -> where
    rest: dict[int, CompiledSubRule] = field(default_factory=lambda: _NO_DICT)
    # sid -> rule key of the filed members made of the anchor and one more required field
    pairs: dict[int, Any] = field(default_factory=lambda: _NO_DICT)

    def add(self, sid: int, compiled: CompiledSubRule) -> None:
        self.members[sid] = compiled
        if len(self.members) >= self.refile_at:
            doubled = 2 * len(self.members)
            self.refile_at = doubled if doubled <= GROUP_REFILE_MAX else NEVER
            self._refile()
            self.plan = ()
        elif self.split:
            self._file(sid, compiled, self._filed_sharing)
        else:
            self.plan = (*self.plan, _plan_entry(compiled))

    def remove(self, sid: int) -> None:
        del self.members[sid]
        if not self.split:
            self.plan = tuple(entry for entry in self.plan if entry[1].sid != sid)
            return
        if self.rest.pop(sid, None) is not None:
            return
        self.pairs.pop(sid, None)
        path, matchers = self.filed.pop(sid)
        index = self.fields[path]
        for m in matchers:
            index.delete(m, sid)
        if index.size == 0:
            del self.fields[path]

    def _refile(self) -> None:
        """File every member again, each by its second field whose values the fewest members share.

        Run when the group reaches GROUP_SPLIT_AT members and then each time it doubles, up to
        GROUP_REFILE_MAX members, so adding a member costs amortised constant time and never more than
        one refiling of GROUP_REFILE_MAX; in between (and past that), a new member is filed by how the
        members already filed share its values.
        """
        sharing: dict[tuple[str, op.Matcher], int] = {}
        for member in self.members.values():
            for slot in member.slots:
                if slot.kind == REQUIRED and slot.path != self.path:
                    for m in slot.matchers:
                        key = (slot.path, m)
                        sharing[key] = sharing.get(key, 0) + 1
        self.fields, self.filed, self.rest, self.pairs = {}, {}, {}, {}
        for sid, member in self.members.items():
            self._file(sid, member, lambda path, ms: sum(sharing.get((path, m), 0) for m in ms))
        self.split = True

    def _filed_sharing(self, path: str, ms: tuple[op.Matcher, ...]) -> int:
        """How many members filed by ``path`` one of these exact values selects."""
        index = self.fields.get(path)
        return 0 if index is None else _sharing(index, ms)

    def _file(
        self, sid: int, compiled: CompiledSubRule, sharing: Callable[[str, tuple[op.Matcher, ...]], int]
    ) -> None:
        best: tuple[tuple[int, int], str, tuple[op.Matcher, ...]] | None = None
        for slot in compiled.slots:
            if slot.kind != REQUIRED or slot.path == self.path:
                continue
            ms = slot.matchers
            rank = _rank(ms)
            cost = (rank, sharing(slot.path, ms) if rank < NOT_ANCHORABLE else 0)
            if best is None or cost < best[0]:
                best = (cost, slot.path, ms)
        if best is None:
            self.rest[sid] = compiled
            return
        _, path, ms = best
        index = self.fields.get(path)
        if index is None:
            index = self.fields[path] = FieldIndex()
        for m in ms:
            index.insert(m, sid)
        self.filed[sid] = (path, ms)
        if compiled.simple and len(compiled.slots) == 2:
            self.pairs[sid] = compiled.rule

    def match(self, flat: Fields, trails: list[tuple[tuple[int, int], ...]], matched: set[Any]) -> None:
        """Add to ``matched`` the members an event matches, given its fields and the anchor value's trails.

        A split group looks up each member's second field: a member of two fields (``pairs``) whose
        second field the look-up finds is a match outright unless both of its values come from arrays
        (then their positions must agree, which the full check settles); any other member found is
        checked in full, as are the members with no second required field.
        """
        members = self.members
        if not self.split:
            self._match_plan(flat, trails, matched)
            return
        pairs = self.pairs
        anchor_in_array = any(trails)
        found: list[list[int]] = []
        check: set[int] | None = None
        for path, index in self.fields.items():
            leaves = flat.get(path)
            if not leaves:
                continue
            lookup = index.lookup
            for value, trail in leaves:
                lookup(value, found)
                if not found:
                    continue
                direct = not trail or not anchor_in_array
                for sids in found:
                    for sid in sids:
                        rule = pairs.get(sid, pairs) if direct else pairs
                        if rule is not pairs:
                            matched.add(rule)
                        elif check is None:
                            check = {sid}
                        else:
                            check.add(sid)
                found.clear()
        if check:
            for sid in check:
                member = members[sid]
                if member.rule not in matched and _check_anchored(member, trails, flat):
                    matched.add(member.rule)
        for member in self.rest.values():
            if member.rule not in matched and _check_anchored(member, trails, flat):
                matched.add(member.rule)

    def _match_plan(self, flat: Fields, trails: list[tuple[tuple[int, int], ...]], matched: set[Any]) -> None:
        """A group not split: each member's fields besides the anchor are tested on the event's values
        through the member's plan entry (see _plan_entry); a member with no checks, or whose values (or
        the anchor's) come from arrays of objects (whose positions must agree), is checked in full."""
        anchor_in_array = any(trails)
        for entry in self.plan:
            n = len(entry)
            if n == 2 or anchor_in_array:
                compiled = entry[1]
                if compiled.rule not in matched and _check_anchored(compiled, trails, flat):
                    matched.add(compiled.rule)
                continue
            verdict: bool | None = True
            for i in range(2, n, 5):
                leaves = flat.get(entry[i])
                if not leaves:
                    verdict = False
                    break
                how, a = entry[i + 1], entry[i + 2]
                ok: bool | None = False
                for value, trail in leaves:
                    if trail:
                        ok = None  # in an array of objects: the full check settles positions
                        break
                    c = value.__class__
                    if how == _P_EXACT:
                        ok = c is str and value == a
                    elif how == _P_RANGE:
                        if c is float or c is int:
                            b = entry[i + 3]
                            if a < value < b:  # strictly inside the bounds' nearest floats
                                ok = c is float or -FLOAT_EXACT < value < FLOAT_EXACT or entry[i + 4].test(value)
                            elif value in (a, b) or (c is int and not -FLOAT_EXACT < value < FLOAT_EXACT):
                                ok = entry[i + 4].test(value)  # on a bound: the exact decimal comparison
                    elif how == _P_PREFIX:
                        ok = c is str and value.startswith(a)
                    elif how == _P_BUT:
                        ok = c is not str or value not in a
                    elif how == _P_EXACT_SET:
                        ok = c is str and value in a
                    else:
                        ok = entry[i + 4].test(value)
                    if ok:
                        break
                if not ok:
                    verdict = ok
                    break
            if verdict:
                matched.add(entry[0])
            elif verdict is None:
                compiled = entry[1]
                if compiled.rule not in matched and _check_anchored(compiled, trails, flat):
                    matched.add(compiled.rule)


#: whether a machine whose generated code went stale matches through the general path for a while before
#: generating again (see Machine._deferring); the tests of the generated code turn it off
DEFER_GENERATION = True


@dataclass(repr=False)
class Machine:
    """Compiled sub-rules of many rules, matched together.

    ``add(rule, sub_rules)`` and ``remove(rule)`` cost time in proportion to
    the size of that one rule; ``match(event)`` returns the set of rule keys
    whose patterns match.
    """

    fields: dict[str, FieldIndex] = field(default_factory=dict)
    wanted: set[str] = field(default_factory=set)  # rule paths and their dotted prefixes
    _wanted_counts: dict[str, int] = field(default_factory=dict)
    _leaf_counts: dict[str, int] = field(default_factory=dict)  # the paths rules name themselves
    # the paths of multi-field sub-rules: the checks after the look-ups read their values from the field map
    _record_counts: dict[str, int] = field(default_factory=dict)
    _extractor: Extractor | None = field(default=None, repr=False)
    _extractor_stale: bool = True
    # after a change that makes the generated code stale, the general path serves for as long as the
    # code it replaces took to generate (seconds left; see _deferring), counted from that code
    _rent: float = 0.0
    _rent_from: Extractor | None = field(default=None, repr=False)
    sub_rules: dict[int, CompiledSubRule] = field(default_factory=dict)
    # predicate id -> rule key, for sub-rules of one required field: a hit is a match
    single_rule: dict[int, Any] = field(default_factory=dict)
    # indexed predicate id -> (sub-rule id, its sub-rule, whether it is required)
    # (one-field sub-rules have none: note() files their hits as matches)
    pred_info: dict[int, CompiledSubRule | AnchorGroup] = field(default_factory=dict)
    optional: set[int] = field(default_factory=set)  # the indexed predicate ids of OPTIONAL fields
    absence_only: dict[int, CompiledSubRule] = field(default_factory=dict)  # n_indexed == 0
    # rule key -> its sub-rule (the id of a CompiledSubRule in sub_rules, or, for a sub-rule of one
    # required field, its Slot, as nothing else is kept of it), or a tuple of them when it has several ($or)
    by_rule: dict[Any, int | Slot | tuple[int | Slot, ...]] = field(default_factory=dict)
    # anchor groups by (path, exact string), and the group of each grouped sub-rule
    groups: dict[tuple[str, op.Matcher], AnchorGroup] = field(default_factory=dict)
    grouped: dict[int, AnchorGroup] = field(default_factory=dict)
    _next_id: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # odd while a change is under way; matching reads it before and after, without the lock
    _version: int = 0
    # note(found, trail, matched, hits): files the predicate ids a value satisfied (see _noter)
    _note: Any = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self._note = _noter(self.single_rule)

    def __repr__(self) -> str:  # the fields hold every index: a dataclass repr would print them all
        return f"<Machine of {len(self.by_rule)} rules on {len(self._leaf_counts)} paths>"

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- changing the machine ---------------------------------------------
    def add(self, rule: Any, sub_rules: Iterable[SubRule]) -> None:
        """Add a rule's sub-rules under the key ``rule`` (which must not be present)."""
        with self._lock:
            self._version += 1
            try:
                self._add(rule, sub_rules)
            finally:
                self._version += 1

    def _add(self, rule: Any, sub_rules: Iterable[SubRule]) -> None:
        """The body of add(), under the lock."""
        entries: list[int | Slot] = []
        for sub in sub_rules:
            slots: list[Slot] = []
            for path in sorted(sub, key=java_order):
                given = sub[path]
                absent_ok = any(isinstance(m, op.Exists) and not m.present for m in given)
                positive = (
                    tuple(m for m in given if not (isinstance(m, op.Exists) and not m.present))
                    if absent_ok
                    else given  # the parser's tuple, shared rather than copied
                )
                if not positive:
                    slots.append(Slot(path, ABSENT, -1, ()))
                    continue
                slots.append(Slot(path, OPTIONAL if absent_ok else REQUIRED, 0, positive))  # pred: below
            if len(slots) == 1 and slots[0].kind == REQUIRED:
                # one required field: any hit of it is a match, and its Slot is all there is to keep
                slot = slots[0]
                slot.pred = self._new_id()
                self._want(slot.path, +1)
                self.single_rule[slot.pred] = rule
                for matcher in slot.matchers:
                    self._insert(slot.path, matcher, slot.pred)
                entries.append(slot)
                continue
            sid = self._new_id()
            entries.append(sid)
            at = self._choose_anchor(slots)
            if at >= 0:
                # only the anchor is indexed: its predicate id is the sub-rule's own; the other fields are
                # checked after it, and need ids only to tell their trails apart: -2, -3, ... by position
                anchor = sid
                for i, slot in enumerate(slots):
                    if slot.kind != ABSENT:
                        slot.pred = sid if i == at else -2 - i
            else:
                anchor = -1
                for slot in slots:
                    if slot.kind != ABSENT:
                        slot.pred = self._new_id()
            indexed = [s for s in slots if s.kind != ABSENT and (anchor < 0 or s.pred == anchor)]
            compiled = CompiledSubRule(
                rule,
                sid,
                tuple(slots),
                sum(1 for s in indexed if s.kind == REQUIRED),
                all(s.kind == REQUIRED for s in slots),
                anchor,
            )
            inserts = compiled.inserts()
            self.sub_rules[sid] = compiled
            for slot in slots:
                self._want(slot.path, +1)
                if _read_from_fields(slot, anchor):
                    self._record(slot.path, +1)
            if anchor >= 0 and len(inserts) == 1 and _is_exact(inserts[0][1]):
                # one exact value anchors it: file it in that value's group, indexed once for all (the
                # first such sub-rule of a value is indexed alone; the second makes the group)
                path, matcher, _ = inserts[0]
                key = (path, matcher)
                group = self.groups.get(key)
                lone = self._lone_anchored(path, matcher) if group is None else None
                if group is not None or lone is not None:
                    if group is None:
                        group = self.groups[key] = AnchorGroup(self._new_id(), path, matcher)
                        self.pred_info[group.gid] = group
                        self._insert(path, matcher, group.gid)
                        if lone != CROWDED:
                            first = self.sub_rules[lone]  # type: ignore[index]
                            self._unindex(path, matcher, first.anchor)
                            del self.pred_info[first.anchor]
                            group.add(lone, first)  # type: ignore[arg-type]
                            self.grouped[lone] = group  # type: ignore[index]
                    group.add(sid, compiled)
                    self.grouped[sid] = group
                    continue
            for slot in indexed:
                self.pred_info[slot.pred] = compiled
                if slot.kind == OPTIONAL:
                    self.optional.add(slot.pred)
            for path, matcher, pid in inserts:
                self._insert(path, matcher, pid)
            if compiled.n_indexed == 0:
                self.absence_only[sid] = compiled
        self.by_rule[rule] = entries[0] if len(entries) == 1 else tuple(entries)

    def _lone_anchored(self, path: str, matcher: op.Matcher) -> int | None:
        """The id of the sub-rule indexed alone by this one exact value of ``path`` (it and the next one
        make a group), None if there is none, or CROWDED when the value's entry is too long to search."""
        index = self.fields.get(path)
        if index is None:
            return None
        pids = index.exact_pids(matcher)
        if len(pids) > LONE_SEARCH_MAX:
            return CROWDED
        info = self.pred_info
        for pid in pids:
            entry = info.get(pid)
            if type(entry) is CompiledSubRule and entry.anchor == pid:
                for slot in entry.slots:
                    if slot.pred == pid:
                        if slot.matchers == (matcher,):
                            return entry.sid
                        break
        return None

    def _choose_anchor(self, slots: list[Slot]) -> int:  # the position of the anchor's slot, or -1
        """The required field to index a sub-rule by: the best rank (see _rank), and among those the one
        an event is least likely to bring candidates through: (predicates sharing the value + 1) over
        (distinct values the field's index holds + 1), guessing that an event hits each value alike. A
        field of few values (a state) loses to one of many (a source) even while its value is unshared."""
        best, best_cost = -1, (NOT_ANCHORABLE, 0.0)
        for i, slot in enumerate(slots):
            if slot.kind != REQUIRED:
                continue
            ms = slot.matchers
            rank = _rank(ms)
            if rank == NOT_ANCHORABLE:
                continue
            index = self.fields.get(slot.path)
            shared = 0
            distinct = 0
            if index is not None:
                distinct = len(index.exact_str) + len(index.exact_num) + len(index.literal)
                for m in ms:
                    group = self.groups.get((slot.path, m))
                    shared += len(group.members) if group is not None else _sharing(index, (m,))
            cost = (rank, (shared + 1) / (distinct + 1))
            if cost < best_cost:
                best, best_cost = i, cost
        return best

    def remove(self, rule: Any) -> bool:
        """Remove the rule added under ``rule``; return whether it was there."""
        with self._lock:
            self._version += 1
            try:
                return self._remove(rule)
            finally:
                self._version += 1

    def _remove(self, rule: Any) -> bool:
        """The body of remove(), under the lock."""
        entries = self.by_rule.pop(rule, None)
        if entries is None:
            return False
        for entry in entries if type(entries) is tuple else (entries,):
            if type(entry) is Slot:  # a one-field sub-rule
                for matcher in entry.matchers:
                    self._unindex(entry.path, matcher, entry.pred)
                del self.single_rule[entry.pred]
                self._want(entry.path, -1)
                continue
            sid: int = entry  # type: ignore[assignment]
            compiled = self.sub_rules[sid]
            self.absence_only.pop(sid, None)
            group = self.grouped.pop(sid, None)
            if group is not None:
                group.remove(sid)
                if not group.members:
                    del self.groups[(group.path, group.matcher)]
                    del self.pred_info[group.gid]
                    self._unindex(group.path, group.matcher, group.gid)
            else:
                for path, matcher, pid in compiled.inserts():
                    self._unindex(path, matcher, pid)
            for slot in compiled.slots:
                if slot.pred >= 0:
                    self.pred_info.pop(slot.pred, None)
                    self.optional.discard(slot.pred)
                self._want(slot.path, -1)
                if _read_from_fields(slot, compiled.anchor):
                    self._record(slot.path, -1)
            del self.sub_rules[sid]
        return True

    def _insert(self, path: str, matcher: op.Matcher, pid: int) -> None:
        """Index a predicate's matcher. The fused matchers are rebuilt when a path's index comes or goes, or
        starts or stops using a kind of table (they are written for the tables in use)."""
        index = self.fields.get(path)
        if index is None:
            index = self.fields[path] = FieldIndex()
            self._extractor_stale = True
        kinds = index.kinds
        index.insert(matcher, pid)
        if index.kinds != kinds:
            self._extractor_stale = True

    def _unindex(self, path: str, matcher: op.Matcher, pid: int) -> None:
        index = self.fields[path]
        kinds = index.kinds
        index.delete(matcher, pid)
        if index.size == 0:
            del self.fields[path]
            self._extractor_stale = True
        elif index.kinds != kinds:
            self._extractor_stale = True

    def _record(self, path: str, delta: int) -> None:
        n = self._record_counts.get(path, 0) + delta
        if n:
            self._record_counts[path] = n
        else:
            del self._record_counts[path]
        if n == 0 or n == delta:
            self._extractor_stale = True

    def _want(self, path: str, delta: int) -> None:
        n = self._leaf_counts.get(path, 0) + delta
        if n:
            self._leaf_counts[path] = n
        else:
            del self._leaf_counts[path]
        if n == 0 or n == delta:  # a path appeared or disappeared: the extractor is rebuilt
            self._extractor_stale = True
        keys = [path] + [path[:i] for i, ch in enumerate(path) if ch == "."]
        counts = self._wanted_counts
        for key in keys:
            n = counts.get(key, 0) + delta
            if n:
                counts[key] = n
                self.wanted.add(key)
            else:
                counts.pop(key, None)
                self.wanted.discard(key)

    # -- matching ---------------------------------------------------------
    def _current_extractor(self) -> Extractor | None:
        if self._extractor_stale:
            fused = Fused(
                dict(self.fields),
                frozenset(self._record_counts),
                self._finish,
                self.absence_only,
                self.single_rule,
            )
            start = perf_counter()
            extractor = build_extractor(frozenset(self.wanted), frozenset(self._leaf_counts), fused)
            if extractor is not None:
                extractor.cost += perf_counter() - start
            self._extractor = extractor
            self._rent_from = None  # (the old code is not kept alive)
            self._extractor_stale = False
        return self._extractor

    # Matching first runs without the lock (a sequence lock): it notes the version, matches, and keeps the
    # answer if no change began or ended meanwhile; otherwise (or if a concurrent change made it fail) it
    # matches again under the lock. Either way the answer comes from a machine no change was half-way
    # through, so a match sees each rule whole or not at all.
    def match(self, event: Any) -> set[Any]:
        """The keys of the rules that match an event: a dict (or another mapping), or JSON text or bytes.

        Of JSON, only the fields the rules use are decoded; whatever the typed
        decoder cannot decide is parsed in full (raising InvalidEventError if it
        is not a JSON object). Both fast paths are written out here, as is the
        generated code's call: one Python call per event (``RuleSet.matching_set``
        is this method, bound).
        """
        version = self._version
        if not version & 1 and not self._extractor_stale:
            try:
                extractor = self._extractor
                kind = type(event)
                matched = None
                if kind is dict:
                    if extractor is not None:
                        matched = extractor.match_dict(event)  # type: ignore[misc]  # a machine's has matchers
                    if matched is None:
                        matched = self._match_fields(flatten(event, self.wanted))
                elif kind is str or kind is bytes:
                    if extractor is not None:
                        if kind is str or event.isascii():  # the common case: the generated code decodes
                            matched = extractor.match_struct(event)  # type: ignore[misc]  # as above
                        else:
                            decoded = extractor.decode(event)  # checks the UTF-8 first
                            if decoded is not None:
                                matched = extractor.match_struct(decoded)  # type: ignore[misc]  # as above
                    if matched is None:
                        matched = self._match_fields(flatten(load_event(event), self.wanted))
                else:  # bytearray, memoryview, another mapping; anything else raises, again under the lock
                    matched = self._match_fields(flatten(load_event(event), self.wanted))
                if self._version == version:
                    return matched
            except Exception:  # a change under way; a genuine error comes again under the lock
                pass
        with self._lock:
            if self._extractor_stale and self._deferring():
                start = perf_counter()
                try:
                    return self._match(event, None)
                finally:
                    self._rent -= perf_counter() - start
            return self._match(event, self._current_extractor() if self._extractor_stale else self._extractor)

    def _deferring(self) -> bool:
        """Whether a match on stale generated code takes the general path instead of generating new code.

        Ski rental: generating costs about what the last generation cost, and the general path costs at
        most a few times the generated code's time per event. So after a change, the machine matches
        through the general path until that has taken as long as the code it replaces took to generate,
        however many more changes come meanwhile, and only then generates. Rules added one at a time
        between events (a new field path each) no longer make every next event pay for new code: an
        event stream pays at most about twice what it would with the best schedule of generations. A
        machine's first code, made before any event was matched, is generated at once."""
        old = self._extractor
        if old is None or not DEFER_GENERATION:
            return False
        if self._rent_from is not old:  # the first match since the code went stale
            self._rent_from = old
            self._rent = old.cost
        return self._rent > 0

    def _match(self, event: Any, extractor: Extractor | None) -> set[Any]:
        """``match`` under the lock: the same steps, with ``Extractor.decode`` for text."""
        kind = type(event)
        if kind is dict:
            if extractor is not None:
                matched = extractor.match_dict(event)  # type: ignore[misc]  # a machine's has matchers
                if matched is not None:
                    return matched
            return self._match_fields(flatten(event, self.wanted))
        if extractor is not None and (kind is bytes or kind is str):
            decoded = extractor.decode(event)
            if decoded is not None:
                matched = extractor.match_struct(decoded)  # type: ignore[misc]  # as above
                if matched is not None:
                    return matched
        return self._match_fields(flatten(load_event(event), self.wanted))

    def _match_fields(self, flat: Fields) -> set[Any]:
        """The general path: look up every value of the field map, then check what the look-ups found."""
        fields = self.fields
        note = self._note
        hits: dict[int, list[tuple[tuple[int, int], ...]]] = {}
        found: list[list[int]] = []
        matched: set[Any] = set()
        for path, leaves in flat.items():
            index = fields.get(path)
            if index is None:
                continue
            lookup = index.lookup
            for value, trail in leaves:
                lookup(value, found)
                if found:
                    note(found, trail, matched, hits)
        if hits or self.absence_only:
            return self._finish(flat, hits, matched)
        return matched

    def _finish(
        self, flat: Fields, hits: dict[int, list[tuple[tuple[int, int], ...]]], matched: set[Any]
    ) -> set[Any]:
        """Add to ``matched`` the multi-field sub-rules that the look-ups' ``hits`` (and the event) satisfy."""
        if hits:
            info = self.pred_info
            counts: dict[int, int] | None = None
            for pid in hits:
                target = info[pid]
                if isinstance(target, AnchorGroup):  # check the members this event's values select
                    target.match(flat, hits[pid], matched)
                elif target.anchor == pid:
                    if target.rule not in matched and _check_anchored(target, hits[pid], flat):
                        matched.add(target.rule)
                else:
                    if counts is None:
                        counts = {}
                    sid = target.sid
                    counts[sid] = counts.get(sid, 0) + (pid not in self.optional)
            if counts:
                sub_rules = self.sub_rules
                for sid, count in counts.items():
                    compiled = sub_rules[sid]
                    if count != compiled.n_indexed or compiled.rule in matched:
                        continue
                    ok = _flat_hits(compiled, hits) if compiled.simple else _verify(compiled, hits, flat)
                    if ok:
                        matched.add(compiled.rule)
        if self.absence_only:
            for compiled in list(self.absence_only.values()):
                if compiled.rule not in matched and _verify(compiled, hits, flat):
                    matched.add(compiled.rule)
        return matched


def _read_from_fields(slot: Slot, anchor: int) -> bool:
    """Whether the checks after the look-ups read this field's values from the event's field map: all
    but a required field the indexes find (the anchor, or any required field of a sub-rule with none),
    whose values come with its hits."""
    return slot.kind != REQUIRED or (anchor >= 0 and slot.pred != anchor)


def _resolve(found: list[list[int]], single: dict[int, Any]) -> tuple[tuple[Any, ...], tuple[int, ...]]:
    """Lists of predicate ids a value satisfied, resolved: (the rule keys of the one-field sub-rules among
    them, which are matches; the other predicate ids, which are hits for the checks after)."""
    rules: list[Any] = []
    others: list[int] = []
    for pids in found:
        for pid in pids:
            rule = single.get(pid, single)
            if rule is single:
                others.append(pid)
            else:
                rules.append(rule)
    return (tuple(rules), tuple(others))


def _noter(single: dict[int, Any]) -> Any:
    """``note(found, trail, matched, hits)``: file the predicate ids of ``found`` (then empty it). A one-field
    sub-rule's id is a match of its rule; any other id keeps the value's array trail for the checks after."""

    def note(
        found: list[list[int]], trail: Any, matched: set[Any], hits: dict[int, list[tuple[tuple[int, int], ...]]]
    ) -> None:
        for pids in found:
            for pid in pids:
                rule = single.get(pid, single)
                if rule is not single:
                    matched.add(rule)
                    continue
                trails = hits.get(pid)
                if trails is None:
                    hits[pid] = [trail]
                else:
                    trails.append(trail)
        found.clear()

    return note


def _plan_entry(compiled: CompiledSubRule) -> tuple[Any, ...]:
    """A member's entry in its group's plan: (rule key, sub-rule), then five items per field besides the
    anchor (flat, so that a member's checks are one object): path, how, a, b, matcher. ``how``: an exact
    string (a), a set of them (a), a case-sensitive prefix (a), a numeric range (a and b: the bounds'
    nearest floats, infinite where open-ended), anything-but a set of strings (a), or any other single
    matcher, tested as it is. The likelier a field is to fail, the earlier it comes. A member with a field
    that may be absent, or with several matchers of other kinds on one field, has no checks (the entry is
    just the first two): the full check decides it."""
    checks: list[tuple[int, str, int, Any, Any, Any]] = []  # (order, path, how, a, b, matcher)
    for slot in compiled.slots:
        if slot.pred == compiled.anchor:
            continue
        if slot.kind != REQUIRED:
            return (compiled.rule, compiled)
        ms = slot.matchers
        path = _intern(slot.path)
        if all(type(m) is op.ExactString for m in ms):
            values = [m.value for m in ms]  # type: ignore[attr-defined]
            if len(values) == 1:
                checks.append((0, path, _P_EXACT, values[0], None, None))
            else:
                checks.append((1, path, _P_EXACT_SET, frozenset(values), None, None))
            continue
        if len(ms) != 1:
            return (compiled.rule, compiled)
        m = ms[0]
        kind = type(m)
        if kind is op.Prefix and not m.ignore_case:  # type: ignore[attr-defined]
            checks.append((2, path, _P_PREFIX, m.value, None, m))  # type: ignore[attr-defined]
        elif kind is op.Numeric:
            low, high = m.low_f, m.high_f  # type: ignore[attr-defined]
            checks.append((3, path, _P_RANGE, -_INF if low is None else low, _INF if high is None else high, m))
        elif kind is op.AnythingBut and m.strings is not None:  # type: ignore[attr-defined]
            checks.append((5, path, _P_BUT, m.strings, None, m))  # type: ignore[attr-defined]
        else:
            checks.append((4, path, _P_TEST, None, None, m))
    checks.sort(key=lambda check: check[0])
    return (compiled.rule, compiled, *(item for check in checks for item in check[1:]))


def _check_anchored(compiled: CompiledSubRule, anchor_trails: list[tuple[tuple[int, int], ...]], flat: Fields) -> bool:
    """Check a sub-rule whose anchor matched (with these trails): test its other fields on the event's values."""
    local = {compiled.anchor: anchor_trails}
    in_arrays = 1 if any(anchor_trails) else 0
    for slot in compiled.slots:
        if slot.kind == ABSENT or slot.pred == compiled.anchor:
            continue
        ms = slot.matchers
        leaves = flat.get(slot.path, ())
        if len(ms) == 1:
            test = ms[0].test
            trails = [trail for value, trail in leaves if test(value)]
        else:
            trails = [trail for value, trail in leaves if any(m.test(value) for m in ms)]
        if not trails and slot.kind == REQUIRED:
            return False
        local[slot.pred] = trails
        if any(trails):
            in_arrays += 1
    if compiled.simple and in_arrays < 2:
        return True  # at most one field's values come from arrays: nothing to keep consistent
    return _verify_slots(compiled.slots, local, flat, 0, {})


def _flat_hits(compiled: CompiledSubRule, hits: dict[int, list[tuple[tuple[int, int], ...]]]) -> bool:
    """True when every required field has a satisfied value with consistent array positions.

    Positions need checking only when two or more fields have values from arrays.
    """
    in_arrays = 0
    for slot in compiled.slots:
        for trail in hits[slot.pred]:
            if trail:
                in_arrays += 1
                break
    if in_arrays < 2:
        return True
    return _verify_slots(compiled.slots, hits, {}, 0, {})


def _verify(compiled: CompiledSubRule, hits: dict[int, list[tuple[tuple[int, int], ...]]], flat: Fields) -> bool:
    return _verify_slots(compiled.slots, hits, flat, 0, {})


def _compatible(trail: tuple[tuple[int, int], ...], membership: dict[int, int]) -> bool:
    for array_id, index in trail:
        seen = membership.get(array_id)
        if seen is not None and seen != index:
            return False
    return True


def _verify_slots(
    slots: tuple[Slot, ...],
    hits: dict[int, list[tuple[tuple[int, int], ...]]],
    flat: Fields,
    k: int,
    membership: dict[int, int],
) -> bool:
    """Whether slots[k:] can all be met with array positions consistent with ``membership``."""
    if k == len(slots):
        return True
    slot = slots[k]
    if slot.kind != ABSENT:
        tried: set[tuple[tuple[int, int], ...]] = set()
        for trail in hits.get(slot.pred, ()):
            if trail in tried or not _compatible(trail, membership):
                continue
            tried.add(trail)
            extended = membership
            if trail:
                extended = dict(membership)
                extended.update(trail)
            if _verify_slots(slots, hits, flat, k + 1, extended):
                return True
    if slot.kind != REQUIRED:
        leaves: list[Leaf] = flat.get(slot.path, [])
        if not any(_compatible(trail, membership) for _, trail in leaves):
            return _verify_slots(slots, hits, flat, k + 1, membership)
    return False


__all__ = ["FieldIndex", "Machine", "java_order"]
