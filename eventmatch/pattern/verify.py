"""The checks after the look-ups: a sub-rule whose fields the indexes found is checked in full, field by field
in the order AWS's reference library uses, so that array consistency (fields of one array element) and
absence (``exists: false``) mean what they mean at AWS."""

from __future__ import annotations

from sys import intern as _intern
from typing import Any

from ..event import Fields, Leaf
from . import operators as op
from .subrule import ABSENT, REQUIRED, CompiledSubRule, Slot

# how a plan tests one field of a member (see AnchorGroup.plan)
_P_EXACT, _P_EXACT_SET, _P_PREFIX, _P_RANGE, _P_BUT, _P_TEST = range(6)
_INF = float("inf")


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
