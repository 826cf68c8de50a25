"""Anchor groups: the sub-rules that one looked-up value (their *anchor*) selects.

A sub-rule whose required field is found by a dictionary look-up is filed under
that field's value and checked in full only when the value is in an event, so
rules that share common fields cost nothing for events they do not select. A
value selecting a few sub-rules checks each through a compact *plan*; one
selecting more splits them by a second field, indexed like the first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..event import Fields
from . import operators as op
from .index import _NO_DICT, FieldIndex
from .numbers import FLOAT_EXACT
from .subrule import NOT_ANCHORABLE, REQUIRED, CompiledSubRule, _rank
from .verify import _P_BUT, _P_EXACT, _P_EXACT_SET, _P_PREFIX, _P_RANGE, _check_anchored, _plan_entry

#: an anchor group files its members by a second field once it has this many; a smaller one checks
#: each member through its compact plan (see AnchorGroup.plan). Measured per event, groups of n rules
#: on ten sources matched over and over (hot): plans beat the full check of each member that small
#: groups used before (n=2: 3.06 -> 2.68 µs, n=3: 3.51 -> 2.90 µs) but lose to a split group from n=3
#: on (split/plan: n=3 2.54/2.95, n=7 2.80/4.08, n=12 2.94/5.14 µs), whose look-ups cost the same for
#: any number of members. Cold, at 100,000 rules, plans for groups up to 16 members took 27% less
#: memory per rule and 20% less time to compile, and 5-10% less time per event: not worth the hot cost.
GROUP_SPLIT_AT = 4


#: ... and files them all again each time it doubles, up to this many members: refiling 4,096 members
#: takes about 15 ms, 65,536 about 330 ms, too long for one add; past it, new members are filed by
#: how the members already filed share their values
GROUP_REFILE_MAX = 4096
NEVER = 1 << 62

#: the first sub-rule anchored by a value is indexed alone; a second one looks for it among the value's
#: predicates when they are at most this many (more: the value gets a group without that search)
LONE_SEARCH_MAX = 8
CROWDED = object()  # (see LONE_SEARCH_MAX)

#: a split group files the members of one second field in a FewIndex, which tests their matchers one by
#: one, while they bring at most this many distinct matchers; past that, in a FieldIndex. Measured in one
#: run against FieldIndexes only: 100,000 rules of the realistic mix 989 B a rule instead of 1,329 and
#: 10-15% less time an event (fewer objects to reach); but groups matched over and over (ten sources, n
#: rules each spread over four second fields: exact, prefix, numeric range, number) n=3 level, n=7 9-12%
#: slower, n=12 (three matchers a field) 24-30% slower: a test is a Python call, a FieldIndex look-up is
#: one dict get for exact values
FEW_MAX = 4


@dataclass(slots=True)
class FewIndex:
    """The few members of a split group filed by one field: each distinct matcher with its members' ids,
    tested one by one. A FieldIndex costs about 700 bytes however little it holds, and most second
    fields of a group hold one to three matchers: at 100,000 rules of the realistic mix, 45,000 of them.
    Its look-up answers as FieldIndex.lookup does (``Matcher.test`` is the operators' definition)."""

    matchers: tuple[op.Matcher, ...] = ()  # distinct; replaced on a change
    ids: tuple[tuple[int, ...], ...] = ()  # the members' ids of each matcher, in the same order; replaced
    size: int = 0

    def lookup(self, value: Any, out: list[Any]) -> None:
        ids = self.ids
        for i, m in enumerate(self.matchers):  # (a zip, strict or not, costs more than the loop)
            if m.test(value):
                out.append(ids[i])

    def insert(self, matcher: op.Matcher, sid: int) -> None:
        self.size += 1
        matchers, ids = self.matchers, self.ids
        if matcher in matchers:
            i = matchers.index(matcher)
            self.ids = (*ids[:i], (*ids[i], sid), *ids[i + 1 :])
        else:
            self.matchers = (*matchers, matcher)
            self.ids = (*ids, (sid,))

    def delete(self, matcher: op.Matcher, sid: int) -> None:
        self.size -= 1
        matchers, ids = self.matchers, self.ids
        i = matchers.index(matcher)
        left = tuple(s for s in ids[i] if s != sid)
        if left:
            self.ids = (*ids[:i], left, *ids[i + 1 :])
        else:
            self.matchers = matchers[:i] + matchers[i + 1 :]
            self.ids = ids[:i] + ids[i + 1 :]

    def exact_pids(self, matcher: op.Matcher) -> tuple[int, ...]:
        """The ids filed under this very matcher (for the filing's sharing count)."""
        matchers = self.matchers
        return self.ids[matchers.index(matcher)] if matcher in matchers else ()

    def grown(self) -> FieldIndex:
        """The same entries in a FieldIndex."""
        index = FieldIndex()
        for m, sids in zip(self.matchers, self.ids, strict=True):
            for sid in sids:
                index.insert(m, sid)
        return index


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
    fields: dict[str, FieldIndex | FewIndex] = field(default_factory=lambda: _NO_DICT)  # second field -> its index
    filed: dict[int, str] = field(default_factory=lambda: _NO_DICT)  # sid -> the field it is filed by
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
        member = self.members.pop(sid)
        if not self.split:
            self.plan = tuple(entry for entry in self.plan if entry[1].sid != sid)
            return
        if self.rest.pop(sid, None) is not None:
            return
        self.pairs.pop(sid, None)
        path = self.filed.pop(sid)
        index = self.fields[path]
        for m in next(slot.matchers for slot in member.slots if slot.path == path):
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
        if index is None:
            return 0
        return sum(len(index.exact_pids(m)) for m in ms)

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
            index = self.fields[path] = FewIndex()
        for m in ms:
            index.insert(m, sid)
        if type(index) is FewIndex and len(index.matchers) > FEW_MAX:
            self.fields[path] = index.grown()
        self.filed[sid] = path
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
