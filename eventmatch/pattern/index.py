"""The index of one field path: an event value in, the predicates it satisfies out.

Exact values, prefixes and suffixes are dictionary look-ups (one per distinct
prefix or suffix length), numeric ranges an interval table found by bisection,
anything-but lists a count of exclusions; the remaining matchers are checked
one by one, each shared by every predicate that uses it. Which tables an index
uses is its :class:`Kinds`, which the generated matching code is written for
(:mod:`eventmatch.pattern.extract`): the code calls the public look-ups below
and reads the tables live, so a change that keeps an index's kinds keeps the
code.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeAlias

from . import operators as op
from .cidr import ip_to_hex
from .fragments import FragmentIndex
from .intervals import Stabber
from .numbers import FLOAT_EXACT, event_number, nearest_float
from .subrule import _exact_number, _numeric_equal

#: what a fused table gives a value, resolved: the rule keys of one-field sub-rules, the other predicate ids
Chain: TypeAlias = tuple[frozenset[Any], tuple[int, ...]]
#: an affix table for the fused matchers (see FieldIndex.build_fused_affixes): the key lengths longest first
#: (but 0), each key's chain, and the empty key's
FusedAffixes: TypeAlias = tuple[tuple[int, ...], dict[str, Chain], Chain | None]


class Kinds(NamedTuple):
    """Which kinds of look-up a field index uses (the generated code is written for these)."""

    exists: bool = False
    exact_str: bool = False
    literal: bool = False
    exact_num: bool = False
    affixes: bool = False  # prefix, suffix or case-folded tables (any of the five below)
    prefix: bool = False
    suffix: bool = False
    folded_eq: bool = False
    folded_prefix: bool = False
    folded_suffix: bool = False
    but: bool = False  # anything-but lists
    shape: bool = False  # anything-but prefix, suffix and equals-ignore-case
    checked: bool = False  # matchers tested one by one
    ranges: bool = False  # numeric ranges
    cidr: bool = False  # CIDR blocks
    wild: bool = False  # wildcards


NO_KINDS = Kinds()

#: the shared empty tables of a new FieldIndex, never mutated: FieldIndex._own replaces one before its first
#: insert (a plain dict, not a read-only proxy, because look-ups in it are on the hot path)
_NO_DICT: Any = {}
_NO_LIST: Any = ()


_INF = float("inf")

#: how many distinct strings a field index remembers the slow look-ups of (FieldIndex.str_lookup): an
#: index of anything-but lists only, whose look-up without the memo is one small dict's get(), turns its
#: memo off sooner than one with affixes, anything-but shapes or matchers tested one by one. Measured on
#: a field of 2,999 distinct values: a 4,096-entry memo made anything-but lists 8% slower, wildcards 11%
#: faster, anything-but prefix and suffix 3% faster.
MEMO_SIZE = 1024
MEMO_SIZE_SLOW = 4096

#: every Kinds in use, once (at most 2 ** 16)
_KINDS: dict[Kinds, Kinds] = {}


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
    if type(matcher) is op.EqualsIgnoreCase or type(matcher) is op.Prefix or type(matcher) is op.Suffix:
        return matcher.regex is not None
    if type(matcher) is op.AnythingButShape and matcher.kind == "equals-ignore-case":
        return not all(v.isascii() for v in matcher.values)
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
    # numeric ranges (not "="): found by bisecting their bounds, see range_lookup
    ranges: dict[op.Matcher, list[int]] = field(default_factory=lambda: _NO_DICT)
    # the stabbing index of the ranges, built by the first look-up after a change (see range_lookup)
    range_box: list[Stabber] = _NO_LIST
    # the same table for the fused matchers, resolved (see build_fused_ranges), in a box of its own
    fused_range_box: list[tuple[list[float], list[tuple[tuple[Any, ...], tuple[int, ...]]]] | None] = _NO_LIST
    # CIDR blocks, found by stabbing their address ranges (see cidr_lookup), in a box as range_box is
    cidrs: dict[op.Matcher, list[int]] = field(default_factory=lambda: _NO_DICT)
    cidr_box: list[Stabber] = _NO_LIST
    # the blocks' table for the fused matchers, resolved per slot (see build_fused_cidrs), in a box of its own
    fused_cidr_box: list[tuple[list[bytes], list[Chain]] | None] = _NO_LIST
    # the affix tables for the fused matchers: each key's chain resolved (see build_fused_affixes), one box
    # per table, which every change replaces as range_box is
    fused_prefix_box: list[FusedAffixes] = _NO_LIST
    fused_suffix_box: list[FusedAffixes] = _NO_LIST
    fused_folded_prefix_box: list[FusedAffixes] = _NO_LIST
    fused_folded_suffix_box: list[FusedAffixes] = _NO_LIST
    # wildcards, found through a literal fragment each (see wild_lookup), in a box as range_box is
    wilds: dict[op.Matcher, list[int]] = field(default_factory=lambda: _NO_DICT)
    wild_box: list[FragmentIndex] = _NO_LIST
    # how many anything-but wildcard matchers ``shape`` holds, and their fragment index (see shape_lookup)
    shape_wild_n: int = 0
    shape_wild_box: list[FragmentIndex] = _NO_LIST
    # the anything-but lists' predicates resolved for the fused matchers (see but_resolved), in a box
    # that every change replaces, as range_box is
    but_box: list[tuple[frozenset[Any], tuple[int, ...], dict[Any, int]]] = _NO_LIST
    # the shapes' predicate lists and each matcher's position among them (see shape_lookup), in a box that
    # every change replaces, as range_box is
    shape_box: list[tuple[list[list[int]], dict[op.Matcher, int]]] = _NO_LIST
    # the shapes' predicates resolved (see shape_resolved), in a box that every change replaces
    shape_resolved_box: list[tuple[frozenset[Any], tuple[int, ...], dict[op.Matcher, Any]]] = _NO_LIST
    # matchers checked one by one, shared by all the predicates that use them
    checked: dict[op.Matcher, list[int]] = field(default_factory=lambda: _NO_DICT)
    # how many keys of each length an affix table holds (its *_lengths list has each length once)
    length_counts: dict[str, dict[int, int]] = field(default_factory=lambda: _NO_DICT)
    size: int = 0
    # summaries kept by insert/delete, so that a look-up skips whole groups of empty tables
    affixes: bool = False  # any prefix, suffix or case-folded table
    others: bool = False  # any anything-but or checked matcher
    # which tables are in use: the fused matchers are written for these (and rebuilt on a change)
    kinds: Kinds = NO_KINDS
    # string value -> what str_lookup found for it, since the last change (see str_lookup)
    memo: dict[str, tuple[tuple[Any, ...], tuple[int, ...]]] = field(default_factory=lambda: _NO_DICT)
    memoize: bool = True  # False once the memo filled up since the last change: too many distinct values

    def exact_pids(self, matcher: op.Matcher) -> Sequence[int]:
        """The predicate ids filed under an exact matcher's value (string, number, ``numeric =``, literal);
        empty for any other matcher."""
        if type(matcher) is op.ExactString:
            return self.exact_str.get(matcher.value, ())
        if type(matcher) is op.ExactNumber:
            return self.exact_num.get(matcher.value, ())
        if type(matcher) is op.ExactLiteral:
            return self.literal.get(matcher.value, ())
        if _numeric_equal(matcher):
            return self.exact_num.get(matcher.low, ())
        return ()

    def insert(self, matcher: op.Matcher, pid: int) -> None:
        self.size += 1
        if type(matcher) is op.ExactString:
            _add(self._own("exact_str"), matcher.value, pid)
        elif (number := _exact_number(matcher)) is not None:
            _add(self._own("exact_num"), number, pid)
            near = nearest_float(number)
            floats = self._own("exact_floats")
            floats[near] = floats.get(near, 0) + 1
        elif type(matcher) is op.ExactLiteral:
            _add(self._own("literal"), matcher.value, pid)
        elif type(matcher) is op.Exists:
            self._own("exists").append(pid)
        elif type(matcher) is op.AnythingBut and matcher.strings is not None:
            but_n = self._own("but_n")
            but_n[pid] = but_n.get(pid, 0) + 1
            self.but = list(but_n)
            for text in matcher.strings:
                excluded = self._own("but_excluded").setdefault(text, {})
                excluded[pid] = excluded.get(pid, 0) + 1
        elif _tested_alone(matcher):
            _add(self._own("checked"), matcher, pid)
        elif type(matcher) is op.EqualsIgnoreCase:
            _add(self._own("folded_eq"), matcher.folded, pid)
        elif type(matcher) is op.Prefix or type(matcher) is op.Suffix:
            m = matcher
            name = ("folded_" if m.ignore_case else "") + ("prefix" if type(matcher) is op.Prefix else "suffix")
            table = self._own(name)
            if m.folded not in table:
                self._count_length(name, len(m.folded), +1)
            _add(table, m.folded, pid)
        elif type(matcher) is op.Cidr:
            _add(self._own("cidrs"), matcher, pid)
        elif type(matcher) is op.Wildcard:
            _add(self._own("wilds"), matcher, pid)
        elif type(matcher) is op.AnythingButShape:
            shape = self._own("shape")
            pids = shape.get(matcher)
            if pids is None:
                shape[matcher] = [pid]
                if matcher.kind == "wildcard":
                    self.shape_wild_n += 1
                for key, name in self._shape_keys(matcher):
                    table = self._own(name)
                    if key not in table and name != "shape_folded":
                        self._count_length(name, len(key), +1)
                    table.setdefault(key, []).append(matcher)
            else:
                pids.append(pid)
        elif type(matcher) is op.Numeric:
            _add(self._own("ranges"), matcher, pid)
        else:
            _add(self._own("checked"), matcher, pid)
        self._summarise()

    def delete(self, matcher: op.Matcher, pid: int) -> None:
        self.size -= 1
        if type(matcher) is op.ExactString:
            _drop(self.exact_str, matcher.value, pid)
        elif (number := _exact_number(matcher)) is not None:
            _drop(self.exact_num, number, pid)
            near = nearest_float(number)
            left = self.exact_floats[near] - 1
            if left:
                self.exact_floats[near] = left
            else:
                del self.exact_floats[near]
        elif type(matcher) is op.ExactLiteral:
            _drop(self.literal, matcher.value, pid)
        elif type(matcher) is op.Exists:
            self.exists.remove(pid)
        elif type(matcher) is op.AnythingBut and matcher.strings is not None:
            left = self.but_n[pid] - 1
            if left:
                self.but_n[pid] = left
            else:
                del self.but_n[pid]
            self.but = list(self.but_n)
            for text in matcher.strings:
                excluded = self.but_excluded[text]
                excluded[pid] -= 1
                if not excluded[pid]:
                    del excluded[pid]
                if not excluded:
                    del self.but_excluded[text]
        elif _tested_alone(matcher):
            _drop(self.checked, matcher, pid)
        elif type(matcher) is op.EqualsIgnoreCase:
            _drop(self.folded_eq, matcher.folded, pid)
        elif type(matcher) is op.Prefix or type(matcher) is op.Suffix:
            m = matcher
            name = ("folded_" if m.ignore_case else "") + ("prefix" if type(matcher) is op.Prefix else "suffix")
            table = getattr(self, name)
            _drop(table, m.folded, pid)
            if m.folded not in table:
                self._count_length(name, len(m.folded), -1)
        elif type(matcher) is op.Cidr:
            _drop(self.cidrs, matcher, pid)
        elif type(matcher) is op.Wildcard:
            _drop(self.wilds, matcher, pid)
        elif type(matcher) is op.AnythingButShape:
            pids = self.shape[matcher]
            pids.remove(pid)
            if not pids:
                del self.shape[matcher]
                if matcher.kind == "wildcard":
                    self.shape_wild_n -= 1
                for key, name in self._shape_keys(matcher):
                    table = getattr(self, name)
                    table[key].remove(matcher)
                    if not table[key]:
                        del table[key]
                        if name != "shape_folded":
                            self._count_length(name, len(key), -1)
        elif type(matcher) is op.Numeric:
            _drop(self.ranges, matcher, pid)
        else:
            _drop(self.checked, matcher, pid)
        self._summarise()

    def _summarise(self) -> None:
        self.affixes = bool(
            self.prefix or self.suffix or self.folded_eq or self.folded_prefix or self.folded_suffix
        )
        self.others = bool(self.but or self.shape or self.checked)
        kinds = Kinds(
            exists=bool(self.exists),
            exact_str=bool(self.exact_str),
            literal=bool(self.literal),
            exact_num=bool(self.exact_num),
            affixes=self.affixes,
            prefix=bool(self.prefix),
            suffix=bool(self.suffix),
            folded_eq=bool(self.folded_eq),
            folded_prefix=bool(self.folded_prefix),
            folded_suffix=bool(self.folded_suffix),
            but=bool(self.but),
            shape=bool(self.shape),
            checked=bool(self.checked),
            ranges=bool(self.ranges),
            cidr=bool(self.cidrs),
            wild=bool(self.wilds),
        )
        self.kinds = _KINDS.setdefault(kinds, kinds)  # one of each: an index per field is common
        self.range_box = [] if self.ranges else _NO_LIST
        self.cidr_box = [] if self.cidrs else _NO_LIST
        self.fused_cidr_box = [] if self.cidrs else _NO_LIST
        self.fused_prefix_box = [] if self.prefix else _NO_LIST
        self.fused_suffix_box = [] if self.suffix else _NO_LIST
        self.fused_folded_prefix_box = [] if self.folded_prefix else _NO_LIST
        self.fused_folded_suffix_box = [] if self.folded_suffix else _NO_LIST
        self.wild_box = [] if self.wilds else _NO_LIST
        self.shape_wild_box = [] if self.shape_wild_n else _NO_LIST
        self.fused_range_box = [] if self.ranges else _NO_LIST
        self.but_box = [] if self.but else _NO_LIST
        self.shape_box = [] if self.shape else _NO_LIST
        self.shape_resolved_box = [] if self.shape else _NO_LIST
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
    def _shape_keys(m: op.AnythingButShape) -> list[tuple[str, str]]:
        """The exclusion-table keys of an anything-but prefix, suffix or equals-ignore-case matcher."""
        if m.kind == "prefix":
            return [(v, "shape_prefix") for v in m.values]
        if m.kind == "suffix":
            return [(v, "shape_suffix") for v in m.values]
        if m.kind == "wildcard":  # in the fragment index instead (see shape_lookup)
            return []
        return [(op.fold(v), "shape_folded") for v in m.values]

    def shape_lookup(self, value: Any, out: list[list[int]]) -> None:
        """Anything-but prefix, suffix and equals-ignore-case: every matcher but those excluding the value.

        The affix loops are written out here rather than calling _prefix_hits/_suffix_hits: this runs for
        every string value of the field, and collecting hits into a list first cost 10-15% on those types.
        """
        if type(value) is not str:
            out.extend(self.shape.values())
            return
        shut = self.shape_shut(value)
        if shut is None:
            out.extend(self.shape.values())
            return
        # every list but the excluded matchers': a copy with a few deletions, in C, rather than testing each
        # matcher's membership in ``shut`` (a frozen dataclass hashes its fields at every test)
        positions_box = self.shape_box
        lists, position = positions_box[0] if positions_box else self.build_shape_positions(positions_box)
        left = lists.copy()
        for at in sorted((position[m] for m in shut), reverse=True):
            del left[at]
        out.extend(left)

    def shape_resolved(self, value: str, single: dict[int, Any]) -> tuple[Any, tuple[int, ...]]:
        """What shape_lookup finds for a string, resolved as str_lookup resolves: (the rule keys of the
        one-field sub-rules, as a set; the other predicate ids). For the fused matchers when the memo is off,
        as but_resolved is: nearly every anything-but shape matches, and sets copy and update in C. The
        resolution of all of them is kept in ``shape_resolved_box`` until the next change."""
        box = self.shape_resolved_box
        if box:
            rules, others, rules_of = box[0]
        else:
            rule_list: list[Any] = []
            other_list: list[int] = []
            given: dict[op.Matcher, list[Any]] = {}  # matcher -> the rules its predicates give
            owners: dict[Any, set[op.Matcher]] = {}  # rule -> the matchers giving it
            for matcher, pids in self.shape.items():
                mine = given[matcher] = []
                for pid in pids:
                    rule = single.get(pid, single)
                    if rule is single:
                        other_list.append(pid)
                    else:
                        rule_list.append(rule)
                        mine.append(rule)
                        owners.setdefault(rule, set()).add(matcher)
            rules, others = frozenset(rule_list), tuple(other_list)
            # a rule more than one matcher gives stays unless all of them exclude the value
            rules_of = {m: (mine, {r: frozenset(owners[r]) for r in mine if len(owners[r]) > 1})
                        for m, mine in given.items()}
            if box is not _NO_LIST:
                box.append((rules, others, rules_of))
        shut = self.shape_shut(value)
        if shut is None:
            return rules, others
        left = set(rules)
        shut_others: set[int] = set()
        for matcher in shut:
            mine, shared = rules_of[matcher]
            for rule in mine:
                owned_by = shared.get(rule)
                if owned_by is None or owned_by <= shut:
                    left.discard(rule)
            if others:
                shut_others.update(p for p in self.shape[matcher] if single.get(p, single) is single)
        if shut_others:
            others = tuple(p for p in others if p not in shut_others)
        return left, others

    def shape_shut(self, value: str) -> set[op.Matcher] | None:
        """The anything-but shapes that exclude a string (None: none do)."""
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
        if self.shape_wild_n:
            box = self.shape_wild_box
            wild_index = box[0] if box else self.build_shape_wilds(box)
            excluding: list[op.Matcher] = []
            wild_index.lookup(value, excluding)
            if excluding:
                shut = set(excluding) if shut is None else shut.union(excluding)
        return shut

    def build_shape_positions(
        self, box: list[tuple[list[list[int]], dict[op.Matcher, int]]]
    ) -> tuple[list[list[int]], dict[op.Matcher, int]]:
        """The anything-but shapes' predicate lists in order, and each matcher's position among them."""
        built = (list(self.shape.values()), {m: i for i, m in enumerate(self.shape)})
        if box is not _NO_LIST:
            box.append(built)
        return built

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
                self.affix_lookup(value, out)
            if self.cidrs:
                self.cidr_lookup(value, out)
            if self.wilds:
                self.wild_lookup(value, out)
        elif kind is bool or value is None:
            hit = self.literal.get(value)
            if hit:
                out.append(hit)
        else:
            if self.exact_num:
                self.number_lookup(value, out)
            if self.ranges:
                self.range_lookup(value, out)
        if self.others:
            self.other_lookup(value, kind is str, out)

    def but_left(self, excluded: dict[int, int]) -> list[int]:
        """The anything-but predicates that a string does not make fail, given ``excluded`` (for each
        predicate listing the string: how many of its values it is, see insert)."""
        counts = self.but_n
        return [p for p in self.but if excluded.get(p, 0) < counts[p]]

    def but_resolved(self, excluded: dict[int, int] | None, single: dict[int, Any]) -> tuple[Any, tuple[int, ...]]:
        """The anything-but lists' predicates a string leaves standing (``excluded`` as in but_left), resolved
        as str_lookup resolves: (the rule keys of the one-field sub-rules, as a set; the other predicate ids).

        For the fused matchers when the memo is off: with every rule of the field an anything-but, nearly all
        of them match each value, and a set's copy and update (in C) are cheaper than filing each predicate.
        The resolution of all of them is kept in ``but_box`` until the next change (see str_lookup)."""
        box = self.but_box
        if box:
            rules, others, shared = box[0]
        else:
            rule_list: list[Any] = []
            other_list: list[int] = []
            counts: dict[Any, int] = {}
            for pid in self.but:
                rule = single.get(pid, single)
                if rule is single:
                    other_list.append(pid)
                else:
                    rule_list.append(rule)
                    counts[rule] = counts.get(rule, 0) + 1
            rules, others = frozenset(rule_list), tuple(other_list)
            shared = {rule: n for rule, n in counts.items() if n > 1}  # rules with more than one predicate here
            if box is not _NO_LIST:
                box.append((rules, others, shared))
        if excluded is None:
            return rules, others
        counts_of = self.but_n
        shut = [p for p, n in excluded.items() if n >= counts_of.get(p, 0) and p in counts_of]
        if not shut:
            return rules, others
        left = set(rules)
        shut_others: set[int] = set()
        for pid in shut:
            rule = single.get(pid, single)
            if rule is single:
                shut_others.add(pid)
            elif rule not in shared or all(p in shut for p in self.but if single.get(p, single) == rule):
                left.discard(rule)
        if shut_others:
            others = tuple(p for p in others if p not in shut_others)
        return left, others

    def other_lookup(self, value: Any, is_str: bool, out: list[list[int]]) -> None:
        """Anything-but (all its forms) and the matchers checked one by one."""
        if self.but:
            excluded = self.but_excluded.get(value) if is_str else None
            out.append(self.but if excluded is None else self.but_left(excluded))
        if self.shape:
            self.shape_lookup(value, out)
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
            self.affix_lookup(value, found)
        if self.cidrs:
            self.cidr_lookup(value, found)
        if self.wilds:
            self.wild_lookup(value, found)
        if self.others:
            self.other_lookup(value, True, found)
        hit = _resolve(found, single)
        memo[value] = hit
        slow = self.affixes or self.shape or self.checked or self.cidrs or self.wilds
        if len(memo) >= (MEMO_SIZE_SLOW if slow else MEMO_SIZE):
            self.memoize = False
        return hit

    def range_lookup(self, value: Any, out: list[list[int]]) -> None:
        """Numeric ranges: the bounds of all of them, as floats, cut the number line into slots (the gaps
        between bounds and the bounds themselves), and a value in a slot meets the ranges listed for it: a
        :class:`~.intervals.Stabber`, built by the first look-up after a change. A value equal to a bound
        is also tested against the ranges that end there (their decimal bound may not be that float); a
        value past 2**53, or not a finite int or float, is tested against each range.

        The index goes into ``range_box``, which every change replaces (empty) as its last step, so one
        built while a change was under way lands in a box that the change's end throws away.
        """
        kind = type(value)
        # a finite float, or an int that a float holds exactly
        if (kind is float or (kind is int and -FLOAT_EXACT < value < FLOAT_EXACT)) and value - value == 0.0:
            box = self.range_box
            stabber = box[0] if box else self.build_stabber(box)
            stabber.stab(value, out)
            return
        for matcher, pids in self.ranges.items():
            if matcher.test(value):
                out.append(pids)

    def build_stabber(self, box: list[Stabber]) -> Stabber:
        """The stabbing index of the numeric ranges (see range_lookup)."""
        ranges = list(self.ranges.items())
        bounds = sorted({b for m, _ in ranges for b in (m.low_f, m.high_f) if b is not None})  # type: ignore[attr-defined]
        where = {b: i for i, b in enumerate(bounds)}
        spans: list[tuple[int, int, list[int]]] = []
        tests: dict[int, list[tuple[op.Matcher, list[int]]]] = {}
        for m, pids in ranges:
            low, high = m.low_f, m.high_f  # type: ignore[attr-defined]
            # the gaps strictly inside the range, and the bounds between them: slots first..last
            first = 0 if low is None else 2 * where[low] + 2
            last = 2 * len(bounds) if high is None else 2 * where[high]
            if first <= last:
                spans.append((first, last, pids))
            for end in {low, high}:  # a value equal to an end: the range's own exact test decides
                if end is not None and end - end == 0.0:
                    tests.setdefault(where[end], []).append((m, pids))
        stabber = Stabber(bounds, spans, tests)
        if box is not _NO_LIST:
            box.append(stabber)
        return stabber

    def build_ranges(
        self, box: list[tuple[list[float], list[list[list[int]]]] | None]
    ) -> tuple[list[float], list[list[list[int]]]] | None:
        """The ranges per gap between their bounds (for the fused matchers), or None when the stabbing index
        is a segment tree rather than a flat table (see :class:`~.intervals.Stabber`)."""
        stabber = self.build_stabber([])
        gaps = stabber.gaps()
        table = None if gaps is None else (stabber.bounds, gaps)
        if box is not _NO_LIST:
            box.append(table)
        return table

    def build_fused_ranges(
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
        table = self.build_ranges([])
        fused = None
        if table is not None:
            bounds, within = table
            fused = ([-_INF, *bounds, _INF], [((), ()), *(_resolve(lists, single) for lists in within)])
        if box is not _NO_LIST:
            box.append(fused)
        return fused

    def cidr_lookup(self, value: str, out: list[list[int]]) -> None:
        """CIDR blocks: the address (parsed once, whatever the number of blocks) stabs the blocks' ranges of
        hexadecimal text, compared as text as :class:`~.operators.Cidr` compares them."""
        address = ip_to_hex(value)
        if address is not None:
            box = self.cidr_box
            stabber = box[0] if box else self.build_cidrs(box)
            stabber.stab(address, out)

    def build_cidrs(self, box: list[Stabber]) -> Stabber:
        blocks = list(self.cidrs.items())
        bounds = sorted({b for m, _ in blocks for b in (m.range.low, m.range.high)})  # type: ignore[attr-defined]
        where = {b: i for i, b in enumerate(bounds)}
        # a block covers its two ends (slots 2i + 1) and everything between them
        spans = [(2 * where[m.range.low] + 1, 2 * where[m.range.high] + 1, pids)  # type: ignore[attr-defined]
                 for m, pids in blocks]
        stabber = Stabber(bounds, spans, {})
        if box is not _NO_LIST:
            box.append(stabber)
        return stabber

    def build_fused_cidrs(
        self,
        box: list[tuple[list[bytes], list[Chain]] | None],
        single: dict[int, Any],
    ) -> tuple[list[bytes], list[Chain]] | None:
        """The blocks' table for the fused matchers: half-open bounds, and for each gap what ``str_lookup``
        gives an address there, resolved; None when the stabbing index is a segment tree (heavily nested
        blocks), which the fused matchers then ask through ``cidr_lookup``.

        A block's addresses are ``low <= address <= high`` as bytes (4 for IPv4, 16 for IPv6), which sort as
        the hexadecimal forms :class:`~.operators.Cidr` compares do. No byte string lies between ``high``
        and ``high + b"\\0"``, so the block is the half-open ``[low, high + b"\\0")`` and the bounds cut the
        line into gaps alone: ``slots[bisect_right(bounds, address)]`` is the address's answer, one
        bisection with no test for a bound hit exactly. Each gap's answer is the stabbing index's at the
        gap's first point (a bound). It goes into ``fused_cidr_box``, which every change replaces as
        ``cidr_box`` is; the resolution holds as long (see str_lookup)."""
        stabber = self.build_cidrs([])
        fused = None
        flat = stabber.flat
        if flat is not None:
            # in hexadecimal text, as the stabbing index has them: ``high + "00"`` is ``high + b"\0"``
            bounds = sorted({b for bound in stabber.bounds for b in (bound, bound + "00")})
            none: Chain = (frozenset(), ())
            slots: list[Chain] = [none]  # below every bound: no block
            for bound in bounds:
                lists: list[list[int]] = []
                stabber.stab(bound, lists)
                if lists:
                    rules, others = _resolve(lists, single)
                    slots.append((frozenset(rules), others))  # a set: the fused code adds it with |=
                else:
                    slots.append(none)
            fused = ([bytes.fromhex(bound) for bound in bounds], slots)
        if box is not _NO_LIST:
            box.append(fused)
        return fused

    def build_fused_affixes(self, name: str, box: list[FusedAffixes], single: dict[int, Any]) -> FusedAffixes:
        """Affix table ``name`` (prefix, suffix, folded_prefix or folded_suffix) for the fused matchers, which
        find the longest key that a value starts (or ends) with and stop there.

        The keys a value starts with are all prefixes of the longest of them, so each key here maps to its
        chain: every key of the table that is a prefix of it (itself included), resolved as ``str_lookup``
        resolves (rule keys of one-field sub-rules, other predicate ids). The fused code probes the key
        lengths longest first, the value cut to each (past its length the cut is the value itself, whose
        chain is then the answer), and takes the first chain found: a value matching a long key costs one
        look-up, not one per key length. The empty key, which every value has, is not in the table: its
        chain is the third member, the answer when no other key is found. Suffixes alike, from the end.
        It goes into the table's ``fused_*_box``, which every change replaces; the resolution holds as long
        (see str_lookup)."""
        table: dict[str, list[int]] = getattr(self, name)
        lengths: list[int] = getattr(self, f"{name}_lengths")
        suffix = name.endswith("suffix")
        chains: dict[str, Chain] = {}
        for key in table:
            size = len(key)
            found = []
            for n in lengths:  # ascending
                if n > size:
                    break
                own = table.get(key[size - n :] if suffix else key[:n])
                if own:
                    found.append(own)
            rules, others = _resolve(found, single)
            chains[key] = (frozenset(rules), others)  # a set: the fused code adds it with |=, no call
        empty = chains.pop("", None)
        fused = (tuple(n for n in reversed(lengths) if n), chains, empty)
        if box is not _NO_LIST:
            box.append(fused)
        return fused

    def wild_lookup(self, value: str, out: list[list[int]]) -> None:
        """Wildcards: the few whose literal fragment the value holds, run in full (see :mod:`.fragments`)."""
        box = self.wild_box
        fragments = box[0] if box else self.build_wilds(box)
        fragments.lookup(value, out)

    def build_wilds(self, box: list[FragmentIndex]) -> FragmentIndex:
        fragments = FragmentIndex([(m.pieces, m.test, pids) for m, pids in self.wilds.items()])  # type: ignore[attr-defined]
        if box is not _NO_LIST:
            box.append(fragments)
        return fragments

    def build_shape_wilds(self, box: list[FragmentIndex]) -> FragmentIndex:
        """The wildcards of the anything-but wildcard matchers, each giving the matcher it excludes."""
        fragments = FragmentIndex([
            (w.pieces, w.test, m) for m in self.shape if m.kind == "wildcard"  # type: ignore[attr-defined]
            for w in m.excluded  # type: ignore[attr-defined]
        ])
        if box is not _NO_LIST:
            box.append(fragments)
        return fragments

    def number_lookup(self, value: Any, out: list[list[int]]) -> None:
        """Exact numbers (and ``numeric =``): a float no exact number rounds to equals none of them."""
        if type(value) is not float or value in self.exact_floats:
            number = event_number(value)
            if number is not None:
                hit = self.exact_num.get(number)
                if hit:
                    out.append(hit)

    def affix_lookup(self, value: str, out: list[list[int]]) -> None:
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
