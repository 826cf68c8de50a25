"""The AWS SDK for JavaScript v3 against the server (issue 35): a second real client beside boto3 and the CLI.

``@aws-sdk/client-eventbridge`` and ``@aws-sdk/client-scheduler``, run by Node, make the calls of
``tests/js/calls.mjs``; they are installed by ``make test``'s set-up (``npm ci`` from the committed
``tests/js/package.json`` and lockfile), never during a test. Where Node or the packages are missing, these
tests skip and say so.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from eventmatch import EventBridge
from eventmatch.bus.clock import VirtualClock
from eventmatch.server import Server

HERE = Path(__file__).parent / "js"
NODE = shutil.which("node")
if NODE is None:
    pytest.skip("Node is not installed: the JavaScript SDK tests need it (Debian's nodejs)", allow_module_level=True)
if not (HERE / "node_modules" / "@aws-sdk" / "client-eventbridge").is_dir():
    pytest.skip("the JavaScript SDK is not installed: `make test` runs `npm ci --prefix tests/js` first",
                allow_module_level=True)

QUEUE = "arn:aws:sqs:us-east-1:123456789012:q"
ROLE = "arn:aws:iam::123456789012:role/r"


def date(when: datetime) -> dict[str, str]:
    """A timestamp as the JavaScript user gives it (a Date)."""
    return {"$date": when.isoformat()}


def js(server: Server, *calls: dict[str, Any]) -> list[dict[str, Any]]:
    """The results of ``calls`` made by the JavaScript SDK (see tests/js/calls.mjs)."""
    assert NODE is not None
    done = subprocess.run([NODE, str(HERE / "calls.mjs")], input=json.dumps(list(calls)), capture_output=True,
                          text=True, timeout=60, cwd=HERE, env={"EVENTMATCH_ENDPOINT": server.endpoint_url,
                                                                "AWS_EC2_METADATA_DISABLED": "true",
                                                                "HOME": str(HERE)})
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def events(op: str, region: str = "us-east-1", access_key: str = "test", **params: Any) -> dict[str, Any]:
    return {"service": "events", "op": op, "input": params, "region": region, "accessKeyId": access_key}


def scheduler(op: str, **params: Any) -> dict[str, Any]:
    return {"service": "scheduler", "op": op, "input": params}


def schemas(op: str, **params: Any) -> dict[str, Any]:
    return {"service": "schemas", "op": op, "input": params}


def test_put_events_with_time_from_the_javascript_sdk() -> None:
    """PutEvents with ``Time: new Date(...)``: the SDK sends epoch seconds; the entry is accepted and the event's
    ``time`` is the given one (before issue 35 every such entry was refused)."""
    with Server() as server:
        (rule, target, put) = js(
            server,
            events("PutRule", Name="r", EventPattern='{"source": ["shop"]}'),
            events("PutTargets", Rule="r", Targets=[{"Id": "q", "Arn": QUEUE}]),
            events("PutEvents", Entries=[{"Source": "shop", "DetailType": "order", "Detail": '{"n": 1}',
                                          "Time": date(datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC))}]))
        assert rule["RuleArn"] == "arn:aws:events:us-east-1:123456789012:rule/r"
        assert target["FailedEntryCount"] == 0 and put["FailedEntryCount"] == 0, put
        (delivered,) = server.deliveries(QUEUE)
        assert delivered["payload"]["time"] == "2026-03-04T05:06:07Z"
        assert delivered["payload"]["id"] == put["Entries"][0]["EventId"]
        assert put["requestId"]  # x-amzn-RequestId, read by the SDK


def test_every_timestamp_member_from_the_javascript_sdk() -> None:
    """The other timestamp members, sent as Dates and read back as Dates: StartReplay's EventStartTime and
    EventEndTime (DescribeReplay), CreateSchedule's StartDate and EndDate (GetSchedule), and the times the
    server answers (DescribeEventBus' CreationTime)."""
    start, end = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC), datetime(2026, 3, 5, 5, 6, 7, 500000, tzinfo=UTC)
    clock = VirtualClock(datetime(2026, 6, 1, tzinfo=UTC))
    with Server(EventBridge(clock=clock)) as server:
        bus = server.bridge.bus("default").arn
        archive = "arn:aws:events:us-east-1:123456789012:archive/a"
        results = js(
            server,
            events("CreateArchive", ArchiveName="a", EventSourceArn=bus),
            events("StartReplay", ReplayName="r", EventSourceArn=archive, EventStartTime=date(start),
                   EventEndTime=date(end), Destination={"Arn": bus}),
            events("DescribeReplay", ReplayName="r"),
            scheduler("CreateSchedule", Name="s", ScheduleExpression="rate(1 hour)",
                      FlexibleTimeWindow={"Mode": "OFF"}, StartDate=date(datetime(2030, 1, 1, tzinfo=UTC)),
                      EndDate=date(datetime(2030, 2, 1, tzinfo=UTC)), Target={"Arn": QUEUE, "RoleArn": ROLE}),
            scheduler("GetSchedule", Name="s"),
            events("DescribeEventBus"))
        assert [r.get("error") for r in results] == [None] * 6, results
        replay, schedule, described = results[2], results[4], results[5]
        assert (replay["EventStartTime"], replay["EventEndTime"]) == (
            {"$date": "2026-03-04T05:06:07.000Z"}, {"$date": "2026-03-05T05:06:07.500Z"})
        assert (schedule["StartDate"], schedule["EndDate"]) == (
            {"$date": "2030-01-01T00:00:00.000Z"}, {"$date": "2030-02-01T00:00:00.000Z"})
        assert described["CreationTime"] == {"$date": "2026-06-01T00:00:00.000Z"}


