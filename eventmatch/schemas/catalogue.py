"""AWS's catalogue of its services' events, offline: which source sends which detail-types, and the shape of
each one's ``detail``.

The data is an extract of the npm package ``@aws-cdk/aws-service-spec`` (Apache-2.0, its licence in
``LICENSE-aws-service-spec.txt`` beside this file), rebuilt by :mod:`.rebuild`. Mind what it is: some
schemas were inferred from sample events and are not complete (CloudTrail's ``requestParameters`` and
``responseElements`` list only some calls' members), and objects typed ``json`` or ``map`` are open: a
field under them is not known to be wrong.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("aws_events.json.gz")
#: the envelope every event has, and the JSON type of each field (``detail`` is the event type's own)
ENVELOPE: dict[str, str] = {"version": "string", "id": "string", "detail-type": "string", "source": "string",
                            "account": "string", "time": "string", "region": "string", "resources": "array",
                            "detail": "object", "replay-name": "string"}
#: sources whose schemas were inferred from samples: their unknown fields are warnings, not errors
SAMPLED_SOURCES = frozenset({"aws.cloudtrail"})
#: fields of CloudTrail-style events whose members vary by call
OPEN_FIELDS = frozenset({"requestParameters", "responseElements", "additionalEventData", "serviceEventDetails"})


@dataclass(frozen=True)
class Field:
    """One field of a shape: its JSON type (``string``, ``number``, ``boolean``, ``object``, ``array``, or
    ``any`` where the schema leaves it open), whether it is required, and the shape of an object, or of an
    array's elements."""

    kind: str
    required: bool = False
    shape: Shape | None = None
    #: the array's elements' kind, for an array
    element: str | None = None
    #: the only values the schema allows (its ``enum``), None where it lists none
    enum: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class Shape:
    """An object's fields; ``open`` where other fields may appear (``json`` and ``map`` in the schema)."""

    name: str
    fields: Mapping[str, Field] = field(default_factory=dict)
    open: bool = False


@dataclass(frozen=True)
class EventType:
    source: str
    detail_type: str
    detail: Shape


class Catalogue:
    """Event types by source and detail-type, with the shapes of their details."""

    def __init__(self, event_types: list[EventType], version: str = "") -> None:
        self.version = version
        self._types: dict[str, dict[str, EventType]] = {}
        for event_type in event_types:
            self._types.setdefault(event_type.source, {})[event_type.detail_type] = event_type

    def __iter__(self) -> Iterator[EventType]:
        for by_type in self._types.values():
            yield from by_type.values()

    def __len__(self) -> int:
        return sum(len(v) for v in self._types.values())

    def sources(self) -> list[str]:
        return sorted(self._types)

    def detail_types(self, source: str) -> list[str]:
        return sorted(self._types.get(source, {}))

    def get(self, source: str, detail_type: str) -> EventType | None:
        return self._types.get(source, {}).get(detail_type)

    def knows(self, source: str) -> bool:
        return source in self._types

    def merged(self, other: Catalogue) -> Catalogue:
        """This catalogue and ``other``'s event types (``other``'s where both have one)."""
        return Catalogue([*self, *other], self.version)


def _kind(given: Any, types: Mapping[str, Any], building: dict[str, Shape | None]) -> Field:
    if isinstance(given, str):
        if given in ("number", "integer"):
            return Field("number")
        if given in ("json",):
            return Field("any")
        return Field(given)  # string, boolean
    if "ref" in given:
        return Field("object", shape=_shape(given["ref"], types, building))
    if "array" in given:
        element = _kind(given["array"], types, building)
        return Field("array", shape=element.shape, element=element.kind)
    if "map" in given:
        return Field("object", shape=Shape("map", {}, open=True))
    return Field("any")  # a union


def _shape(type_id: str, types: Mapping[str, Any], building: dict[str, Shape | None]) -> Shape:
    if type_id in building:
        known = building[type_id]
        return known if known is not None else Shape(types[type_id]["name"], {}, open=True)  # a cycle: open
    building[type_id] = None
    given = types[type_id]
    fields = {}
    for name, (kind, required) in given["properties"].items():
        found = _kind(kind, types, building)
        fields[name] = Field(found.kind, bool(required), found.shape, found.element)
    shape = Shape(given["name"], fields)
    building[type_id] = shape
    return shape


def json_kind(value: Any) -> str:
    """The JSON kind of a value, in the catalogue's words: string, number, boolean, array, object or null."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


@cache
def aws_catalogue() -> Catalogue:
    """AWS's own event types (read once)."""
    with gzip.open(DATA) as packed:
        data = json.load(packed)
    types = data["types"]
    building: dict[str, Shape | None] = {}
    event_types = [EventType(source, detail_type, _shape(type_id, types, building))
                   for source, detail_type, type_id in data["events"]]
    return Catalogue(event_types, str(data.get("version", "")))


__all__ = ["ENVELOPE", "Catalogue", "EventType", "Field", "Shape", "aws_catalogue", "json_kind"]
