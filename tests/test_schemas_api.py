"""EventBridge Schemas over the wire (issue 36, part 5): boto3's ``schemas`` client against the server.

Registries (``aws.events`` from AWS's catalogue, read-only; ``discovered-schemas``; the account's own), schemas
and versions, search and export, code bindings (Python's zip imports and parses a sample event), discoverers
that fill ``discovered-schemas`` from a bus's events, the resource policy and tags, each kept with the state.
"""

from __future__ import annotations

import importlib
import io
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from eventmatch.schemas import aws_catalogue, sample_event
from eventmatch.server import Server
from eventmatch.server.resources import SCHEMAS_ACTIONS
from eventmatch.server.validate import validator
from tests.aws_clients import aws_error, client

EC2 = "aws.ec2@EC2InstanceStateChangeNotification"
ORDER = {"openapi": "3.0.0", "info": {"version": "1.0.0", "title": "Order"}, "paths": {}, "components": {"schemas": {
    "AWSEvent": {"type": "object", "x-amazon-events-source": "shop", "x-amazon-events-detail-type": "Order",
                 "properties": {"detail": {"$ref": "#/components/schemas/Order"}}},
    "Order": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"},
                                                                   "total": {"type": "number"}}}}}}


def test_every_action_of_the_model_has_a_handler() -> None:
    """Every operation of botocore's model has its handler (the tests below call each over the wire)."""
    model = validator("schemas").model
    assert sorted(model.operation_names) == sorted(a for a in SCHEMAS_ACTIONS if a != "PutDiscoveredSchema")


def test_the_aws_events_registry_is_aws_catalogue_read_only() -> None:
    with Server() as server:
        schemas = client("schemas", server.endpoint_url)
        assert [r["RegistryName"] for r in schemas.list_registries(Scope="AWS")["Registries"]] == ["aws.events"]
        listed = schemas.list_schemas(RegistryName="aws.events")["Schemas"]
        assert len(listed) == len(aws_catalogue()) and EC2 in {s["SchemaName"] for s in listed}
        described = schemas.describe_schema(RegistryName="aws.events", SchemaName=EC2)
        content = json.loads(described["Content"])
        assert content["components"]["schemas"]["AWSEvent"]["x-amazon-events-source"] == "aws.ec2"
        assert (described["SchemaVersion"], described["Type"]) == ("1", "OpenApi3")
        found = schemas.search_schemas(RegistryName="aws.events", Keywords="EC2InstanceState")["Schemas"]
        assert EC2 in [s["SchemaName"] for s in found]
        exported = json.loads(schemas.export_schema(RegistryName="aws.events", SchemaName=EC2,
                                                    Type="JSONSchemaDraft4")["Content"])
        assert exported["$schema"] == "http://json-schema.org/draft-04/schema#"
        assert exported["properties"]["detail"]["$ref"].startswith("#/definitions/")
        status, code, _ = aws_error(schemas.create_schema, RegistryName="aws.events", SchemaName="x",
                                    Type="OpenApi3", Content=json.dumps(ORDER))
        assert (status, code) == (400, "BadRequestException")
        status, code, message = aws_error(schemas.describe_schema, RegistryName="aws.events", SchemaName="nope")
        assert (status, code, message) == (404, "NotFoundException", "Schema nope does not exist.")