def test_regions_accounts_and_errors_from_the_javascript_sdk() -> None:
    """The SDK's requests are served in the region and account they are signed for, and AWS's errors reach it
    by name, message and status."""
    with Server() as server:
        results = js(
            server,
            events("CreateEventBus", Name="orders", region="eu-west-3"),
            events("CreateEventBus", Name="orders", access_key="111122223333"),
            events("ListEventBuses"),
            events("DescribeRule", Name="missing"),
            events("CreateEventBus", Name="aws.nope"))
        made_paris, made_other, listed, missing, refused = results
        assert made_paris["EventBusArn"] == "arn:aws:events:eu-west-3:123456789012:event-bus/orders"
        assert made_other["EventBusArn"] == "arn:aws:events:us-east-1:111122223333:event-bus/orders"
        assert [b["Name"] for b in listed["EventBuses"]] == ["default"]
        assert missing == {"error": "ResourceNotFoundException", "message": "Rule missing does not exist on EventBus default.",
                           "status": 400}
        assert refused == {"error": "ValidationException",
                           "message": "EventBus name starting with 'aws.' is not valid.", "status": 400}


def test_a_schedule_made_by_the_javascript_sdk_fires() -> None:
    """Scheduler's API from the JavaScript SDK: a schedule it creates fires on the server's clock."""
    clock = VirtualClock(datetime(2026, 6, 1, tzinfo=UTC))
    with Server(EventBridge(clock=clock)) as server:
        (made,) = js(server, scheduler("CreateSchedule", Name="hourly", ScheduleExpression="rate(1 hour)",
                                       FlexibleTimeWindow={"Mode": "OFF"}, Target={"Arn": QUEUE, "RoleArn": ROLE,
                                                                                   "Input": '{"job": 1}'}))
        assert made["ScheduleArn"] == "arn:aws:scheduler:us-east-1:123456789012:schedule/default/hourly"
        server.bridge.advance(3600)
        delivered = server.deliveries(QUEUE)
        assert [d["payload"] for d in delivered] == [{"job": 1}]


def test_eventbridge_schemas_from_the_javascript_sdk() -> None:
    """``@aws-sdk/client-schemas``: registries, a schema and its versions (timestamps read back as Dates, which
    needs them in ISO 8601, as the model says), a discoverer, the code binding's zip as bytes, and AWS's errors."""
    content = json.dumps({"openapi": "3.0.0", "info": {"version": "1", "title": "T"}, "paths": {},
                          "components": {"schemas": {"AWSEvent": {"type": "object"}}}})
    with Server() as server:
        bus = server.bridge.bus("default").arn
        results = js(
            server,
            schemas("CreateRegistry", RegistryName="mine", Description="ours", Tags={"team": "a"}),
            schemas("CreateSchema", RegistryName="mine", SchemaName="s", Type="OpenApi3", Content=content),
            schemas("ListSchemaVersions", RegistryName="mine", SchemaName="s"),
            schemas("CreateDiscoverer", SourceArn=bus),
            schemas("PutCodeBinding", RegistryName="aws.events", Language="Python36",
                    SchemaName="aws.ec2@EC2InstanceStateChangeNotification"),
            schemas("GetCodeBindingSource", RegistryName="aws.events", Language="Python36",
                    SchemaName="aws.ec2@EC2InstanceStateChangeNotification"),
            schemas("DescribeRegistry", RegistryName="nope"))
        registry, schema, versions, discoverer, binding, source, missing = results
        assert (registry["RegistryArn"], registry["Tags"]) == (
            "arn:aws:schemas:us-east-1:123456789012:registry/mine", {"team": "a"})
        assert schema["SchemaVersion"] == "1" and "$date" in schema["VersionCreatedDate"]
        assert [v["SchemaVersion"] for v in versions["SchemaVersions"]] == ["1"]
        assert discoverer["State"] == "STARTED" and "$date" in binding["CreationDate"]
        assert source["Body"]["zip"] is True and source["Body"]["$bytes"] > 0
        assert (missing["error"], missing["status"]) == ("NotFoundException", 404)
