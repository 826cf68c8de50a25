"""Fast field extraction: read only the fields the rules use, from a dict or from JSON bytes.

The machine knows, at compile time, every field path its rules look at. From
that set this module builds, once per change of the set (not per rule and
never per event):

* ``from_dict(event)``: straight-line Python, generated for these paths, that
  fetches exactly those fields from a parsed event and nothing else;
* ``from_json(data)``: a msgspec decoder whose types declare only those
  fields, so the decoder skips everything else in the text without building
  it, followed by the same straight-line extraction over the decoded structs.

Both produce the same ``{path: [(value, trail)]}`` as :func:`eventmatch.event.flatten`
restricted to the wanted paths: keys that contain dots, arrays (with the same
array-membership trails), duplicate keys (the last wins) and escaped names
included. Where the typed decoder cannot decide (a value of a shape its
types do not allow, such as an array inside an array on a rule's path, or any
text msgspec refuses), ``from_json`` returns ``None`` and the caller takes the
full-parse path, so the answer is always the full path's answer.

Given a :class:`Fused` (what the machine's indexes are), the same generator
also writes *matchers*: the extraction with each value looked up in its
field's index where it is read. One-field rules match on the spot; only the
paths that multi-field rules check afterwards go into the field map. Any
shape the straight-line code does not expect makes them return None, and the
machine takes the general path.
"""

from __future__ import annotations

import functools
import itertools
import socket
import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType
from typing import Any, Union

import msgspec

from ..event import Fields, walk_element, walk_value
from .cidr import ip_to_bytes
from .index import NO_KINDS, FieldIndex, Kinds
from .numbers import FLOAT_EXACT
from .operators import fold

#: past this many anything-but predicates (lists) or matchers (shapes) on a field, a string the memo did not
#: hold is resolved in one go (FieldIndex.but_resolved, shape_resolved: set copies and updates in C); below
#: it, filing each predicate is cheaper (citylots' five anything-but rules: 9% slower resolved)
RESOLVE_AT = 16

#: A generated extractor gives up above these sizes and the caller flattens in full. Past about 64
#: leaf paths the general path is the better one: the generated code tests each path the rules name
#: (64 under one object: about the 2 µs of the general path, which costs what the event holds), a
#: decoded struct sets every declared field, and Python compiles the code at about 1 ms a path, again
#: after each change of paths.
MAX_LEAVES = 64
MAX_PATHS = 4096
MAX_DEPTH = 8

#: a dict's keys with a dot in them are tested at once (see _Builder._body) from this many
DOTTED_TOGETHER = 3

_SCALARS = (str, int, float, bool, None)
_UNSET = msgspec.UNSET
_MISSING = object()
_NO_FIELDS: Fields = {}  # never written: see Extractor.matcher
FAILED = (msgspec.ValidationError, msgspec.DecodeError, UnicodeError, RecursionError)


#: sources up to this many characters are remembered (the code of 64 paths three levels deep is
#: about 0.8 MB of text, and as much bytecode: 32 of those would hold 50 MB for shapes rarely seen twice)
CACHED_SOURCE_MAX = 200_000


def _compiled(source: str) -> CodeType:
    """The generated source compiled, remembered by its text when it is not large. The text depends only
    on the paths and the kinds of look-up in use (the values live in the indexes, which the code reads
    through its globals), so machines of the same shape share it: a new RuleSet of a known shape skips
    Python's compiler, about 0.7 ms of the 0.9 ms its first match took."""
    if len(source) > CACHED_SOURCE_MAX:
        return compile(source, "<eventmatch generated>", "exec")
    return _compiled_cached(source)


@functools.lru_cache(maxsize=32)
def _compiled_cached(source: str) -> CodeType:
    return compile(source, "<eventmatch generated>", "exec")


