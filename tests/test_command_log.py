"""The command log of both APIs: one player, and compaction (a snapshot plus the changes since), so that a
start plays the state's size, not its history."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from eventmatch.server import Server
from eventmatch.server import commands as command_log
from tests.aws_clients import client

ROLE = "arn:aws:iam::123456789012:role/r"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:"


def _build(server: Server) -> None:
    """One of nearly every resource kind of both APIs, some changed after they were made."""
    events = client("events", server.endpoint_url)
    orders = events.create_event_bus(Name="orders", Description="orders bus", Tags=[{"Key": "team", "Value": "a"}])
    events.update_event_bus(Name="orders", Description="the orders bus")
    events.put_permission(EventBusName="orders", Action="events:PutEvents", Principal="111122223333",
                          StatementId="partner")
    events.put_rule(Name="r", EventBusName="orders", EventPattern='{"source": ["shop"]}', Description="d",
                    Tags=[{"Key": "k", "Value": "v"}])
    events.put_targets(Rule="r", EventBusName="orders", Targets=[
        {"Id": "q", "Arn": QUEUE + "q", "InputPath": "$.detail", "RetryPolicy": {"MaximumRetryAttempts": 3}},
        {"Id": "dl", "Arn": QUEUE + "other", "DeadLetterConfig": {"Arn": QUEUE + "dlq"}}])
    events.put_rule(Name="tick", ScheduleExpression="rate(5 minutes)", State="DISABLED")
    events.tag_resource(ResourceARN=orders["EventBusArn"], Tags=[{"Key": "env", "Value": "test"}])
    connection = events.create_connection(Name="conn", AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "secret"}})["ConnectionArn"]
    events.create_connection(Name="gone", AuthorizationType="BASIC", AuthParameters={
        "BasicAuthParameters": {"Username": "u", "Password": "p"}})
    events.deauthorize_connection(Name="gone")
    events.create_api_destination(Name="dest", ConnectionArn=connection, HttpMethod="POST",
                                  InvocationEndpoint="https://example.com/hook", InvocationRateLimitPerSecond=5)
    events.update_api_destination(Name="dest", HttpMethod="PUT")
    events.create_archive(ArchiveName="arch", EventSourceArn=orders["EventBusArn"],
                          EventPattern='{"source": ["shop"]}', RetentionDays=3)
    events.put_events(Entries=[{"Source": "shop", "DetailType": "d", "Detail": "{}", "EventBusName": "orders"}])
    server.deliveries()
    events.create_endpoint(Name="ep", RoutingConfig={"FailoverConfig": {
        "Primary": {"HealthCheck": "arn:aws:route53:::healthcheck/1"}, "Secondary": {"Route": "us-west-2"}}},
        EventBuses=[{"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/orders"},
                    {"EventBusArn": "arn:aws:events:us-west-2:123456789012:event-bus/orders"}])
    events.create_partner_event_source(Name="aws.partner/acme/feed", Account="123456789012")
    events.activate_event_source(Name="aws.partner/acme/feed")
    scheduler = client("scheduler", server.endpoint_url)
    group = scheduler.create_schedule_group(Name="jobs", Tags=[{"Key": "owner", "Value": "me"}])
    scheduler.create_schedule(Name="nightly", GroupName="jobs", ScheduleExpression="cron(0 2 * * ? *)",
                              FlexibleTimeWindow={"Mode": "OFF"}, Target={"Arn": QUEUE + "jobs", "RoleArn": ROLE})
    time.sleep(0.01)
    scheduler.update_schedule(Name="nightly", GroupName="jobs", ScheduleExpression="cron(0 3 * * ? *)",
                              FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 5},
                              Target={"Arn": QUEUE + "jobs", "RoleArn": ROLE, "Input": '{"a": 1}'},
                              Description="later", ScheduleExpressionTimezone="Europe/Paris")
    scheduler.tag_resource(ResourceArn=group["ScheduleGroupArn"], Tags=[{"Key": "cost", "Value": "low"}])


def _described(server: Server) -> dict[str, Any]:
    """What both APIs describe and list of the state, every answer."""
    events = client("events", server.endpoint_url)
    scheduler = client("scheduler", server.endpoint_url)
    orders = "arn:aws:events:us-east-1:123456789012:event-bus/orders"
    answers = {
        "buses": events.list_event_buses(),
        "orders": events.describe_event_bus(Name="orders"),
        "default": events.describe_event_bus(Name="default"),
        "rules": events.list_rules(EventBusName="orders"),
        "default rules": events.list_rules(),
        "targets": events.list_targets_by_rule(Rule="r", EventBusName="orders"),
        "rule tags": events.list_tags_for_resource(ResourceARN="arn:aws:events:us-east-1:123456789012:rule/orders/r"),
        "bus tags": events.list_tags_for_resource(ResourceARN=orders),
        "connections": events.list_connections(),
        "connection": events.describe_connection(Name="conn"),
        "destinations": events.list_api_destinations(),
        "destination": events.describe_api_destination(Name="dest"),
        "archive": events.describe_archive(ArchiveName="arch"),
        "endpoints": events.list_endpoints(),
        "sources": events.list_event_sources(),
        "partner": events.describe_partner_event_source(Name="aws.partner/acme/feed"),
        "groups": scheduler.list_schedule_groups(),
        "schedule": scheduler.get_schedule(Name="nightly", GroupName="jobs"),
        "schedules": scheduler.list_schedules(),
        "group tags": scheduler.list_tags_for_resource(
            ResourceArn=scheduler.get_schedule_group(Name="jobs")["Arn"]),
    }
    for answer in answers.values():
        answer.pop("ResponseMetadata")
    return answers


def _log(state: str) -> list[str]:
    with sqlite3.connect(state) as db:
        return [action for (action,) in db.execute("SELECT action FROM commands ORDER BY seq")]


def test_a_compacted_log_gives_back_the_same_state(tmp_path: Path) -> None:
    """Every resource of both APIs, described and listed, is the same after a restart from a compacted log
    (a snapshot) as it was: ARNs, times made up, settings changed after creation, tags, targets as given."""
    state = str(tmp_path / "state.db")
    with Server(state=state) as first:
        _build(first)
        before = _described(first)
        assert len(_log(state)) > 20
        compactor = first.app.state.services.default.compactor
        assert compactor.now() > 20
        assert _log(state) == [command_log.SNAPSHOT]
        assert _described(first) == before  # the live state is not touched
    time.sleep(0.02)
    with Server(state=state) as second:
        assert _described(second) == before
        client("events", second.endpoint_url).put_rule(Name="after", EventPattern='{"source": ["x"]}')
        after = _described(second)
    assert _log(state) == [command_log.SNAPSHOT, "PutRule"]  # the snapshot, and the changes since
    with Server(state=state) as third:
        assert _described(third) == after
        events = client("events", third.endpoint_url)
        assert [r["Name"] for r in events.list_rules()["Rules"]] == ["after", "tick"]
        archived = events.describe_archive(ArchiveName="arch")
        assert archived["EventCount"] == 1  # the archived events are kept apart from the log


def test_the_log_compacts_itself_as_it_grows(tmp_path: Path) -> None:
    """3,000 changes that leave little behind (a rule put and deleted over and over): the log is compacted in
    the background as it grows, so a restart plays a snapshot and at most COMPACT_AFTER commands, not 3,000,
    and finds the same state."""
    state = str(tmp_path / "state.db")
    with Server(state=state) as server:
        events = client("events", server.endpoint_url)
        for n in range(1500):
            events.put_rule(Name="churn", EventPattern=json.dumps({"detail": {"n": [n]}}))
            events.delete_rule(Name="churn")
        events.put_rule(Name="kept", EventPattern='{"source": ["s"]}')
        compactor = server.app.state.services.default.compactor
        deadline = time.monotonic() + 20
        while compactor.compactions < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert compactor.compactions >= 2
        before = events.list_rules()["Rules"]
    entries = _log(state)
    assert entries[0] == command_log.SNAPSHOT
    assert len(entries) <= command_log.COMPACT_AFTER + 1
    with Server(state=state) as again:
        assert client("events", again.endpoint_url).list_rules()["Rules"] == before


def test_a_snapshot_covers_what_was_logged_not_what_python_made(tmp_path: Path) -> None:
    """Rules made in Python on the server's bridge (or from --template) are not in the log, and a compaction
    (made on a shadow service that plays the log) leaves them out too."""
    from eventmatch import EventBridge

    state = str(tmp_path / "state.db")
    bridge = EventBridge(archive_path=state)
    bridge.bus("default").put_rule("python", {"source": ["p"]})
    bridge.bus("default").put_targets("python", [{"Id": "f", "Fn": lambda event: None}])
    with Server(bridge, state=state) as server:
        client("events", server.endpoint_url).put_rule(Name="wire", EventPattern='{"source": ["w"]}')
        server.app.state.services.default.compactor.now()
    with sqlite3.connect(state) as db:
        (params,) = db.execute("SELECT params FROM commands").fetchone()
    (default,) = json.loads(params)["services"]
    rules = [p["Name"] for action, p, _ in default["commands"] if action == "PutRule"]
    assert rules == ["wire"]


def test_a_log_from_before_compaction_is_compacted_on_start(tmp_path: Path) -> None:
    """A long log written by an eventmatch without compaction (commands only) is compacted after the start
    that plays it."""
    state = str(tmp_path / "state.db")
    with Server(state=state) as server:
        server.app.state.services.default.compactor = None  # as an eventmatch before compaction
        events = client("events", server.endpoint_url)
        for n in range(command_log.COMPACT_AFTER + 10):
            events.put_rule(Name=f"r{n % 7}", EventPattern=json.dumps({"detail": {"n": [n]}}))
    assert len(_log(state)) > command_log.COMPACT_AFTER
    with Server(state=state) as server:
        deadline = time.monotonic() + 20
        while len(_log(state)) > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _log(state) == [command_log.SNAPSHOT]
        rules = client("events", server.endpoint_url).list_rules()["Rules"]
        assert sorted(r["Name"] for r in rules) == [f"r{n}" for n in range(7)]


def test_a_snapshot_played_again_is_the_same_snapshot() -> None:
    """snapshot(load(snapshot)) == snapshot: nothing is lost or changed in a round trip."""
    with Server() as server:
        _build(server)
        service = server.app.state.services.default
        first = command_log.snapshot(service)
        shadow = command_log.shadow_of(service)
        command_log.load(shadow, json.loads(json.dumps(first, default=_iso)))
        assert json.loads(json.dumps(command_log.snapshot(shadow), default=_iso)) == json.loads(
            json.dumps(first, default=_iso))


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(type(value).__name__)
