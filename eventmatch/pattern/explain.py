"""Why an event matches a pattern or not, field by field.

:func:`explain` is for people, not for the hot path: it reads the event in
full, tests every condition of every field separately and reports what it
found. Its verdict is always the compiled machine's (each ``$or`` branch is
matched by a machine of its own), so an explanation never contradicts
:meth:`Pattern.matches`; the field-by-field part says *why*.

>>> e = explain({"source": ["aws.ec2"], "detail": {"state": ["terminated"]}},
...             {"source": "aws.ec2", "detail": {"state": "running"}})
>>> e.matched
False
>>> print(e)
no match
  detail.state: not met: "running" meets none of "terminated"
  source: met by "aws.ec2" (conditions: "aws.ec2")
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..event import flatten, load_event
from . import operators as op
from .compile import Pattern, PatternInput, compile_pattern
from .machine import Machine, java_order


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class FieldReport:
    """One field of one branch: its conditions, the event's values there, and the verdict."""

    path: str
    conditions: tuple[str, ...]
    values: tuple[Any, ...]
    satisfied_by: tuple[Any, ...]
    met: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "conditions": list(self.conditions),
            "values": list(self.values),
            "satisfied_by": list(self.satisfied_by),
            "met": self.met,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class BranchReport:
    """One sub-rule (a pattern without ``$or`` has one; each ``$or`` branch adds its own)."""

    fields: tuple[FieldReport, ...]
    matched: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"matched": self.matched, "fields": [f.to_dict() for f in self.fields]}
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True)
class Explanation:
    """The verdict and the report of every branch; ``bool(explanation)`` is the verdict."""

    pattern: Pattern
    matched: bool
    branches: tuple[BranchReport, ...]

    def __bool__(self) -> bool:
        return self.matched

    def to_dict(self) -> dict[str, Any]:
        return {"matched": self.matched, "branches": [b.to_dict() for b in self.branches]}

    def __str__(self) -> str:
        lines = ["match" if self.matched else "no match"]
        several = len(self.branches) > 1
        for i, branch in enumerate(self.branches):
            indent = "  "
            if several:
                lines.append(f"  $or branch {i + 1}: {'matches' if branch.matched else 'does not match'}")
                indent = "    "
            for f in branch.fields:
                conditions = ", ".join(f.conditions)
                lines.append(f"{indent}{f.path}: {f.reason}" + (f" (conditions: {conditions})" if f.met else ""))
            if branch.note:
                lines.append(f"{indent}{branch.note}")
        return "\n".join(lines)


def _field(path: str, matchers: tuple[op.Matcher, ...], values: list[Any]) -> FieldReport:
    absent_ok = any(isinstance(m, op.Exists) and not m.present for m in matchers)
    positive = tuple(m for m in matchers if not (isinstance(m, op.Exists) and not m.present))
    conditions = tuple(m.describe() for m in matchers)
    if not values:
        if absent_ok:
            return FieldReport(path, conditions, (), (), True, "met: the field is absent, as the pattern allows")
        return FieldReport(path, conditions, (), (), False, "not met: the event has no value at this path")
    satisfied = tuple(v for v in values if any(m.test(v) for m in positive))
    shown = ", ".join(_show(v) for v in values)
    if satisfied:
        return FieldReport(path, conditions, tuple(values), satisfied, True, f"met by {_show(satisfied[0])}")
    if not positive:
        return FieldReport(
            path, conditions, tuple(values), (), False, f"not met: the pattern requires no value, the event has {shown}"
        )
    wanted = ", ".join(m.describe() for m in positive)
    verb = "meets" if len(values) == 1 else "meet"
    return FieldReport(path, conditions, tuple(values), (), False, f"not met: {shown} {verb} none of {wanted}")


def explain(pattern: PatternInput | Pattern, event: str | bytes | Mapping[str, Any]) -> Explanation:
    """Explain, field by field, whether ``event`` matches ``pattern``.

    Raises :class:`~eventmatch.InvalidEventPatternError` for an invalid pattern
    and :class:`~eventmatch.InvalidEventError` for an event that is not a JSON object.
    """
    compiled = pattern if isinstance(pattern, Pattern) else compile_pattern(pattern)
    loaded = load_event(event)
    flat = flatten(loaded)
    branches = []
    for sub in compiled.sub_rules:
        fields = tuple(
            _field(path, sub[path], [value for value, _ in flat.get(path, ())]) for path in sorted(sub, key=java_order)
        )
        machine = Machine()
        machine.add(0, [sub])
        matched = bool(machine.match(loaded))
        note = ""
        if not matched and all(f.met for f in fields):
            note = "each field is met, but not by values from the same element of an array they share"
        branches.append(BranchReport(fields, matched, note))
    return Explanation(compiled, any(b.matched for b in branches), tuple(branches))