class Extractor:
    """Field readers generated for one set of wanted paths (and, given a :class:`Fused`, matchers).

    Each function is generated on its first use (most programs match only dicts, or only JSON), under
    a lock; ``match_dict`` and ``match_struct`` then replace themselves by the generated function.
    ``match_struct`` takes the decoded structs, or JSON text that needs no UTF-8 check (str, or ASCII
    bytes), which it decodes itself.
    """

    __slots__ = ("_builder", "_fused", "_lock", "_made", "cost", "match_dict", "match_struct", "paths", "typed_decode")

    def __init__(self, wanted: frozenset[str], leaves: frozenset[str], fused: Fused | None = None) -> None:
        self.paths = wanted
        self._builder = _Builder(wanted, leaves)
        self._fused = fused
        self._lock = threading.Lock()
        self._made: dict[str, Callable[[Any], Any]] = {}
        self.cost = 0.0  # seconds spent generating this extractor's functions (the machine adds its build)
        # the typed decoder itself: for str and ASCII bytes only (it does not check UTF-8 in what it skips);
        # it raises one of FAILED where the full parse must decide
        self.typed_decode: Callable[[bytes | str], Any] = msgspec.json.Decoder(self._builder.struct_type("")).decode
        self.match_dict: Callable[[Any], set[Any] | None] | None = None
        self.match_struct: Callable[[Any], set[Any] | None] | None = None
        if fused is not None:
            self.match_dict = lambda event: self._made_function("match_dict")(event)
            self.match_struct = lambda decoded: self._made_function("match_struct")(decoded)

    def _made_function(self, name: str) -> Callable[[Any], Any]:
        with self._lock:
            made = self._made.get(name)
            if made is None:
                start = time.perf_counter()
                builder, fused = self._builder, self._fused
                if name == "from_dict" or name == "from_struct":
                    made = builder.function(struct=name == "from_struct")
                else:
                    assert fused is not None
                    made = builder.matcher(struct=name == "match_struct", fused=fused, decode=self.typed_decode)
                    setattr(self, name, made)
                self._made[name] = made
                self.cost += time.perf_counter() - start
        return made

    def from_dict(self, event: dict[str, Any]) -> Fields:
        """The wanted fields of a dict event (the field map that flatten() makes, for these paths)."""
        return self._made_function("from_dict")(event)  # type: ignore[no-any-return]

    def decode(self, data: bytes | str) -> Any:
        """The wanted fields of a JSON event as typed structs, or None when the full parse must decide."""
        try:
            if type(data) is bytes and not data.isascii():
                data.decode("utf-8")  # the typed decoder skips strings without checking them
            return self.typed_decode(data)
        except FAILED:
            return None

    def from_json(self, data: bytes | str) -> Fields | None:
        """The wanted fields of a JSON event, or None when the full parse must decide."""
        decoded = self.decode(data)
        return None if decoded is None else self._made_function("from_struct")(decoded)


@dataclass(frozen=True, slots=True)
class Fused:
    """What a fused matcher needs from its machine: it reads the wanted fields and looks each value up as
    it goes, without building the field map for paths only one-field rules use.

    ``indexes``: path -> that path's ``FieldIndex``. The code is written for the tables each index has in
    use (its ``kinds``) and reads their contents live, so a rule change that keeps every index's kinds
    needs no new code. ``record``: the paths whose values the checks after the look-ups read, kept in the
    field map. ``single``: predicate id -> rule key for one-field sub-rules (a hit is a match).
    ``finish(fields, hits, matched)``: the checks of multi-field sub-rules; ``absence_only``: the
    machine's sub-rules with nothing to look up (``finish`` checks them on every event while there are
    any).
    The generated function returns the matched rule keys, or None where the general path must decide.
    """

    indexes: dict[str, FieldIndex]
    record: frozenset[str]
    finish: Callable[[Fields, dict[int, Any], set[Any]], set[Any]]
    absence_only: dict[int, Any]
    single: dict[int, Any]


