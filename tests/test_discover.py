"""Schemas discovered from events: equal to the shapes that made the events, versioned when they change,
written as OpenAPI 3 and read back, and used by the lint."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from eventmatch.schemas import Discoverer, Field, Shape, lint_pattern, load_schemas, to_openapi
from eventmatch.schemas.discover import from_document
from tests.test_cli import run

#: 25 (source, detail-type) pairs, each with its own detail shape: kinds, nested objects, arrays
SPECS: dict[tuple[str, str], dict[str, Any]] = {
    (f"app.service{i % 7}", f"Thing Happened {i}"): {
        "id": "string", "amount": "number", "ok": "boolean", "tags": ["string"],
        "customer": {"name": "string", "tier": "number", "address": {"city": "string"}},
        "lines": [{"sku": "string", "qty": "number"}], f"only{i}": "string"}
    for i in range(25)
}
OPTIONAL = "note"  # a field that half the events have


def _value(spec: Any, rng: random.Random) -> Any:
    if isinstance(spec, dict):
        return {k: _value(v, rng) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_value(spec[0], rng) for _ in range(rng.randint(1, 3))]
    return {"string": f"s{rng.randint(0, 9)}", "number": rng.randint(0, 1000) / 10, "boolean": rng.random() < .5}[spec]


def _events(n: int = 10_000, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    keys = list(SPECS)
    out = []
    for i in range(n):
        source, detail_type = keys[i % len(keys)]
        detail = _value(SPECS[(source, detail_type)], rng)
        if i % 2:
            detail[OPTIONAL] = "x"
        out.append({"version": "0", "id": str(i), "source": source, "detail-type": detail_type,
                    "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1",
                    "resources": [], "detail": detail})
    return out


def _shape(name: str, spec: dict[str, Any]) -> Shape:
    fields = {}
    for key, kind in spec.items():
        if isinstance(kind, dict):
            fields[key] = Field("object", True, _shape(key, kind))
        elif isinstance(kind, list):
            element = kind[0]
            fields[key] = Field("array", True, _shape(key, element) if isinstance(element, dict) else None,
                                "object" if isinstance(element, dict) else element)
        else:
            fields[key] = Field(kind, True)
    return Shape(name, fields)


def test_discovered_schemas_equal_the_shapes_that_made_the_events() -> None:
    found = Discoverer()
    assert found.observe_all(_events()) == 10_000
    assert len(found.event_types()) == len(SPECS) >= 20
    for (source, detail_type), spec in SPECS.items():
        expected = _shape(detail_type.replace(" ", ""), spec).fields
        got = dict(found.schema(source, detail_type).detail.fields)
        assert got.pop(OPTIONAL) == Field("string", False)
        assert got == expected


def test_a_lint_against_discovered_schemas_finds_a_renamed_field() -> None:
    catalogue = Discoverer()
    catalogue.observe_all(_events(2_000))
    known = catalogue.catalogue()
    source, detail_type = next(iter(SPECS))
    good = {"source": [source], "detail-type": [detail_type], "detail": {"customer": {"tier": [{"numeric": [">", 1]}]}}}
    assert lint_pattern(good, catalogue=known) == []
    renamed = {"source": [source], "detail-type": [detail_type], "detail": {"customer": {"level": [3]}}}
    (finding,) = lint_pattern(renamed, catalogue=known)
    assert (finding.code, finding.path) == ("EM103", "detail.customer.level")
    typed = {"source": [source], "detail-type": [detail_type], "detail": {"amount": ["12.5"]}}
    assert [f.code for f in lint_pattern(typed, catalogue=known)] == ["EM104"]


def test_a_new_version_each_time_the_shape_changes() -> None:
    found = Discoverer()
    event = {"source": "s", "detail-type": "d", "detail": {"a": 1}}
    found.observe(event)
    found.observe(event)
    assert found.version("s", "d") == 1
    found.observe({**event, "detail": {"a": 1, "b": "x"}})  # a new field
    assert found.version("s", "d") == 2
    found.observe({**event, "detail": {"a": "one", "b": "x"}})  # a new type for a field
    assert found.version("s", "d") == 3
    found.observe({**event, "detail": {"b": "x"}})  # a field every event had is missing: now optional
    assert found.version("s", "d") == 4
    found.observe({**event, "detail": {"b": "y"}})
    assert found.version("s", "d") == 4
    assert found.schema("s", "d").detail.fields["a"] == Field("any", False)


def test_schemas_round_trip_through_openapi_and_json_schema(tmp_path: Path) -> None:
    found = Discoverer()
    found.observe_all(_events(500))
    for event_type in found.event_types():
        document = to_openapi(event_type, found.version(event_type.source, event_type.detail_type))
        assert document["openapi"] == "3.0.0"
        assert from_document(json.loads(json.dumps(document))) == event_type
    draft4 = {"$schema": "http://json-schema.org/draft-04/schema#", "definitions": {"AWSEvent": {
        "type": "object", "x-amazon-events-source": "orders", "x-amazon-events-detail-type": "Placed",
        "properties": {"detail": {"$ref": "#/definitions/Placed"}}},
        "Placed": {"type": "object", "required": ["total"], "properties": {
            "total": {"type": "integer"}, "items": {"type": "array", "items": {"type": "string"}}}}}}
    (tmp_path / "placed.json").write_text(json.dumps(draft4))
    catalogue = load_schemas([tmp_path])
    placed = catalogue.get("orders", "Placed")
    assert placed is not None and placed.detail.fields["total"] == Field("number", True)
    assert placed.detail.fields["items"] == Field("array", False, None, "string")


def test_discover_and_lint_on_the_command_line(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(json.dumps(e) for e in _events(300)) + "\n")
    found = run("discover", str(events), "--out", str(tmp_path / "schemas"))
    assert found.returncode == 0, found.stderr
    assert len(list((tmp_path / "schemas").glob("*.json"))) == len(SPECS)
    source, detail_type = next(iter(SPECS))
    pattern = json.dumps({"source": [source], "detail-type": [detail_type], "detail": {"Amount": [1]}})
    assert run("lint", pattern).returncode == 0  # nothing is known of app.* without the schemas
    linted = run("lint", "--schemas", str(tmp_path / "schemas"), "--format", "json", pattern)
    assert linted.returncode == 1
    assert [(f["code"], f["path"]) for f in json.loads(linted.stdout)] == [("EM103", "detail.Amount")]
    assert "'amount' is" in json.loads(linted.stdout)[0]["message"]
    assert run("lint", "--schemas", str(events), pattern).returncode == 2  # not a schema


def test_a_server_discovers_the_schemas_of_its_events_and_lints_its_rules_against_them() -> None:
    import urllib.error
    import urllib.request

    import pytest

    pytest.importorskip("starlette")
    from eventmatch import EventBridge
    from eventmatch.server import Server
    from tests.aws_clients import client

    with Server(EventBridge(), discover=True) as server:
        events = client("events", server.endpoint_url)
        events.put_events(Entries=[{"Source": "app.orders", "DetailType": "Order Placed",
                                    "Detail": json.dumps({"total": n, "currency": "EUR"})} for n in range(3)])
        events.put_rule(Name="big", EventPattern=json.dumps({"source": ["app.orders"], "detail": {
            "Total": [{"numeric": [">", 100]}]}}))
        server.inbox.wait_idle()
        with urllib.request.urlopen(server.endpoint_url + "/_eventmatch/schemas", timeout=10) as answer:
            (listed,) = json.loads(answer.read())["Schemas"]
        assert (listed["source"], listed["detail-type"], listed["version"]) == ("app.orders", "Order Placed", 1)
        assert set(listed["schema"]["components"]["schemas"]["OrderPlaced"]["properties"]) == {"total", "currency"}
        linted = run("lint", "--endpoint-url", server.endpoint_url, "--format", "json")
        assert [(f["code"], f["rule"], f["path"]) for f in json.loads(linted.stdout)] == [
            ("EM103", "default/big", "detail.Total")]
    with Server(EventBridge()) as server, pytest.raises(urllib.error.HTTPError) as off:
        urllib.request.urlopen(server.endpoint_url + "/_eventmatch/schemas", timeout=10)
    assert off.value.code == 404
