"""Schemas discovered from events, as EventBridge's schema discovery makes them: one schema per source and
detail-type, merged over every event seen (each field's JSON types, whether every event has it, arrays and
nested objects), and a new version each time the shape changes.

>>> found = Discoverer()
>>> found.observe({"source": "shop", "detail-type": "Order", "detail": {"id": "o-1", "total": 12.5}})
>>> found.observe({"source": "shop", "detail-type": "Order", "detail": {"id": "o-2"}})
>>> order = found.schema("shop", "Order")
>>> order.detail.fields["total"].kind, order.detail.fields["total"].required
('number', False)
>>> found.version("shop", "Order")
2

Schemas are written as OpenAPI 3, the format EventBridge Schemas stores discovered schemas in
(:func:`to_openapi`), and read back, with JSON Schema Draft 4 files, by :func:`load_schemas`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import EventmatchError
from .catalogue import Catalogue, EventType, Field, Shape, json_kind


class _Object:
    """What has been seen of one object: each field's kinds and how often it was there."""

    __slots__ = ("fields", "seen")

    def __init__(self) -> None:
        self.seen = 0
        self.fields: dict[str, _Value] = {}


class _Value:
    __slots__ = ("count", "element", "kinds", "object")

    def __init__(self) -> None:
        self.count = 0
        self.kinds: set[str] = set()
        self.object: _Object | None = None  # the fields of an object value (or of an array's object elements)
        self.element: set[str] = set()  # the kinds of an array's elements


class Discoverer:
    """Schemas inferred from events, per (source, detail-type)."""

    def __init__(self) -> None:
        self._objects: dict[tuple[str, str], _Object] = {}
        self._versions: dict[tuple[str, str], int] = {}

    def observe(self, event: Mapping[str, Any]) -> None:
        """Merge one event's detail into its type's schema (an event without a source or detail-type is
        skipped, as discovery skips it)."""
        source, detail_type, detail = event.get("source"), event.get("detail-type"), event.get("detail")
        if not isinstance(source, str) or not isinstance(detail_type, str) or not isinstance(detail, dict):
            return
        key = (source, detail_type)
        known = self._objects.get(key)
        if known is None:
            known = self._objects[key] = _Object()
        if _merge(known, detail) or key not in self._versions:
            self._versions[key] = self._versions.get(key, 0) + 1

    def observe_all(self, events: Iterable[Mapping[str, Any]]) -> int:
        count = 0
        for event in events:
            self.observe(event)
            count += 1
        return count

    def version(self, source: str, detail_type: str) -> int:
        """How many shapes this type has had (1 for its first, one more each time a field or a type came)."""
        return self._versions.get((source, detail_type), 0)

    def schema(self, source: str, detail_type: str) -> EventType:
        known = self._objects.get((source, detail_type))
        if known is None:
            raise KeyError((source, detail_type))
        return EventType(source, detail_type, _shape(detail_type.replace(" ", ""), known))

    def event_types(self) -> list[EventType]:
        return [self.schema(source, detail_type) for source, detail_type in sorted(self._objects)]

    def catalogue(self) -> Catalogue:
        return Catalogue(self.event_types())


def _merge(known: _Object, value: Mapping[str, Any]) -> bool:
    """Merge an object into what is known of it; True if its shape changed (a field or a kind came)."""
    changed = False
    before = known.seen
    known.seen += 1
    for name, item in value.items():
        seen = known.fields.get(name)
        if seen is None:  # a new field
            seen = known.fields[name] = _Value()
            changed = True
        seen.count += 1
        changed = _merge_value(seen, item) or changed
    if before and len(value) < len(known.fields):  # a field every event had so far is missing: now optional
        changed = any(seen.count == before for name, seen in known.fields.items() if name not in value) or changed
    return changed