def test_a_registry_of_ones_own_with_schemas_and_versions() -> None:
    with Server() as server:
        schemas = client("schemas", server.endpoint_url)
        made = schemas.create_registry(RegistryName="orders", Description="ours", Tags={"team": "shop"})
        assert made["RegistryArn"] == "arn:aws:schemas:us-east-1:123456789012:registry/orders"
        assert aws_error(schemas.create_registry, RegistryName="orders")[:2] == (409, "ConflictException")
        assert schemas.update_registry(RegistryName="orders", Description="new")["Description"] == "new"
        assert schemas.describe_registry(RegistryName="orders")["Tags"] == {"team": "shop"}
        created = schemas.create_schema(RegistryName="orders", SchemaName="shop@Order", Type="OpenApi3",
                                        Content=json.dumps(ORDER), Tags={"v": "1"})
        assert (created["SchemaVersion"], created["Tags"]) == ("1", {"v": "1"})
        changed = {**ORDER, "info": {"version": "2.0.0", "title": "Order"}}
        assert schemas.update_schema(RegistryName="orders", SchemaName="shop@Order", Type="OpenApi3",
                                     Content=json.dumps(changed))["SchemaVersion"] == "2"
        versions = schemas.list_schema_versions(RegistryName="orders", SchemaName="shop@Order")["SchemaVersions"]
        assert [v["SchemaVersion"] for v in versions] == ["1", "2"]
        first = schemas.describe_schema(RegistryName="orders", SchemaName="shop@Order", SchemaVersion="1")
        assert json.loads(first["Content"]) == ORDER
        schemas.delete_schema_version(RegistryName="orders", SchemaName="shop@Order", SchemaVersion="1")
        assert schemas.describe_schema(RegistryName="orders", SchemaName="shop@Order")["SchemaVersion"] == "2"
        assert [s["SchemaName"] for s in schemas.search_schemas(RegistryName="orders", Keywords="order")[
            "Schemas"]] == ["shop@Order"]
        assert schemas.list_registries(Scope="LOCAL")["Registries"][0]["RegistryName"] == "orders"
        status, code, message = aws_error(schemas.create_schema, RegistryName="orders", SchemaName="bad",
                                          Type="OpenApi3", Content="{not json")
        assert (status, code) == (400, "BadRequestException") and "not valid JSON" in message
        status, code, _ = aws_error(schemas.create_schema, RegistryName="orders", SchemaName="bad", Type="Avro",
                                    Content="{}")  # the model's enum, in AWS's front end wording
        assert (status, code) == (400, "BadRequestException")
        schemas.delete_schema(RegistryName="orders", SchemaName="shop@Order")
        schemas.delete_registry(RegistryName="orders")
        assert aws_error(schemas.describe_registry, RegistryName="orders")[:2] == (404, "NotFoundException")


def _import_bindings(body: bytes, where: Path) -> Any:
    archive = zipfile.ZipFile(io.BytesIO(body))
    archive.extractall(where)
    innermost = max((n for n in archive.namelist()), key=lambda n: n.count("/"))
    sys.path.insert(0, str(where))
    try:
        return importlib.import_module(innermost.rsplit("/", 1)[0].replace("/", "."))
    finally:
        sys.path.remove(str(where))
        for name in [n for n in sys.modules if n == "schema" or n.startswith("schema.")]:
            del sys.modules[name]


def test_python_code_bindings_import_and_parse_a_sample_event(tmp_path: Path) -> None:
    """PutCodeBinding, DescribeCodeBinding, GetCodeBindingSource: the zip's package imports, and its parse()
    reads a sample event of the type (eventmatch sample) into typed classes."""
    with Server() as server:
        schemas = client("schemas", server.endpoint_url)
        put = schemas.put_code_binding(RegistryName="aws.events", SchemaName=EC2, Language="Python36")
        assert put["Status"] == "CREATE_IN_PROGRESS" and put["ResponseMetadata"]["HTTPStatusCode"] == 202
        assert schemas.describe_code_binding(RegistryName="aws.events", SchemaName=EC2,
                                             Language="Python36")["Status"] == "CREATE_COMPLETE"
        body = schemas.get_code_binding_source(RegistryName="aws.events", SchemaName=EC2,
                                               Language="Python36")["Body"].read()
        bindings = _import_bindings(body, tmp_path)
        event = sample_event(aws_catalogue(), "aws.ec2", "EC2 Instance State-change Notification")
        event["detail"] = {"instance-id": "i-123", "state": "running"}
        parsed = bindings.parse(event)
        assert (parsed.source, parsed.detail.instance_id, parsed.detail.state) == ("aws.ec2", "i-123", "running")
        assert aws_error(schemas.describe_code_binding, RegistryName="aws.events", SchemaName=EC2,
                         Language="Python36", SchemaVersion="7")[:2] == (404, "NotFoundException")
        assert aws_error(schemas.put_code_binding, RegistryName="aws.events", SchemaName=EC2,
                         Language="Java8")[:2] == (400, "BadRequestException")


