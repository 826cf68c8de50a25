"""The one service layer: a bus's settings on the bus, one tag store for both APIs, the registry of services,
and Scheduler's invocations delivered by the bridge's one delivery engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

pytest.importorskip("starlette")

from eventmatch import EventBridge
from eventmatch.bus import VirtualClock
from eventmatch.scheduler import Scheduler
from eventmatch.server import Server
from tests.aws_clients import client

START = datetime(2026, 1, 1, tzinfo=UTC)
ROLE = "arn:aws:iam::123456789012:role/r"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:f"


def test_a_buses_settings_and_policy_are_the_buses_own_and_go_with_it() -> None:
    with Server() as server:
        events = client("events", server.endpoint_url)
        events.create_event_bus(Name="orders", Description="first")
        events.put_permission(EventBusName="orders", Action="events:PutEvents", Principal="111122223333",
                              StatementId="partner")
        bus = server.bridge.bus("orders")
        assert bus.settings.settings == {"Description": "first"}
        assert list(bus.settings.statements) == ["partner"]
        assert "Policy" in events.describe_event_bus(Name="orders")
        events.delete_event_bus(Name="orders")
        events.create_event_bus(Name="orders")
        again = events.describe_event_bus(Name="orders")
        assert "Policy" not in again and "Description" not in again  # nothing left over from the bus deleted


def test_one_tag_store_holds_both_apis_tags() -> None:
    with Server() as server:
        events = client("events", server.endpoint_url)
        scheduler = client("scheduler", server.endpoint_url)
        bus = events.create_event_bus(Name="b", Tags=[{"Key": "api", "Value": "events"}])["EventBusArn"]
        group = scheduler.create_schedule_group(Name="g", Tags=[{"Key": "api", "Value": "scheduler"}])
        service = server.app.state.services.get()
        assert service.scheduler.tags is service.tags
        assert dict(service.tags.items()) == {bus: {"api": "events"},
                                              group["ScheduleGroupArn"]: {"api": "scheduler"}}
        scheduler.delete_schedule_group(Name="g")
        assert dict(service.tags.items()) == {bus: {"api": "events"}}


def test_the_registry_gives_the_default_pair_and_server_bridge_is_its_bridge() -> None:
    with Server() as server:
        services = server.app.state.services
        default = services.get()
        assert default is services.get(("123456789012", "us-east-1"))
        assert default.bridge is server.bridge and default.scheduler is server.scheduler
        assert (default.account, default.region) == ("123456789012", "us-east-1")


def test_schedulers_invocations_are_the_delivery_engines_jobs() -> None:
    """A failing invocation is retried by the bridge's engine (its retry queue, its backoff), and Scheduler's
    metrics and record of attempts are kept on the way; the dead letter carries Scheduler's attributes."""
    bridge = EventBridge(clock=VirtualClock(START))
    calls: list[Any] = []
    dead: list[tuple[str, Any, dict[str, Any]]] = []

    def failing(payload: Any) -> None:
        calls.append(payload)
        raise RuntimeError("down")

    scheduler = Scheduler(bridge, functions={FUNCTION: failing}, dead_letter=lambda *a: dead.append(a))
    scheduler.create_schedule("once", "at(2026-01-01T00:01:00)", {
        "Arn": FUNCTION, "RoleArn": ROLE, "Input": json.dumps({"attempt": "<aws.scheduler.attempt-number>"}),
        "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
        "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:123456789012:dlq"}})
    bridge.advance(timedelta(minutes=1))
    assert len(calls) == 1 and bridge.delivery.pending() == 1  # the retry waits in the engine's queue
    bridge.advance(timedelta(minutes=10))
    assert [c["attempt"] for c in calls] == ["1", "2", "3"]
    ((_, payload, attributes),) = dead
    assert payload == {"attempt": "3"} and attributes["X-Amz-Scheduler-Attempt"] == "3"
    assert attributes["X-Amz-Scheduler-Error-Code"] == "RuntimeError"
    assert attributes["X-Amz-Scheduler-Error-Message"] == "down"
    metrics = scheduler.metrics
    assert metrics.get("InvocationAttemptCount", "default", "once") == 3
    assert metrics.get("TargetErrorCount", "default", "once") == 3
    assert metrics.get("InvocationsSentToDeadLetterCount", "default", "once") == 1
    assert [(i["Attempt"], i["Outcome"]) for i in scheduler.invocations] == [(1, "FAILED"), (2, "FAILED"),
                                                                             (3, "FAILED")]


def test_an_invocation_without_a_dead_letter_queue_is_counted_dropped() -> None:
    bridge = EventBridge(clock=VirtualClock(START))

    def failing(payload: Any) -> None:
        raise RuntimeError("down")

    scheduler = Scheduler(bridge, functions={FUNCTION: failing})
    scheduler.create_schedule("once", "at(2026-01-01T00:01:00)", {
        "Arn": FUNCTION, "RoleArn": ROLE, "RetryPolicy": {"MaximumRetryAttempts": 0}})
    bridge.advance(timedelta(minutes=2))
    assert scheduler.metrics.get("InvocationDroppedCount", "default", "once") == 1
