"""Sample events for any event type of a catalogue: valid against its schema, every field filled.

>>> from eventmatch.schemas import aws_catalogue
>>> event = sample_event(aws_catalogue(), "aws.ec2", "EC2 Instance State-change Notification")
>>> sorted(event["detail"])
['instance-id', 'state']
"""

from __future__ import annotations

from typing import Any

from ..errors import EventmatchError
from .catalogue import Catalogue, Field, Shape

#: the sample's envelope (the time and id fixed, so that samples are the same every time)
ENVELOPE = {"version": "0", "id": "00000000-0000-4000-8000-000000000000", "account": "123456789012",
            "time": "2026-01-01T00:00:00Z", "region": "us-east-1", "resources": []}


class UnknownEventTypeError(EventmatchError, KeyError):
    """No event type of the catalogue has that source and detail-type."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def sample_event(catalogue: Catalogue, source: str, detail_type: str) -> dict[str, Any]:
    """An event of ``source`` and ``detail_type``: the envelope, and a detail with every field of its schema
    (strings ``"string"``, numbers 0, booleans false, one element in each array). UnknownEventTypeError,
    with the closest names, for a pair the catalogue does not have."""
    import difflib

    event_type = catalogue.get(source, detail_type)
    if event_type is None:
        if not catalogue.knows(source):
            close = difflib.get_close_matches(source, catalogue.sources(), n=3)
            raise UnknownEventTypeError(f"no event type of source {source!r}"
                                        + (f"; closest: {', '.join(close)}" if close else ""))
        close = difflib.get_close_matches(detail_type, catalogue.detail_types(source), n=3, cutoff=0.5)
        raise UnknownEventTypeError(f"{source} sends no detail-type {detail_type!r}"
                                    + (f"; closest: {', '.join(repr(c) for c in close)}" if close else ""))
    return {"version": ENVELOPE["version"], "id": ENVELOPE["id"], "detail-type": detail_type, "source": source,
            "account": ENVELOPE["account"], "time": ENVELOPE["time"], "region": ENVELOPE["region"],
            "resources": [], "detail": _object(event_type.detail, 0)}


def _object(shape: Shape, depth: int) -> dict[str, Any]:
    return {name: _value(field, depth + 1) for name, field in shape.fields.items()} if depth < 20 else {}


def _value(field: Field, depth: int) -> Any:
    if field.kind == "array":
        element = _object(field.shape, depth) if field.shape is not None else _scalar(field.element or "any")
        return [element]
    if field.kind == "object":
        return _object(field.shape, depth) if field.shape is not None else {}
    return _scalar(field.kind)


def _scalar(kind: str) -> Any:
    return {"string": "string", "number": 0, "boolean": False, "object": {}}.get(kind, "string")


__all__ = ["UnknownEventTypeError", "sample_event"]