class _Builder:
    """Generates the struct types and the extraction code for one set of paths."""

    def __init__(self, wanted: frozenset[str], leaves: frozenset[str]) -> None:
        self.wanted = wanted
        self.leaves = leaves
        self.children: dict[str, list[str]] = {}
        for path in sorted(wanted):
            for parent in [""] + [path[:i] for i, ch in enumerate(path) if ch == "."]:
                if parent == "" or parent in wanted:
                    rest = path[len(parent) + 1 :] if parent else path
                    self.children.setdefault(parent, []).append(rest)
        self.types: dict[str, Any] = {}
        self.names = itertools.count()
        self.lookup_names: dict[str, str] = {}
        self.constants: dict[str, Any] = {}  # names the generated code reads, with their values

    def child_path(self, parent: str, key: str) -> str:
        return f"{parent}.{key}" if parent else key

    def is_leaf(self, path: str) -> bool:
        return path in self.leaves or path not in self.children

    # -- msgspec types -------------------------------------------------------
    def struct_type(self, path: str) -> Any:
        made = self.types.get(path)
        if made is not None:
            return made
        fields = []
        rename = {}
        for i, key in enumerate(self.children.get(path, [])):
            child = self.child_path(path, key)
            if self.is_leaf(child):
                kind: Any = Any
            else:
                # built at run time: an object of this path's struct, an array of them
                # (or of scalars), or a scalar; anything else makes the decoder refuse
                inner: Any = self.struct_type(child)
                element: Any = Union.__getitem__((inner, None, str, int, float, bool))
                kind = Union.__getitem__((inner, list[element], None, str, int, float, bool, msgspec.UnsetType))
            fields.append((f"f{i}", kind, _UNSET))
            rename[f"f{i}"] = key
        made = msgspec.defstruct(f"Fields{next(self.names)}", fields, rename=rename, gc=False)
        self.types[path] = made
        return made

    def type_name(self, path: str) -> str:
        """The name the generated code reads ``path``'s struct type by (a global: no subscript per event)."""
        made = self.struct_type(path)
        self.constants[made.__name__] = made
        return made.__name__  # type: ignore[no-any-return]

    # -- code generation --------------------------------------------------------
    def function(self, struct: bool) -> Callable[[Any], Fields]:
        lines = ["def extract(ev):", " out = {}", " counter = [0]"]
        self._body(lines, "", "ev", "()", 1, struct, None)
        lines.append(" return out")
        env: dict[str, Any] = {
            "walk_value": walk_value,
            "walk_element": walk_element,
            "MISSING": _UNSET if struct else _MISSING,
            "wanted": self.wanted,
        }
        env.update(self.constants)
        exec(_compiled("\n".join(lines)), env)
        return env["extract"]  # type: ignore[no-any-return]

    def matcher(self, struct: bool, fused: Fused, decode: Callable[[Any], Any] | None = None) -> Callable[[Any], Any]:
        """Extraction fused with the look-ups: see :class:`Fused`. The struct matcher also takes JSON text
        (str, or ASCII bytes) and decodes it with ``decode`` itself (one Python call per event, not two),
        returning None where the typed decoder fails."""
        self.lookup_names = {path: f"I{i}" for i, path in enumerate(sorted(fused.indexes))}
        lines = ["def match(ev):"]
        if struct:
            lines.append(f" if ev.__class__ is not {self.type_name('')}:")
            lines.append("  try: ev = decode(ev)")
            lines.append("  except FAILED: return None")
        lines += [
            # with no field recorded, the checks after the look-ups read no field map: a shared empty one
            " out = {}" if fused.record else " out = NO_FIELDS",
            " counter = 0",  # a plain local: the fused code calls no walker that would need to count
            " found = []",
            " matched = set()",
            " hits = {}",
        ]
        for path, name in self.lookup_names.items():
            if fused.indexes[path].kinds.exact_num:  # the floats an exact number rounds to (see _lookup)
                lines.append(f" {name}_floats = {name}.exact_floats")
            if fused.indexes[path].kinds.ranges:
                # the interval table of a path's ranges, read once per event (see _lookup)
                lines.append(f" box = {name}.fused_range_box")
                lines.append(f" table = box[0] if box else {name}.build_fused_ranges(box, single)")
                lines.append(f" {name}_bounds, {name}_within = (None, None) if table is None else table")
        start = len(lines)
        self._body(lines, "", "ev", "()", 1, struct, fused)
        if not any("counter" in line for line in lines[start:]):  # no array of objects below the top
            lines.remove(" counter = 0")
        if not any("found" in line for line in lines[start:]):  # every look-up files its hits itself
            lines.remove(" found = []")
        lines.append(" if hits or absence_only: return finish(out, hits, matched)")
        lines.append(" return matched")
        env: dict[str, Any] = {
            "MISSING": _UNSET if struct else _MISSING,
            "NO_FIELDS": _NO_FIELDS,
            "decode": decode,
            "FAILED": FAILED,
            "finish": fused.finish,
            "absence_only": fused.absence_only,
            "single": fused.single,
            "bisect_left": bisect_left,
            "bisect_right": bisect_right,
            "FLOAT_EXACT": FLOAT_EXACT,
            "RESOLVE_AT": RESOLVE_AT,
            "fold": fold,
            "ip_to_bytes": ip_to_bytes,
            "inet_pton": socket.inet_pton,
            "AF_INET": socket.AF_INET,
        }
        for path, name in self.lookup_names.items():
            env[name] = fused.indexes[path]
        env.update(self.constants)
        exec(_compiled("\n".join(lines)), env)
        return env["match"]  # type: ignore[no-any-return]

    def _leaf(
        self,
        lines: list[str],
        pad: str,
        path: str,
        v: str,
        c: str,
        trail: str,
        fused: Fused | None,
        kind: str = "",
    ) -> None:
        """Record (and, fused, look up) one scalar ``v`` of class ``c`` found at leaf ``path``. ``kind``
        (fused only): what the caller found ``v`` to be, ``str``, ``number`` (int or float) or ``literal``
        (bool or None)."""
        if fused is None or path in fused.record:
            lines.append(f"{pad}leaves = out.get({path!r})")
            lines.append(f"{pad}if leaves is None: out[{path!r}] = [({v}, {trail})]")
            lines.append(f"{pad}else: leaves.append(({v}, {trail}))")
        if fused is not None and path in fused.indexes:
            assert kind  # fused code looks up in a branch per kind of value: see _scalar
            self._lookup(lines, pad, self.lookup_names[path], fused.indexes[path].kinds, v, c, trail, kind)
        lines.append(f"{pad}pass")

    def _scalar(
        self, lines: list[str], pad: str, path: str, v: str, c: str, trail: str, fused: Fused
    ) -> None:
        """The fused code for a value ``v`` of class ``c`` at leaf ``path``: a string, a number and a literal
        each get their own branch (``if``, then ``elif``), the likelier first; the caller writes the ``elif``
        or ``else`` for a value that is none of them."""
        index = fused.indexes.get(path)
        # numbers first where the look-ups are for numbers: no exact string or affix, some number or range
        kinds = index.kinds if index is not None else NO_KINDS
        numbers_first = (kinds.exact_num or kinds.ranges) and not (kinds.exact_str or kinds.affixes)
        branches = {
            "str": f"{c} is str",
            "number": f"{c} is float or {c} is int",
            "literal": f"{c} is bool or {v} is None",
        }
        order = ("number", "str", "literal") if numbers_first else ("str", "number", "literal")
        for i, kind in enumerate(order):
            lines.append(f"{pad}{'elif' if i else 'if'} {branches[kind]}:")
            self._leaf(lines, pad + " ", path, v, c, trail, fused, kind)

    @staticmethod
    def _lookup(
        lines: list[str],
        pad: str,
        index: str,
        kinds: Kinds,
        v: str,
        c: str,
        trail: str,
        kind: str,
    ) -> None:
        """FieldIndex.lookup written out for the tables in use, for a value the caller has found to be of
        ``kind`` (see _leaf). Hits of the common tables are filed inline (as the machine's ``note`` would);
        the rest go through ``found``, filed after."""
        exists, exact_str, literal, exact_num, affixes, but, shape, checked, ranges, cidr, wild = (
            kinds.exists, kinds.exact_str, kinds.literal, kinds.exact_num, kinds.affixes, kinds.but, kinds.shape,
            kinds.checked, kinds.ranges, kinds.cidr, kinds.wild,
        )

        def file(pids: str, at: str) -> None:
            lines.append(f"{at}for pid in {pids}:")
            lines.append(f"{at} rule = single.get(pid, single)")
            lines.append(f"{at} if rule is not single: matched.add(rule)")
            lines.append(f"{at} else:")
            lines.append(f"{at}  trails = hits.get(pid)")
            lines.append(f"{at}  if trails is None: hits[pid] = [{trail}]")
            lines.append(f"{at}  else: trails.append({trail})")

        def resolved(at: str, rule_set: bool = False) -> None:  # a resolved chain (rules, pids), filed
            # rules as a frozenset are added with |=, no call (update() packs its argument in a tuple)
            lines.append(f"{at}if rules: matched |= rules" if rule_set else f"{at}if rules: matched.update(rules)")
            lines.append(f"{at}if pids:")
            lines.append(f"{at} for pid in pids:")
            lines.append(f"{at}  trails = hits.get(pid)")
            lines.append(f"{at}  if trails is None: hits[pid] = [{trail}]")
            lines.append(f"{at}  else: trails.append({trail})")

        def file_found(at: str) -> None:  # note() written out
            lines.append(f"{at}if found:")
            lines.append(f"{at} for pids in found:")
            file("pids", at + "  ")
            lines.append(f"{at} found.clear()")

        def affix_tables(at: str) -> None:
            # the longest key the value starts (ends) with, found by probing the key lengths longest first,
            # gives every key it has, resolved (see FieldIndex.build_fused_affixes); the tables are read per
            # event, as a change may replace them without changing the kinds
            if kinds.folded_eq or kinds.folded_prefix or kinds.folded_suffix:
                lines.append(f"{at}folded = fold({v})")
            for table, folded in (("prefix", False), ("suffix", False), ("folded_eq", True),
                                  ("folded_prefix", True), ("folded_suffix", True)):
                if not getattr(kinds, table):
                    continue
                text = "folded" if folded else v
                if table == "folded_eq":
                    lines.append(f"{at}pids = {index}.folded_eq.get(folded)")
                    lines.append(f"{at}if pids:")
                    file("pids", at + " ")
                    continue
                # past the value's length the cut is the value itself (no test of n against it)
                key = f"{text}[:n]" if table.endswith("prefix") else f"{text}[-n:]"
                lines.append(f"{at}box = {index}.fused_{table}_box")
                lines.append(f"{at}lengths, table, empty = box[0] if box else "
                             f"{index}.build_fused_affixes({table!r}, box, single)")
                lines.append(f"{at}for n in lengths:")
                lines.append(f"{at} hit = table.get({key})")
                lines.append(f"{at} if hit is not None: break")
                lines.append(f"{at}else: hit = empty")
                lines.append(f"{at}if hit is not None:")
                lines.append(f"{at} rules, pids = hit")
                resolved(at + " ", rule_set=True)

        if exists:
            file(f"{index}.exists", pad)
        if kind == "str":
            if exact_str:
                lines.append(f"{pad}hit = {index}.exact_str.get({v})")
                lines.append(f"{pad}if hit:")
                file("hit", pad + " ")
            if affixes or but or shape or checked or cidr or wild:  # remembered per value: FieldIndex.str_lookup
                lines.append(f"{pad}if {index}.memoize:")
                lines.append(f"{pad} hit = {index}.memo.get({v})")
                lines.append(f"{pad} if hit is None: hit = {index}.str_lookup({v}, single)")
                lines.append(f"{pad} rules, pids = hit")
                lines.append(f"{pad} if rules: matched.update(rules)")  # the one-field rules found
                # the other predicates, filed as file() does; most values have none, and a loop over an
                # empty tuple still makes an iterator
                lines.append(f"{pad} if pids:")
                lines.append(f"{pad}  for pid in pids:")
                lines.append(f"{pad}   trails = hits.get(pid)")
                lines.append(f"{pad}   if trails is None: hits[pid] = [{trail}]")
                lines.append(f"{pad}   else: trails.append({trail})")
                lines.append(f"{pad}else:")
                at = pad + " "
                if affixes:  # FieldIndex.affix_lookup written out for the tables in use, each hit filed
                    affix_tables(at)
                if cidr:  # FieldIndex.cidr_lookup written out: the address's bytes (see cidr.ip_to_bytes), its slot
                    lines.append(f"{at}if ':' in {v}: address = ip_to_bytes({v})")
                    lines.append(f"{at}else:")
                    lines.append(f"{at} try: address = inet_pton(AF_INET, {v})")
                    lines.append(f"{at} except (OSError, ValueError): address = ip_to_bytes({v})")
                    lines.append(f"{at}if address is not None:")
                    lines.append(f"{at} box = {index}.fused_cidr_box")
                    lines.append(f"{at} table = box[0] if box else {index}.build_fused_cidrs(box, single)")
                    lines.append(f"{at} if table is None: {index}.cidr_lookup({v}, found)")
                    lines.append(f"{at} else:")
                    lines.append(f"{at}  bounds, slots = table")
                    lines.append(f"{at}  rules, pids = slots[bisect_right(bounds, address)]")
                    resolved(at + "  ", rule_set=True)
                if wild:
                    lines.append(f"{at}{index}.wild_lookup({v}, found)")
                if but:
                    lines.append(f"{at}excluded = {index}.but_excluded.get({v})")
                    # many: resolved in one go (nearly every predicate of an anything-but list matches)
                    lines.append(f"{at}if len({index}.but) > RESOLVE_AT:")
                    lines.append(f"{at} rules, pids = {index}.but_resolved(excluded, single)")
                    resolved(at + " ")
                    lines.append(f"{at}elif excluded is None:")
                    file(f"{index}.but", at + " ")
                    # a method, not a comprehension here: that would make its two names cells, and the
                    # function would build both cells on every call, whichever branch runs
                    lines.append(f"{at}else: found.append({index}.but_left(excluded))")
                if shape:  # many: resolved in one go, as the anything-but lists
                    lines.append(f"{at}if len({index}.shape) > RESOLVE_AT:")
                    lines.append(f"{at} rules, pids = {index}.shape_resolved({v}, single)")
                    resolved(at + " ")
                    lines.append(f"{at}else: {index}.shape_lookup({v}, found)")
                if checked:
                    lines.append(f"{at}for m, pids in {index}.checked.items():")
                    lines.append(f"{at} if m.test({v}):")
                    file("pids", at + "  ")
                if cidr or wild or but or shape:  # the look-ups that fill ``found``
                    file_found(at)
            return
        if kind == "literal" and literal:
            lines.append(f"{pad}hit = {index}.literal.get({v})")
            lines.append(f"{pad}if hit:")
            file("hit", pad + " ")
        if kind == "number":
            if exact_num:  # FieldIndex.number_lookup's test first: a float no exact number rounds to
                lines.append(f"{pad}if {c} is int or {v} in {index}_floats: {index}.number_lookup({v}, found)")
            if ranges:  # FieldIndex.range_lookup's table look-up (see build_fused_ranges); the rest goes to it
                bounds, within = f"{index}_bounds", f"{index}_within"  # read at the start (see matcher)
                lines.append(f"{pad}if {bounds} is not None and ({c} is float or -FLOAT_EXACT < {v} < FLOAT_EXACT):")
                lines.append(f"{pad} i = bisect_left({bounds}, {v})")
                lines.append(f"{pad} if {bounds}[i] != {v}:")  # strictly inside an interval
                lines.append(f"{pad}  rules, pids = {within}[i]")
                lines.append(f"{pad}  if rules: matched.update(rules)")
                lines.append(f"{pad}  if pids:")
                lines.append(f"{pad}   for pid in pids:")
                lines.append(f"{pad}    trails = hits.get(pid)")
                lines.append(f"{pad}    if trails is None: hits[pid] = [{trail}]")
                lines.append(f"{pad}    else: trails.append({trail})")
                lines.append(f"{pad} else: {index}.range_lookup({v}, found)")
                lines.append(f"{pad}else: {index}.range_lookup({v}, found)")
        if but:  # a value that is not a string is excluded by no anything-but list of strings
            file(f"{index}.but", pad)
        if shape:
            lines.append(f"{pad}for pids in {index}.shape.values():")
            file("pids", pad + " ")
        if checked:
            lines.append(f"{pad}for m, pids in {index}.checked.items():")
            lines.append(f"{pad} if m.test({v}):")
            file("pids", pad + "  ")
        if kind == "number" and (exact_num or ranges):  # numbers on an array's elements come many per event
            file_found(pad)

    def _body(
        self, lines: list[str], path: str, var: str, trail: str, indent: int, struct: bool, fused: Fused | None
    ) -> None:
        # Fused, every shape the straight-line code does not expect (an object at a leaf path, an array in
        # an array, a non-JSON value) returns None, and the caller takes the general path instead.
        keys = list(enumerate(self.children.get(path, [])))
        if fused is not None:
            # A key with a dot in it names the same path as nested keys do, and is rare: an object that has
            # one sends the event down the general path. Code for every way of splitting a path into keys
            # would be most of the code for nested paths (three levels: four ways), and Python compiles
            # it at several µs a line.
            pad = " " * indent
            dotted = [(i, key) for i, key in keys if "." in key]
            if struct:
                for i, _ in dotted:
                    lines.append(f"{pad}if {var}.f{i} is not MISSING: return None")
            elif len(dotted) < DOTTED_TOGETHER:
                for _, key in dotted:
                    lines.append(f"{pad}if {key!r} in {var}: return None")
            else:  # one set test (a loop over the dict's keys) for them all
                name = f"DOTTED{next(self.names)}"
                self.constants[name] = frozenset(key for _, key in dotted)
                lines.append(f"{pad}if not {name}.isdisjoint({var}): return None")
            for i, key in keys:
                if "." not in key:
                    self._child(lines, path, var, trail, indent, struct, fused, i, key)
            return
        # a key with a dot in it names the same path as nested keys do, and is rare: in a dict, one set
        # test (a loop over the dict's keys) skips them all at once, cheaper than a get() each from three
        dotted = [] if struct else [(i, key) for i, key in keys if "." in key]
        if len(dotted) < DOTTED_TOGETHER:
            dotted = []
        for i, key in keys:
            if (i, key) not in dotted:
                self._child(lines, path, var, trail, indent, struct, fused, i, key)
        if dotted:
            name = f"DOTTED{next(self.names)}"
            self.constants[name] = frozenset(key for _, key in dotted)
            lines.append(f"{' ' * indent}if not {name}.isdisjoint({var}):")
            for i, key in dotted:
                self._child(lines, path, var, trail, indent + 1, struct, fused, i, key)
            lines.append(f"{' ' * indent} pass")

    def _child(
        self,
        lines: list[str],
        path: str,
        var: str,
        trail: str,
        indent: int,
        struct: bool,
        fused: Fused | None,
        i: int,
        key: str,
    ) -> None:
        """The code for key ``key`` (the ``i``-th child of ``path``) of the object ``var``: see _body."""
        pad = " " * indent
        scalar = "{c} is str or {c} is int or {c} is float or {c} is bool or {v} is None"
        child = self.child_path(path, key)
        # local names by indentation, not one per child: a block's names are dead once it ends, and a
        # function of thousands of locals pays for each of them on every call (a frame slot to set and clear)
        v = f"v{indent}"
        get = f"{var}.f{i}" if struct else f"{var}.get({key!r}, MISSING)"
        lines.append(f"{pad}{v} = {get}")
        lines.append(f"{pad}if {v} is not MISSING:")
        inner = pad + " "
        c = f"c{indent}"
        lines.append(f"{inner}{c} = {v}.__class__")
        if self.is_leaf(child):
            if fused is None:
                lines.append(f"{inner}if {scalar.format(c=c, v=v)}:")
                self._leaf(lines, inner + " ", child, v, c, trail, fused)
                lines.append(f"{inner}else: walk_value({v}, {child!r}, {trail}, out, wanted, counter)")
                return
            self._scalar(lines, inner, child, v, c, trail, fused)
            # a scalar in an array keeps the array's own trail (see event.walk_element)
            item, ci = f"item{indent}", f"ci{indent}"
            lines.append(f"{inner}elif {c} is list:")
            lines.append(f"{inner} for {item} in {v}:")
            lines.append(f"{inner}  {ci} = {item}.__class__")
            self._scalar(lines, inner + "  ", child, item, ci, trail, fused)
            lines.append(f"{inner}  else: return None")
            lines.append(f"{inner}else: return None")
            return
        lines.append(f"{inner}if {c} is {self.type_name(child) if struct else 'dict'}:")
        self._body(lines, child, v, trail, indent + 2, struct, fused)
        lines.append(f"{inner} pass")
        if not path:
            # an array of objects under a top-level key (where an EventBridge envelope has none: detail
            # is an object) gets no code of its own: each object level's array copy doubles the code
            # below it, and Python compiles it at about 1 ms a path; the general path reads such events
            if fused is None:
                lines.append(f"{inner}else: walk_value({v}, {child!r}, {trail}, out, wanted, counter)")
            else:
                lines.append(f"{inner}elif not ({scalar.format(c=c, v=v)}): return None")
            return
        lines.append(f"{inner}elif {c} is list:")
        a, item, t = (f"{n}{indent}" for n in ("a", "item", "t"))
        if fused is None:
            lines.append(f"{inner} {a} = counter[0]")
            lines.append(f"{inner} counter[0] += 1")
        else:
            lines.append(f"{inner} {a} = counter")
            lines.append(f"{inner} counter += 1")
        lines.append(f"{inner} for i{a}, {item} in enumerate({v}):")
        if trail == "()":
            # an element of a top-level array: its trail is written where it is used (filing a hit,
            # recording a value), so an element nothing is filed or recorded for builds no tuple
            t = f"(({a}, i{a}),)"
        else:
            lines.append(f"{inner}  {t} = {trail} + (({a}, i{a}),)")
        test = self.type_name(child) if struct else "dict"
        lines.append(f"{inner}  if {item}.__class__ is {test}:")
        self._body(lines, child, item, t, indent + 4, struct, fused)
        lines.append(f"{inner}   pass")
        if fused is None:
            lines.append(f"{inner}  else: walk_element({item}, {child!r}, {trail}, {t}, out, wanted, counter)")
            lines.append(f"{inner}else: walk_value({v}, {child!r}, {trail}, out, wanted, counter)")
        else:
            # a scalar where an object was expected holds no wanted path: nothing to record
            ci = f"ci{indent}"
            lines.append(f"{inner}  else:")
            lines.append(f"{inner}   {ci} = {item}.__class__")
            lines.append(f"{inner}   if not ({scalar.format(c=ci, v=item)}): return None")
            lines.append(f"{inner}elif not ({scalar.format(c=c, v=v)}): return None")


def build_extractor(wanted: frozenset[str], leaves: frozenset[str], fused: Fused | None = None) -> Extractor | None:
    """An extractor for these paths, or None when there are too many or they nest too deep."""
    if len(leaves) > MAX_LEAVES or len(wanted) > MAX_PATHS or any(p.count(".") > MAX_DEPTH for p in leaves):
        return None
    return Extractor(wanted, leaves, fused)


__all__ = ["FAILED", "Extractor", "Fused", "build_extractor"]