def test_a_discoverer_fills_discovered_schemas_from_its_bus(tmp_path: Path) -> None:
    """A started discoverer on a bus: each new shape of a source and detail-type is a new version of
    ``<source>@<DetailType>`` in ``discovered-schemas``; stopped, it adds none; the versions stay after a restart
    and a compaction; GetDiscoveredSchema infers a schema from given events."""
    state = str(tmp_path / "state.db")
    with Server(state=state) as server:
        schemas, events = client("schemas", server.endpoint_url), client("events", server.endpoint_url)
        bus = events.create_event_bus(Name="orders")["EventBusArn"]
        made = schemas.create_discoverer(SourceArn=bus, Description="orders' events", Tags={"k": "v"})
        assert (made["DiscovererId"], made["State"]) == ("events-event-bus-orders", "STARTED")
        assert aws_error(schemas.create_discoverer, SourceArn=bus)[:2] == (409, "ConflictException")

        def put(detail: dict[str, Any]) -> None:
            events.put_events(Entries=[{"Source": "shop", "DetailType": "Order Placed", "EventBusName": "orders",
                                        "Detail": json.dumps(detail)}])
            server.deliveries()

        put({"id": "o-1"})
        put({"id": "o-2"})  # the same shape: no new version
        put({"id": "o-3", "total": 12.5})  # a new field: version 2
        versions = schemas.list_schema_versions(RegistryName="discovered-schemas", SchemaName="shop@OrderPlaced")
        assert [v["SchemaVersion"] for v in versions["SchemaVersions"]] == ["1", "2"]
        latest = json.loads(schemas.describe_schema(RegistryName="discovered-schemas",
                                                    SchemaName="shop@OrderPlaced")["Content"])
        assert set(latest["components"]["schemas"]["OrderPlaced"]["properties"]) == {"id", "total"}
        assert schemas.stop_discoverer(DiscovererId="events-event-bus-orders")["State"] == "STOPPED"
        assert schemas.describe_discoverer(DiscovererId="events-event-bus-orders")["State"] == "STOPPED"
        put({"id": "o-4", "note": "x"})
        assert len(schemas.list_schema_versions(RegistryName="discovered-schemas", SchemaName="shop@OrderPlaced")[
            "SchemaVersions"]) == 2
        assert schemas.update_discoverer(DiscovererId="events-event-bus-orders", CrossAccount=False)[
            "CrossAccount"] is False
        exported = schemas.export_schema(RegistryName="discovered-schemas", SchemaName="shop@OrderPlaced",
                                         Type="JSONSchemaDraft4")
        assert json.loads(exported["Content"])["x-amazon-events-detail-type"] == "Order Placed"
        inferred = json.loads(schemas.get_discovered_schema(Type="JSONSchemaDraft4", Events=[
            json.dumps({"source": "a", "detail-type": "b", "detail": {"n": 1}})])["Content"])
        assert inferred["definitions"]["B"]["properties"] == {"n": {"type": "number"}}
    for _ in range(2):
        with Server(state=state) as server:
            schemas = client("schemas", server.endpoint_url)
            assert len(schemas.list_schema_versions(RegistryName="discovered-schemas",
                                                    SchemaName="shop@OrderPlaced")["SchemaVersions"]) == 2
            (listed,) = schemas.list_discoverers()["Discoverers"]
            assert (listed["State"], listed["CrossAccount"], listed["Tags"]) == ("STOPPED", False, {"k": "v"})
            server.app.state.services.default.compactor.now()
    with Server(state=state) as server:
        schemas = client("schemas", server.endpoint_url)
        assert schemas.start_discoverer(DiscovererId="events-event-bus-orders")["State"] == "STARTED"
        schemas.delete_discoverer(DiscovererId="events-event-bus-orders")
        assert schemas.list_discoverers()["Discoverers"] == []


