"""The event bus: PutEvents, rules, targets, transformers, delivery, archives, schedules, metrics."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from eventmatch.bus import EventBridge, PermanentDeliveryError, RetryPolicy, VirtualClock
from eventmatch.errors import (
    IllegalStatusError,
    InvalidEventPatternError,
    LimitExceededError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
    ValidationError,
)
from eventmatch.schedule.parse import InvalidScheduleExpressionError
from tests.concurrency import run_against


def exact(message: str) -> str:
    return "^" + re.escape(message) + "$"


START = datetime(2026, 11, 25, 10, 0, 30, tzinfo=UTC)
DETAIL = {
    "command": "update-account",
    "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"},
    "listsingle": ["HIGH"],
    "listmulti": ["ACTIVE", "INACTIVE"],
    "valid": True,
}
ENTRY = {"Source": "core.update-account-command", "DetailType": "core.update-account-command", "Detail": json.dumps(DETAIL)}


@pytest.fixture
def bridge() -> EventBridge:
    return EventBridge(clock=VirtualClock(START), seed=1)


def catch_all(bridge: EventBridge, *targets: dict[str, Any], bus: str = "default") -> None:
    b = bridge.bus(bus)
    b.put_rule("all", {"source": ["core.update-account-command"]})
    b.put_targets("all", list(targets))


# -- PutEvents ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "code", "message"),
    [
        ({**ENTRY, "Source": None}, "InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."),
        ({**ENTRY, "DetailType": None}, "InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."),
        ({**ENTRY, "Detail": None}, "InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."),
        ({**ENTRY, "Detail": "NotJSON"}, "MalformedDetail", "Detail is malformed."),
        ({**ENTRY, "Detail": "[]"}, "MalformedDetail", "Detail is malformed."),
        ({**ENTRY, "Detail": "{{}"}, "MalformedDetail", "Detail is malformed."),
        ({**ENTRY, "Detail": '"NotJSON"'}, "MalformedDetail", "Detail is malformed."),
        ({**ENTRY, "Source": "aws.ec2"}, "NotAuthorizedForSourceException", "Not authorized for the source."),
    ],
)
def test_put_events_entry_errors_are_aws_recorded_ones(bridge: EventBridge, entry: dict[str, Any], code: str, message: str) -> None:
    response = bridge.put_events([entry, ENTRY])
    assert response["FailedEntryCount"] == 1
    assert response["Entries"][0] == {"ErrorCode": code, "ErrorMessage": message}
    assert set(response["Entries"][1]) == {"EventId"}


def test_put_events_request_limits(bridge: EventBridge) -> None:
    with pytest.raises(ValidationError, match="Member must have length less than or equal to 10"):
        bridge.put_events([ENTRY] * 11)
    with pytest.raises(ValidationError, match=exact("Total size of the entries in the request is over the limit.")):
        bridge.put_events([{**ENTRY, "Detail": json.dumps({"x": "a" * 262_144})}])


def test_put_events_builds_aws_envelope_and_routes(bridge: EventBridge) -> None:
    got: list[Any] = []
    catch_all(bridge, {"Id": "t", "Fn": got.append})
    response = bridge.put_events([{**ENTRY, "Resources": ["arn:x"], "Time": datetime(2015, 11, 11, 21, 29, 54, 123, tzinfo=UTC)}])
    event = got[0]
    assert list(event) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert event["id"] == response["Entries"][0]["EventId"]
    assert event["time"] == "2015-11-11T21:29:54Z"
    assert event["resources"] == ["arn:x"]
    assert event["detail"] == DETAIL
    bridge.put_events([ENTRY])
    assert got[1]["time"] == "2026-11-25T10:00:30Z" and got[1]["resources"] == []


def test_put_events_to_a_missing_bus_succeeds_and_drops(bridge: EventBridge) -> None:
    got: list[Any] = []
    catch_all(bridge, {"Id": "t", "Fn": got.append})
    response = bridge.put_events([{**ENTRY, "EventBusName": "nope"}])
    assert response["FailedEntryCount"] == 0 and got == []


def test_custom_buses_are_separate(bridge: EventBridge) -> None:
    bridge.create_event_bus("orders")
    on_default: list[Any] = []
    on_orders: list[Any] = []
    catch_all(bridge, {"Id": "t", "Fn": on_default.append})
    catch_all(bridge, {"Id": "t", "Fn": on_orders.append}, bus="orders")
    bridge.put_events([{**ENTRY, "EventBusName": "orders"}])
    assert len(on_orders) == 1 and on_default == []
    with pytest.raises(ResourceAlreadyExistsError, match=exact("Event bus orders already exists.")):
        bridge.create_event_bus("orders")
    with pytest.raises(ValidationError, match=exact("Cannot delete event bus default.")):
        bridge.delete_event_bus("default")
    with pytest.raises(ResourceNotFoundError, match=exact("Event bus x does not exist.")):
        bridge.delete_event_bus("x")
    assert bridge.bus("orders").rule_arn("r") == "arn:aws:events:us-east-1:123456789012:rule/orders/r"


# -- rules and targets --------------------------------------------------------------------------


def test_rule_errors(bridge: EventBridge) -> None:
    bus = bridge.bus()
    with pytest.raises(ResourceNotFoundError, match=exact("Rule nope does not exist on EventBus default.")):
        bus.describe_rule("nope")
    bus.put_rule("r", {"source": ["a"]})
    bus.put_targets("r", [{"Id": "t", "Fn": print}])
    with pytest.raises(ValidationError, match=exact("Rule can't be deleted since it has targets.")):
        bus.delete_rule("r")
    with pytest.raises(InvalidEventPatternError):
        bus.put_rule("bad", {"source": "a"})
    with pytest.raises(InvalidScheduleExpressionError, match=exact("Parameter ScheduleExpression is not valid.")):
        bus.put_rule("s", schedule_expression="rate(0 hours)")
    bridge.create_event_bus("custom")
    with pytest.raises(ValidationError, match=exact("ScheduleExpression is supported only on the default event bus.")):
        bridge.bus("custom").put_rule("s", schedule_expression="rate(1 hour)")
    assert "bad" not in [r["Name"] for r in bus.list_rules()]  # nothing half-applied


def test_target_limits_and_validation(bridge: EventBridge) -> None:
    bus = bridge.bus()
    bus.put_rule("r", {"source": ["a"]})
    with pytest.raises(LimitExceededError, match=exact("The requested resource exceeds the maximum number allowed.")):
        bus.put_targets("r", [{"Id": f"t{i}", "Fn": print} for i in range(6)])
    assert bus.list_targets("r") == []
    with pytest.raises(ValidationError, match=r"Value '!@#\$@!#\$' at 'targets.1.member.id' failed to satisfy constraint"):
        bus.put_targets("r", [{"Id": "!@#$@!#$", "Fn": print}])
    with pytest.raises(ValidationError, match="Member must have length less than or equal to 64"):
        bus.put_targets("r", [{"Id": "x" * 65, "Fn": print}])
    with pytest.raises(ValidationError, match=exact("Only one of Input, InputPath, or InputTransformer must be provided for target t.")):
        bus.put_targets("r", [{"Id": "t", "Fn": print, "InputPath": "$.detail", "Input": "{}"}])
    with pytest.raises(ValidationError, match=exact("InputTemplate for target t contains invalid placeholder notdefinedkey.")):
        bus.put_targets("r", [{"Id": "t", "Fn": print, "InputTransformer": {"InputPathsMap": {"a": "$.a"}, "InputTemplate": '{"x": <notdefinedkey>}'}}])
    with pytest.raises(ValidationError, match="maximumRetryAttempts"):
        bus.put_targets("r", [{"Id": "t", "Fn": print, "RetryPolicy": {"MaximumRetryAttempts": 186}}])
    with pytest.raises(ValidationError, match="maximumEventAgeInSeconds"):
        bus.put_targets("r", [{"Id": "t", "Fn": print, "RetryPolicy": {"MaximumEventAgeInSeconds": 59}}])
    assert bus.list_targets("r") == []
    many = EventBridge(clock=VirtualClock(START), max_targets_per_rule=8)
    many.bus().put_rule("r", {"source": ["a"]})
    many.bus().put_targets("r", [{"Id": f"t{i}", "Fn": print} for i in range(8)])


def test_disabled_rules_do_not_fire_and_reenabled_rules_do(bridge: EventBridge) -> None:
    got: list[Any] = []
    catch_all(bridge, {"Id": "t", "Fn": got.append})
    bridge.bus().disable_rule("all")
    bridge.put_events([ENTRY])
    assert got == []
    bridge.bus().enable_rule("all")
    bridge.put_events([ENTRY])
    assert len(got) == 1


def test_two_rules_one_target_get_the_same_event_id(bridge: EventBridge) -> None:
    got: list[Any] = []
    bus = bridge.bus()
    for name in ("r1", "r2"):
        bus.put_rule(name, {"source": ["core.update-account-command"]})
        bus.put_targets(name, [{"Id": "t", "Fn": got.append}])
    bridge.put_events([ENTRY])
    assert len(got) == 2 and got[0]["id"] == got[1]["id"]


# -- Input, InputPath, InputTransformer -------------------------------------------------------


def deliver(bridge: EventBridge, spec: dict[str, Any], entry: dict[str, Any] = ENTRY) -> list[Any]:
    got: list[Any] = []
    bus = bridge.bus()
    bus.put_rule("example", {"source": [entry["Source"]]})
    bus.put_targets("example", [{"Id": "t", "Fn": got.append, **spec}])
    bridge.put_events([entry])
    return got


def test_input_path_and_constant_input(bridge: EventBridge) -> None:
    assert deliver(bridge, {"InputPath": "$.detail.payload.sf_id"}) == ["baz"]
    assert deliver(EventBridge(clock=VirtualClock(START)), {"InputPath": "$.detail.payload"}) == [DETAIL["payload"]]
    assert deliver(EventBridge(clock=VirtualClock(START)), {"Input": '{"k": [1, true]}'}) == [{"k": [1, True]}]


DOC_ENTRY = {"Source": "example", "DetailType": "t", "Detail": json.dumps({"instance-id": "i-0123456789", "state": "RUNNING"}), "Resources": ["arn:r0"]}
DOC_PATHS = {"timestamp": "$.time", "instance": "$.detail.instance-id", "state": "$.detail.state", "resource": "$.resources[0]"}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('"instance <instance> is in <state>"', "instance i-0123456789 is in RUNNING"),
        ('{"instance" : <instance>, "state": <state>}', {"instance": "i-0123456789", "state": "RUNNING"}),
        ('{"instance":<instance>,"state":[9,<state>,true],"Transformed":"Yes"}', {"instance": "i-0123456789", "state": [9, "RUNNING", True], "Transformed": "Yes"}),
        ('"<aws.events.rule-name> triggered"', "example triggered"),
    ],
)
def test_documented_input_transformer_examples(bridge: EventBridge, template: str, expected: Any) -> None:
    spec = {"InputTransformer": {"InputPathsMap": DOC_PATHS, "InputTemplate": template}}
    assert deliver(bridge, spec, DOC_ENTRY) == [expected]


REC_PATHS = {"userId": "$.detail.payload.acc_id", "payload": "$.detail.payload", "listsingle": "$.detail.listsingle",
             "listmulti": "$.detail.listmulti", "systemstring": "$.detail.systemstring", "valid": "$.detail.valid",
             "detail-type": "$.detail-type", "timestamp": "$.time", "command": "$.detail.command"}
NOT_DELIVERED = object()


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{"method": "PUT", "path": "users-service/users/<userId>", "bod": <payload>}',
         {"method": "PUT", "path": "users-service/users/0a787ecb-4015", "bod": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}}),
        ('"Payload of <payload> with path users-service/users/<userId> and <userId>"',
         "Payload of {acc_id:0a787ecb-4015,sf_id:baz} with path users-service/users/0a787ecb-4015 and 0a787ecb-4015"),
        ('{"method": "PUT", "path": "users-service/users/<userId>", "bod": [<userId>, "hardcoded"]}',
         {"method": "PUT", "path": "users-service/users/0a787ecb-4015", "bod": ["0a787ecb-4015", "hardcoded"]}),
        ('{"method": "PUT", "nested": {"level1": {"level2": {"level3": "users-service/users/<userId>"} } }, "bod": "<userId>"}',
         {"method": "PUT", "nested": {"level1": {"level2": {"level3": "users-service/users/0a787ecb-4015"}}}, "bod": "0a787ecb-4015"}),
        ('"<listsingle> single list item"\n"<listmulti> multiple list items"\n"<systemstring> system account id"\n"<payload> payload"\n"<userId> user id"',
         '"[HIGH] single list item"\n"[ACTIVE,INACTIVE] multiple list items"\n" system account id"\n"{acc_id:0a787ecb-4015,sf_id:baz} payload"\n"0a787ecb-4015 user id"'),
        ('{"id" : <userId>}', {"id": "0a787ecb-4015"}),
        ('{"id" : "<userId>"}', {"id": "0a787ecb-4015"}),
        ("<listsingle> single list item", NOT_DELIVERED),
        ("<listmulti> multiple list items", NOT_DELIVERED),
        ('"<listsingle> single list item"', "[HIGH] single list item"),
        ('"<listmulti> multiple list items"', "[ACTIVE,INACTIVE] multiple list items"),
        ('{"singlelistitem": "<listsingle>", "multiplelistitems": "<listmulti>"}', NOT_DELIVERED),
        ('{"singlelistitem": "<listsingle>"}', NOT_DELIVERED),
        ('{"singlelistitem": <listsingle>}', {"singlelistitem": ["HIGH"]}),
        ('{"multi_replacement": "users/<userId>/second/<userId>"}', {"multi_replacement": "users/0a787ecb-4015/second/0a787ecb-4015"}),
        ('"Command is <valid>!"', "Command is true!"),
        ('{"payload":"<payload>"}', NOT_DELIVERED),
        ('"Event of <detail-type> type, at time <timestamp>, info extracted from detail <command>"',
         "Event of core.update-account-command type, at time 2026-11-25T10:00:30Z, info extracted from detail update-account"),
        ('"{[/Check with special starting characters for event of <detail-type> type"',
         "{[/Check with special starting characters for event of core.update-account-command type"),
        ('{"detailType": <detail-type>, "time": <timestamp>, "command": <command>}',
         {"detailType": "core.update-account-command", "time": "2026-11-25T10:00:30Z", "command": "update-account"}),
    ],
)
def test_recorded_input_transformer_results(bridge: EventBridge, template: str, expected: Any) -> None:
    got = deliver(bridge, {"InputTransformer": {"InputPathsMap": REC_PATHS, "InputTemplate": template}})
    assert got == ([] if expected is NOT_DELIVERED else [expected])


def test_missing_paths_are_empty(bridge: EventBridge) -> None:
    entry = {**ENTRY, "Detail": json.dumps({"other": 1})}
    assert deliver(bridge, {"InputTransformer": {"InputPathsMap": REC_PATHS, "InputTemplate": '{"command": <command>}'}}, entry) == [{"command": ""}]
    fresh = EventBridge(clock=VirtualClock(START))
    assert deliver(fresh, {"InputTransformer": {"InputPathsMap": REC_PATHS, "InputTemplate": '"detail <command>"'}}, entry) == ["detail "]


def test_predefined_variables(bridge: EventBridge) -> None:
    template = '{"originalEvent": <aws.events.event>, "originalEventJson": <aws.events.event.json>, "arn": "<aws.events.rule-arn>", "at": "<aws.events.event.ingestion-time>"}'
    [got] = deliver(bridge, {"InputTransformer": {"InputPathsMap": {}, "InputTemplate": template}})
    assert list(got["originalEvent"]) == ["id", "account", "detailType", "time", "source", "region", "resources", "version"]
    assert got["originalEvent"]["detailType"] == "core.update-account-command"
    assert got["originalEventJson"]["detail"] == DETAIL
    assert got["arn"] == "arn:aws:events:us-east-1:123456789012:rule/example"
    assert got["at"] == "2026-11-25T10:00:30Z"


# -- delivery: retries, dead letters, timeouts, faults ---------------------------------------


def test_retries_with_backoff_then_success(bridge: EventBridge) -> None:
    calls: list[datetime] = []

    def flaky(event: Any) -> None:
        calls.append(bridge.clock.now())
        if len(calls) < 3:
            raise RuntimeError("busy")

    catch_all(bridge, {"Id": "t", "Fn": flaky})
    bridge.put_events([ENTRY])
    assert len(calls) == 1 and bridge.pending() == 1
    bridge.advance(3600)
    assert len(calls) == 3 and bridge.pending() == 0
    assert calls[1] >= calls[0] and calls[2] >= calls[1]
    m = bridge.metrics
    assert m.get("RetryInvocationAttempts", rule="all") == 2
    assert m.get("Invocations", rule="all") == 1 and m.get("FailedInvocations", rule="all") == 0
    # one invocation created, attempted three times (the first inline, two retries)
    assert m.get("InvocationsCreated", rule="all") == 1 and m.get("InvocationAttempts", rule="all") == 3


def test_exhausted_retries_go_to_the_dead_letter_target(bridge: EventBridge) -> None:
    dead: list[tuple[Any, dict[str, Any]]] = []

    def broken(event: Any) -> None:
        raise RuntimeError("down")

    catch_all(bridge, {"Id": "t", "Fn": broken, "RetryPolicy": {"MaximumRetryAttempts": 2},
                       "DeadLetter": lambda payload, attrs: dead.append((payload, attrs))})
    bridge.put_events([ENTRY])
    bridge.advance(3600)
    [(payload, attrs)] = dead
    assert payload["detail"] == DETAIL
    assert attrs["ERROR_CODE"] == "TARGET_ERROR" and "down" in attrs["ERROR_MESSAGE"]
    assert attrs["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts" and attrs["RETRY_ATTEMPTS"] == 2
    assert attrs["RULE_ARN"].endswith(":rule/all")
    assert bridge.metrics.get("DeadLetterInvocations", rule="all") == 1
    assert bridge.metrics.get("FailedInvocations", rule="all") == 1


def test_event_age_limit_and_permanent_errors(bridge: EventBridge) -> None:
    dead: list[dict[str, Any]] = []

    def broken(event: Any) -> None:
        raise RuntimeError("down")

    def refuses(event: Any) -> None:
        raise PermanentDeliveryError("no such queue", code="NO_RESOURCE")

    catch_all(
        bridge,
        {"Id": "aged", "Fn": broken, "RetryPolicy": RetryPolicy(185, 60), "DeadLetter": lambda p, a: dead.append(a)},
        {"Id": "perm", "Fn": refuses, "DeadLetter": lambda p, a: dead.append(a)},
    )
    bridge.put_events([ENTRY])
    assert [a["ERROR_CODE"] for a in dead] == ["NO_RESOURCE"] and "EXHAUSTED_RETRY_CONDITION" not in dead[0]
    bridge.advance(3600)
    assert dead[1]["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"


def test_faults_lose_nothing() -> None:
    """Targets that raise, hang past their timeout, or are slow: every event is delivered or dead-lettered."""
    bridge = EventBridge(clock=VirtualClock(START), seed=3)
    delivered: dict[str, list[str]] = {"ok": [], "flaky": [], "slow": []}
    dead: dict[str, list[str]] = {"hang": [], "flaky": [], "broken": []}
    attempts: dict[str, int] = {}
    release = threading.Event()

    def ok(e: Any) -> None:
        delivered["ok"].append(e["id"])

    def flaky(e: Any) -> None:
        attempts[e["id"]] = attempts.get(e["id"], 0) + 1
        if attempts[e["id"]] % 3:
            raise RuntimeError("flaky")
        delivered["flaky"].append(e["id"])

    def slow(e: Any) -> None:
        time.sleep(0.002)
        delivered["slow"].append(e["id"])

    def hang(e: Any) -> None:
        release.wait(5)

    def broken(e: Any) -> None:
        raise ValueError("broken")

    bus = bridge.bus()
    bus.put_rule("all", {"source": ["core.update-account-command"]})
    bus.put_targets("all", [
        {"Id": "ok", "Fn": ok},
        {"Id": "flaky", "Fn": flaky, "RetryPolicy": {"MaximumRetryAttempts": 1}, "DeadLetter": lambda p, a: dead["flaky"].append(p["id"])},
        {"Id": "slow", "Fn": slow, "Timeout": 2.0},
        {"Id": "hang", "Fn": hang, "Timeout": 0.01, "RetryPolicy": {"MaximumRetryAttempts": 0}, "DeadLetter": lambda p, a: dead["hang"].append(p["id"])},
        {"Id": "broken", "Fn": broken, "RetryPolicy": {"MaximumRetryAttempts": 3}, "DeadLetter": lambda p, a: dead["broken"].append(p["id"])},
    ])
    ids: list[str] = []
    for _ in range(4):
        response = bridge.put_events([ENTRY] * 5)
        ids += [e["EventId"] for e in response["Entries"]]
    bridge.advance(86400)
    release.set()
    bridge.stop()
    assert bridge.pending() == 0
    # at least once: every event reached every target or its dead-letter target; duplicates are
    # allowed only where a timed-out attempt was retried
    assert sorted(delivered["ok"]) == sorted(ids)
    assert set(delivered["slow"]) == set(ids)
    assert set(delivered["flaky"]) | set(dead["flaky"]) == set(ids)
    assert not set(delivered["flaky"]) & set(dead["flaky"])
    assert sorted(dead["hang"]) == sorted(ids) and sorted(dead["broken"]) == sorted(ids)
    assert bridge.metrics.get("DeadLetterInvocations", rule="all") == len(dead["flaky"]) + 2 * len(ids)


def test_hung_synchronous_targets_do_not_starve_the_others() -> None:
    """Python cannot stop a thread: a hung call keeps its worker. Past half the pool, new calls get a
    new pool, so a target that hangs on every event does not make every other timed target time out."""
    from eventmatch.bus.delivery import TARGET_WORKERS

    bridge = EventBridge(clock=VirtualClock(START))
    release = threading.Event()
    done: list[str] = []
    dead: list[str] = []
    catch_all(
        bridge,
        {"Id": "hang", "Fn": lambda e: release.wait(30), "Timeout": 0.01, "RetryPolicy": {"MaximumRetryAttempts": 0},
         "DeadLetter": lambda p, a: dead.append(a["ERROR_CODE"])},
        {"Id": "ok", "Fn": lambda e: done.append(e["id"]), "Timeout": 5.0},
    )
    events = [{"id": f"e{i}", "source": "core.update-account-command", "detail-type": "x", "detail": {}}
              for i in range(2 * TARGET_WORKERS)]
    try:
        for event in events:
            assert bridge.publish(event) == ["all"]
        assert done == [e["id"] for e in events]  # each waited for a free worker, none timed out
        assert dead == ["TIMEOUT"] * len(events)
        assert bridge.hung_target_calls == len(events)
    finally:
        release.set()
        bridge.stop()


def test_async_targets_and_publish_async() -> None:
    bridge = EventBridge(clock=VirtualClock(START))
    got: list[str] = []
    dead: list[str] = []

    async def target(e: Any) -> None:
        await asyncio.sleep(0)
        got.append(e["id"])

    async def stuck(e: Any) -> None:
        await asyncio.sleep(10)

    catch_all(bridge, {"Id": "a", "Fn": target},
              {"Id": "s", "Fn": stuck, "Timeout": 0.01, "RetryPolicy": {"MaximumRetryAttempts": 0},
               "DeadLetter": lambda p, a: dead.append(a["ERROR_CODE"])})
    event = {"id": "e1", "source": "core.update-account-command", "detail-type": "x", "detail": {}}
    assert asyncio.run(bridge.bus().publish_async(event)) == ["all"]
    assert bridge.publish({**event, "id": "e2"}) == ["all"]
    bridge.stop()
    assert got == ["e1", "e2"] and dead == ["TIMEOUT", "TIMEOUT"]


def test_rules_can_change_while_events_flow() -> None:
    bridge = EventBridge(clock=VirtualClock(START))
    bus = bridge.bus()
    counts = {"stable": 0}

    def count(e: Any) -> None:
        counts["stable"] += 1

    bus.put_rule("stable", {"source": ["s"]})
    bus.put_targets("stable", [{"Id": "t", "Fn": count}])

    def churn(stop: threading.Event) -> None:
        i = 0
        while not stop.is_set():
            bus.put_rule(f"tmp{i % 20}", {"source": ["s"], "detail": {"n": [{"numeric": [">", i]}]}})
            if i % 3 == 0:
                bus.delete_rule(f"tmp{(i + 7) % 20}", force=True) if f"tmp{(i + 7) % 20}" in [r["Name"] for r in bus.list_rules()] else None
            i += 1

    def publish() -> None:
        for n in range(3000):
            bridge.publish({"source": "s", "detail-type": "x", "detail": {"n": n}})

    assert run_against(churn, publish) == []
    assert counts["stable"] == 3000


# -- scheduled rules, archives, metrics --------------------------------------------------------


def test_scheduled_rules_fire_on_the_virtual_clock(bridge: EventBridge) -> None:
    hourly: list[dict[str, Any]] = []
    noon: list[dict[str, Any]] = []
    bus = bridge.bus()
    bus.put_rule("hourly", schedule_expression="rate(1 hour)")
    bus.put_targets("hourly", [{"Id": "t", "Fn": hourly.append}])
    bus.put_rule("noon", schedule_expression="cron(0 12 * * ? *)")
    bus.put_targets("noon", [{"Id": "t", "Fn": noon.append}])
    bridge.advance(timedelta(days=2))
    assert len(hourly) == 48 and len(noon) == 2
    assert noon[0]["time"] == "2026-11-25T12:00:00Z" and noon[1]["time"] == "2026-11-26T12:00:00Z"
    event = noon[0]
    assert event["source"] == "aws.events" and event["detail-type"] == "Scheduled Event" and event["detail"] == {}
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/noon"]
    assert hourly[0]["time"] == "2026-11-25T11:00:30Z"  # a rate counts from the rule's creation
    bus.disable_rule("hourly")
    bridge.advance(timedelta(hours=5))
    assert len(hourly) == 48
    bus.enable_rule("hourly")
    bridge.advance(timedelta(hours=2))
    assert len(hourly) == 50


def test_schedule_only_rules_ignore_events(bridge: EventBridge) -> None:
    got: list[Any] = []
    bus = bridge.bus()
    bus.put_rule("hourly", schedule_expression="rate(1 hour)")
    bus.put_targets("hourly", [{"Id": "t", "Fn": got.append}])
    bridge.put_events([ENTRY])
    assert got == []


def test_archive_and_replay(bridge: EventBridge) -> None:
    got: list[dict[str, Any]] = []
    catch_all(bridge, {"Id": "t", "Fn": got.append})
    bridge.create_archive("arch", event_pattern={"detail": {"command": ["update-account"]}})
    bridge.put_events([ENTRY, {**ENTRY, "Detail": '{"command": "other"}'}])
    bridge.put_events([{**ENTRY, "Time": datetime(2020, 1, 1, tzinfo=UTC)}])
    assert bridge.archives.count("arch") == 2
    replay = bridge.start_replay("r1", "arch", START - timedelta(hours=1), START + timedelta(hours=1))
    assert replay["State"] == "COMPLETED" and replay["ReplayedEvents"] == 1
    assert got[-1]["replay-name"] == "r1" and got[-1]["time"] == "2026-11-25T10:00:30Z"
    assert got[-1]["id"] == got[0]["id"]
    assert bridge.archives.count("arch") == 2  # replays are not archived again
    with pytest.raises(ResourceAlreadyExistsError, match=exact("Replay r1 already exists.")):
        bridge.start_replay("r1", "arch", START, START + timedelta(hours=1))
    with pytest.raises(ValidationError, match=exact("Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.")):
        bridge.start_replay("r2", "arch", START, START)
    with pytest.raises(ValidationError, match=exact("Parameter EventSourceArn is not valid. Reason: Archive nope does not exist.")):
        bridge.start_replay("r3", "nope", START, START + timedelta(hours=1))
    bridge.bus().put_rule("other", {"source": ["core.update-account-command"]})
    other: list[Any] = []
    bridge.bus().put_targets("other", [{"Id": "t", "Fn": other.append}])
    bridge.start_replay("r4", "arch", datetime(2019, 1, 1, tzinfo=UTC), START + timedelta(hours=1), rules=["other"])
    assert len(other) == 2 and all(e["replay-name"] == "r4" for e in other)


def _archive_with(bridge: EventBridge, n: int) -> None:
    bridge.create_archive("arch")
    bridge.put_events([{**ENTRY, "Detail": json.dumps({"n": i})} for i in range(n)])


WINDOW = (START - timedelta(hours=1), START + timedelta(hours=1))


def test_a_replay_in_the_background_starts_runs_and_completes(bridge: EventBridge) -> None:
    """StartReplay returns at once in STARTING (as AWS's does); describe_replay follows the replay to
    COMPLETED, with AWS's fields (recorded: ReplayArn, Destination, ReplayStartTime, ReplayEndTime,
    EventLastReplayedTime)."""
    got: list[dict[str, Any]] = []
    catch_all(bridge, {"Id": "t", "Fn": got.append})
    _archive_with(bridge, 5)
    got.clear()
    started = bridge.start_replay("bg", "arch", *WINDOW, wait=False)
    assert started["State"] in ("STARTING", "RUNNING", "COMPLETED")  # the thread may be quick
    assert started["ReplayArn"] == "arn:aws:events:us-east-1:123456789012:replay/bg"
    done = bridge.wait_replay("bg", timeout=10)
    assert done["State"] == "COMPLETED" and done["ReplayedEvents"] == 5
    assert done["Destination"] == {"Arn": "arn:aws:events:us-east-1:123456789012:event-bus/default"}
    assert done["ReplayStartTime"] == START and done["ReplayEndTime"] == START
    assert done["EventLastReplayedTime"] == START
    assert sorted(e["detail"]["n"] for e in got) == [0, 1, 2, 3, 4]
    assert all(e["replay-name"] == "bg" for e in got)
    assert [r["ReplayName"] for r in bridge.list_replays()] == ["bg"]
    assert bridge.list_replays(state="RUNNING") == [] and bridge.list_replays(name_prefix="x") == []


def test_a_cancelled_replay_stops_before_its_next_event(bridge: EventBridge) -> None:
    """CancelReplay: CANCELLING at once (recorded), then CANCELLED once the event being delivered is done;
    the rest are not replayed. Cancelling it again, or a completed replay, is an IllegalStatusException;
    an unknown replay is not found."""
    gate, entered = threading.Event(), threading.Event()
    got: list[dict[str, Any]] = []

    def slow(event: dict[str, Any]) -> None:
        if "replay-name" in event:
            entered.set()
            assert gate.wait(10)
        got.append(event)

    catch_all(bridge, {"Id": "t", "Fn": slow})
    _archive_with(bridge, 5)
    got.clear()
    bridge.start_replay("c", "arch", *WINDOW, wait=False)
    assert entered.wait(10)
    assert bridge.describe_replay("c")["State"] == "RUNNING"
    cancelled = bridge.cancel_replay("c")
    assert cancelled == {"ReplayArn": "arn:aws:events:us-east-1:123456789012:replay/c", "State": "CANCELLING"}
    assert bridge.describe_replay("c")["State"] == "CANCELLING"
    gate.set()
    done = bridge.wait_replay("c", timeout=10)
    assert done["State"] == "CANCELLED" and done["ReplayedEvents"] == 1 and len(got) == 1
    message = "An error occurred because a replay can be canceled only when the state is Running or Starting."
    with pytest.raises(IllegalStatusError, match=exact(message)) as caught:
        bridge.cancel_replay("c")
    assert caught.value.code == "IllegalStatusException"
    bridge.start_replay("whole", "arch", *WINDOW)
    with pytest.raises(IllegalStatusError):
        bridge.cancel_replay("whole")
    with pytest.raises(ResourceNotFoundError, match=exact("Replay nope does not exist.")):
        bridge.cancel_replay("nope")
    with pytest.raises(ResourceNotFoundError, match=exact("Replay nope does not exist.")):
        bridge.wait_replay("nope")


def test_stop_cancels_the_replays_running_in_the_background(bridge: EventBridge) -> None:
    gate, entered = threading.Event(), threading.Event()

    def slow(event: dict[str, Any]) -> None:
        if "replay-name" in event:
            entered.set()
            assert gate.wait(10)

    catch_all(bridge, {"Id": "t", "Fn": slow})
    _archive_with(bridge, 3)
    bridge.start_replay("bg", "arch", *WINDOW, wait=False)
    bridge.start_replay("done", "arch", *WINDOW, rules=["nothing"])
    assert entered.wait(10)
    bridge.stop()
    assert bridge.describe_replay("bg")["State"] == "CANCELLING"
    gate.set()
    assert bridge.wait_replay("bg", timeout=10)["State"] == "CANCELLED"
    assert bridge.describe_replay("done")["State"] == "COMPLETED"


def test_at_most_ten_replays_are_active(bridge: EventBridge) -> None:
    """The eleventh active replay is refused with the message AWS gives (recorded), and nothing of it is
    kept; once one ends, a new one may start."""
    gate = threading.Event()
    catch_all(bridge, {"Id": "t", "Fn": lambda e: "replay-name" not in e or gate.wait(10)})
    _archive_with(bridge, 1)
    for i in range(10):
        bridge.start_replay(f"r{i}", "arch", *WINDOW, wait=False)
    with pytest.raises(LimitExceededError, match=exact("The requested resource exceeds the maximum number allowed.")):
        bridge.start_replay("r10", "arch", *WINDOW, wait=False)
    with pytest.raises(ResourceNotFoundError):
        bridge.describe_replay("r10")
    gate.set()
    assert all(bridge.wait_replay(f"r{i}", timeout=10)["State"] == "COMPLETED" for i in range(10))
    assert bridge.start_replay("r10", "arch", *WINDOW)["State"] == "COMPLETED"


def test_start_replay_names_what_is_wrong_and_keeps_nothing(bridge: EventBridge) -> None:
    _archive_with(bridge, 1)
    with pytest.raises(ValidationError, match=exact(
        "1 validation error detected: Value 'bad name' at 'replayName' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length 1 to 64"
    )):
        bridge.start_replay("bad name", "arch", *WINDOW)
    with pytest.raises(TypeError, match="start must be a datetime, not str"):
        bridge.start_replay("r", "arch", "2026-11-25", WINDOW[1])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        bridge.start_replay("r", "arch", WINDOW[0], datetime(2026, 11, 26))
    with pytest.raises(TypeError, match="rules must be a list of rule names or ARNs"):
        bridge.start_replay("r", "arch", *WINDOW, rules="all")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=exact(
        "1 validation error detected: Value 'DONE' at 'state' failed to satisfy constraint: Member must satisfy "
        "enum value set: [STARTING, RUNNING, CANCELLING, COMPLETED, CANCELLED, FAILED]"
    )):
        bridge.list_replays(state="DONE")
    assert bridge.list_replays() == []  # nothing half-made
    assert bridge.start_replay("r", "arch", *WINDOW)["State"] == "COMPLETED"


def test_a_replay_that_breaks_fails_and_says_why(bridge: EventBridge, monkeypatch: pytest.MonkeyPatch) -> None:
    _archive_with(bridge, 2)

    def broken(event: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bridge.bus(), "matching_rules", broken)
    done = bridge.start_replay("f", "arch", *WINDOW)
    assert done["State"] == "FAILED" and done["StateReason"] == "RuntimeError: disk on fire"
    assert done["ReplayedEvents"] == 0


def test_archive_retention(bridge: EventBridge) -> None:
    bridge.create_archive("short", retention_days=1)
    bridge.put_events([ENTRY])
    assert bridge.archives.count("short") == 1
    bridge.advance(timedelta(days=2))
    assert bridge.archives.count("short") == 0


def test_metrics_per_rule_and_bus(bridge: EventBridge) -> None:
    catch_all(bridge, {"Id": "t", "Fn": lambda e: None})
    bridge.put_events([ENTRY, ENTRY])
    m = bridge.metrics
    assert m.get("MatchedEvents", rule="all") == 2 and m.get("MatchedEvents") == 2
    assert m.get("TriggeredRules", rule="all") == 2 and m.get("Invocations", rule="all") == 2
    assert m.summary("IngestionToInvocationStartLatency", rule="all").count == 2
    assert m.get("InvocationsCreated", rule="all") == m.get("InvocationAttempts", rule="all") == 2
    assert "default/all/Invocations" in m.snapshot()


def test_metrics_of_invocations_and_of_put_events(bridge: EventBridge) -> None:
    """InvocationsCreated: one per target of each matched rule; InvocationAttempts: one per call,
    retries included; PutEventsRequestSize and PutEventsLatency: per PutEvents call, for the account."""
    from eventmatch.bus.entries import entry_size

    calls = {"n": 0}

    def fails_once(e: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("busy")

    catch_all(
        bridge,
        {"Id": "inline", "Fn": lambda e: None},
        {"Id": "flaky", "Fn": fails_once},
        {"Id": "shaped", "Fn": lambda e: None, "InputPath": "$.detail"},
    )
    bridge.put_events([ENTRY, ENTRY])
    bridge.advance(3600)
    m = bridge.metrics
    assert m.get("InvocationsCreated", rule="all") == 6  # 2 events x 3 targets
    assert m.get("InvocationAttempts", rule="all") == 7  # and one retry
    assert m.get("InvocationAttempts") == 7  # the bus total
    size = m.summary("PutEventsRequestSize", bus=None)
    assert size.count == 1 and size.total == 2 * entry_size(ENTRY)
    assert m.summary("PutEventsLatency", bus=None).count == 1
    assert m.snapshot()["default/*/InvocationsCreated"] == 6


def test_metrics_exact_under_concurrent_publishers_and_readers() -> None:
    """Routed events are counted without a lock on the hot path; no count is lost across threads or folds."""
    bridge = EventBridge(clock=VirtualClock(START))
    bus = bridge.bus()
    bus.put_rule("a", {"source": ["s"]})
    bus.put_targets("a", [{"Id": "1", "Fn": lambda e: None}, {"Id": "2", "Fn": lambda e: None}])
    bus.put_rule("b", {"detail": {"n": [{"numeric": [">=", 0]}]}})
    per_thread, threads = 3 * bridge.metrics.FOLD_AT, 4

    def publish() -> None:
        for i in range(per_thread):
            bus.publish({"source": "s", "detail": {"n": i}})

    def read(stop: threading.Event) -> None:
        while not stop.is_set():
            bridge.metrics.snapshot()

    assert run_against(read, publish, threads=threads) == []
    m, total = bridge.metrics, per_thread * threads
    assert m.get("MatchedEvents", rule="a") == m.get("MatchedEvents", rule="b") == total
    assert m.get("MatchedEvents") == 2 * total and m.get("TriggeredRules") == 2 * total
    assert m.get("Invocations", rule="a") == 2 * total and m.get("Invocations", rule="b") == 0
    assert m.get("InvocationAttempts", rule="a") == m.get("InvocationsCreated", rule="a") == 2 * total
    latency = m.summary("IngestionToInvocationStartLatency", rule="a")
    assert latency.count == 2 * total and latency.maximum == 0.0


def test_ticket_tells_when_every_delivery_is_over() -> None:
    """route(ticket=...) runs on_done once, after the last delivery is delivered or dead-lettered."""
    from eventmatch.bus import Ticket

    bridge = EventBridge(clock=VirtualClock(START), seed=1)
    bus = bridge.bus()
    calls = {"n": 0}

    def flaky(event: Any) -> None:
        calls["n"] += 1
        if calls["n"] < 3:
            raise RuntimeError("not yet")

    dead: list[Any] = []
    bus.put_rule("r", {"source": ["s"]})
    bus.put_targets("r", [
        {"Id": "ok", "Fn": lambda e: None},
        {"Id": "flaky", "Fn": flaky},
        {"Id": "doomed", "Fn": lambda e: 1 / 0, "RetryPolicy": {"MaximumRetryAttempts": 1},
         "DeadLetter": lambda p, a: dead.append(a)},
        {"Id": "shaped", "Fn": lambda e: None, "InputPath": "$.detail"},
    ])
    done: list[int] = []
    ticket = Ticket(lambda: done.append(1))
    assert bridge.route({"source": "s", "detail": {}}, ticket=ticket) == ["r"]
    assert done == [] and ticket.outstanding == 2  # flaky and doomed wait for retries
    bridge.advance(3600)
    assert done == [1] and ticket.outstanding == 0 and len(dead) == 1 and calls["n"] == 3

    quick = Ticket(lambda: done.append(2))
    bridge.route({"source": "nobody"}, ticket=quick)  # nothing matched: done at once
    assert done == [1, 2]
