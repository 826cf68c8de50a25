"""``eventmatch lint``: 1,000 rules of AWS sources (each against its event type's schema) in well under the
2 s target; the baseline in the same run is compiling the same 1,000 patterns, which lint does first."""

from __future__ import annotations

from typing import Any

from eventmatch import compile_pattern
from eventmatch.schemas import aws_catalogue, lint_pattern


def _rules(n: int = 1000) -> list[dict[str, Any]]:
    """Patterns on the catalogue's event types, each naming a source, a detail-type and one detail field."""
    types = [t for t in aws_catalogue() if t.detail.fields]
    rules = []
    for i in range(n):
        event_type = types[i % len(types)]
        name, field = sorted(event_type.detail.fields.items())[i % len(event_type.detail.fields)]
        value: Any = {"object": [{"exists": True}], "array": [{"exists": True}], "any": [{"exists": True}],
                      "number": [{"numeric": [">", i]}], "boolean": [True]}.get(field.kind, [f"value-{i}"])
        rules.append({"source": [event_type.source], "detail-type": [event_type.detail_type],
                      "detail": {name: value}, "id": [f"rule-{i}"]})
    return rules


RULES = _rules()


def test_lint_1000_rules(benchmark: Any) -> None:
    aws_catalogue()  # read once, as a lint run reads it once
    findings = benchmark(lambda: [lint_pattern(r) for r in RULES])
    assert sum(len(f) for f in findings) == 0


def test_compile_1000_patterns_baseline(benchmark: Any) -> None:
    benchmark(lambda: [compile_pattern(r) for r in RULES])


def test_discover_10000_events_of_25_types(benchmark: Any) -> None:
    """Schema discovery: 10,000 events of 25 source/detail-type pairs (nested objects, arrays) merged into
    their schemas; the target is under 2 s."""
    from eventmatch.schemas import Discoverer
    from tests.test_discover import SPECS, _events

    events = _events()

    def discover() -> int:
        found = Discoverer()
        found.observe_all(events)
        return len(found.event_types())

    assert benchmark(discover) == len(SPECS)