def _merge_value(seen: _Value, item: Any) -> bool:
    kind = json_kind(item)
    changed = kind not in seen.kinds
    seen.kinds.add(kind)
    if kind == "object":
        if seen.object is None:
            seen.object = _Object()
        changed = _merge(seen.object, item) or changed
    elif kind == "array":
        for element in item:
            element_kind = json_kind(element)
            if element_kind not in seen.element:
                seen.element.add(element_kind)
                changed = True
            if element_kind == "object":
                if seen.object is None:
                    seen.object = _Object()
                changed = _merge(seen.object, element) or changed
    return changed


def _shape(name: str, known: _Object) -> Shape:
    fields = {}
    for field_name, seen in known.fields.items():
        kinds = seen.kinds - {"null"}
        kind = next(iter(kinds)) if len(kinds) == 1 else "any"
        element = None
        shape = None
        if kind == "array":
            elements = seen.element - {"null"}
            element = next(iter(elements)) if len(elements) == 1 else "any"
        if seen.object is not None and kind in ("object", "array"):
            shape = _shape(field_name, seen.object)
        fields[field_name] = Field(kind, seen.count == known.seen, shape, element)
    return Shape(name, fields)


# -- OpenAPI 3 and JSON Schema ---------------------------------------------------------------------------------
_OPENAPI_TYPES = {"string": "string", "number": "number", "boolean": "boolean", "object": "object",
                  "array": "array"}


