"""AWS's recorded cross-account and cross-region flows, played against the server (issue 35).

``../shared/reference/aws-recorded/test_events_cross_account_region.snapshot.json`` holds what SQS queues
received on AWS when a rule of one account or region targets a bus of another (and when an account puts events
on another's bus by its ARN). The server plays the same calls with boto3 clients signed for the two pairs; the
queues' reads become the deliveries the server recorded for the queues' ARNs, and each message body must match
the recorded one: its account and region placeholders, and its event ids, the same id where AWS gave the same
(a bus in another account of the region keeps the id; one in another region gets a new one).

The flow, as the recording's test runs it: the secondary bus allows every principal to put events on it
(PutPermission ``Principal: "*"``); the primary bus's rule (``source-primary``) targets the primary queue and
the secondary bus; the secondary bus's rule (``source-primary`` or ``source-secondary``) targets the secondary
queue; an event is put on the primary bus, then one on the secondary bus.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from eventmatch.server import Server
from tests.aws_clients import aws_error, client

RECORDED = Path(__file__).resolve().parents[2] / "shared/reference/aws-recorded/test_events_cross_account_region.snapshot.json"
if not RECORDED.exists():
    pytest.skip(f"the recording {RECORDED} is not beside this checkout", allow_module_level=True)

TEST = "tests/aws/services/events/test_events_cross_account_region.py::"
PRIMARY = ("123456789012", "us-east-1")
SECONDARY_ACCOUNT, SECONDARY_REGION = "111122223333", "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/bus-to-bus"
DETAIL = {"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}}
DETAIL_TYPE = "core.update-account-command"


def recorded(name: str) -> dict[str, Any]:
    content: dict[str, Any] = json.loads(RECORDED.read_text())[TEST + name]["recorded-content"]
    return content


def secondary_pair(scenario: str) -> tuple[str, str]:
    return (SECONDARY_ACCOUNT if "account" in scenario else PRIMARY[0],
            SECONDARY_REGION if "region" in scenario else PRIMARY[1])


class Placeholders:
    """A recorded body's placeholders bound to what the server answered: ``<account>`` and the others to the
    pairs, ``<uuid:N>`` to one id each (the same N, the same id; different N, different ids), ``date`` to any
    time."""

    def __init__(self, secondary: tuple[str, str]) -> None:
        self.fixed = {"<account>": PRIMARY[0], "<region>": PRIMARY[1],
                      "<account-secondary>": secondary[0], "<region-secondary>": secondary[1]}
        self.ids: dict[str, str] = {}

    def match(self, expected: Any, actual: Any, where: str = "") -> None:
        if isinstance(expected, dict):
            assert isinstance(actual, dict) and sorted(actual) == sorted(expected), where
            for key in expected:
                self.match(expected[key], actual[key], f"{where}.{key}")
        elif isinstance(expected, list):
            assert isinstance(actual, list) and len(actual) == len(expected), where
            for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
                self.match(e, a, f"{where}[{i}]")
        elif expected == "date":
            assert isinstance(actual, str) and actual.endswith("Z"), where
        elif isinstance(expected, str) and expected.startswith("<uuid:"):
            bound = self.ids.setdefault(expected, actual)
            assert bound == actual, f"{where}: {expected} was {bound}, now {actual}"
            assert list(self.ids.values()).count(actual) == 1, f"{where}: {actual} stands for two placeholders"
        else:
            assert actual == self.fixed.get(expected, expected), where

    def messages(self, expected: list[dict[str, Any]], delivered: list[dict[str, Any]], where: str) -> None:
        """The recorded SQS messages' bodies against the deliveries' payloads (SQS's own fields are SQS's)."""
        self.match([m["Body"] for m in expected], [d["payload"] for d in delivered], where)


@pytest.mark.parametrize("scenario", ["region", "account", "region_account"])
@pytest.mark.parametrize("bus_kind", ["default", "custom"])
def test_a_bus_targets_a_bus_of_another_account_or_region(bus_kind: str, scenario: str) -> None:
    expected = recorded(f"test_event_bus_to_event_bus_cross_account_region[{bus_kind}-{scenario}]")
    secondary = secondary_pair(scenario)
    with Server() as server:
        url = server.endpoint_url
        primary_events = client("events", url, region=PRIMARY[1], access_key=PRIMARY[0])
        secondary_events = client("events", url, region=secondary[1], access_key=secondary[0])
        if bus_kind == "default":
            primary_bus = secondary_bus = "default"
            secondary_arn = f"arn:aws:events:{secondary[1]}:{secondary[0]}:event-bus/default"
        else:
            primary_bus, secondary_bus = "test-event-bus-primary", "test-event-bus-secondary"
            primary_events.create_event_bus(Name=primary_bus)
            secondary_arn = secondary_events.create_event_bus(Name=secondary_bus)["EventBusArn"]
        secondary_events.put_permission(StatementId="SecondaryEventBusAccessPermission", EventBusName=secondary_bus,
                                        Action="events:PutEvents", Principal="*")
        primary_queue = f"arn:aws:sqs:{PRIMARY[1]}:{PRIMARY[0]}:test-queue-primary"
        secondary_queue = f"arn:aws:sqs:{secondary[1]}:{secondary[0]}:test-queue-secondary"
        primary_events.put_rule(Name="test-rule-primary-sqs", EventBusName=primary_bus,
                                EventPattern=json.dumps({"source": ["source-primary"]}))
        primary_events.put_targets(Rule="test-rule-primary-sqs", EventBusName=primary_bus, Targets=[
            {"Id": "primary-sqs", "Arn": primary_queue},
            {"Id": "secondary-bus", "Arn": secondary_arn, "RoleArn": ROLE}])
        secondary_events.put_rule(Name="test-rule-secondary-sqs", EventBusName=secondary_bus,
                                  EventPattern=json.dumps({"source": ["source-primary", "source-secondary"]}))
        secondary_events.put_targets(Rule="test-rule-secondary-sqs", EventBusName=secondary_bus,
                                     Targets=[{"Id": "secondary-sqs", "Arn": secondary_queue}])

        primary_events.put_events(Entries=[{"Source": "source-primary", "DetailType": DETAIL_TYPE,
                                            "Detail": json.dumps(DETAIL), "EventBusName": primary_bus}])
        check = Placeholders(secondary)
        check.messages(expected["messages_primary_queue_from_primary_event_bus"], server.deliveries(primary_queue),
                       "primary queue")
        check.messages(expected["messages_secondary_queue_from_primary_event_bus"],
                       server.deliveries(secondary_queue), "secondary queue, from the primary bus")

        secondary_events.put_events(Entries=[{"Source": "source-secondary", "DetailType": DETAIL_TYPE,
                                              "Detail": json.dumps(DETAIL), "EventBusName": secondary_bus}])
        check.messages(expected["messages_secondary_queue_from_secondary_event_bus"],
                       server.deliveries(secondary_queue)[1:], "secondary queue, from the secondary bus")


def test_put_events_on_another_accounts_bus_by_its_arn() -> None:
    """The recording's ``test_put_events[custom-account]``: account A puts an event on account B's custom bus,
    named by its ARN, which B's policy allows every principal; B's rule delivers it, with A's account in it."""
    expected = recorded("TestEventsCrossAccountRegion::test_put_events[custom-account]")
    secondary = secondary_pair("account")
    with Server() as server:
        url = server.endpoint_url
        a = client("events", url, region=PRIMARY[1], access_key=PRIMARY[0])
        b = client("events", url, region=secondary[1], access_key=secondary[0])
        bus_arn = b.create_event_bus(Name="test-bus")["EventBusArn"]
        entry = {"Source": "source-primary", "DetailType": DETAIL_TYPE, "Detail": json.dumps(DETAIL),
                 "EventBusName": bus_arn}
        denied = a.put_events(Entries=[entry])  # before B's policy allows it: the entry fails alone
        assert denied["FailedEntryCount"] == 1
        assert denied["Entries"][0]["ErrorCode"] == "AccessDeniedException"
        assert denied["Entries"][0]["ErrorMessage"] == (
            f"User: arn:aws:iam::{PRIMARY[0]}:root is not authorized to perform: events:PutEvents on resource: "
            f"{bus_arn} because no resource-based policy allows the events:PutEvents action")
        b.put_permission(StatementId="TargetEventBusAccessPermission", EventBusName="test-bus",
                         Action="events:PutEvents", Principal="*")
        queue = f"arn:aws:sqs:{secondary[1]}:{secondary[0]}:test-queue"
        b.put_rule(Name="test-rule-sqs", EventPattern=json.dumps({"source": ["source-primary"]}),
                   EventBusName="test-bus")
        b.put_targets(Rule="test-rule-sqs", EventBusName="test-bus", Targets=[{"Id": "sqs", "Arn": queue}])
        answer = a.put_events(Entries=[entry])
        assert answer["FailedEntryCount"] == 0
        delivered = server.deliveries(queue)
        Placeholders(secondary).messages(expected["messages"], delivered, "B's queue")
        assert delivered[0]["payload"]["id"] == answer["Entries"][0]["EventId"]


