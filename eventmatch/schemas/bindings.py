"""What EventBridge Schemas makes of a schema: its name in a registry, its JSON Schema Draft 4 export, and code
bindings (Python: typed classes for the event and its detail, and a function that parses an event into them).

>>> from eventmatch.schemas import aws_catalogue
>>> schema_name("aws.ec2", "EC2 Instance State-change Notification")
'aws.ec2@EC2InstanceStateChangeNotification'
"""

from __future__ import annotations

import io
import keyword
import re
import zipfile
from collections.abc import Mapping
from typing import Any

from .catalogue import EventType, Field, Shape

#: the languages PutCodeBinding takes (the Schemas API reference), and the one this server writes code for
LANGUAGES = ("Python36", "Java8", "TypeScript3", "Go1")
PYTHON = "Python36"


def schema_name(source: str, detail_type: str) -> str:
    """A schema's name in the ``aws.events`` and ``discovered-schemas`` registries: the source, ``@``, and the
    detail-type's words run together, each with its first letter in upper case (AWS's registry names
    ``aws.ec2@EC2InstanceStateChangeNotification``)."""
    words = re.split(r"[^A-Za-z0-9]+", detail_type)
    return f"{source}@{''.join(w[:1].upper() + w[1:] for w in words if w)}"


def to_draft4(openapi: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAPI 3 schema of EventBridge Schemas' form as JSON Schema Draft 4 (what ExportSchema gives): the
    ``AWSEvent`` envelope at the top, the other components as ``definitions``."""
    components = dict(((openapi.get("components") or {}).get("schemas")) or {})
    envelope = components.pop("AWSEvent", {})

    def moved(node: Any) -> Any:
        if isinstance(node, Mapping):
            return {k: (v.replace("#/components/schemas/", "#/definitions/") if k == "$ref" and isinstance(v, str)
                        else moved(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [moved(v) for v in node]
        return node

    return {"$schema": "http://json-schema.org/draft-04/schema#", "title": "AWSEvent", **moved(envelope),
            "definitions": moved(components)}


# -- Python bindings -----------------------------------------------------------------------------------------
def _identifier(name: str) -> str:
    """A field's name as a Python attribute (``instance-id`` -> ``instance_id``)."""
    text = re.sub(r"\W", "_", name)
    if not text or text[0].isdigit():
        text = "_" + text
    return text + "_" if keyword.iskeyword(text) else text


def _doc(text: str) -> str:
    """Text from a schema (a name, a source: anyone who sends events may have written it) as it may stand in
    a docstring of the generated code: no quote, backslash or line break that could end it, at most 200
    characters."""
    return re.sub(r'["\\\r\n\x00-\x1f\x7f]', "_", text)[:200]


def _class_name(name: str, taken: set[str]) -> str:
    base = "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", name) if w) or "Object"
    if base[0].isdigit():
        base = "_" + base
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    taken.add(candidate)
    return candidate


_PY_TYPES = {"string": "str", "number": "float", "boolean": "bool", "object": "dict[str, Any]", "any": "Any"}


def _classes(shape: Shape, name: str, taken: set[str], out: list[str]) -> str:
    """The class of ``shape`` (and, before it in ``out``, those of its nested objects); returns its name."""
    own = _class_name(name, taken)
    lines, parse = [], []
    for field_name, field in shape.fields.items():
        attribute = _identifier(field_name)
        kind, nested = _annotation(field, field_name, taken, out)
        lines.append(f"    {attribute}: {kind} | None = None")
        parse.append(f"            {attribute}=_field(data.get({field_name!r}), {nested}),")
    body = "\n".join(lines) or "    pass"
    out.append(f'''@dataclass
class {own}:
    """{_doc(shape.name or own)}"""

{body}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "{own}":
        return cls(
{chr(10).join(parse)}
        )
''')
    return own


def _annotation(field: Field, name: str, taken: set[str], out: list[str]) -> tuple[str, str]:
    """A field's type annotation, and how its value is read (a class to parse objects into, or None)."""
    if field.kind == "object" and field.shape is not None:
        nested = _classes(field.shape, name, taken, out)
        return f'"{nested}"', nested
    if field.kind == "array":
        if field.shape is not None:
            nested = _classes(field.shape, name, taken, out)
            return f'list["{nested}"]', nested
        return f"list[{_PY_TYPES.get(field.element or 'any', 'Any')}]", "None"
    return _PY_TYPES.get(field.kind, "Any"), "None"


def python_module(event_type: EventType) -> str:
    """A Python module of typed classes for ``event_type``: ``AWSEvent`` (the envelope, its ``detail`` parsed
    into the detail's class), the detail's class and its nested objects', and ``parse(event)``."""
    out: list[str] = []
    taken = {"AWSEvent"}
    detail = _classes(event_type.detail, event_type.detail.name or "Detail", taken, out)
    named = _doc(schema_name(event_type.source, event_type.detail_type))
    return f'''"""Code bindings of the EventBridge schema {named}
(source {_doc(repr(event_type.source))}, detail-type {_doc(repr(event_type.detail_type))}), written by eventmatch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def _field(value: Any, kind: Any) -> Any:
    if kind is None or value is None:
        return value
    if isinstance(value, list):
        return [kind.from_dict(v) if isinstance(v, dict) else v for v in value]
    return kind.from_dict(value) if isinstance(value, dict) else value


{chr(10).join(out)}

@dataclass
class AWSEvent:
    """The event's envelope; ``detail`` is a {detail}."""

    detail: {detail} | None = None
    account: str | None = None
    detail_type: str | None = None
    id: str | None = None
    region: str | None = None
    resources: list[str] | None = None
    source: str | None = None
    time: str | None = None
    version: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AWSEvent":
        return cls(detail=_field(data.get("detail"), {detail}), account=data.get("account"),
                   detail_type=data.get("detail-type"), id=data.get("id"), region=data.get("region"),
                   resources=data.get("resources"), source=data.get("source"), time=data.get("time"),
                   version=data.get("version"))


def parse(event: dict[str, Any]) -> AWSEvent:
    """An event (as EventBridge delivers it) as an AWSEvent."""
    return AWSEvent.from_dict(event)


__all__ = ["AWSEvent", "{detail}", "parse"]
'''


def package_path(event_type: EventType) -> str:
    """Where the bindings' package is in the zip: ``schema/<source's parts>/<detail-type>/``."""
    parts = [_identifier(p.lower()) for p in re.split(r"[^A-Za-z0-9]+", event_type.source) if p]
    name = _identifier(schema_name(event_type.source, event_type.detail_type).split("@", 1)[1].lower())
    return "/".join(["schema", *parts, name])


def python_zip(event_type: EventType) -> bytes:
    """GetCodeBindingSource's body for Python: a zip of the package (``schema/__init__.py`` and each level's,
    the bindings in the innermost ``__init__.py``)."""
    path = package_path(event_type).split("/")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for depth in range(1, len(path)):
            archive.writestr("/".join(path[:depth]) + "/__init__.py", "")
        archive.writestr("/".join(path) + "/__init__.py", python_module(event_type))
    return buffer.getvalue()


__all__ = ["LANGUAGES", "PYTHON", "package_path", "python_module", "python_zip", "schema_name", "to_draft4"]
