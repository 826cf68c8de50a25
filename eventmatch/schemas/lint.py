"""Will this rule ever fire? Event patterns checked against what the events look like.

AWS accepts a pattern that no event can ever match: a key with the wrong case (``State`` for ``state``), a
detail-type with a typo, a number written as a string, a numeric filter on a string field. Such a rule
silently never fires. :func:`lint_pattern` finds these against AWS's catalogue of its services' events
(:mod:`.catalogue`), each finding with a stable code, a severity, a message and the pattern's field path.

Codes (docs/lint.md has an example of each):

====== ======== ===========================================================================================
code   severity what
====== ======== ===========================================================================================
EM001  error    the pattern is not valid (AWS's own message)
EM101  info     an AWS source that no schema describes: nothing more can be checked
EM102  error    a detail-type that the source never sends (with the closest ones it does)
EM103  error    a field that is not in the event's schema (a case-insensitive match called out); a warning
                under the parts of a schema made from samples, and nothing under open objects
EM104  error    a value of the wrong type: a string for a number or boolean field, a number for a string
EM105  error    an operator on the wrong type: numeric on a string, prefix/suffix/wildcard/cidr/
                equals-ignore-case on a non-string, a value where the event has an object
EM106  error    a condition no event can meet: ``exists: false`` on a required field, anything-but prefix ""
EM107  error    a rule whose target is its own bus (its events come back unchanged and match it again, for
                ever); a warning for a chain of buses back to it whose rules may match the same events
====== ======== ===========================================================================================
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import EventmatchError, InvalidEventPatternError
from ..pattern import compile_pattern
from .catalogue import (
    ENVELOPE,
    OPEN_FIELDS,
    SAMPLED_SOURCES,
    Catalogue,
    Field,
    Shape,
    aws_catalogue,
    json_kind,
)

SEVERITIES = ("error", "warning", "info")
#: detail-types every AWS service sends through CloudTrail, whether or not its schema lists them
CLOUDTRAIL_TYPES = frozenset({"AWS API Call via CloudTrail", "AWS Service Event via CloudTrail",
                              "AWS Console Sign In via CloudTrail", "AWS Console Action via CloudTrail"})
STRING_OPERATORS = ("prefix", "suffix", "wildcard", "equals-ignore-case", "cidr")


@dataclass(frozen=True)
class Finding:
    """One problem of one rule's pattern."""

    code: str
    severity: str
    message: str
    path: str = ""
    rule: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def lint_pattern(pattern: str | bytes | Mapping[str, Any], *, rule: str | None = None,
                 catalogue: Catalogue | None = None) -> list[Finding]:
    """Every finding of ``pattern`` (JSON text or a dict), in the order of its fields; [] when clean.

    ``catalogue`` defaults to AWS's (:func:`~eventmatch.schemas.aws_catalogue`)."""
    try:
        compile_pattern(pattern)  # AWS's validation first: a pattern AWS refuses is the one finding
    except InvalidEventPatternError as exc:
        return [Finding("EM001", "error", str(exc), "", rule)]
    given = json.loads(pattern) if isinstance(pattern, (str, bytes)) else pattern
    return _Linter(catalogue or aws_catalogue(), rule).run(given)


