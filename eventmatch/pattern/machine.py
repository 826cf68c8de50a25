"""The compiled machine: many rules share one set of indexes (:mod:`.index`), anchor groups
(:mod:`.anchors`) and checks (:mod:`.verify`), and one generated matcher (:mod:`.extract`).

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
from collections.abc import Iterable
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

from ..event import Fields, flatten, load_event
from . import operators as op
from .anchors import CROWDED, LONE_SEARCH_MAX, AnchorGroup
from .extract import Extractor, Fused, build_extractor
from .index import FieldIndex, _sharing
from .parse import SubRule
from .subrule import ABSENT, NOT_ANCHORABLE, OPTIONAL, REQUIRED, CompiledSubRule, Slot, _is_exact, _rank, java_order
from .verify import _check_anchored, _flat_hits, _verify

#: whether a machine whose generated code went stale matches through the general path for a while before
#: generating again (see Machine._deferring); the tests of the generated code turn it off
DEFER_GENERATION = True

#: the tables of shared matcher tuples and Slots (Machine._shared, _shared_slots) are each emptied when
#: they hold more than twice as many entries as there are rules, plus this many
SHARED_SLACK = 1024


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
    # the extractor while it is fresh (None when stale or when there is none): what match() tries first
    _fast: Extractor | None = field(default=None, repr=False)
    # after a change that makes the generated code stale, the general path serves for as long as the
    # code it replaces took to generate (seconds left; see _deferring), counted from that code
    _rent: float = 0.0
    _rent_from: Extractor | None = field(default=None, repr=False)
    # predicate id -> rule key, for sub-rules of one required field: a hit is a match
    single_rule: dict[int, Any] = field(default_factory=dict)
    # indexed predicate id -> (sub-rule id, its sub-rule, whether it is required)
    # (one-field sub-rules have none: note() files their hits as matches)
    pred_info: dict[int, CompiledSubRule | AnchorGroup] = field(default_factory=dict)
    optional: set[int] = field(default_factory=set)  # the indexed predicate ids of OPTIONAL fields
    absence_only: dict[int, CompiledSubRule] = field(default_factory=dict)  # n_indexed == 0
    # rule key -> its sub-rule (a CompiledSubRule, or, for a sub-rule of one required field, its Slot, as
    # nothing else is kept of it), or a tuple of them when it has several ($or)
    by_rule: dict[Any, CompiledSubRule | Slot | tuple[CompiledSubRule | Slot, ...]] = field(default_factory=dict)
    # anchor groups by (path, exact string): a sub-rule anchored by that one value is in it (see _group_of)
    groups: dict[tuple[str, op.Matcher], AnchorGroup] = field(default_factory=dict)
    # the matcher tuples of the rules' fields, each once: rules share values (a state, a detail-type, a
    # source), and the parser makes a new tuple of new matchers for each rule
    _shared: dict[tuple[op.Matcher, ...], tuple[op.Matcher, ...]] = field(default_factory=dict, repr=False)
    # the Slots of fields checked after an anchor, each once (see _add; never changed once shared)
    _shared_slots: dict[Slot, Slot] = field(default_factory=dict, repr=False)
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
        entries: list[CompiledSubRule | Slot] = []
        shared, shared_slots = self._shared, self._shared_slots
        bound = 2 * len(self.by_rule) + SHARED_SLACK
        for table in (shared, shared_slots):
            if len(table) > bound:
                table.clear()  # bounded: rules removed leave their entries here until a clear
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
                if len(sub) > 1:  # (a one-field sub-rule's value is usually its own: no sharing to gain)
                    positive = shared.setdefault(positive, positive)
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
            at = self._choose_anchor(slots)
            if at >= 0:
                # only the anchor is indexed: its predicate id is the sub-rule's own; the other fields are
                # checked after it, and need ids only to tell their trails apart: -2, -3, ... by position
                anchor = sid
                for i, slot in enumerate(slots):
                    if slot.kind != ABSENT:
                        slot.pred = sid if i == at else -2 - i
                    if i != at:
                        # the same for every rule with this value at this position: one Slot for all
                        slots[i] = shared_slots.setdefault(slot, slot)
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
            entries.append(compiled)
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
                        if lone is not CROWDED:
                            first: CompiledSubRule = lone  # type: ignore[assignment]
                            self._unindex(path, matcher, first.anchor)
                            del self.pred_info[first.anchor]
                            group.add(first.sid, first)
                    group.add(sid, compiled)
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

    def _lone_anchored(self, path: str, matcher: op.Matcher) -> CompiledSubRule | object | None:
        """The sub-rule indexed alone by this one exact value of ``path`` (it and the next one
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
                            return entry
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
            compiled: CompiledSubRule = entry  # type: ignore[assignment]
            sid = compiled.sid
            self.absence_only.pop(sid, None)
            group = self._group_of(compiled)
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
        return True

    def _group_of(self, compiled: CompiledSubRule) -> AnchorGroup | None:
        """The anchor group a sub-rule is in, if any: the group of its one exact anchor value."""
        if compiled.anchor < 0:
            return None
        inserts = compiled.inserts()
        if len(inserts) != 1:
            return None
        group = self.groups.get((inserts[0][0], inserts[0][1]))
        return group if group is not None and compiled.sid in group.members else None

    def _insert(self, path: str, matcher: op.Matcher, pid: int) -> None:
        """Index a predicate's matcher. The fused matchers are rebuilt when a path's index comes or goes, or
        starts or stops using a kind of table (they are written for the tables in use)."""
        index = self.fields.get(path)
        if index is None:
            index = self.fields[path] = FieldIndex()
            self._stale()
        kinds = index.kinds
        index.insert(matcher, pid)
        if index.kinds != kinds:
            self._stale()

    def _unindex(self, path: str, matcher: op.Matcher, pid: int) -> None:
        index = self.fields[path]
        kinds = index.kinds
        index.delete(matcher, pid)
        if index.size == 0:
            del self.fields[path]
            self._stale()
        elif index.kinds != kinds:
            self._stale()

    def _record(self, path: str, delta: int) -> None:
        n = self._record_counts.get(path, 0) + delta
        if n:
            self._record_counts[path] = n
        else:
            del self._record_counts[path]
        if n == 0 or n == delta:
            self._stale()

    def _want(self, path: str, delta: int) -> None:
        n = self._leaf_counts.get(path, 0) + delta
        if n:
            self._leaf_counts[path] = n
        else:
            del self._leaf_counts[path]
        if n == 0 or n == delta:  # a path appeared or disappeared: the extractor is rebuilt
            self._stale()
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
            self._extractor = self._fast = extractor
            self._rent_from = None  # (the old code is not kept alive)
            self._extractor_stale = False
        return self._extractor

    def _stale(self) -> None:
        """The generated code no longer fits the indexes: the next match under the lock replaces it."""
        self._extractor_stale = True
        self._fast = None

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
        extractor = self._fast
        if not version & 1 and (extractor is not None or not self._extractor_stale):
            try:
                kind = type(event)
                matched = None
                if extractor is not None:
                    if kind is bytes or kind is str:
                        if kind is str or event.isascii():  # the common case: the generated code decodes
                            matched = extractor.match_struct(event)  # type: ignore[misc]  # a machine's has matchers
                        else:
                            decoded = extractor.decode(event)  # checks the UTF-8 first
                            if decoded is not None:
                                matched = extractor.match_struct(decoded)  # type: ignore[misc]  # as above
                    elif kind is dict:
                        matched = extractor.match_dict(event)  # type: ignore[misc]  # as above
                if matched is None:  # no generated code, or what it cannot decide; anything else raises here
                    matched = self._match_fields(flatten(event if kind is dict else load_event(event), self.wanted))
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
            counts: dict[CompiledSubRule, int] | None = None
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
                    counts[target] = counts.get(target, 0) + (pid not in self.optional)
            if counts:
                for compiled, count in counts.items():
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


__all__ = ["FieldIndex", "Machine", "java_order"]