def _json_schema(shape: Shape, components: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A shape as JSON Schema (OpenAPI 3's dialect), its nested objects as components referenced by name."""
    properties: dict[str, Any] = {}
    for name, f in shape.fields.items():
        if f.kind == "object" and f.shape is not None:
            component = _component_name(prefix + f.shape.name, components)
            components[component] = _json_schema(f.shape, components, prefix)
            properties[name] = {"$ref": f"#/components/schemas/{component}"}
        elif f.kind == "array":
            if f.shape is not None:
                component = _component_name(prefix + f.shape.name, components)
                components[component] = _json_schema(f.shape, components, prefix)
                items: dict[str, Any] = {"$ref": f"#/components/schemas/{component}"}
            else:
                items = {"type": _OPENAPI_TYPES[f.element]} if f.element in _OPENAPI_TYPES else {}
            properties[name] = {"type": "array", "items": items}
        elif f.kind in _OPENAPI_TYPES:
            properties[name] = {"type": _OPENAPI_TYPES[f.kind]}
        else:
            properties[name] = {}
    out: dict[str, Any] = {"type": "object", "properties": properties}
    required = sorted(name for name, f in shape.fields.items() if f.required)
    if required:
        out["required"] = required
    if shape.open:
        out["additionalProperties"] = True
    return out


def _component_name(name: str, components: Mapping[str, Any]) -> str:
    base = "".join(part[:1].upper() + part[1:] for part in name.replace("-", " ").replace("_", " ").split()) or "Object"
    candidate, n = base, 1
    while candidate in components:
        n += 1
        candidate = f"{base}{n}"
    return candidate


def to_openapi(event_type: EventType, version: int | None = None) -> dict[str, Any]:
    """An event type as an OpenAPI 3 document in EventBridge Schemas' form: the ``AWSEvent`` envelope with
    ``x-amazon-events-source`` and ``x-amazon-events-detail-type``, the detail a component of its own."""
    components: dict[str, Any] = {}
    detail_name = _component_name(event_type.detail.name or "Detail", {"AWSEvent": True})
    components[detail_name] = {}
    components[detail_name] = _json_schema(event_type.detail, components)
    envelope = {
        "type": "object", "required": ["detail-type", "resources", "detail", "id", "source", "time", "region",
                                       "version", "account"],
        "x-amazon-events-detail-type": event_type.detail_type, "x-amazon-events-source": event_type.source,
        "properties": {
            "detail": {"$ref": f"#/components/schemas/{detail_name}"},
            "account": {"type": "string"}, "detail-type": {"type": "string"}, "id": {"type": "string"},
            "region": {"type": "string"}, "resources": {"type": "array", "items": {"type": "string"}},
            "source": {"type": "string"}, "time": {"type": "string", "format": "date-time"},
            "version": {"type": "string"}},
    }
    return {"openapi": "3.0.0",
            "info": {"version": str(version or 1), "title": event_type.detail_type},
            "paths": {},
            "components": {"schemas": {"AWSEvent": envelope, **components}}}


def from_document(document: Mapping[str, Any], where: str = "<schema>") -> EventType:
    """An event type from an OpenAPI 3 document (EventBridge Schemas' form) or a JSON Schema Draft 4 one
    (``definitions``, with the envelope at the top or as ``AWSEvent``); SchemaError naming what is missing."""
    if "components" in document:
        definitions = (document.get("components") or {}).get("schemas") or {}
        prefix = "#/components/schemas/"
        root = definitions.get("AWSEvent")
    else:
        definitions = document.get("definitions") or {}
        prefix = "#/definitions/"
        root = definitions.get("AWSEvent") or document
    if not isinstance(root, Mapping):
        raise SchemaError(f"{where}: no AWSEvent schema")
    source, detail_type = root.get("x-amazon-events-source"), root.get("x-amazon-events-detail-type")
    if not isinstance(source, str) or not isinstance(detail_type, str):
        raise SchemaError(f"{where}: the event schema names no x-amazon-events-source and "
                          "x-amazon-events-detail-type")
    detail = ((root.get("properties") or {}).get("detail")) or {}

    def resolve(node: Mapping[str, Any], depth: int) -> Mapping[str, Any]:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(prefix) and depth < 50:
            return resolve(definitions.get(ref[len(prefix):]) or {}, depth + 1)
        return node

    def shape(name: str, node: Mapping[str, Any], depth: int) -> Shape:
        node = resolve(node, depth)
        required = set(node.get("required") or [])
        fields = {}
        for field_name, given in (node.get("properties") or {}).items():
            fields[field_name] = field_of(field_name, given, field_name in required, depth + 1)
        is_open = not node.get("properties") or node.get("additionalProperties") not in (None, False)
        return Shape(name, fields, open=bool(is_open) and not fields)

    def field_of(name: str, given: Mapping[str, Any], required: bool, depth: int) -> Field:
        given = resolve(given, depth)
        kind = given.get("type")
        enum = given.get("enum")
        allowed = tuple(enum) if isinstance(enum, list) and enum else None
        if kind in ("integer", "number"):
            return Field("number", required, enum=allowed)
        if kind in ("string", "boolean"):
            return Field(str(kind), required, enum=allowed)
        if kind == "array":
            items = resolve(given.get("items") or {}, depth)
            element = items.get("type")
            element_kind = "number" if element == "integer" else (element if isinstance(element, str) else "any")
            nested = shape(name, items, depth) if element == "object" and depth < 50 else None
            return Field("array", required, nested, element_kind)
        if kind == "object" or "properties" in given:
            return Field("object", required, shape(name, given, depth) if depth < 50 else None)
        return Field("any", required)

    return EventType(source, detail_type, shape(detail_type.replace(" ", ""), detail, 0))


class SchemaError(EventmatchError):
    """A schema file that cannot be read as an event's schema."""


def load_schemas(paths: Iterable[str | Path]) -> Catalogue:
    """The event types of schema files (OpenAPI 3 or JSON Schema Draft 4, JSON), or of every ``*.json`` of a
    folder."""
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        files += sorted(path.glob("*.json")) if path.is_dir() else [path]
    event_types = []
    for path in files:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise SchemaError(f"{path}: cannot read it as JSON: {exc}") from None
        if not isinstance(document, Mapping):
            raise SchemaError(f"{path}: a schema must be a JSON object")
        event_types.append(from_document(document, str(path)))
    return Catalogue(event_types)


__all__ = ["Discoverer", "SchemaError", "from_document", "load_schemas", "to_openapi"]
