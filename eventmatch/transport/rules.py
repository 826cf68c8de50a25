"""The rules document a transport carries: every worker's rules, as one JSON-ready mapping.

``{"buses": [...], "rules": [...]}``: each rule has ``Name``, ``EventPattern``,
optionally ``EventBusName``, ``State``, ``Description`` and ``Targets``; each
target is described as :mod:`eventmatch.bus.targets` describes one, with
``Handler`` (the name of a callable the workers register) in place of ``Fn`` and
``DeadLetterHandler`` in place of ``DeadLetter``. Nothing here depends on how
the document travels: :func:`validate_rules` checks it with the bus's own
checks, :func:`build_bridge` builds the bus a worker routes with.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..bus import EventBridge
from ..errors import BusError, EventmatchError, ValidationError

Handler = Callable[[Any], Any]


@dataclass(frozen=True)
class RulesDocument:
    """A validated rules document and its version."""

    version: int
    document: dict[str, Any]

    @property
    def buses(self) -> tuple[str, ...]:
        return tuple(self.document.get("buses", ("default",)))


def validate_rules(document: Mapping[str, Any]) -> dict[str, Any]:
    """Check a rules document with the bus's own checks; return it normalised (JSON-ready).

    The document is ``{"buses": [...], "rules": [...]}``; each rule has ``Name``,
    ``EventPattern``, optionally ``EventBusName``, ``State``, ``Description``
    and ``Targets``; each target has ``Id`` and ``Handler`` (the name of a
    callable the workers register), optionally ``Input``, ``InputPath``,
    ``InputTransformer``, ``RetryPolicy`` and ``DeadLetterHandler``.
    Raises :class:`~eventmatch.ValidationError` (or the pattern's own error)
    naming the rule; nothing is written when anything is wrong.
    """
    if not isinstance(document, Mapping):
        raise ValidationError("A rules document must be a mapping with 'rules' (and optionally 'buses').")
    unknown = set(document) - {"buses", "rules"}
    if unknown:
        raise ValidationError(f"Unknown keys in the rules document: {', '.join(sorted(unknown))}.")
    rules = document.get("rules", [])
    if not isinstance(rules, list):
        raise ValidationError("'rules' must be a list.")
    buses = list(document.get("buses", ["default"]))
    if "default" not in buses:
        buses.insert(0, "default")
    normalised = {"buses": buses, "rules": [dict(r) if isinstance(r, Mapping) else r for r in rules]}
    for i, rule in enumerate(normalised["rules"]):
        if not isinstance(rule, dict):
            raise ValidationError(f"Rule {i + 1} must be a mapping.")
        if "ScheduleExpression" in rule:
            raise ValidationError(
                f"Rule {rule.get('Name')}: scheduled rules are not carried by the transport; run them on one "
                "process's EventBridge and put their events."
            )
        for t in rule.get("Targets", []):
            if not isinstance(t, Mapping) or not isinstance(t.get("Handler"), str):
                raise ValidationError(f"Rule {rule.get('Name')}: every target needs a Handler name.")
    build_bridge(normalised, lambda name: (lambda payload: None))  # the bus's checks, AWS's messages
    json.dumps(normalised)  # JSON-ready, or TypeError here rather than in a worker
    return normalised


def build_bridge(document: Mapping[str, Any], handler: Callable[[str], Handler], **bridge_args: Any) -> EventBridge:
    bridge = EventBridge(**bridge_args)
    for bus in document["buses"]:
        if bus != "default":
            bridge.create_event_bus(bus)
    for rule in document["rules"]:
        name = rule.get("Name")
        bus_name = rule.get("EventBusName", "default")
        if bus_name not in document["buses"]:
            raise ValidationError(f"Rule {name}: bus {bus_name} is not in the document's buses.")
        if "EventPattern" not in rule:
            raise ValidationError(f"Rule {name}: an EventPattern is required.")
        bus = bridge.bus(bus_name)
        try:
            bus.put_rule(
                name, rule["EventPattern"], state=rule.get("State", "ENABLED"), description=rule.get("Description", "")
            )
            targets = []
            for t in rule.get("Targets", []):
                spec = {k: v for k, v in t.items() if k not in ("Handler", "DeadLetterHandler")}
                spec["Fn"] = handler(t["Handler"])
                spec.setdefault("Arn", f"handler:{t['Handler']}")
                if t.get("DeadLetterHandler"):
                    dead = handler(t["DeadLetterHandler"])
                    spec["DeadLetter"] = lambda payload, attributes, _dead=dead: _dead(
                        {"payload": payload, "attributes": attributes}
                    )
                targets.append(spec)
            if targets:
                bus.put_targets(name, targets)
        except BusError as exc:
            raise type(exc)(f"Rule {name}: {exc}") from None
        except EventmatchError as exc:  # an invalid pattern: AWS's message as it is, the rule named in a note
            exc.add_note(f"in rule {name} of the rules document")
            raise
    return bridge


__all__ = ["Handler", "RulesDocument", "build_bridge", "validate_rules"]
