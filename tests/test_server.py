"""``eventmatch serve`` driven by AWS's own clients, unmocked: boto3, and the AWS CLI in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")
pytest.importorskip("starlette")
from botocore.exceptions import ClientError  # noqa: E402

from eventmatch import EventBridge, VirtualClock  # noqa: E402
from eventmatch.server import Server  # noqa: E402
from tests.aws_clients import aws_error as _error  # noqa: E402
from tests.aws_clients import client as _client  # noqa: E402

RECORDED = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "aws-recorded"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[Server]:
    with Server(EventBridge(clock=VirtualClock(START))) as running:
        yield running


@pytest.fixture
def events(server: Server) -> Any:
    return _client("events", server.endpoint_url)


def _get(server: Server, path: str) -> Any:
    with urllib.request.urlopen(server.endpoint_url + path, timeout=10) as answer:
        return json.loads(answer.read())


def test_rules_targets_and_put_events_with_boto3(server: Server, events: Any) -> None:
    assert events.create_event_bus(Name="orders")["EventBusArn"].endswith(":event-bus/orders")
    arn = events.put_rule(Name="big", EventBusName="orders",
                          EventPattern=json.dumps({"detail": {"total": [{"numeric": [">", 100]}]}}))["RuleArn"]
    assert arn == "arn:aws:events:us-east-1:123456789012:rule/orders/big"
    queue = "arn:aws:sqs:us-east-1:123456789012:orders-queue"
    assert events.put_targets(Rule="big", EventBusName="orders", Targets=[
        {"Id": "q", "Arn": queue, "InputTransformer": {"InputPathsMap": {"t": "$.detail.total"},
                                                        "InputTemplate": '{"total": <t>}'}}])["FailedEntryCount"] == 0
    answer = events.put_events(Entries=[
        {"Source": "shop", "DetailType": "Order", "Detail": json.dumps({"total": 150}), "EventBusName": "orders"},
        {"Source": "shop", "DetailType": "Order", "Detail": json.dumps({"total": 50}), "EventBusName": "orders"},
        {"Source": "shop", "DetailType": "Order", "Detail": "not json", "EventBusName": "orders"},
    ])
    assert answer["FailedEntryCount"] == 1 and answer["Entries"][2]["ErrorCode"] == "MalformedDetail"
    delivered = _get(server, f"/_eventmatch/deliveries?arn={queue}")["Deliveries"]
    assert [d["payload"] for d in delivered] == [{"total": 150}]
    described = events.describe_rule(Name="big", EventBusName="orders")
    assert described["State"] == "ENABLED" and json.loads(described["EventPattern"])["detail"]
    events.disable_rule(Name="big", EventBusName="orders")
    assert events.describe_rule(Name="big", EventBusName="orders")["State"] == "DISABLED"
    assert [r["Name"] for r in events.list_rules(EventBusName="orders")["Rules"]] == ["big"]
    assert events.list_rule_names_by_target(TargetArn=queue, EventBusName="orders")["RuleNames"] == ["big"]
    assert [t["Id"] for t in events.list_targets_by_rule(Rule="big", EventBusName="orders")["Targets"]] == ["q"]
    assert events.test_event_pattern(EventPattern='{"source": ["a"]}', Event=json.dumps(
        {"id": "1", "account": "1", "source": "a", "time": "t", "region": "r", "detail-type": "d"}))["Result"]
    events.remove_targets(Rule="big", EventBusName="orders", Ids=["q"])
    events.delete_rule(Name="big", EventBusName="orders")
    events.delete_event_bus(Name="orders")
    assert [b["Name"] for b in events.list_event_buses()["EventBuses"]] == ["default"]


def test_paging_with_limit_and_next_token(events: Any) -> None:
    for i in range(5):
        events.put_rule(Name=f"r{i}", EventPattern='{"source": ["a"]}')
    first = events.list_rules(Limit=2)
    second = events.list_rules(Limit=2, NextToken=first["NextToken"])
    third = events.list_rules(Limit=2, NextToken=second["NextToken"])
    assert [r["Name"] for p in (first, second, third) for r in p["Rules"]] == [f"r{i}" for i in range(5)]
    assert "NextToken" not in third


def test_errors_have_aws_codes_and_messages(events: Any) -> None:
    assert _error(events.describe_rule, Name="nope") == (
        400, "ResourceNotFoundException", "Rule nope does not exist on EventBus default.")
    assert _error(events.put_rule, Name="bad", EventPattern='{"source": []}')[1:] == (
        "InvalidEventPatternException",
        'Event pattern is not valid. Reason: Empty arrays are not allowed\n at [Source: (String)"{"source": []}"; '
        "line: 1, column: 14]")
    assert _error(events.put_rule, Name="s", ScheduleExpression="rate(5 minute)")[1:] == (
        "ValidationException", "Parameter ScheduleExpression is not valid.")
    events.put_rule(Name="r", EventPattern='{"source": ["a"]}')
    targets = [{"Id": f"t{i}", "Arn": f"arn:aws:sqs:us-east-1:123456789012:q{i}"} for i in range(6)]
    assert _error(events.put_targets, Rule="r", Targets=targets)[1:] == (
        "LimitExceededException", "The requested resource exceeds the maximum number allowed.")
    events.put_targets(Rule="r", Targets=targets[:1])
    assert _error(events.delete_rule, Name="r")[1:] == ("ValidationException", "Rule can't be deleted since it has targets.")


def _recorded_errors() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(test, step, action, the recorded error) for the errors this server's actions can be asked for."""
    path = RECORDED / "test_events.snapshot.json"
    if not path.exists():
        return []
    recorded = json.loads(path.read_text())
    wanted = {
        "test_describe_delete_not_existing_event_bus": [("describe-not-existing-event-bus-error", "describe_event_bus"),
                                                        ("delete-not-existing-event-bus", "delete_event_bus")],
        "test_delete_default_event_bus": None,
        "test_create_multiple_event_buses_same_name": None,
        "test_describe_nonexistent_rule": None,
        "test_delete_rule_with_targets": None,
        "test_add_exceed_fife_targets_per_rule": None,
    }
    out = []
    for key, value in recorded.items():
        name = key.split("::")[-1].split("[")[0]
        if name not in wanted:
            continue
        for step, content in value["recorded-content"].items():
            if isinstance(content, dict) and "Error" in content:
                out.append((name, step, "", content))
    return out


