"""Sub-rules as the machine compiles them: slots (one per field), their kinds, and how selective each is.

A predicate is one field of one sub-rule (a pattern with ``$or`` has several
sub-rules). :class:`CompiledSubRule` holds a sub-rule's slots in the order
AWS's reference library checks fields (:func:`java_order`), which slot anchors
it, and the predicate ids its fields were filed under.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard

from . import operators as op
from .numbers import Number

REQUIRED, OPTIONAL, ABSENT = 0, 1, 2


def java_order(path: str) -> bytes:
    """Sort key that orders field paths as AWS's reference library does (UTF-16 units)."""
    return path.encode("utf-16-be", "surrogatepass")


@dataclass(slots=True, unsafe_hash=True)
class Slot:
    """One field of a sub-rule: its path, kind, its positive matchers and their predicate id.

    Hashed by its fields, so that the machine keeps one of equal Slots (Machine._shared_slots): a Slot is
    changed only while its sub-rule is being added, before it is shared.
    """

    path: str
    kind: int  # REQUIRED, OPTIONAL (a value matches or the field is absent) or ABSENT
    # its predicate id: what the indexes file it under; -1 for ABSENT; for a field checked after its
    # sub-rule's anchor, not indexed, -2 - its position (it only keys that field's trails)
    pred: int
    matchers: tuple[op.Matcher, ...]  # empty for ABSENT


@dataclass(slots=True, eq=False)  # hashed by identity: the match counts hits per sub-rule
class CompiledSubRule:
    rule: Any  # the rule key given to Machine.add
    sid: int  # its id (the predicate id of its anchor, when it has one; its key in an anchor group)
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


def _is_exact(m: op.Matcher) -> bool:
    """An exact value, or ``{"numeric": ["=", n]}``, which an exact-number look-up finds just as well."""
    return type(m) in _EXACT or _numeric_equal(m)


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


def _exact_number(m: op.Matcher) -> Number | None:
    """The number an exact-number look-up finds for ``m`` (``300`` or ``{"numeric": ["=", 300]}``), or None."""
    if type(m) is op.ExactNumber:
        return m.value
    return m.low if _numeric_equal(m) else None


def _numeric_equal(m: op.Matcher) -> TypeGuard[op.Numeric]:
    return (
        type(m) is op.Numeric
        and m.low is not None
        and m.low == m.high
        and not m.low_open
        and not m.high_open
    )
