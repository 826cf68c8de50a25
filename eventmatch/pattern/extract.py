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
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, Union

import msgspec

from ..event import Fields, walk_element, walk_value

#: A generated extractor gives up above these sizes and the caller flattens in full.
MAX_PATHS = 4096
MAX_DEPTH = 8

_SCALARS = (str, int, float, bool, None)
_UNSET = msgspec.UNSET
_MISSING = object()
_FAILED = (msgspec.ValidationError, msgspec.DecodeError, UnicodeError)


class Extractor:
    """Field readers generated for one set of wanted paths."""

    __slots__ = ("_decode", "_from_struct", "from_dict", "paths")

    def __init__(self, wanted: frozenset[str], leaves: frozenset[str]) -> None:
        self.paths = wanted
        builder = _Builder(wanted, leaves)
        self.from_dict: Callable[[Any], Fields] = builder.function(struct=False)
        self._from_struct: Callable[[Any], Fields] = builder.function(struct=True)
        self._decode = msgspec.json.Decoder(builder.struct_type("")).decode

    def from_json(self, data: bytes | str) -> Fields | None:
        """The wanted fields of a JSON event, or None when the full parse must decide."""
        try:
            if type(data) is bytes and not data.isascii():
                data.decode("utf-8")  # the typed decoder skips strings without checking them
            decoded = self._decode(data)
        except _FAILED:
            return None
        return self._from_struct(decoded)


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

    # -- code generation --------------------------------------------------------
    def function(self, struct: bool) -> Callable[[Any], Fields]:
        lines = ["def extract(ev):", " out = {}", " counter = [0]"]
        self._body(lines, "", "ev", "()", 1, struct)
        lines.append(" return out")
        env: dict[str, Any] = {
            "walk_value": walk_value,
            "walk_element": walk_element,
            "MISSING": _UNSET if struct else _MISSING,
            "wanted": self.wanted,
            "T": self.types,
        }
        exec("\n".join(lines), env)
        return env["extract"]  # type: ignore[no-any-return]

    def _body(self, lines: list[str], path: str, var: str, trail: str, indent: int, struct: bool) -> None:
        pad = " " * indent
        for i, key in enumerate(self.children.get(path, [])):
            child = self.child_path(path, key)
            v = f"v{next(self.names)}"
            get = f"{var}.f{i}" if struct else f"{var}.get({key!r}, MISSING)"
            lines.append(f"{pad}{v} = {get}")
            lines.append(f"{pad}if {v} is not MISSING:")
            inner = pad + " "
            c = f"c{next(self.names)}"
            lines.append(f"{inner}{c} = {v}.__class__")
            if self.is_leaf(child):
                lines.append(f"{inner}if {c} is str or {c} is int or {c} is float or {c} is bool or {v} is None:")
                lines.append(f"{inner} leaves = out.get({child!r})")
                lines.append(f"{inner} if leaves is None: out[{child!r}] = [({v}, {trail})]")
                lines.append(f"{inner} else: leaves.append(({v}, {trail}))")
                lines.append(f"{inner}else: walk_value({v}, {child!r}, {trail}, out, wanted, counter)")
                continue
            lines.append(f"{inner}if {c} is {'T[' + repr(child) + ']' if struct else 'dict'}:")
            self._body(lines, child, v, trail, indent + 2, struct)
            lines.append(f"{inner} pass")
            lines.append(f"{inner}elif {c} is list:")
            a, item, t = (f"{n}{next(self.names)}" for n in ("a", "item", "t"))
            lines.append(f"{inner} {a} = counter[0]")
            lines.append(f"{inner} counter[0] += 1")
            lines.append(f"{inner} for i{a}, {item} in enumerate({v}):")
            lines.append(f"{inner}  {t} = {trail} + (({a}, i{a}),)")
            test = f"T[{child!r}]" if struct else "dict"
            lines.append(f"{inner}  if {item}.__class__ is {test}:")
            self._body(lines, child, item, t, indent + 4, struct)
            lines.append(f"{inner}   pass")
            lines.append(f"{inner}  else: walk_element({item}, {child!r}, {trail}, {t}, out, wanted, counter)")
            lines.append(f"{inner}else: walk_value({v}, {child!r}, {trail}, out, wanted, counter)")


def build_extractor(wanted: frozenset[str], leaves: frozenset[str]) -> Extractor | None:
    """An extractor for these paths, or None when there are too many or they nest too deep."""
    if len(wanted) > MAX_PATHS or any(p.count(".") > MAX_DEPTH for p in leaves):
        return None
    return Extractor(wanted, leaves)


__all__ = ["Extractor", "build_extractor"]