@pytest.mark.skipif(not RECORDED.exists(), reason="../shared/reference/aws-recorded is not there")
def test_recorded_aws_errors_replayed_over_the_wire(events: Any) -> None:
    """AWS's recorded answers (status, code, message) for the same requests, the placeholders filled in."""
    found = {name: content for name, _, _, content in _recorded_errors()}
    assert len(found) == 6

    def same(name: str, call: Any, **params: Any) -> None:
        want = found[name]
        message = want["Error"]["Message"]
        for placeholder, value in (("<bus-name>", params.get("Name", "")), ("<rule-name>", params.get("Name", ""))):
            message = message.replace(placeholder, str(value))
        assert _error(call, **params) == (want["ResponseMetadata"]["HTTPStatusCode"], want["Error"]["Code"], message)

    same("test_describe_delete_not_existing_event_bus", events.describe_event_bus, Name="no-such-bus")
    same("test_delete_default_event_bus", events.delete_event_bus, Name="default")
    events.create_event_bus(Name="twice")
    same("test_create_multiple_event_buses_same_name", events.create_event_bus, Name="twice")
    same("test_describe_nonexistent_rule", events.describe_rule, Name="no-such-rule")
    events.put_rule(Name="has-targets", EventPattern='{"source": ["a"]}')
    events.put_targets(Rule="has-targets", Targets=[{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:1:q"}])
    same("test_delete_rule_with_targets", events.delete_rule, Name="has-targets")
    targets = [{"Id": f"t{i}", "Arn": "arn:aws:sqs:us-east-1:1:q"} for i in range(6)]
    same("test_add_exceed_fife_targets_per_rule", events.put_targets, Rule="has-targets", Targets=targets)


@pytest.mark.parametrize(
    ("headers", "body", "status", "code"),
    [
        ({}, b"{}", 400, "UnknownOperationException"),
        ({"X-Amz-Target": "AWSEvents.NoSuchAction"}, b"{}", 400, "UnknownOperationException"),
        ({"X-Amz-Target": "Other.PutRule"}, b"{}", 400, "UnknownOperationException"),
        ({"X-Amz-Target": "AWSEvents.PutRule"}, b"{not json", 400, "SerializationException"),
        ({"X-Amz-Target": "AWSEvents.PutRule"}, b"[1, 2]", 400, "SerializationException"),
        ({"X-Amz-Target": "AWSEvents.PutRule", "Content-Type": "text/plain"}, b'{"Name": 5}', 400,
         "ValidationException"),
        ({"X-Amz-Target": "AWSEvents.PutEvents"}, b'{"Entries": "' + b"x" * (2 * 1024 * 1024) + b'"}', 413,
         "ValidationException"),
    ],
)
def test_malformed_requests_get_aws_error_shapes(server: Server, headers: dict[str, str], body: bytes, status: int,
                                                 code: str) -> None:
    request = urllib.request.Request(server.endpoint_url + "/", data=body, method="POST",
                                     headers={"Content-Type": "application/x-amz-json-1.1", **headers})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == status
    answer = json.loads(info.value.read())
    assert answer["__type"] == code and answer["message"]
    assert "Traceback" not in json.dumps(answer)


def test_a_scheduled_rule_fires_when_the_virtual_clock_is_advanced_over_http(server: Server, events: Any) -> None:
    events.put_rule(Name="minutely", ScheduleExpression="rate(1 minute)")
    events.put_targets(Rule="minutely", Targets=[{"Id": "t", "Arn": "arn:aws:lambda:us-east-1:123456789012:function:f"}])
    request = urllib.request.Request(server.endpoint_url + "/_eventmatch/clock", data=b'{"advance": 180}',
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert json.loads(answer.read())["now"] == "2026-01-01T00:03:00+00:00"
    delivered = _get(server, "/_eventmatch/deliveries")["Deliveries"]
    assert [d["payload"]["detail-type"] for d in delivered] == ["Scheduled Event"] * 3
    # each delivered at its time on the server's clock, not the system's
    assert [d["time"] for d in delivered] == [f"2026-01-01T00:0{m}:00+00:00" for m in (1, 2, 3)]
    assert [a["time"] for a in server.state.attempts] == [START.timestamp() + 60 * m for m in (1, 2, 3)]
    assert _get(server, "/_eventmatch/metrics")["Metrics"]["default/minutely/TriggeredRules"] == 3


def test_the_pytest_fixture_gives_an_endpoint(eventmatch_server: Any, eventbridge: EventBridge) -> None:
    client = _client("events", eventmatch_server.endpoint_url)
    client.put_rule(Name="from-boto3", EventPattern='{"source": ["a"]}')
    assert eventbridge.bus().describe_rule("from-boto3")["Name"] == "from-boto3"  # the same bridge, in process


AWS = Path(sys.executable).parent / "aws"


@pytest.mark.skipif(not AWS.exists() and shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_the_aws_cli_talks_to_the_server(server: Server) -> None:
    command = [str(AWS) if AWS.exists() else "aws", "events", "--endpoint-url", server.endpoint_url, "--output", "json"]
    env = {**os.environ, **CREDENTIALS}

    def aws(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120, env=env)

    made = aws("put-rule", "--name", "cli-rule", "--event-pattern", '{"source": ["aws.ec2"]}')
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["RuleArn"].endswith(":rule/cli-rule")
    listed = aws("list-rules")
    assert [r["Name"] for r in json.loads(listed.stdout)["Rules"]] == ["cli-rule"]
    missing = aws("describe-rule", "--name", "nope")
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr
    assert "Rule nope does not exist on EventBus default." in missing.stderr
    put = aws("put-events", "--entries", json.dumps([{"Source": "cli", "DetailType": "t", "Detail": "{}"}]))
    assert json.loads(put.stdout)["FailedEntryCount"] == 0


@pytest.mark.parametrize("stop", ["SIGINT", "SIGINT, ignored when started", "SIGTERM"])
def test_eventmatch_serve_as_a_process(stop: str) -> None:
    import signal

    from tests.test_cli import COMMAND

    def ignore_sigint() -> None:  # as a shell without job control starts a job in the background
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    process = subprocess.Popen([*COMMAND, "serve", "--port", "0", "--virtual-clock", "2026-01-01T00:00:00"],
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=ignore_sigint if "ignored" in stop else None)
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert "EventBridge API at http://127.0.0.1:" in line, line
        assert "loopback only; other origins refused; see docs/security.md" in line and "(console: http://" in line
        url = line.split(" at ", 1)[1].split()[0]
        client = _client("events", url)
        client.put_rule(Name="p", EventPattern='{"source": ["a"]}')
        assert [r["Name"] for r in client.list_rules()["Rules"]] == ["p"]
        with urllib.request.urlopen(url + "/_eventmatch/clock", timeout=10) as answer:
            assert json.loads(answer.read()) == {"now": "2026-01-01T00:00:00+00:00", "virtual": True}
    finally:
        process.send_signal(signal.SIGTERM if stop == "SIGTERM" else signal.SIGINT)
        assert process.wait(timeout=20) == 0  # stopped in order, whichever way


def _recorded(file: str, test: str, step: str) -> tuple[int, str, str]:
    recorded = json.loads((RECORDED / file).read_text())
    for key, value in recorded.items():
        if key.split("::")[-1] == test:
            want = value["recorded-content"][step]
            return want["ResponseMetadata"]["HTTPStatusCode"], want["Error"]["Code"], want["Error"]["Message"]
    raise KeyError(test)


@pytest.mark.skipif(not RECORDED.exists(), reason="../shared/reference/aws-recorded is not there")
def test_archives_and_replays_over_the_wire_as_aws_recorded(server: Server, events: Any) -> None:
    file = "test_archive_and_replay.snapshot.json"
    bus_arn = events.describe_event_bus()["Arn"]
    made = events.create_archive(ArchiveName="arch", EventSourceArn=bus_arn, RetentionDays=1,
                                 Description="description of the archive")
    assert made["State"] == "ENABLED" and made["ArchiveArn"] == "arn:aws:events:us-east-1:123456789012:archive/arch"
    events.put_events(Entries=[{"Source": "shop", "DetailType": "Order", "Detail": "{}"}] * 3)
    server.inbox.wait_idle()  # PutEvents answered before routing (and archiving) its events
    described = events.describe_archive(ArchiveName="arch")
    assert described["EventCount"] == 3 and described["SizeBytes"] > 0 and described["RetentionDays"] == 1
    assert [a["ArchiveName"] for a in events.list_archives(NamePrefix="ar")["Archives"]] == ["arch"]
    events.update_archive(ArchiveName="arch", Description="changed")
    assert events.describe_archive(ArchiveName="arch")["Description"] == "changed"

    def same(test: str, step: str, call: Any, names: dict[str, str], **params: Any) -> None:
        status, code, message = _recorded(file, test, step)
        for placeholder, value in names.items():
            message = message.replace(placeholder, value)
        assert _error(call, **params) == (status, code, message)

    same("test_create_archive_error_duplicate[default]", "create-archive-duplicate-error", events.create_archive,
         {"<archive-name>": "arch"}, ArchiveName="arch", EventSourceArn=bus_arn)
    same("test_create_archive_error_unknown_event_bus", "create-archive-unknown-event-bus-error",
         events.create_archive, {"<event-bus-name>": "nobus"}, ArchiveName="other",
         EventSourceArn=bus_arn.replace("/default", "/nobus"))
    same("test_describe_archive_error_unknown_archive", "describe-archive-unknown-archive-error",
         events.describe_archive, {"<archive-name>": "none"}, ArchiveName="none")
    same("test_update_archive_error_unknown_archive", "update-archive-unknown-archive-error", events.update_archive,
         {}, ArchiveName="none")
    same("test_delete_archive_error_unknown_archive", "delete-archive-unknown-archive-error", events.delete_archive,
         {"<archive-name>": "none"}, ArchiveName="none")
    window = {"EventStartTime": datetime(2025, 12, 31, tzinfo=UTC), "EventEndTime": datetime(2026, 1, 2, tzinfo=UTC)}
    started = events.start_replay(ReplayName="again", EventSourceArn=made["ArchiveArn"],
                                  Destination={"Arn": bus_arn}, **window)
    assert started["State"] == "STARTING"
    server.bridge.advance(1)  # on a virtual clock, a replay completes when the clock next moves
    server.bridge.wait_replay("again", 10)
    replay = events.describe_replay(ReplayName="again")
    assert replay["State"] == "COMPLETED" and replay["EventSourceArn"] == made["ArchiveArn"]
    assert [r["ReplayName"] for r in events.list_replays()["Replays"]] == ["again"]
    same("test_start_replay_error_duplicate_name_same_archive", "start-replay-duplicate-error", events.start_replay,
         {"<replay-name>": "again"}, ReplayName="again", EventSourceArn=made["ArchiveArn"],
         Destination={"Arn": bus_arn}, **window)
    same("test_start_replay_error_unknown_archive", "start-replay-unknown-archive-error", events.start_replay,
         {"<archive-name>": "none"}, ReplayName="r2", Destination={"Arn": bus_arn},
         EventSourceArn=made["ArchiveArn"].replace("/arch", "/none"), **window)
    same("test_start_replay_error_invalid_end_time[0]", "start-replay-invalid-end-time-error", events.start_replay,
         {}, ReplayName="r3", EventSourceArn=made["ArchiveArn"], Destination={"Arn": bus_arn},
         EventStartTime=window["EventEndTime"], EventEndTime=window["EventStartTime"])
    events.create_event_bus(Name="elsewhere")
    same("test_start_replay_error_unknown_event_bus", "start-replay-wrong-event-bus-error", events.start_replay,
         {}, ReplayName="r4", EventSourceArn=made["ArchiveArn"],
         Destination={"Arn": bus_arn.replace("/default", "/elsewhere")}, **window)
    same("test_describe_replay_error_unknown_replay", "describe-replay-unknown-replay-error", events.describe_replay,
         {"<replay-name>": "none"}, ReplayName="none")
    events.delete_archive(ArchiveName="arch")
    assert events.list_archives()["Archives"] == []


@pytest.mark.skipif(not RECORDED.exists(), reason="../shared/reference/aws-recorded is not there")
def test_tags_over_the_wire_as_aws_recorded(events: Any) -> None:
    file = "test_events_tags.snapshot.json"
    bus_arn = events.create_event_bus(Name="tagged", Tags=[{"Key": "tag1", "Value": "value1"}])["EventBusArn"]
    rule_arn = events.put_rule(Name="r", EventBusName="tagged", EventPattern='{"source": ["a"]}',
                               Tags=[{"Key": "tag1", "Value": "value1"}, {"Key": "tag2", "Value": "value2"}])["RuleArn"]
    for arn in (bus_arn, rule_arn):
        events.tag_resource(ResourceARN=arn, Tags=[{"Key": "tag2", "Value": "value2"}])
        assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
            {"Key": "tag1", "Value": "value1"}, {"Key": "tag2", "Value": "value2"}]
        events.untag_resource(ResourceARN=arn, TagKeys=["tag2", "not-there"])
        assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "tag1", "Value": "value1"}]
    events.delete_rule(Name="r", EventBusName="tagged")
    status, code, message = _recorded(file, "test_list_tags_for_deleted_rule", "list_tags_for_deleted_rule_error")
    message = message.replace("<rule_name>", "r").replace("<bus_name>", "tagged")
    assert _error(events.list_tags_for_resource, ResourceARN=rule_arn) == (status, code, message)
    events.put_rule(Name="r", EventBusName="tagged", EventPattern='{"source": ["a"]}')
    assert events.list_tags_for_resource(ResourceARN=rule_arn)["Tags"] == []  # a new rule has none
    missing = bus_arn.replace("/tagged", "/missing")
    status, code, message = _recorded(file, "tests_tag_list_untag_not_existing_resource[not_existing_event_bus]",
                                      "tag_not_existing_resource_error")
    assert _error(events.tag_resource, ResourceARN=missing, Tags=[{"Key": "k", "Value": "v"}]) == (
        status, code, message.replace("<not-existing-resource-name>", "missing"))


@pytest.mark.skipif(not RECORDED.exists(), reason="../shared/reference/aws-recorded is not there")
def test_connections_and_api_destinations_as_aws_recorded(events: Any) -> None:
    file = "test_api_destinations_and_connection.snapshot.json"
    made = events.create_connection(Name="conn", AuthorizationType="API_KEY",
                                    AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "ApiKey",
                                                                             "ApiKeyValue": "secret"}})
    assert made["ConnectionState"] == "AUTHORIZED" and ":connection/conn/" in made["ConnectionArn"]
    described = events.describe_connection(Name="conn")
    assert described["AuthParameters"]["ApiKeyAuthParameters"] == {"ApiKeyName": "ApiKey"}  # the secret stays hidden
    assert ":secretsmanager:" in described["SecretArn"] and described["AuthorizationType"] == "API_KEY"
    events.update_connection(Name="conn", AuthorizationType="BASIC",
                             AuthParameters={"BasicAuthParameters": {"Username": "new_user", "Password": "p"}})
    assert events.describe_connection(Name="conn")["AuthParameters"] == {"BasicAuthParameters": {"Username": "new_user"}}
    assert [c["Name"] for c in events.list_connections()["Connections"]] == ["conn"]
    destination = events.create_api_destination(Name="dest", ConnectionArn=made["ConnectionArn"],
                                                 InvocationEndpoint="https://example.com/api", HttpMethod="POST",
                                                 Description="Test API destination")
    assert destination["ApiDestinationState"] == "ACTIVE"
    assert events.describe_api_destination(Name="dest")["InvocationRateLimitPerSecond"] == 300
    events.update_api_destination(Name="dest", HttpMethod="PUT", InvocationEndpoint="https://example.com/api/v2")
    assert events.describe_api_destination(Name="dest")["HttpMethod"] == "PUT"
    assert [d["Name"] for d in events.list_api_destinations()["ApiDestinations"]] == ["dest"]

    def same(test: str, step: str, call: Any, names: dict[str, str], **params: Any) -> None:
        status, code, message = _recorded(file, test, step)
        for placeholder, value in names.items():
            message = message.replace(placeholder, value)
        assert _error(call, **params) == (status, code, message)

    same("test_create_connection_invalid_parameters", "create-connection-invalid-auth-error",
         events.create_connection, {}, Name="c2", AuthorizationType="INVALID_AUTH_TYPE",
         AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}})
    same("test_create_connection_name_validation", "create-connection-invalid-name-error", events.create_connection,
         {}, Name="Invalid Name With Spaces!", AuthorizationType="BASIC",
         AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}})
    same("test_create_api_destination_invalid_parameters", "create-api-destination-invalid-parameters-error",
         events.create_api_destination, {}, Name="d2", ConnectionArn="invalid-connection-arn",
         InvocationEndpoint="https://example.com", HttpMethod="INVALID_METHOD")
    same("test_create_api_destination_name_validation", "create-api-destination-invalid-name-error",
         events.create_api_destination, {}, Name="Invalid Name With Spaces!", ConnectionArn=made["ConnectionArn"],
         InvocationEndpoint="https://example.com", HttpMethod="POST")
    events.delete_api_destination(Name="dest")
    same("test_api_destinations[auth0]", "describe-api-destination-not-found-error", events.describe_api_destination,
         {"<destination-name>": "dest"}, Name="dest")
    assert events.delete_connection(Name="conn")["ConnectionState"] == "DELETING"
    same("test_delete_connection", "describe-deleted-connection", events.describe_connection,
         {"<connection-name>": "conn"}, Name="conn")


