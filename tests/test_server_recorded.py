"""AWS's recorded answers replayed over the wire, whole bodies compared.

``../shared/reference/aws-recorded/`` holds what AWS answered to a sequence of calls, with the values
that differ between runs replaced by placeholders (``<bus-name>``, ``arn:<partition>:...``, the account
``111111111111``, ``datetime`` for times). Each flow below makes the same calls against the server with
boto3, puts the same placeholders in what the server answered, and compares the whole body (everything
but ``ResponseMetadata``) with AWS's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")
pytest.importorskip("starlette")
from eventmatch import EventBridge  # noqa: E402
from eventmatch.server import Server  # noqa: E402
from tests.aws_clients import client  # noqa: E402

RECORDED = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "aws-recorded"
ACCOUNT = "123456789012"
PATTERN = {"source": ["core.update-account-command"], "detail-type": ["core.update-account-command"],
           "detail": {"command": ["update-account"]}}

pytestmark = pytest.mark.skipif(not RECORDED.exists(), reason="needs ../shared/reference/aws-recorded")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with Server(EventBridge(account=ACCOUNT)) as running:
        yield running


@pytest.fixture
def events(server: Server) -> Any:
    return client("events", server.endpoint_url)


def _recorded(snapshot: str, test: str) -> dict[str, Any]:
    data = json.loads((RECORDED / f"{snapshot}.snapshot.json").read_text())
    for key, value in data.items():
        if key.split("::")[-1] == test:
            return dict(value["recorded-content"])
    raise KeyError(test)


def _placeholders(value: Any, names: list[tuple[str, str]], wholes: dict[str, str] | None = None) -> Any:
    """The server's answer with the recording's placeholders put in (``wholes``: values replaced only where
    they are a whole string, such as a NextToken)."""
    wholes = wholes or {}
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "ResponseMetadata":
                continue
            if key == "EventPattern" and isinstance(item, str):
                item = json.loads(item)  # the recordings show patterns parsed
            out[key] = _placeholders(item, names, wholes)
        return out
    if isinstance(value, list):
        return [_placeholders(item, names, wholes) for item in value]
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, str):
        if value in wholes:
            return wholes[value]
        for actual, placeholder in sorted(names, key=lambda pair: -len(pair[0])):
            if actual and value == actual:
                return placeholder
        for actual, placeholder in sorted(names, key=lambda pair: -len(pair[0])):
            if actual:
                value = value.replace(actual, placeholder)
        return value.replace("arn:aws:", "arn:<partition>:").replace(":us-east-1:", ":<region>:").replace(
            ACCOUNT, "111111111111")
    return value


class Flow:
    """Calls against the server, each answer compared with the recorded step of the same name."""

    def __init__(self, snapshot: str, test: str) -> None:
        self.recorded = _recorded(snapshot, test)
        self.names: list[tuple[str, str]] = []
        self.wholes: list[tuple[str, str]] = []
        self.compared: list[str] = []

    def name(self, actual: str, placeholder: str, *, whole: bool = False) -> str:
        """``actual`` is shown as ``placeholder`` (``whole``: only where it is the whole value)."""
        if whole:
            self.wholes.append((actual, placeholder))
        else:
            self.names.append((actual, placeholder))
        return actual

    def step(self, step: str, call: Callable[..., Any], **params: Any) -> Any:
        answer = call(**params)
        want = {k: v for k, v in self.recorded[step].items() if k != "ResponseMetadata"}
        got = _placeholders(answer, self.names, dict(self.wholes))
        assert got == want, f"{step}:\n got  {json.dumps(got, sort_keys=True)}\n want {json.dumps(want, sort_keys=True)}"
        self.compared.append(step)
        return answer


def test_event_buses_created_listed_described_deleted(events: Any) -> None:
    flow = Flow("test_events", "test_create_list_describe_delete_custom_event_buses[True-regions0]")
    bus = flow.name("recorded-bus-1", "<bus-name>")
    flow.step("create-custom-event-bus-us-east-1", events.create_event_bus, Name=bus, Description="test bus")
    flow.step("list-event-buses-after-create-us-east-1", events.list_event_buses, NamePrefix=bus)
    flow.step("describe-custom-event-bus-us-east-1", events.describe_event_bus, Name=bus)
    events.delete_event_bus(Name=bus)
    flow.step("list-event-buses-after-delete-us-east-1", events.list_event_buses, NamePrefix=bus)


@pytest.mark.parametrize("on", ["custom", "default"])
def test_rules_put_listed_described_deleted(events: Any, on: str) -> None:
    flow = Flow("test_events", f"test_put_list_with_prefix_describe_delete_rule[{on}]")
    bus = flow.name("recorded-rule-bus", "<bus-name>") if on == "custom" else "default"  # shown as it is
    if on == "custom":
        events.create_event_bus(Name=bus)
    rule = flow.name(f"recorded-rule-{on}", "<rule-name>")
    flow.step("put-rule", events.put_rule, Name=rule, EventBusName=bus, EventPattern=json.dumps(PATTERN))
    flow.step("list-rules", events.list_rules, NamePrefix=rule, EventBusName=bus)
    flow.step("describe-rule", events.describe_rule, Name=rule, EventBusName=bus)
    flow.step("delete-rule", events.delete_rule, Name=rule, EventBusName=bus)
    flow.step("list-rules-after-delete", events.list_rules, NamePrefix=rule, EventBusName=bus)


def test_rules_listed_a_page_at_a_time(events: Any) -> None:
    flow = Flow("test_events", "test_list_rule_with_limit")
    bus = flow.name("recorded-limit-bus", "<bus-name>")
    events.create_event_bus(Name=bus)
    prefix = flow.name("recorded-limit-rule", "<rule-name-prefix>")
    for i in range(6):
        events.put_rule(Name=f"{prefix}-{i}", EventBusName=bus, EventPattern=json.dumps(PATTERN))
    first = events.list_rules(NamePrefix=prefix, EventBusName=bus, Limit=3)
    flow.name(first["NextToken"], "<next_token:1>", whole=True)
    flow.step("list-rules-limit", lambda: first)
    flow.step("list-rules-limit-next-token", events.list_rules, NamePrefix=prefix, EventBusName=bus, Limit=3,
              NextToken=first["NextToken"])


def test_a_rule_disabled_and_enabled_again(events: Any) -> None:
    flow = Flow("test_events", "test_disable_re_enable_rule[custom]")
    bus = flow.name("recorded-toggle-bus", "<bus-name>")
    events.create_event_bus(Name=bus)
    rule = flow.name("recorded-toggle-rule", "<rule-name>")
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(PATTERN))
    events.disable_rule(Name=rule, EventBusName=bus)
    flow.step("describe-rule-disabled", events.describe_rule, Name=rule, EventBusName=bus)
    events.enable_rule(Name=rule, EventBusName=bus)
    flow.step("describe-rule-enabled", events.describe_rule, Name=rule, EventBusName=bus)


def test_targets_put_listed_removed(events: Any) -> None:
    flow = Flow("test_events", "test_put_list_remove_target[custom]")
    bus = flow.name("recorded-target-bus", "<bus-name>")
    events.create_event_bus(Name=bus)
    rule = flow.name("recorded-target-rule", "<rule-name>")
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(PATTERN))
    queue = flow.name(f"arn:aws:sqs:us-east-1:{ACCOUNT}:recorded-queue", "<queue-arn>")
    target = flow.name("recorded-target", "<target-id>")
    flow.step("put-target", events.put_targets, Rule=rule, EventBusName=bus, Targets=[{"Id": target, "Arn": queue}])
    flow.step("list-targets", events.list_targets_by_rule, Rule=rule, EventBusName=bus)
    flow.step("remove-target", events.remove_targets, Rule=rule, EventBusName=bus, Ids=[target])
    flow.step("list-targets-after-delete", events.list_targets_by_rule, Rule=rule, EventBusName=bus)


def test_a_target_put_twice_under_one_id_is_replaced(events: Any) -> None:
    flow = Flow("test_events", "test_put_multiple_targets_with_same_id_single_rule")
    rule = "recorded-same-id"
    events.put_rule(Name=rule, EventPattern=json.dumps(PATTERN))
    flow.name(f"arn:aws:sqs:us-east-1:{ACCOUNT}:recorded-second", "target-arn")
    flow.name("recorded-same", "target-id")
    events.put_targets(Rule=rule, Targets=[{"Id": "recorded-same", "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:q1"}])
    events.put_targets(Rule=rule, Targets=[{"Id": "recorded-same", "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:"
                                            "recorded-second", "InputPath": "$.notexisting"}])
    flow.step("list-targets", events.list_targets_by_rule, Rule=rule)


def test_rule_names_by_target(events: Any) -> None:
    flow = Flow("test_events", "test_list_rule_names_by_target[custom]")
    bus = flow.name("recorded-names-bus", "<bus-name>")
    events.create_event_bus(Name=bus)
    prefix = flow.name("recorded-names-rule-", "<rule-prefix>")
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:recorded-names-queue"
    for i in range(3):
        events.put_rule(Name=f"{prefix}{i}", EventBusName=bus, EventPattern=json.dumps(PATTERN))
        events.put_targets(Rule=f"{prefix}{i}", EventBusName=bus, Targets=[{"Id": "t", "Arn": queue}])
    flow.step("list_rule_names_by_target", events.list_rule_names_by_target, TargetArn=queue, EventBusName=bus)


def test_a_scheduled_rule(events: Any) -> None:
    flow = Flow("test_events_schedule", "test_put_rule_with_schedule_rate")
    rule = flow.name("recorded-rate-rule", "<rule-name>")
    flow.step("put-rule", events.put_rule, Name=rule, ScheduleExpression="rate(1 minute)")
    flow.step("list-rules", events.list_rules, NamePrefix=rule)
    events.delete_rule(Name=rule)


def test_archives_created_listed_described_updated(events: Any) -> None:
    flow = Flow("test_archive_and_replay", "test_create_list_describe_update_delete_archive[custom]")
    bus = flow.name("recorded-archive-bus", "<event-bus-name>")
    arn = events.create_event_bus(Name=bus)["EventBusArn"]
    archive = flow.name("recorded-archive", "<archive-name>")
    flow.step("create-archive", events.create_archive, ArchiveName=archive, EventSourceArn=arn,
              Description="description of the archive", EventPattern=json.dumps(PATTERN), RetentionDays=1)
    flow.step("list-archives", events.list_archives, NamePrefix=archive)
    flow.step("describe-archive", events.describe_archive, ArchiveName=archive)
    flow.step("update-archive", events.update_archive, ArchiveName=archive, Description="updated description")


def test_connections_created_and_described(events: Any) -> None:
    flow = Flow("test_api_destinations_and_connection", "test_create_connection")
    name = flow.name("recorded-connection", "<connection-name>")
    answer = events.create_connection(Name=name, AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "ApiKey", "ApiKeyValue": "secret"}, "InvocationHttpParameters": {}})
    flow.name(answer["ConnectionArn"].rsplit("/", 1)[1], "<resource:1>")
    secret = events.describe_connection(Name=name)["SecretArn"]
    flow.name(secret.rsplit("/", 1)[1], "<resource:2>")
    flow.step("create-connection", lambda: answer)
    flow.step("describe-connection", events.describe_connection, Name=name)


def test_api_destinations_created_listed_updated(events: Any) -> None:
    flow = Flow("test_api_destinations_and_connection", "test_api_destinations[auth0]")
    connection = events.create_connection(Name="recorded-destination-connection", AuthorizationType="BASIC",
                                          AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}})
    flow.name(connection["ConnectionArn"], "connection-arn")
    name = flow.name("recorded-destination", "<destination-name>")
    created = events.create_api_destination(Name=name, ConnectionArn=connection["ConnectionArn"],
                                            InvocationEndpoint="https://example.com/api", HttpMethod="POST",
                                            Description="Test API destination")
    flow.name(created["ApiDestinationArn"], "api-destination-arn")
    flow.step("create-api-destination", lambda: created)
    flow.step("describe-api-destination", events.describe_api_destination, Name=name)
    flow.step("list-api-destinations", events.list_api_destinations, NamePrefix=name)
    flow.step("update-api-destination", events.update_api_destination, Name=name, HttpMethod="PUT",
              InvocationEndpoint="https://example.com/api/v2", Description="Updated API destination")
    flow.step("describe-updated-api-destination", events.describe_api_destination, Name=name)


def test_tags_on_a_rule(events: Any) -> None:
    flow = Flow("test_events_tags", "test_put_rule_with_tags")
    rule = flow.name("recorded-tagged-rule", "<rule_name>")
    flow.step("put_rule_with_tags", events.put_rule, Name=rule, EventPattern=json.dumps(PATTERN),
              Tags=[{"Key": "tag1", "Value": "value1"}, {"Key": "tag2", "Value": "value2"}])
    arn = events.describe_rule(Name=rule)["Arn"]
    flow.step("list_tags_for_rule", events.list_tags_for_resource, ResourceARN=arn)