def test_the_resource_policy_and_tags() -> None:
    """Put/Get/DeleteResourcePolicy (a RevisionId that is not the current one: PreconditionFailedException) and
    the tags of registries, schemas and discoverers on ``/tags/{arn}``, the route Scheduler's tags share."""
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    with Server() as server:
        schemas = client("schemas", server.endpoint_url)
        assert aws_error(schemas.get_resource_policy)[:2] == (404, "NotFoundException")
        revision = schemas.put_resource_policy(Policy=policy)["RevisionId"]
        assert schemas.get_resource_policy()["RevisionId"] == revision
        assert aws_error(schemas.put_resource_policy, Policy=policy, RevisionId="old")[:2] == (
            412, "PreconditionFailedException")
        schemas.put_resource_policy(Policy=policy, RevisionId=revision)
        schemas.delete_resource_policy()
        registry = schemas.create_registry(RegistryName="r")["RegistryArn"]
        schemas.tag_resource(ResourceArn=registry, Tags={"a": "1", "b": "2"})
        schemas.untag_resource(ResourceArn=registry, TagKeys=["a"])
        assert schemas.list_tags_for_resource(ResourceArn=registry)["Tags"] == {"b": "2"}
        missing = "arn:aws:schemas:us-east-1:123456789012:registry/none"
        assert aws_error(schemas.list_tags_for_resource, ResourceArn=missing)[:2] == (404, "NotFoundException")
        scheduler = client("scheduler", server.endpoint_url)  # Scheduler's tags on the same route
        group = scheduler.create_schedule_group(Name="g", Tags=[{"Key": "x", "Value": "y"}])["ScheduleGroupArn"]
        assert scheduler.list_tags_for_resource(ResourceArn=group)["Tags"] == [{"Key": "x", "Value": "y"}]


def test_each_account_and_region_has_its_own_registries() -> None:
    with Server() as server:
        home = client("schemas", server.endpoint_url)
        paris = client("schemas", server.endpoint_url, region="eu-west-3", access_key="111122223333")
        made = paris.create_registry(RegistryName="mine")["RegistryArn"]
        assert made == "arn:aws:schemas:eu-west-3:111122223333:registry/mine"
        assert home.list_registries(Scope="LOCAL")["Registries"] == []


def test_hostile_content_is_a_bad_request_not_a_failure() -> None:
    """Schemas' text members that hold JSON (a schema's Content, a policy, GetDiscoveredSchema's events): nested
    past what Python's reader follows, or not JSON, they are BadRequestException, never a 500."""
    deep = "[" * 50_000 + "]" * 50_000
    with Server() as server:
        schemas = client("schemas", server.endpoint_url)
        schemas.create_registry(RegistryName="r")
        for call, params in ((schemas.create_schema, {"RegistryName": "r", "SchemaName": "s", "Type": "OpenApi3",
                                                      "Content": deep}),
                             (schemas.put_resource_policy, {"Policy": deep}),
                             (schemas.get_discovered_schema, {"Type": "OpenApi3", "Events": [deep]})):
            status, code, _ = aws_error(call, **params)
            assert (status, code) == (400, "BadRequestException"), call


def test_every_answer_carries_a_request_id() -> None:
    """x-amzn-RequestId on Schemas' answers too (issue 35: the SDKs read it), errors and bodies of bytes
    included."""
    with Server() as server:
        schemas = client("schemas", server.endpoint_url)
        assert schemas.list_registries()["ResponseMetadata"]["RequestId"]
        with pytest.raises(Exception) as failed:
            schemas.describe_registry(RegistryName="none")
        assert failed.value.response["ResponseMetadata"]["RequestId"]  # type: ignore[attr-defined]
        schemas.put_code_binding(RegistryName="aws.events", SchemaName=EC2, Language="Python36")
        assert schemas.get_code_binding_source(RegistryName="aws.events", SchemaName=EC2, Language="Python36")[
            "ResponseMetadata"]["RequestId"]