def test_put_events_naming_another_regions_bus_is_refused() -> None:
    """An entry naming a bus of another region by its ARN: the request is refused as AWS refuses PutRule's
    (``Cross-region API call is not allowed.``, quoted in aws-samples/amazon-eventbridge-resource-policy-samples
    #10; PutEvents' own answer is not recorded: docs/server.md says so), and nothing is put."""
    with Server() as server:
        home = client("events", server.endpoint_url)
        entry = {"Source": "s", "DetailType": "d", "Detail": "{}",
                 "EventBusName": "arn:aws:events:eu-west-1:123456789012:event-bus/default"}
        assert aws_error(home.put_events, Entries=[{**entry, "EventBusName": "default"}, entry]) == (
            400, "ValidationException", "Cross-region API call is not allowed.")
        assert server.deliveries() == [] and server.inbox.recent == type(server.inbox.recent)()


def test_rules_on_another_accounts_bus_as_its_policy_allows() -> None:
    """PutRule, PutTargets, DescribeRule and the other rule actions name another account's bus by its ARN (user
    guide, "Permissions for event buses": "you can call PutRule to create a rule on an event bus in a different
    account"): refused with AccessDeniedException until the bus's policy allows them; the rule is the bus
    owner's (its ARN), and DescribeRule's CreatedBy names the account that made it (API reference,
    DescribeRule). Another region's bus: AWS's ValidationException."""
    a_account, b_account = PRIMARY[0], SECONDARY_ACCOUNT
    with Server() as server:
        url = server.endpoint_url
        a, b = client("events", url), client("events", url, access_key=b_account)
        bus = b.create_event_bus(Name="shared")["EventBusArn"]
        assert aws_error(a.put_rule, Name="mine", EventBusName=bus, EventPattern='{"source": ["s"]}') == (
            400, "AccessDeniedException",
            f"User: arn:aws:iam::{a_account}:root is not authorized to perform: events:PutRule on resource: "
            f"arn:aws:events:us-east-1:{b_account}:rule/shared/mine because no resource-based policy allows the "
            "events:PutRule action")
        policy = {"Version": "2012-10-17", "Statement": [{
            "Sid": "ManageOwnRules", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{a_account}:root"},
            "Action": ["events:PutRule", "events:PutTargets", "events:DescribeRule", "events:DeleteRule",
                       "events:RemoveTargets", "events:ListTargetsByRule"],
            "Resource": f"arn:aws:events:us-east-1:{b_account}:rule/shared/*",
            "Condition": {"StringEqualsIfExists": {"events:creatorAccount": "${aws:PrincipalAccount}"}}}]}
        b.put_permission(EventBusName="shared", Policy=json.dumps(policy))
        made = a.put_rule(Name="mine", EventBusName=bus, EventPattern='{"source": ["s"]}')["RuleArn"]
        assert made == f"arn:aws:events:us-east-1:{b_account}:rule/shared/mine"
        a.put_targets(Rule="mine", EventBusName=bus, Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:1:q"}])
        assert a.describe_rule(Name="mine", EventBusName=bus)["CreatedBy"] == a_account
        assert b.describe_rule(Name="mine", EventBusName="shared")["CreatedBy"] == a_account
        assert [r["Name"] for r in b.list_rules(EventBusName="shared")["Rules"]] == ["mine"]
        assert a.list_rules()["Rules"] == []  # A's own default bus has none
        b.put_rule(Name="bs-own", EventBusName="shared", EventPattern='{"source": ["s"]}')
        status, code, _ = aws_error(a.delete_rule, Name="bs-own", EventBusName=bus)  # created by B: not A's
        assert (status, code) == (400, "AccessDeniedException")
        a.remove_targets(Rule="mine", EventBusName=bus, Ids=["q"])
        a.delete_rule(Name="mine", EventBusName=bus)
        assert [r["Name"] for r in b.list_rules(EventBusName="shared")["Rules"]] == ["bs-own"]
        elsewhere = "arn:aws:events:eu-west-1:123456789012:event-bus/default"
        assert aws_error(a.put_rule, Name="r", EventBusName=elsewhere, EventPattern='{"source": ["s"]}') == (
            400, "ValidationException", "Cross-region API call is not allowed.")
        assert aws_error(a.put_targets, Rule="r", EventBusName=elsewhere, Targets=[
            {"Id": "q", "Arn": "arn:aws:sqs:us-east-1:1:q"}]) == (
            400, "ValidationException", "Cross-region api call is not allowed.")


def test_a_rule_made_from_another_account_keeps_its_creator_after_a_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    with Server(state=state) as server:
        a, b = client("events", server.endpoint_url), client("events", server.endpoint_url,
                                                             access_key=SECONDARY_ACCOUNT)
        bus = b.create_event_bus(Name="shared")["EventBusArn"]
        b.put_permission(EventBusName="shared", Action="events:PutEvents", Principal="*", StatementId="all")
        b.put_permission(EventBusName="shared", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": "rules", "Effect": "Allow", "Principal": "*", "Action": "events:*", "Resource": bus}]}))
        a.put_rule(Name="mine", EventBusName=bus, EventPattern='{"source": ["s"]}')
    for _ in range(2):
        with Server(state=state) as server:
            b = client("events", server.endpoint_url, access_key=SECONDARY_ACCOUNT)
            assert b.describe_rule(Name="mine", EventBusName="shared")["CreatedBy"] == PRIMARY[0]
            server.app.state.services.default.compactor.now()