def test_permissions_and_bus_settings(events: Any) -> None:
    events.put_permission(Action="events:PutEvents", Principal="111122223333", StatementId="allow-account")
    policy = json.loads(events.describe_event_bus()["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["allow-account"]
    _, code, message = _error(events.remove_permission, StatementId="nope")
    assert (code, message) == ("ResourceNotFoundException", "Statement with the provided id does not exist.")
    events.remove_permission(StatementId="allow-account")
    assert "Policy" not in events.describe_event_bus()
    assert events.update_event_bus(Description="the main bus")["Description"] == "the main bus"
    assert events.describe_event_bus()["Description"] == "the main bus"


#: one valid request for every action of botocore's events model, in an order that makes each one work
EVERY_ACTION: list[tuple[str, dict[str, Any]]] = [
    ("create_event_bus", {"Name": "b"}),
    ("describe_event_bus", {"Name": "b"}),
    ("update_event_bus", {"Name": "b", "Description": "d"}),
    ("list_event_buses", {}),
    ("put_rule", {"Name": "r", "EventBusName": "b", "EventPattern": '{"source": ["a"]}'}),
    ("describe_rule", {"Name": "r", "EventBusName": "b"}),
    ("disable_rule", {"Name": "r", "EventBusName": "b"}),
    ("enable_rule", {"Name": "r", "EventBusName": "b"}),
    ("list_rules", {"EventBusName": "b"}),
    ("put_targets", {"Rule": "r", "EventBusName": "b", "Targets": [{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:1:q"}]}),
    ("list_targets_by_rule", {"Rule": "r", "EventBusName": "b"}),
    ("list_rule_names_by_target", {"TargetArn": "arn:aws:sqs:us-east-1:1:q", "EventBusName": "b"}),
    ("put_events", {"Entries": [{"Source": "a", "DetailType": "t", "Detail": "{}", "EventBusName": "b"}]}),
    ("test_event_pattern", {"EventPattern": '{"source": ["a"]}', "Event": json.dumps(
        {"id": "1", "account": "1", "source": "a", "time": "t", "region": "r", "detail-type": "d"})}),
    ("tag_resource", {"ResourceARN": "arn:aws:events:us-east-1:123456789012:event-bus/b",
                      "Tags": [{"Key": "k", "Value": "v"}]}),
    ("list_tags_for_resource", {"ResourceARN": "arn:aws:events:us-east-1:123456789012:event-bus/b"}),
    ("untag_resource", {"ResourceARN": "arn:aws:events:us-east-1:123456789012:event-bus/b", "TagKeys": ["k"]}),
    ("put_permission", {"EventBusName": "b", "Action": "events:PutEvents", "Principal": "111122223333",
                        "StatementId": "s"}),
    ("remove_permission", {"EventBusName": "b", "StatementId": "s"}),
    ("create_archive", {"ArchiveName": "a", "EventSourceArn": "arn:aws:events:us-east-1:123456789012:event-bus/b"}),
    ("describe_archive", {"ArchiveName": "a"}),
    ("update_archive", {"ArchiveName": "a", "Description": "d"}),
    ("list_archives", {}),
    ("start_replay", {"ReplayName": "p", "EventSourceArn": "arn:aws:events:us-east-1:123456789012:archive/a",
                      "EventStartTime": datetime(2025, 1, 1, tzinfo=UTC), "EventEndTime": datetime(2027, 1, 1, tzinfo=UTC),
                      "Destination": {"Arn": "arn:aws:events:us-east-1:123456789012:event-bus/b"}}),
    ("describe_replay", {"ReplayName": "p"}),
    ("list_replays", {}),
    ("create_connection", {"Name": "c", "AuthorizationType": "BASIC",
                           "AuthParameters": {"BasicAuthParameters": {"Username": "u", "Password": "p"}}}),
    ("describe_connection", {"Name": "c"}),
    ("update_connection", {"Name": "c", "Description": "d"}),
    ("list_connections", {}),
    ("deauthorize_connection", {"Name": "c"}),
    ("create_api_destination", {"Name": "d", "ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/c/x",
                                "InvocationEndpoint": "https://example.com", "HttpMethod": "POST"}),
    ("describe_api_destination", {"Name": "d"}),
    ("update_api_destination", {"Name": "d", "HttpMethod": "PUT"}),
    ("list_api_destinations", {}),
    ("create_partner_event_source", {"Name": "aws.partner/example.com/1/src", "Account": "123456789012"}),
    ("describe_partner_event_source", {"Name": "aws.partner/example.com/1/src"}),
    ("list_partner_event_sources", {"NamePrefix": "aws.partner/example.com/"}),
    ("list_partner_event_source_accounts", {"EventSourceName": "aws.partner/example.com/1/src"}),
    ("describe_event_source", {"Name": "aws.partner/example.com/1/src"}),
    ("activate_event_source", {"Name": "aws.partner/example.com/1/src"}),
    ("deactivate_event_source", {"Name": "aws.partner/example.com/1/src"}),
    ("list_event_sources", {}),
    ("put_partner_events", {"Entries": [{"Source": "aws.partner/example.com/1/src", "DetailType": "t",
                                         "Detail": "{}"}]}),
    ("create_endpoint", {"Name": "e", "RoutingConfig": {"FailoverConfig": {
        "Primary": {"HealthCheck": "arn:aws:route53:::healthcheck/x"}, "Secondary": {"Route": "us-west-2"}}},
        "EventBuses": [{"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/b"},
                       {"EventBusArn": "arn:aws:events:us-west-2:123456789012:event-bus/b"}]}),
    ("describe_endpoint", {"Name": "e"}),
    ("update_endpoint", {"Name": "e", "Description": "d"}),
    ("list_endpoints", {}),
    ("delete_endpoint", {"Name": "e"}),
    ("delete_partner_event_source", {"Name": "aws.partner/example.com/1/src", "Account": "123456789012"}),
    ("delete_api_destination", {"Name": "d"}),
    ("delete_connection", {"Name": "c"}),
    ("remove_targets", {"Rule": "r", "EventBusName": "b", "Ids": ["t"]}),
    ("delete_rule", {"Name": "r", "EventBusName": "b"}),
    ("delete_archive", {"ArchiveName": "a"}),
    ("delete_event_bus", {"Name": "b"}),
]


def test_every_action_of_the_service_model_answers(server: Server, events: Any) -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("events")
    names = {model.operation_model(op).name for op in model.operation_names}
    called = set()
    for method, params in EVERY_ACTION:
        response = getattr(events, method)(**params)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200, method
        called.add(events.meta.method_to_api_mapping[method])
        if method == "start_replay":  # on a virtual clock a replay completes when the clock next moves
            server.bridge.advance(1)
            server.bridge.wait_replay("p", 10)
    assert names - called == {"CancelReplay"}  # a finished replay cannot be cancelled; tested below
    events.create_event_bus(Name="b2")
    assert _error(events.cancel_replay, ReplayName="p")[1] == "IllegalStatusException"
    assert len(names) == 57


def test_a_bus_of_the_same_server_as_a_target(server: Server, events: Any) -> None:
    events.create_event_bus(Name="audit")
    events.put_rule(Name="to-audit", EventPattern='{"source": ["shop"]}')
    events.put_targets(Rule="to-audit", Targets=[
        {"Id": "bus", "Arn": "arn:aws:events:us-east-1:123456789012:event-bus/audit"}])
    events.put_rule(Name="audited", EventBusName="audit", EventPattern='{"source": ["shop"]}')
    sink = "arn:aws:sqs:us-east-1:123456789012:audit-sink"
    events.put_targets(Rule="audited", EventBusName="audit", Targets=[{"Id": "q", "Arn": sink}])
    events.put_events(Entries=[{"Source": "shop", "DetailType": "Order", "Detail": '{"n": 1}'}])
    received = _get(server, f"/_eventmatch/deliveries?arn={sink}")["Deliveries"]
    assert [d["payload"]["detail"] for d in received] == [{"n": 1}]


def test_serve_with_a_template(tmp_path: Path) -> None:
    import signal

    from tests.test_cli import COMMAND

    folder = Path(__file__).parent / "data" / "templates" / "serverless-patterns"
    template, schedules = folder / "eventbridge-lambda.yaml", folder / "eventbridge-schedule-to-lambda.yaml"
    process = subprocess.Popen([*COMMAND, "serve", "--port", "0", "--virtual-clock", "--template", str(template),
                                "--template", str(schedules)], stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        url = line.split(" at ", 1)[1].split()[0]
        client = _client("events", url)
        assert [r["Name"] for r in client.list_rules()["Rules"]] == ["ConsumerFunctionTrigger"]
        client.put_events(Entries=[{"Source": "custom.myApp", "DetailType": "transaction",
                                    "Detail": '{"location": "EUR-VIE"}'}])
        with urllib.request.urlopen(url + "/_eventmatch/deliveries", timeout=10) as answer:
            delivered = json.loads(answer.read())["Deliveries"]
        assert [d["targetId"] for d in delivered] == ["ConsumerFunctionTriggerLambdaTarget"]
        # the AWS::Scheduler::Schedule went to the server's Scheduler, not to a bus
        scheduler = _client("scheduler", url)
        assert scheduler.get_schedule(Name="MySchedule")["ScheduleExpression"] == "rate(5 minute)"
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0


def _spawn_server(state: Path) -> tuple[subprocess.Popen[str], str]:
    from tests.test_cli import COMMAND

    process = subprocess.Popen([*COMMAND, "serve", "--port", "0", "--virtual-clock", "2026-01-01T00:00:00",
                                "--state", str(state)], stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    line = process.stderr.readline()
    assert " at " in line, line + process.stderr.read()
    return process, line.split(" at ", 1)[1].split()[0]


def test_only_changes_are_kept_in_the_command_log(server: Server, events: Any) -> None:
    events.put_rule(Name="kept", EventPattern='{"source": ["a"]}')
    for _ in range(3):  # a client polling: nothing to play again on start
        events.list_rules()
        events.describe_rule(Name="kept")
        events.list_event_buses()
        events.test_event_pattern(EventPattern='{"source": ["a"]}', Event=json.dumps(
            {"id": "1", "source": "a", "detail-type": "t", "account": "1", "time": "2026-01-01T00:00:00Z",
             "region": "us-east-1", "resources": [], "detail": {}}))
    assert [action for action, _ in server.state.commands()] == ["eventmatch:Started", "PutRule"]


def test_the_inbox_keeps_a_row_a_request_and_reads_an_older_state_file(tmp_path: Path) -> None:
    import sqlite3

    from eventmatch.server.state import State

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:  # a state file of the earlier inbox (a row an event) and command log
        db.execute("CREATE TABLE commands (seq INTEGER PRIMARY KEY, action TEXT, params TEXT)")
        db.execute("INSERT INTO commands (action, params) VALUES ('PutRule', '{\"Name\": \"r\"}')")
        db.execute("CREATE TABLE inbox (seq INTEGER PRIMARY KEY, bus TEXT, event TEXT)")
        db.executemany("INSERT INTO inbox VALUES (?, ?, ?)", [(1, "default", '{"id": "a", "n": 12345678901234567890}'),
                                                              (2, 'quo"ted', '{"id": "b"}')])
    state = State(str(path))
    assert list(state.commands_with_facts()) == [("PutRule", {"Name": "r"}, None)]
    state.log_command("CreateEventBus", {"Name": "b"}, ["2026-01-01T00:00:00+00:00", "an-id"])
    assert list(state.commands_with_facts())[1:] == [("CreateEventBus", {"Name": "b"},
                                                      ["2026-01-01T00:00:00+00:00", "an-id"])]
    assert state.waiting() == [(1, "default", {"id": "a", "n": 12345678901234567890}),
                               (2, 'quo"ted', {"id": "b"})]
    assert state.accept([("default", {"id": "c"}), ("orders", {"id": "d"}), ("default", {"id": "e"})]) == [3, 4, 5]
    assert state.accept([("default", {"id": "f"})]) == [6]
    state.routed([1, 3, 5, 6])  # 4 was not routed (a defect): its request's row stays, whole
    assert [(seq, event["id"]) for seq, _, event in state.waiting()] == [(2, "b"), (3, "c"), (4, "d"), (5, "e")]
    state.routed([2, 4])
    assert [(seq, event["id"]) for seq, _, event in state.waiting()] == [(3, "c"), (4, "d"), (5, "e")]
    state.routed([3, 4, 5])
    assert state.waiting() == []
    assert state.accept([("default", {"id": "g"}), ("default", {"id": "h"})]) == [7, 8]
    state.close()
    again = State(str(path))  # the numbers go on after those waiting
    assert [event["id"] for _, _, event in again.waiting()] == ["g", "h"]
    assert again.accept([("default", {"id": "i"})]) == [9]


def test_the_state_keeps_the_latest_deliveries(tmp_path: Path) -> None:
    from eventmatch.server import state as state_module

    state = state_module.State(str(tmp_path / "s.sqlite"), keep_deliveries=30)
    for batch in range(state_module.PRUNE_EVERY):
        for i in range(10):
            state.record("t", f"arn:aws:sqs:us-east-1:123456789012:q{i % 2}", {"n": batch * 10 + i})
        state.routed([])
    kept = state.deliveries()
    assert [d["payload"]["n"] for d in kept] == list(range(470, 500))  # the newest 30, oldest first
    assert [d["payload"]["n"] for d in state.deliveries("arn:aws:sqs:us-east-1:123456789012:q1")] == list(
        range(471, 500, 2))
    with pytest.raises(ValueError, match="keep_deliveries"):
        state_module.State(keep_deliveries=0)


def test_the_inbox_routes_bursts_in_batches_in_order() -> None:
    from eventmatch.server.inbox import Inbox
    from eventmatch.server.state import State

    bridge, state = EventBridge(), State()
    got: list[int] = []
    bridge.bus("default").put_rule("all", {"source": ["burst"]})
    bridge.bus("default").put_targets("all", [{"Id": "t", "Fn": lambda event: got.append(event["detail"]["n"])}])
    inbox = Inbox(bridge, state)
    events = [("default", {"id": str(n), "source": "burst", "detail-type": "t", "account": "1",
                           "time": "2026-01-01T00:00:00Z", "region": "us-east-1", "resources": [],
                           "detail": {"n": n}}) for n in range(2000)]
    try:
        for first in range(0, 2000, 10):  # requests of ten, faster than one batch waits for the next
            request = events[first:first + 10]
            seqs = state.accept(request)
            inbox.put([(seq, bus, event) for seq, (bus, event) in zip(seqs, request, strict=True)])
        assert inbox.wait_idle(30)
        assert got == list(range(2000))
    finally:
        inbox.stop()
    assert state.waiting() == []  # forgotten once routed (at the latest when the inbox stops)


def test_a_restart_keeps_the_arns_ids_and_times_it_made_up(tmp_path: Path) -> None:
    state = str(tmp_path / "state.sqlite")

    def described(server: Server) -> dict[str, Any]:
        client = _client("events", server.endpoint_url)
        answers = {
            "default": client.describe_event_bus(Name="default"),
            "bus": client.describe_event_bus(Name="orders"),
            "connection": client.describe_connection(Name="conn"),
            "destination": client.describe_api_destination(Name="dest"),
            "archive": client.describe_archive(ArchiveName="arch"),
            "endpoint": client.describe_endpoint(Name="ep"),
        }
        scheduler = _client("scheduler", server.endpoint_url)
        answers["group"] = scheduler.get_schedule_group(Name="jobs")
        answers["default group"] = scheduler.get_schedule_group(Name="default")
        answers["schedule"] = scheduler.get_schedule(Name="nightly", GroupName="jobs")
        for answer in answers.values():
            answer.pop("ResponseMetadata")
        return answers

    with Server(state=state) as first:
        client = _client("events", first.endpoint_url)
        client.create_event_bus(Name="orders")
        connection = client.create_connection(Name="conn", AuthorizationType="API_KEY", AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})["ConnectionArn"]
        client.create_api_destination(Name="dest", ConnectionArn=connection, HttpMethod="POST",
                                      InvocationEndpoint="https://example.com/hook")
        client.create_archive(ArchiveName="arch", EventSourceArn=client.describe_event_bus(Name="orders")["Arn"])
        client.create_endpoint(Name="ep", RoutingConfig={"FailoverConfig": {
            "Primary": {"HealthCheck": "arn:aws:route53:::healthcheck/1"}, "Secondary": {"Route": "us-west-2"}}},
            EventBuses=[{"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/orders"},
                        {"EventBusArn": "arn:aws:events:us-west-2:123456789012:event-bus/orders"}])
        scheduler = _client("scheduler", first.endpoint_url)
        scheduler.create_schedule_group(Name="jobs")
        scheduler.create_schedule(Name="nightly", GroupName="jobs", ScheduleExpression="cron(0 2 * * ? *)",
                                  FlexibleTimeWindow={"Mode": "OFF"}, Target={
                                      "Arn": "arn:aws:sqs:us-east-1:123456789012:jobs",
                                      "RoleArn": "arn:aws:iam::123456789012:role/r"})
        before = described(first)
    time.sleep(0.05)  # a restart later: the times it made up the first time, not these
    with Server(state=state) as second:
        assert described(second) == before


def test_a_log_kept_without_facts_is_stable_from_its_first_replay_on(tmp_path: Path) -> None:
    import sqlite3

    state = str(tmp_path / "state.sqlite")

    def arns(server: Server) -> tuple[str, Any]:
        events = _client("events", server.endpoint_url)
        schedule = _client("scheduler", server.endpoint_url).get_schedule(Name="s")
        return events.describe_connection(Name="conn")["ConnectionArn"], schedule["CreationDate"]

    with Server(state=state) as first:
        _client("events", first.endpoint_url).create_connection(
            Name="conn", AuthorizationType="API_KEY",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})
        _client("scheduler", first.endpoint_url).create_schedule(
            Name="s", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": "arn:aws:iam::123456789012:role/r"})
        made = arns(first)
    with sqlite3.connect(state) as db:  # as an eventmatch that kept no facts logged it
        db.execute("UPDATE commands SET facts = NULL")
    with Server(state=state) as second:
        replayed = arns(second)
    assert replayed != made  # made up again: the log could not say
    time.sleep(0.05)
    with Server(state=state) as third:
        assert arns(third) == replayed  # and kept since


def test_state_survives_a_restart_and_sigkill_loses_no_accepted_event(tmp_path: Path) -> None:
    import signal
    import threading

    state = tmp_path / "state.sqlite"
    process, url = _spawn_server(state)
    sink = "arn:aws:sqs:us-east-1:123456789012:sink"
    client = _client("events", url)
    client.create_event_bus(Name="orders", Tags=[{"Key": "team", "Value": "shop"}])
    client.put_rule(Name="all", EventBusName="orders", EventPattern='{"source": ["load"]}')
    client.put_targets(Rule="all", EventBusName="orders", Targets=[{"Id": "sink", "Arn": sink}])
    for i in range(8):  # more deliveries per event than the inbox routes while requests come: a backlog
        client.put_rule(Name=f"busy{i}", EventBusName="orders", EventPattern='{"source": ["load"]}')
        client.put_targets(Rule=f"busy{i}", EventBusName="orders", Targets=[
            {"Id": f"t{j}", "Arn": f"arn:aws:sqs:us-east-1:123456789012:busy{j}"} for j in range(5)])
    accepted: list[str] = []
    stop = threading.Event()

    def load() -> None:
        batch = [{"Source": "load", "DetailType": "t", "Detail": "{}", "EventBusName": "orders"}] * 10
        while not stop.is_set():
            try:
                answer = client.put_events(Entries=batch)
            except Exception:  # the server was killed mid-request: that request's entries were not accepted
                return
            accepted.extend(entry["EventId"] for entry in answer["Entries"])

    threads = [threading.Thread(target=load) for _ in range(3)]
    for thread in threads:
        thread.start()

    def waiting() -> int:
        with urllib.request.urlopen(f"{url}/_eventmatch/inbox", timeout=10) as answer:
            return int(json.loads(answer.read())["waiting"])

    deadline = time.monotonic() + 30
    while (len(accepted) < 500 or waiting() < 50) and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)  # no chance to route what is in the inbox, or to close anything
    process.wait(timeout=20)
    stop.set()
    for thread in threads:
        thread.join(20)
    assert len(accepted) >= 500
    import sqlite3

    with sqlite3.connect(state) as db:  # what the killed server had accepted and not routed yet
        backlog = db.execute("SELECT COALESCE(SUM(count), 0) FROM accepted").fetchone()[0]
    assert backlog > 0, "the kill should find accepted events not routed yet"

    process, url = _spawn_server(state)
    try:
        client = _client("events", url)
        assert [r["Name"] for r in client.list_rules(EventBusName="orders")["Rules"]] == ["all"] + [
            f"busy{i}" for i in range(8)]
        assert client.list_tags_for_resource(ResourceARN=client.describe_event_bus(Name="orders")["Arn"])["Tags"] == [
            {"Key": "team", "Value": "shop"}]
        with urllib.request.urlopen(f"{url}/_eventmatch/deliveries?arn={sink}", timeout=30) as answer:
            delivered = {d["payload"]["id"] for d in json.loads(answer.read())["Deliveries"]}
        assert set(accepted) <= delivered  # every accepted entry delivered at least once
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)


class _Receiver:
    """A local HTTP server that records requests and answers with the statuses it is given, in turn."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        import http.server
        import threading

        self.requests: list[dict[str, Any]] = []
        self.statuses = list(statuses or [])
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                if self.path.startswith("/token"):
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    payload = json.dumps({"access_token": f"tok{len(receiver.requests)}"}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                receiver.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                          "body": body, "time": time.monotonic()})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_POST = do_PUT = do_GET = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def calls(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if not r["path"].startswith("/token")]

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    running = _Receiver()
    yield running
    running.close()


def _destination(events: Any, endpoint: str, auth_type: str, auth: dict[str, Any], rate: int = 300) -> str:
    connection = events.create_connection(Name=f"c-{auth_type.lower()}", AuthorizationType=auth_type,
                                          AuthParameters=auth)["ConnectionArn"]
    return events.create_api_destination(Name=f"d-{auth_type.lower()}", ConnectionArn=connection,
                                         InvocationEndpoint=endpoint, HttpMethod="POST",
                                         InvocationRateLimitPerSecond=rate)["ApiDestinationArn"]


@pytest.mark.parametrize("auth_type", ["API_KEY", "BASIC", "OAUTH_CLIENT_CREDENTIALS"])
def test_api_destinations_make_real_http_requests(server: Server, events: Any, receiver: _Receiver,
                                                  auth_type: str) -> None:
    auth = {
        "API_KEY": {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"}},
        "BASIC": {"BasicAuthParameters": {"Username": "user", "Password": "pass"}},
        "OAUTH_CLIENT_CREDENTIALS": {"OAuthParameters": {
            "AuthorizationEndpoint": receiver.url + "/token", "HttpMethod": "POST",
            "ClientParameters": {"ClientID": "id", "ClientSecret": "secret"},
            "OAuthHttpParameters": {"BodyParameters": [{"Key": "scope", "Value": "events", "IsValueSecret": False}]}}},
    }[auth_type]
    auth = {**auth, "InvocationHttpParameters": {"HeaderParameters": [{"Key": "x-from", "Value": "connection"}]}}
    arn = _destination(events, receiver.url + "/orders/*/items", auth_type, auth)
    events.put_rule(Name="r", EventPattern='{"source": ["shop"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "api", "Arn": arn, "HttpParameters": {
        "PathParameterValues": ["o-1"], "HeaderParameters": {"x-from": "target"},
        "QueryStringParameters": {"mode": "test"}},
        "InputTransformer": {"InputPathsMap": {"n": "$.detail.n"}, "InputTemplate": '{"n": <n>}'}}])
    events.put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": '{"n": 7}'}])
    server.deliveries()
    (call,) = receiver.calls()
    assert call["method"] == "POST" and call["path"] == "/orders/o-1/items?mode=test"
    assert json.loads(call["body"]) == {"n": 7}
    headers = {k.lower(): v for k, v in call["headers"].items()}
    assert headers["x-from"] == "target"  # the target's parameters after the connection's
    if auth_type == "API_KEY":
        assert headers["x-api-key"] == "s3cret"
    elif auth_type == "BASIC":
        assert headers["authorization"] == "Basic dXNlcjpwYXNz"
    else:
        (token_request,) = [r for r in receiver.requests if r["path"].startswith("/token")]
        assert "grant_type=client_credentials" in token_request["body"] and "scope=events" in token_request["body"]
        assert token_request["headers"]["Authorization"] == "Basic aWQ6c2VjcmV0"
        assert headers["authorization"] == "Bearer tok1"


def test_api_destinations_retry_on_429_and_5xx_then_dead_letter_on_4xx(server: Server, events: Any,
                                                                       receiver: _Receiver) -> None:
    arn = _destination(events, receiver.url + "/hook", "API_KEY",
                       {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})
    dlq = "arn:aws:sqs:us-east-1:123456789012:dlq"
    events.put_rule(Name="r", EventPattern='{"source": ["shop"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "api", "Arn": arn, "DeadLetterConfig": {"Arn": dlq},
                                           "RetryPolicy": {"MaximumRetryAttempts": 5}}])
    receiver.statuses = [429, 503, 200, 404]
    events.put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": '{"n": 1}'}])
    server.deliveries()
    server.bridge.advance(600)  # the retries fall due on the virtual clock
    assert len(receiver.calls()) == 3  # 429 and 503 were retried, 200 delivered
    events.put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": '{"n": 2}'}])
    server.deliveries()
    server.bridge.advance(600)
    assert len(receiver.calls()) == 4  # 404: not retried
    (dead,) = server.deliveries(dlq)
    assert dead["payload"]["attributes"]["ERROR_CODE"] == "NO_RESOURCE"
    assert dead["payload"]["payload"]["detail"] == {"n": 2}
    metrics = _get(server, "/_eventmatch/metrics")["Metrics"]
    assert metrics["default/r/RetryInvocationAttempts"] == 2 and metrics["default/r/DeadLetterInvocations"] == 1


def test_api_destination_rate_limit_and_endpoint_rules(server: Server, events: Any, receiver: _Receiver) -> None:
    arn = _destination(events, receiver.url + "/slow", "API_KEY",
                       {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}}, rate=10)
    events.put_rule(Name="r", EventPattern='{"source": ["shop"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "api", "Arn": arn}])
    events.put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": "{}"}] * 10)
    server.deliveries()
    times = [c["time"] for c in receiver.calls()]
    assert len(times) == 10 and times[-1] - times[0] >= 0.8  # ten calls at ten a second: about 0.9 s
    connection = events.describe_api_destination(Name="d-api_key")["ConnectionArn"]
    assert _error(events.create_api_destination, Name="plain", ConnectionArn=connection,
                  InvocationEndpoint="http://example.com/hook", HttpMethod="POST")[1:] == (
        "ValidationException", "Parameter InvocationEndpoint is not valid. Reason: an HTTPS endpoint is required.")


def test_recent_events_show_their_rules_and_why_a_rule_did_not_match(server: Server, events: Any) -> None:
    events.put_rule(Name="terminated", EventPattern=json.dumps(
        {"source": ["my.ec2"], "detail": {"state": ["terminated"]}}))
    events.put_rule(Name="any-ec2", EventPattern='{"source": ["my.ec2"]}')
    answer = events.put_events(Entries=[{"Source": "my.ec2", "DetailType": "x",
                                         "Detail": '{"state": "running"}'}])
    event_id = answer["Entries"][0]["EventId"]
    server.deliveries()  # routed
    listed = _get(server, "/_eventmatch/events")["Events"]
    assert [(e["id"], e["rules"]) for e in listed] == [(event_id, ["any-ec2"])]
    why = _get(server, f"/_eventmatch/events/{event_id}?rule=terminated")
    assert why["explanation"]["matched"] is False
    state = next(f for f in why["explanation"]["branches"][0]["fields"] if f["path"] == "detail.state")
    assert state["met"] is False and state["values"] == ["running"]
    with pytest.raises(urllib.error.HTTPError) as info:
        _get(server, "/_eventmatch/events/nope")
    assert info.value.code == 404


def test_python_callables_by_arn() -> None:
    got: list[Any] = []
    function = "arn:aws:lambda:us-east-1:123456789012:function:handler"
    with Server(EventBridge(clock=VirtualClock(START)), functions={function: got.append}) as server:
        client = _client("events", server.endpoint_url)
        client.put_rule(Name="r", EventPattern='{"source": ["app"]}')
        client.put_targets(Rule="r", Targets=[{"Id": "fn", "Arn": function, "Input": '{"hello": "world"}'}])
        client.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": "{}"}])
        server.deliveries()
    assert got == [{"hello": "world"}]


def test_a_sam_functions_events_reach_the_python_callable_of_its_arn(tmp_path: Path) -> None:
    from eventmatch.template import load_template

    template = tmp_path / "template.yaml"
    template.write_text("""\
Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        Placed:
          Type: EventBridgeRule
          Properties:
            Pattern: {"source": ["shop"], "detail-type": ["OrderPlaced"]}
""")
    got: list[Any] = []
    function = "arn:aws:lambda:us-east-1:123456789012:function:OrdersFunction"  # no FunctionName: the logical id
    with Server(EventBridge(clock=VirtualClock(START)), functions={function: got.append}) as server:
        load_template(template).install(server.bridge, server.scheduler)
        client = _client("events", server.endpoint_url)
        client.put_events(Entries=[{"Source": "shop", "DetailType": "OrderPlaced", "Detail": '{"id": 7}'}])
        server.deliveries()
    assert [event["detail"] for event in got] == [{"id": 7}]


class _FakeAws:
    """A local endpoint that answers SQS (JSON protocol), Lambda (REST) and Kinesis (JSON 1.1) as the services
    would, and records what it was asked."""

    def __init__(self) -> None:
        import hashlib
        import http.server
        import threading

        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                target = self.headers.get("X-Amz-Target", "")
                fake.requests.append({"path": self.path, "target": target, "headers": dict(self.headers),
                                      "body": body})
                status, answer = 200, {}
                if target.endswith("GetQueueUrl"):
                    name = json.loads(body)["QueueName"]
                    answer = {"QueueUrl": f"http://{self.headers['Host']}/123456789012/{name}"}
                elif target.endswith("SendMessage"):
                    sent = json.loads(body)["MessageBody"]
                    answer = {"MessageId": "m-1", "MD5OfMessageBody": hashlib.md5(sent.encode()).hexdigest()}
                elif target.endswith("PutRecord"):
                    answer = {"ShardId": "shardId-000000000000", "SequenceNumber": "1"}
                elif target.endswith("PutLogEvents"):
                    answer = {"nextSequenceToken": "1"}
                elif "/invocations" in self.path:
                    status = 202
                data = json.dumps(answer).encode() if status != 202 else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_aws_service_targets_are_forwarded_in_aws_request_shapes() -> None:
    fake = _FakeAws()
    try:
        forward = {"sqs": fake.url, "lambda": fake.url, "kinesis": fake.url, "logs": fake.url}
        with Server(EventBridge(clock=VirtualClock(START)), forward=forward) as server:
            client = _client("events", server.endpoint_url)
            client.put_rule(Name="r", EventPattern='{"source": ["app"]}')
            client.put_targets(Rule="r", Targets=[
                {"Id": "fifo", "Arn": "arn:aws:sqs:us-east-1:123456789012:orders.fifo",
                 "SqsParameters": {"MessageGroupId": "group-1"}},
                {"Id": "fn", "Arn": "arn:aws:lambda:us-east-1:123456789012:function:handler"},
                {"Id": "stream", "Arn": "arn:aws:kinesis:us-east-1:123456789012:stream/clicks",
                 "KinesisParameters": {"PartitionKeyPath": "$.detail.user"}},
                {"Id": "topic", "Arn": "arn:aws:sns:us-east-1:123456789012:alerts"},  # not configured: recorded
                {"Id": "log", "Arn": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/events/app:*"},
            ])
            answer = client.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": '{"user": "u-7"}'}])
            event_id = answer["Entries"][0]["EventId"]
            recorded = {d["targetId"] for d in server.deliveries()}
        assert recorded == {"fifo", "fn", "stream", "topic", "log"}
        sent = next(json.loads(r["body"]) for r in fake.requests if r["target"].endswith("SendMessage"))
        assert sent["QueueUrl"].endswith("/123456789012/orders.fifo")
        assert sent["MessageGroupId"] == "group-1" and sent["MessageDeduplicationId"] == event_id
        assert json.loads(sent["MessageBody"])["detail"] == {"user": "u-7"}
        invoke = next(r for r in fake.requests if "/invocations" in r["path"])
        assert invoke["path"] == "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Ahandler/invocations"
        assert invoke["headers"]["X-Amz-Invocation-Type"] == "Event" and json.loads(invoke["body"])["id"] == event_id
        record = next(json.loads(r["body"]) for r in fake.requests if r["target"].endswith("PutRecord"))
        assert record["PartitionKey"] == "u-7" and record["StreamName"] == "clicks"
        stream = next(json.loads(r["body"]) for r in fake.requests if r["target"].endswith("CreateLogStream"))
        assert stream == {"logGroupName": "/aws/events/app", "logStreamName": event_id}
        logged = next(json.loads(r["body"]) for r in fake.requests if r["target"].endswith("PutLogEvents"))
        assert logged["logGroupName"] == "/aws/events/app" and logged["logStreamName"] == event_id
        (line,) = logged["logEvents"]
        assert json.loads(line["message"])["id"] == event_id and isinstance(line["timestamp"], int)
    finally:
        fake.server.shutdown()


def test_forward_names_a_known_service() -> None:
    from tests.test_cli import run

    out = run("serve", "--forward", "dynamo=http://127.0.0.1:1")
    assert out.returncode == 2 and "SERVICE one of sqs, sns, lambda" in out.stderr


@pytest.mark.skipif(not RECORDED.exists(), reason="../shared/reference/aws-recorded is not there")
def test_put_events_request_errors_as_aws_recorded(events: Any) -> None:
    file = "test_events.snapshot.json"
    events.create_event_bus(Name="custom-bus")
    detail = json.dumps({"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}})
    entry = {"Source": "core.update-account-command", "DetailType": "core.update-account-command",
             "Detail": detail, "EventBusName": "custom-bus"}
    status, code, message = _recorded(file, "test_put_events_exceed_limit_ten_entries[default]",
                                      "put-events-exceed-limit-error")
    assert _error(events.put_events, Entries=[entry] * 11) == (status, code, message.replace("<bus-name>", "custom-bus"))
    status, code, message = _recorded(file, "test_put_event_with_too_big_detail", "put-events-too-big-detail-error")
    big = {**entry, "Detail": json.dumps({"payload": "x" * 300_000})}
    assert _error(events.put_events, Entries=[big]) == (status, code, message)


def test_the_app_mounts_inside_a_users_asgi_app() -> None:
    """Mounted under a path in a user's Starlette app, the API answers boto3 pointed at the mount point (with
    its trailing slash: Starlette redirects ``/events`` to ``/events/``), and the user's own routes answer."""
    import threading

    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Mount, Route

    from eventmatch.server import create_app

    async def home(request: Any) -> PlainTextResponse:
        return PlainTextResponse("the user's own app")

    outer = Starlette(routes=[Route("/", home), Mount("/events", create_app(EventBridge()))])
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    runner = uvicorn.Server(uvicorn.Config(outer, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not runner.started:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
            assert answer.read() == b"the user's own app"
        client = _client("events", f"http://127.0.0.1:{port}/events/")
        client.put_rule(Name="mounted", EventPattern='{"source": ["a"]}')
        assert [r["Name"] for r in client.list_rules()["Rules"]] == ["mounted"]
        assert client.put_events(Entries=[{"Source": "a", "DetailType": "t", "Detail": "{}"}])["FailedEntryCount"] == 0
        with pytest.raises(ClientError) as info:
            client.describe_rule(Name="missing")
        assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    finally:
        runner.should_exit = True
        thread.join(10)


def _unchecked_client(server: Server) -> Any:
    """boto3 without its own parameter validation: what SDKs that check less send."""
    return _client("events", server.endpoint_url, validate=False)


def test_parameters_are_validated_as_aws_validates_them(server: Server) -> None:
    events = _unchecked_client(server)
    assert _error(events.describe_rule) == (
        400, "ValidationException",
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
    assert _error(events.put_rule, Name="r" * 65, ScheduleExpression="rate(1 hour)") == (
        400, "ValidationException",
        f"1 validation error detected: Value '{'r' * 65}' at 'name' failed to satisfy constraint: Member must "
        "have length less than or equal to 64")
    assert _error(events.list_rules, Limit=0) == (
        400, "ValidationException",
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value "
        "greater than or equal to 1")
    status, code, message = _error(events.put_targets, Rule="r", Targets=[
        {"Id": "ok", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}, {"Id": "bad id", "Arn": ""}])
    assert (status, code) == (400, "ValidationException")
    assert message == (
        "2 validation errors detected: Value 'bad id' at 'targets.2.member.id' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+; Value '' at 'targets.2.member.arn' "
        "failed to satisfy constraint: Member must have length greater than or equal to 1")
    assert _error(events.list_archives, State="GONE")[2].endswith(
        "Member must satisfy enum value set: [ENABLED, DISABLED, CREATING, UPDATING, CREATE_FAILED, UPDATE_FAILED]")
    # PutEvents checks its entries one by one (a bad entry fails alone), as AWS does
    answer = events.put_events(Entries=[{"Source": "a", "DetailType": "t" * 129, "Detail": "{}"}])
    assert answer["Entries"][0]["ErrorCode"] == "InvalidArgument"


def test_every_action_checks_its_parameters_against_the_model(server: Server) -> None:
    """For each of the 57 actions, each top-level member with a constraint, sent alone and broken, is named
    in a ValidationException in AWS's words (and each missing required member as null)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("events")
    events = _unchecked_client(server)
    checked = set()
    for action in model.operation_names:
        if action in ("PutEvents", "PutPartnerEvents"):
            continue
        shape = model.operation_model(action).input_shape
        method = getattr(events, "".join("_" + c.lower() if c.isupper() else c for c in action).lstrip("_"))
        for name, member in shape.members.items():
            meta, bad = member.metadata, None
            if member.type_name == "string" and "max" in meta:
                bad = "a" * (meta["max"] + 1)
                expected = f"Member must have length less than or equal to {meta['max']}"
            elif member.type_name == "string" and "enum" in meta:
                bad, expected = "NOT-A-VALUE", "Member must satisfy enum value set: ["
            elif member.type_name == "integer" and "min" in meta:
                bad, expected = meta["min"] - 1, f"Member must have value greater than or equal to {meta['min']}"
            if bad is None:
                continue
            message = _error(method, **{name: bad})[2]
            where = name[0].lower() + name[1:]
            assert f"at '{where}' failed to satisfy constraint: {expected}" in message, (action, name, message)
            for required in shape.required_members:
                if required != name:
                    assert f"Value null at '{required[0].lower() + required[1:]}'" in message, (action, required)
            checked.add(action)
    assert len(checked) >= 50, sorted(set(model.operation_names) - checked)