class _Linter:
    def __init__(self, catalogue: Catalogue, rule: str | None) -> None:
        self.catalogue = catalogue
        self.rule = rule
        self.findings: list[Finding] = []

    def add(self, code: str, severity: str, message: str, path: str) -> None:
        self.findings.append(Finding(code, severity, message, path, self.rule))

    def run(self, pattern: Mapping[str, Any]) -> list[Finding]:
        for branch in _branches(pattern):
            self.branch(branch)
        unique: dict[tuple[str, str, str], Finding] = {}
        for finding in self.findings:  # one finding per (code, path, message), however many $or branches
            unique.setdefault((finding.code, finding.path, finding.message), finding)
        return list(unique.values())

    # -- one $or branch ---------------------------------------------------------------------
    def branch(self, pattern: Mapping[str, Any]) -> None:
        for key, value in pattern.items():
            if key not in ENVELOPE:
                self.unknown_field(key, list(ENVELOPE), key, "an event's envelope", "error")
            elif key == "detail":
                continue
            else:
                self.values(key, value, _envelope_field(key))
        sources = _literals(pattern.get("source"))
        known = [s for s in sources if self.catalogue.knows(s)]
        for source in sources:
            if source not in known and source.startswith("aws."):
                self.add("EM101", "info", f"No schema describes events of source {source}: their detail-types and "
                         "fields cannot be checked.", "source")
        if not known or len(known) != len(sources):
            return  # a source no schema describes (a custom one, say): nothing is known of its events
        detail_types = _literals(pattern.get("detail-type"))
        shapes: list[tuple[Shape, bool]] = []  # (the detail's shape, made from samples)
        for detail_type in detail_types:
            found = [self.catalogue.get(s, detail_type) for s in known]
            matched = [f for f in found if f is not None]
            if matched:
                shapes += [(m.detail, m.source in SAMPLED_SOURCES or m.detail_type in CLOUDTRAIL_TYPES)
                           for m in matched]
            elif detail_type not in CLOUDTRAIL_TYPES:
                offered = sorted({t for s in known for t in self.catalogue.detail_types(s)})
                self.add("EM102", "error", f"{', '.join(known)} never sends detail-type {detail_type!r}"
                         + _closest(detail_type, offered), "detail-type")
        if "detail" not in pattern or not isinstance(pattern["detail"], Mapping):
            return
        if not detail_types:  # any detail-type of the source: a field known to one of them is fine
            shapes = [(t.detail, True) for s in known for t in self.catalogue
                      if t.source == s]
        if shapes:
            self.object("detail", pattern["detail"], [s for s, _ in shapes], any(sampled for _, sampled in shapes))

    # -- fields and values --------------------------------------------------------------------
    def object(self, path: str, given: Mapping[str, Any], shapes: list[Shape], sampled: bool) -> None:
        """The pattern's object at ``path`` against the shapes it may have (a field known to one is fine)."""
        if any(shape.open for shape in shapes):
            return
        for key, value in given.items():
            here = f"{path}.{key}"
            if key == "$or":
                continue  # (expanded into branches already)
            fields = [shape.fields[key] for shape in shapes if key in shape.fields]
            if not fields:
                names = sorted({name for shape in shapes for name in shape.fields})
                self.unknown_field(key, names, here, f"the schema of {path}",
                                   "warning" if sampled else "error")
                continue
            if isinstance(value, Mapping):
                objects = [f.shape for f in fields if f.kind in ("object", "array") and f.shape is not None]
                if key in OPEN_FIELDS or any(f.kind == "any" for f in fields):
                    continue
                if objects:
                    self.object(here, value, objects, sampled)
                elif all(f.kind not in ("object", "any") for f in fields):
                    self.add("EM105", "error", f"{here} is {_a(fields[0].kind)} in these events, not an object: "
                             "the nested pattern never matches.", here)
            else:
                self.values(here, value, fields)

    def values(self, path: str, given: Any, fields: list[Field]) -> None:
        """A leaf's list of values and operators against the field's kind(s)."""
        if not isinstance(given, list):
            return
        kinds = {f.kind for f in fields}
        if "any" in kinds:
            return
        if kinds & {"object"} and not kinds - {"object"}:
            if any(not isinstance(v, Mapping) or not ({"exists"} >= set(v)) for v in given):
                self.add("EM105", "error", f"{path} is an object in these events: a value never matches it "
                         "(match its fields instead).", path)
            return
        required = all(f.required for f in fields)
        element_kinds = {f.element or "any" for f in fields if f.kind == "array"}
        compared = (kinds - {"array"}) | element_kinds
        for value in given:
            self.value(path, value, compared, required)
        self.enum(path, given, fields)

    def enum(self, path: str, given: list[Any], fields: list[Field]) -> None:
        """Exact values a field's schema does not allow (its ``enum``): they never match."""
        if any(f.enum is None for f in fields):
            return
        allowed = [v for f in fields for v in f.enum or ()]
        for value in given:
            if isinstance(value, (Mapping, list)) or value is None or value in allowed:
                continue
            if json_kind(value) not in {json_kind(a) for a in allowed}:
                continue  # a value of the wrong type: EM104 says so
            offered = [str(a) for a in allowed]
            self.add("EM106", "error", f"{json.dumps(value)} on {path} is not one of the values its schema allows "
                     f"({', '.join(json.dumps(a) for a in allowed[:10])}{', ...' if len(allowed) > 10 else ''}): "
                     "it never matches" + _closest(str(value), offered), path)

    def value(self, path: str, value: Any, kinds: set[str], required: bool) -> None:
        if "any" in kinds or not kinds:
            return
        if isinstance(value, Mapping):
            (operator, operand), = value.items() if len(value) == 1 else ((None, None),)
            if operator == "exists":
                if operand is False and required:
                    self.add("EM106", "error", f"{path} is in every one of these events: exists false never "
                             "matches.", path)
            elif operator == "numeric" and "number" not in kinds:
                self.add("EM105", "error", f"numeric on {path}, which is {_a(_one(kinds))}: never matches "
                         "(numeric compares numbers only).", path)
            elif operator in STRING_OPERATORS and "string" not in kinds:
                self.add("EM105", "error", f"{operator} on {path}, which is {_a(_one(kinds))}: never matches "
                         f"({operator} applies to strings only).", path)
            elif operator == "anything-but" and isinstance(operand, Mapping) and operand.get("prefix") == "":
                self.add("EM106", "error", f'anything-but prefix "" on {path}: every string starts with "", so '
                         "it never matches a string.", path)
            return
        kind = json_kind(value)
        if kind not in ("string", "number", "boolean") or kind in kinds:  # null matches a null or absent field
            return
        shown = json.dumps(value)
        self.add("EM104", "error", f"{shown} on {path}, which is {_a(_one(kinds))} in these events: a {kind} never "
                 f"equals {_a(_one(kinds))}" + (f" (write {_unquoted(value)} without quotes)"
                                                if kind == "string" and _unquoted(value) else "") + ".", path)

    def unknown_field(self, key: str, names: list[str], path: str, where: str, severity: str) -> None:
        folded = [n for n in names if n.lower() == key.lower()]
        if folded:
            message = (f"{path} is not a field of {where}: {folded[0]!r} is (field names are case-sensitive).")
            self.add("EM103", severity if severity != "error" else "error", message, path)
            return
        self.add("EM103", severity, f"{path} is not a field of {where}" + _closest(key, names), path)


