"""Code bindings and exports of EventBridge Schemas (:mod:`eventmatch.schemas.bindings`): the names AWS gives
schemas, JSON Schema Draft 4 exports, and Python bindings for every type of AWS's catalogue."""

from __future__ import annotations

import importlib
import io
import sys
import zipfile
from pathlib import Path

from eventmatch.schemas import aws_catalogue, sample_event, to_openapi
from eventmatch.schemas.bindings import package_path, python_zip, schema_name, to_draft4


def test_schema_names_are_awss() -> None:
    assert schema_name("aws.ec2", "EC2 Instance State-change Notification") == (
        "aws.ec2@EC2InstanceStateChangeNotification")
    assert schema_name("shop", "order placed") == "shop@OrderPlaced"


def test_a_draft4_export_moves_the_components_to_definitions() -> None:
    event_type = aws_catalogue().get("aws.ec2", "EC2 Instance State-change Notification")
    assert event_type is not None
    exported = to_draft4(to_openapi(event_type))
    assert exported["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert "components" not in exported and "AWSEvent" not in exported["definitions"]
    assert exported["properties"]["detail"] == {"$ref": "#/definitions/EC2InstanceStateChangeNotification"}


def test_python_bindings_of_every_catalogue_type_import_and_parse_its_sample(tmp_path: Path) -> None:
    """Each of the catalogue's event types: its zip's package imports, and parse() reads the type's sample event
    (every field filled) with its source and detail-type."""
    catalogue = aws_catalogue()
    for n, event_type in enumerate(catalogue):
        where = tmp_path / str(n)
        zipfile.ZipFile(io.BytesIO(python_zip(event_type))).extractall(where)
        sys.path.insert(0, str(where))
        try:
            module = importlib.import_module(package_path(event_type).replace("/", "."))
            parsed = module.parse(sample_event(catalogue, event_type.source, event_type.detail_type))
            assert (parsed.source, parsed.detail_type) == (event_type.source, event_type.detail_type)
            assert parsed.detail is not None or not event_type.detail.fields
        finally:
            sys.path.remove(str(where))
            for name in [m for m in sys.modules if m == "schema" or m.startswith("schema.")]:
                del sys.modules[name]


def test_names_from_events_cannot_put_code_into_the_bindings(tmp_path: Path) -> None:
    """A discovered schema's names come from whoever sent the events: a field name, source or detail-type
    holding quotes, backslashes or line breaks stays text in the generated module (which imports, parses, and
    runs nothing of it)."""
    from eventmatch.schemas import Discoverer
    from eventmatch.schemas.bindings import _identifier

    hostile = 'x"""\nraise SystemExit("injected")\n"""'
    found = Discoverer()
    found.observe({"source": f"evil{hostile}", "detail-type": f"T{hostile}\\",
                   "detail": {hostile: 1, "nested": {hostile: {"y": "z"}}}})
    (event_type,) = found.event_types()
    zipfile.ZipFile(io.BytesIO(python_zip(event_type))).extractall(tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module(package_path(event_type).replace("/", "."))
        parsed = module.parse({"source": event_type.source, "detail": {hostile: 5}})
        assert parsed.source == event_type.source and getattr(parsed.detail, _identifier(hostile)) == 5
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "schema" or m.startswith("schema.")]:
            del sys.modules[name]
