"""Every way an event reaches a rule (publish, PutEvents, a scheduled fire, a replay, route(only=)) goes through
one router: the same deliveries, the same metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from eventmatch import EventBridge, PermanentDeliveryError, VirtualClock

START = datetime(2026, 1, 1, tzinfo=UTC)
IGNORED = ("id", "time", "replay-name")  # what differs by path by design: a new id, the time, the replay's name


def _bridge() -> tuple[EventBridge, dict[str, list[Any]]]:
    """A rule that both matches scheduled events and fires every minute, with one target of each kind."""
    bridge = EventBridge(clock=VirtualClock(START), seed=7)
    got: dict[str, list[Any]] = {"plain": [], "input": [], "transformed": [], "broken": [], "dead": []}

    def broken(event: Any) -> None:
        got["broken"].append(event)
        raise PermanentDeliveryError("no such queue")

    bus = bridge.bus()
    bus.put_rule("r", {"source": ["aws.events"], "detail-type": ["Scheduled Event"]},
                 schedule_expression="rate(1 minute)")
    bus.put_targets("r", [
        {"Id": "plain", "Fn": got["plain"].append},
        {"Id": "input", "Fn": got["input"].append, "Input": '{"fixed": 1}'},
        {"Id": "transformed", "Fn": got["transformed"].append,
         "InputTransformer": {"InputPathsMap": {"src": "$.source"}, "InputTemplate": '{"from": <src>}'}},
        {"Id": "broken", "Fn": broken, "DeadLetter": lambda p, a: got["dead"].append(a["ERROR_CODE"])},
    ])
    return bridge, got


def _event(bridge: EventBridge) -> dict[str, Any]:
    return {"version": "0", "id": "e-1", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": bridge.account, "time": "2026-01-01T00:01:00Z", "region": bridge.region,
            "resources": [bridge.bus().rule_arn("r")], "detail": {}}


def _by_publish(bridge: EventBridge) -> None:
    assert bridge.publish(_event(bridge)) == ["r"]


def _by_put_events(bridge: EventBridge) -> None:
    answer = bridge.put_events([{"Source": "aws.events", "DetailType": "Scheduled Event", "Detail": "{}",
                                 "Resources": [bridge.bus().rule_arn("r")]}])
    assert answer["Entries"][0].get("ErrorCode") == "NotAuthorizedForSourceException"  # AWS's rule for aws.*
    # PutEvents refuses aws.* sources; the same entry path with a custom bus name in between is the router's too
    bridge.bus().put_rule("r", {"source": ["aws.events", "custom.events"], "detail-type": ["Scheduled Event"]},
                          schedule_expression="rate(1 minute)")
    answer = bridge.put_events([{"Source": "custom.events", "DetailType": "Scheduled Event", "Detail": "{}",
                                 "Resources": [bridge.bus().rule_arn("r")]}])
    assert answer["FailedEntryCount"] == 0


def _by_schedule(bridge: EventBridge) -> None:
    assert bridge.advance(60) >= 1


def _by_replay(bridge: EventBridge) -> None:
    bridge.start_replay("again", "arch", START - timedelta(days=1), START + timedelta(days=1))


def _by_route_only(bridge: EventBridge) -> None:
    assert bridge.route(_event(bridge), only=["r", "other"]) == ["r"]


PATHS = {"publish": _by_publish, "put_events": _by_put_events, "schedule": _by_schedule, "replay": _by_replay,
         "route(only=)": _by_route_only}


def _run(path: str) -> tuple[dict[str, list[Any]], dict[str, int]]:
    bridge, got = _bridge()
    if path == "replay":  # archive the event before the rule sees it, so only the replay counts
        bridge.bus().put_rule("r", {"source": ["nothing"]})
        bridge.create_archive("arch")
        bridge.publish(_event(bridge))
        bridge.bus().put_rule("r", {"source": ["aws.events"], "detail-type": ["Scheduled Event"]},
                              schedule_expression="rate(1 minute)")
    PATHS[path](bridge)
    bridge.run_pending()
    delivered = {k: [{f: v for f, v in p.items() if f not in IGNORED} if isinstance(p, dict) else p for p in ps]
                 for k, ps in got.items()}
    if path == "put_events":  # the source differs by AWS's rule on aws.* sources, nothing else
        for payloads in delivered.values():
            for p in payloads:
                if isinstance(p, dict) and "source" in p:
                    p["source"] = "aws.events"
                if isinstance(p, dict) and p.get("from") == "custom.events":
                    p["from"] = "aws.events"
    metrics = {k: v for k, v in bridge.metrics.snapshot().items() if k.startswith("default/r/")}
    return delivered, metrics


@pytest.mark.parametrize("path", [p for p in PATHS if p != "publish"])
def test_every_path_delivers_and_counts_as_publish_does(path: str) -> None:
    expected_deliveries, expected_metrics = _run("publish")
    assert expected_deliveries["plain"] and expected_deliveries["dead"] == ["NO_RESOURCE"]
    assert expected_metrics["default/r/MatchedEvents"] == 1 and expected_metrics["default/r/TriggeredRules"] == 1
    deliveries, metrics = _run(path)
    assert deliveries == expected_deliveries
    assert metrics == expected_metrics