def _branches(pattern: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The pattern with each top-level ``$or`` expanded: the branches an event may match."""
    branches: list[dict[str, Any]] = [{}]
    for key, value in pattern.items():
        if key == "$or" and isinstance(value, list):
            branches = [{**b, **alternative} for b in branches for alt in value
                        for alternative in _branches(alt)]
        else:
            branches = [{**b, key: value} for b in branches]
    return branches


def _literals(given: Any) -> list[str]:
    """The exact strings of a leaf (``["aws.ec2", "aws.s3"]``); [] when any element is an operator."""
    if not isinstance(given, list) or not all(isinstance(v, str) for v in given):
        return []
    return list(given)


def _envelope_field(key: str) -> list[Field]:
    kind = ENVELOPE[key]
    return [Field("array", True, element="string") if kind == "array" else Field(kind, key != "replay-name")]


def _unquoted(value: Any) -> str:
    if isinstance(value, str):
        text = value.strip()
        if text in ("true", "false"):
            return text
        try:
            float(text)
        except ValueError:
            return ""
        return text
    return ""


def _one(kinds: Iterable[str]) -> str:
    return sorted(kinds)[0]


def _a(kind: str) -> str:
    return {"array": "an array", "object": "an object", "any": "anything"}.get(kind, f"a {kind}")


def _closest(given: str, offered: list[str]) -> str:
    close = difflib.get_close_matches(given, offered, n=3, cutoff=0.6)
    if not close:
        close = [o for o in offered if o.lower() == given.lower()]
    return f"; closest: {', '.join(repr(c) for c in close)}." if close else "."




#: each code's title (SARIF's rule descriptions, docs/lint.md's table)
CODES = {
    "EM001": "The pattern is not valid",
    "EM101": "No schema describes this AWS source",
    "EM102": "The source never sends this detail-type",
    "EM103": "A field that is not in the event's schema",
    "EM104": "A value of the wrong type for the field",
    "EM105": "An operator on the wrong type of field",
    "EM106": "A condition no event can meet",
    "EM107": "A rule whose events come back to its own bus: an infinite loop",
}


def lint_template(source: str, parameters: Mapping[str, str] | None = None, *,
                  catalogue: Catalogue | None = None) -> list[Finding]:
    """The findings of every rule of a CloudFormation or SAM template (each with the rule's logical name and
    the template's file); a template that cannot be read is one EM001 finding."""
    from ..template import load_template

    try:
        template = load_template(source, parameters)
    except EventmatchError as exc:
        return [Finding("EM001", "error", str(exc), "", None, str(source))]
    from ..template.read import positions, read_template_text

    try:
        text = Path(source).read_text(encoding="utf-8")
        where, data = positions(text), read_template_text(text, str(source))
    except (OSError, UnicodeDecodeError, EventmatchError):
        where, data = {}, {}
    findings = []
    for rule in template.rules:
        if rule.pattern is None:
            continue
        for finding in lint_pattern(rule.pattern.text, rule=rule.name, catalogue=catalogue):
            line, column = _place(where, rule.where, finding.path)
            findings.append(Finding(finding.code, finding.severity, finding.message, finding.path, rule.name,
                                    str(source), line, column))
    loops = [(r.name, r.bus, r.pattern.text, tuple(bus_of_arn(t.arn) for t in r.targets))
             for r in template.rules if r.pattern is not None]
    places = {r.name: _place(where, r.where, "") for r in template.rules}
    findings += [replace(f, file=str(source), line=places[f.rule or ""][0], column=places[f.rule or ""][1])
                 for f in lint_loops(loops)]
    silenced = {r.name: _silenced(data, r.where) for r in template.rules}
    return [f for f in findings if not (silenced.get(f.rule or "") and f.code.startswith(silenced[f.rule or ""]))]


def _silenced(data: Mapping[str, Any], where: str) -> tuple[str, ...]:
    """The codes a rule's resource silences: ``Metadata: {eventmatch: {lint: {ignore: [EM103, ...]}}}``."""
    parts = where.split(".")
    resource = (data.get("Resources") or {}).get(parts[1]) if len(parts) > 1 else None
    metadata = resource.get("Metadata") if isinstance(resource, Mapping) else None
    settings = ((metadata or {}).get("eventmatch") or {}).get("lint") if isinstance(metadata, Mapping) else None
    ignore = settings.get("ignore") if isinstance(settings, Mapping) else None
    return tuple(str(code).upper() for code in ignore) if isinstance(ignore, list) else ()


def _place(where: Mapping[str, tuple[int, int]], rule: str, path: str) -> tuple[int | None, int | None]:
    """The line and column of a finding: its field in the rule's pattern when the template writes the pattern
    as a mapping, else the pattern, else the rule."""
    for pattern in (f"{rule}.Properties.EventPattern", f"{rule}.Properties.Pattern"):
        if pattern in where:
            parts = path.split(".") if path else []
            for n in range(len(parts), 0, -1):
                found = where.get(".".join([pattern, *parts[:n]]))
                if found is not None:
                    return found
            return where[pattern]
    found = where.get(rule)
    return found if found is not None else (None, None)


def bus_of_arn(arn: str) -> str | None:
    """The bus an event bus's ARN names, or None for a target that is not a bus."""
    return arn.split(":event-bus/", 1)[1] if ":event-bus/" in arn else None


def lint_loops(rules: Iterable[tuple[str, str, str, tuple[str | None, ...]]]) -> list[Finding]:
    """EM107: rules ``(name, bus, pattern, the buses its targets are)`` that send the events they match back to
    their own bus, directly (an error: the event is forwarded unchanged, so it matches again, for ever) or
    through other buses whose rules may match the same events (a warning: whether the chain's patterns all
    match one event is told from their literal values only)."""
    given = list(rules)
    patterns = {name: json.loads(pattern) for name, _, pattern, _ in given}
    edges: dict[str, list[str]] = {}
    for name, _, _, targets in given:
        edges[name] = [other for other, bus, _, _ in given for target in targets
                       if target is not None and target == bus and _may_overlap(patterns[name], patterns[other])]
    findings = []
    for name, bus, _, targets in given:
        if bus in targets:
            findings.append(Finding("EM107", "error", f"{name} sends the events it matches to its own bus {bus}: "
                                    "each comes back unchanged and matches it again, for ever.", "", name))
            continue
        chain = _cycle(name, edges)
        if chain:
            findings.append(Finding("EM107", "warning", f"{name} may loop: the events it matches can come back "
                                    f"to bus {bus} through {' -> '.join(chain)}, whose patterns can match them.",
                                    "", name))
    return findings


def _cycle(start: str, edges: Mapping[str, list[str]]) -> list[str] | None:
    """A path of rules from ``start`` back to it, or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for following in edges.get(node, []):
            if following == start:
                return [*path, start]
            if following not in seen:
                seen.add(following)
                stack.append((following, [*path, following]))
    return None


def _leaves(pattern: Any, path: str = "") -> dict[str, set[Any]]:
    """The pattern's fields whose values are all exact strings, numbers or booleans: path -> the values."""
    out: dict[str, set[Any]] = {}
    if not isinstance(pattern, Mapping):
        return out
    for key, value in pattern.items():
        if key == "$or":
            continue
        here = f"{path}.{key}" if path else key
        if isinstance(value, Mapping):
            out.update(_leaves(value, here))
        elif isinstance(value, list) and value and all(isinstance(v, (str, int, float, bool)) for v in value):
            out[here] = {json.dumps(v) for v in value}
    return out


def _may_overlap(first: Any, second: Any) -> bool:
    """Whether one event may match both patterns: not when they list disjoint exact values for one field."""
    a, b = _leaves(first), _leaves(second)
    return all(a[path] & b[path] for path in a.keys() & b.keys())


def to_sarif(findings: list[Finding]) -> dict[str, Any]:
    """Findings as a SARIF 2.1.0 log, for code-scanning tools."""
    levels = {"error": "error", "warning": "warning", "info": "note"}
    results = []
    for f in findings:
        result: dict[str, Any] = {"ruleId": f.code, "level": levels[f.severity], "message": {"text": f.message}}
        if f.file:
            region = {"startLine": f.line or 1, **({"startColumn": f.column} if f.column else {})}
            result["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": f.file}, "region": region}}]
        if f.rule or f.path:
            result["properties"] = {"rule": f.rule, "path": f.path}
        results.append(result)
    return {"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": [{
        "tool": {"driver": {"name": "eventmatch lint", "informationUri": "https://github.com/eventmatch/eventmatch",
                            "rules": [{"id": code, "shortDescription": {"text": title}}
                                      for code, title in CODES.items()]}},
        "results": results}]}




__all__ = ["CODES", "SEVERITIES", "Finding", "bus_of_arn", "lint_loops", "lint_pattern", "lint_template", "to_sarif"]
