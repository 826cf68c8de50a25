"""AWS behaviours of the EventBridge API that the server was missing (issue 35, items 2-6), each pinned with the
AWS page that documents it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

pytest.importorskip("starlette")

from botocore.exceptions import ClientError

from eventmatch.server import Server
from tests.aws_clients import client

ROLE = "arn:aws:iam::123456789012:role/events-invoke"


def test_delete_rule_succeeds_for_a_rule_that_does_not_exist() -> None:
    """API reference, DeleteRule: "If you call delete rule multiple times for the same rule, all calls will
    succeed. When you call delete rule for a non-existent custom eventbus, ResourceNotFoundException is
    returned." """
    with Server() as server:
        events = client("events", server.endpoint_url)
        events.put_rule(Name="r", EventPattern='{"source": ["s"]}')
        events.delete_rule(Name="r")
        events.delete_rule(Name="r")
        events.delete_rule(Name="never-was")
        with pytest.raises(ClientError) as raised:
            events.delete_rule(Name="r", EventBusName="no-such-bus")
        assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_describe_rule_and_list_rules_give_the_rules_role_arn() -> None:
    """API reference, DescribeRule (response element RoleArn: "The Amazon Resource Name (ARN) of the IAM role
    associated with the rule") and the Rule data type (ListRules)."""
    with Server() as server:
        events = client("events", server.endpoint_url)
        events.put_rule(Name="r", EventPattern='{"source": ["s"]}', RoleArn=ROLE)
        events.put_rule(Name="plain", EventPattern='{"source": ["s"]}')
        assert events.describe_rule(Name="r")["RoleArn"] == ROLE
        assert "RoleArn" not in events.describe_rule(Name="plain")
        assert {r["Name"]: r.get("RoleArn") for r in events.list_rules()["Rules"]} == {"plain": None, "r": ROLE}


def test_describe_replay_gives_the_description_start_replay_was_given() -> None:
    """API reference, DescribeReplay (response element Description: "The description of the replay")."""
    with Server() as server:
        events = client("events", server.endpoint_url)
        bus = events.describe_event_bus()["Arn"]
        archive = events.create_archive(ArchiveName="a", EventSourceArn=bus)["ArchiveArn"]
        events.start_replay(ReplayName="r", EventSourceArn=archive, Description="why we replay",
                            EventStartTime=datetime(2026, 1, 1, tzinfo=UTC),
                            EventEndTime=datetime(2026, 1, 2, tzinfo=UTC), Destination={"Arn": bus})
        assert events.describe_replay(ReplayName="r")["Description"] == "why we replay"


def test_every_timestamp_member_is_taken_as_the_sdk_sends_it() -> None:
    """The SDKs send timestamps as epoch seconds (with fractions) in AWS's JSON protocols, and parse them back
    the same way (boto3 gives datetimes): PutEvents' Time, StartReplay's EventStartTime and EventEndTime,
    CreateSchedule's StartDate and EndDate."""
    when = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    later = datetime(2026, 3, 5, 5, 6, 7, 500000, tzinfo=UTC)
    queue = "arn:aws:sqs:us-east-1:123456789012:q"
    with Server() as server:
        events = client("events", server.endpoint_url)
        events.put_rule(Name="r", EventPattern='{"source": ["s"]}')
        events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": queue}])
        events.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}", "Time": when}])
        (delivered,) = server.deliveries(queue)
        assert delivered["payload"]["time"] == "2026-03-04T05:06:07Z"
        bus = events.describe_event_bus()["Arn"]
        archive = events.create_archive(ArchiveName="a", EventSourceArn=bus)["ArchiveArn"]
        events.start_replay(ReplayName="r", EventSourceArn=archive, EventStartTime=when, EventEndTime=later,
                            Destination={"Arn": bus})
        replay = events.describe_replay(ReplayName="r")
        assert (replay["EventStartTime"], replay["EventEndTime"]) == (when, later)
        scheduler = client("scheduler", server.endpoint_url)
        scheduler.create_schedule(Name="s", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
                                  StartDate=datetime(2030, 1, 1, tzinfo=UTC), EndDate=datetime(2030, 2, 1, tzinfo=UTC),
                                  Target={"Arn": queue, "RoleArn": ROLE})
        schedule = scheduler.get_schedule(Name="s")
        assert (schedule["StartDate"], schedule["EndDate"]) == (datetime(2030, 1, 1, tzinfo=UTC),
                                                               datetime(2030, 2, 1, tzinfo=UTC))


def test_put_targets_refuses_an_arn_that_is_not_one_and_a_fifo_queue_without_sqs_parameters() -> None:
    """AWS's answers to PutTargets (ValidationException), as AWS gives them: "Parameter test-bucket is not
    valid. Reason: Provided Arn is not in correct format." (recorded by the emulator suite this issue ran);
    "Parameter(s) SqsParameters must be specified for target: <id>." for a FIFO queue without SqsParameters,
    and the same for a Batch job queue and BatchParameters (AWS's answers quoted in hashicorp/terraform#20263
    and aws/aws-cdk#7137; the Target data type of the API reference documents SqsParameters for FIFO
    queues). Nothing of such a request is stored."""
    from tests.aws_clients import aws_error

    with Server() as server:
        events = client("events", server.endpoint_url)
        events.put_rule(Name="r", EventPattern='{"source": ["s"]}')
        put = events.put_targets
        assert aws_error(put, Rule="r", Targets=[{"Id": "ok", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"},
                                                 {"Id": "t", "Arn": "test-bucket"}]) == (
            400, "ValidationException",
            "Parameter test-bucket is not valid. Reason: Provided Arn is not in correct format.")
        fifo = "arn:aws:sqs:us-east-1:123456789012:orders.fifo"
        assert aws_error(put, Rule="r", Targets=[{"Id": "f", "Arn": fifo}]) == (
            400, "ValidationException", "Parameter(s) SqsParameters must be specified for target: f.")
        queue = "arn:aws:batch:us-east-1:123456789012:job-queue/q"
        assert aws_error(put, Rule="r", Targets=[{"Id": "b", "Arn": queue, "RoleArn": ROLE}]) == (
            400, "ValidationException", "Parameter(s) BatchParameters must be specified for target: b.")
        assert events.list_targets_by_rule(Rule="r")["Targets"] == []  # nothing half-applied
        put(Rule="r", Targets=[{"Id": "f", "Arn": fifo, "SqsParameters": {"MessageGroupId": "g"}}])
        assert [t["Id"] for t in events.list_targets_by_rule(Rule="r")["Targets"]] == ["f"]
