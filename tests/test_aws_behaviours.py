"""AWS behaviours of the EventBridge API that the server was missing (issue 35, items 2-6), each pinned with the
AWS page that documents it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

pytest.importorskip("starlette")

from botocore.exceptions import ClientError

from eventmatch.server import Server
from tests.aws_clients import aws_error, client

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


def test_a_recurring_schedules_start_date_may_not_be_more_than_five_minutes_ago() -> None:
    """AWS's answer, "The StartDate you specify cannot be earlier than 5 minutes ago." (quoted in
    getmoto/moto#8172), by the server's clock (here a virtual one); a one-time at() schedule's StartDate is
    ignored (Scheduler's API reference, CreateSchedule: StartDate)."""
    from datetime import timedelta

    from eventmatch import EventBridge
    from eventmatch.bus import VirtualClock
    from tests.aws_clients import aws_error

    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    target = {"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": ROLE}
    with Server(EventBridge(clock=VirtualClock(now))) as server:
        scheduler = client("scheduler", server.endpoint_url)
        create = scheduler.create_schedule
        assert aws_error(create, Name="late", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
                         StartDate=now - timedelta(minutes=6), Target=target) == (
            400, "ValidationException", "The StartDate you specify cannot be earlier than 5 minutes ago.")
        create(Name="recent", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
               StartDate=now - timedelta(minutes=4), Target=target)
        create(Name="once", ScheduleExpression="at(2026-06-02T00:00:00)", FlexibleTimeWindow={"Mode": "OFF"},
               StartDate=now - timedelta(days=1), Target=target)
        assert sorted(s["Name"] for s in scheduler.list_schedules()["Schedules"]) == ["once", "recent"]


def test_a_custom_bus_name_may_not_start_with_aws_or_hold_a_slash() -> None:
    """AWS's answer to a custom bus named like a partner's, "EventBus name starting with 'aws.' is not valid."
    (quoted in hashicorp/terraform-provider-aws#35065); a '/' in a custom bus's name (API reference,
    CreateEventBus: "Custom event bus names can't contain the / character") is refused with that sentence,
    AWS's own message for it not being known (docs/server.md)."""
    from tests.aws_clients import aws_error

    with Server() as server:
        events = client("events", server.endpoint_url)
        assert aws_error(events.create_event_bus, Name="aws.partner/acme/feed") == (
            400, "ValidationException", "EventBus name starting with 'aws.' is not valid.")
        assert aws_error(events.create_event_bus, Name="team/orders") == (
            400, "ValidationException",
            "Parameter Name is not valid. Reason: Custom event bus names can't contain the / character.")
        assert [b["Name"] for b in events.list_event_buses()["EventBuses"]] == ["default"]


def _replay_setup(server: Server) -> tuple[Any, str, str]:
    events = client("events", server.endpoint_url)
    bus = events.describe_event_bus()["Arn"]
    archive = events.create_archive(ArchiveName="a", EventSourceArn=bus)["ArchiveArn"]
    return events, bus, archive


def test_a_replay_runs_long_enough_to_be_cancelled() -> None:
    """A replay goes STARTING, RUNNING, then COMPLETED (API reference, ReplayState and CancelReplay: "Cancels
    the specified replay"); on the system clock it stays RUNNING at least a second, so that CancelReplay right
    after StartReplay answers CANCELLING and the replay ends CANCELLED."""
    import time

    with Server() as server:
        events, bus, archive = _replay_setup(server)
        times = {"EventStartTime": datetime(2026, 1, 1, tzinfo=UTC), "EventEndTime": datetime(2026, 1, 2, tzinfo=UTC),
                 "Destination": {"Arn": bus}}
        events.start_replay(ReplayName="cancelled", EventSourceArn=archive, **times)
        assert events.cancel_replay(ReplayName="cancelled")["State"] == "CANCELLING"
        events.start_replay(ReplayName="done", EventSourceArn=archive, **times)
        deadline = time.monotonic() + 10
        states = set()
        while time.monotonic() < deadline:
            states.add(events.describe_replay(ReplayName="done")["State"])
            if "COMPLETED" in states:
                break
            time.sleep(0.05)
        assert "RUNNING" in states and "COMPLETED" in states
        assert events.describe_replay(ReplayName="cancelled")["State"] == "CANCELLED"


def test_on_a_virtual_clock_a_replay_completes_when_the_clock_next_moves() -> None:
    import time

    from eventmatch import EventBridge
    from eventmatch.bus import VirtualClock

    with Server(EventBridge(clock=VirtualClock(datetime(2026, 6, 1, tzinfo=UTC)))) as server:
        events, bus, archive = _replay_setup(server)
        events.start_replay(ReplayName="r", EventSourceArn=archive,
                            EventStartTime=datetime(2026, 1, 1, tzinfo=UTC),
                            EventEndTime=datetime(2026, 1, 2, tzinfo=UTC), Destination={"Arn": bus})
        time.sleep(0.3)
        assert events.describe_replay(ReplayName="r")["State"] == "RUNNING"
        server.bridge.advance(1)
        deadline = time.monotonic() + 5
        while events.describe_replay(ReplayName="r")["State"] != "COMPLETED" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert events.describe_replay(ReplayName="r")["State"] == "COMPLETED"


def test_list_archives_and_list_replays_take_one_filter_at_a_time() -> None:
    """API reference, ListArchives and ListReplays: "Filter parameters are exclusive." (AWS's message for two
    of them is not recorded; the one here names them: docs/server.md)."""
    from tests.aws_clients import aws_error

    with Server() as server:
        events = client("events", server.endpoint_url)
        bus = events.describe_event_bus()["Arn"]
        events.create_archive(ArchiveName="arch", EventSourceArn=bus)
        status, code, message = aws_error(events.list_archives, NamePrefix="ar", State="ENABLED")
        assert (status, code) == (400, "ValidationException") and "NamePrefix and State" in message
        status, code, _ = aws_error(events.list_replays, NamePrefix="r", State="COMPLETED")
        assert (status, code) == (400, "ValidationException")
        assert [a["ArchiveName"] for a in events.list_archives(NamePrefix="ar")["Archives"]] == ["arch"]
        assert [a["ArchiveName"] for a in events.list_archives(State="ENABLED")["Archives"]] == ["arch"]


def test_put_permission_grants_events_put_events_only() -> None:
    """API reference, PutPermission, Action: "The action that you are enabling the other account to perform.
    Currently, this must be events:PutEvents." (AWS's message is not recorded; the one here says that:
    docs/server.md). Nothing is added to the policy."""
    from tests.aws_clients import aws_error

    with Server() as server:
        events = client("events", server.endpoint_url)
        assert aws_error(events.put_permission, Action="events:PutRule", Principal="111122223333",
                         StatementId="s") == (
            400, "ValidationException",
            "Parameter Action is not valid. Reason: Currently, this must be events:PutEvents.")
        assert "Policy" not in events.describe_event_bus()


def test_an_archive_makes_its_managed_rule_on_its_bus() -> None:
    """CreateArchive makes a rule on the archive's bus that EventBridge manages (listed by ListRules with
    ManagedBy, described by DescribeRule): its pattern is the archive's plus ``{"replay-name": [{"exists":
    false}]}`` (the bus-semantics notes gathered from AWS: replayed events are never archived again), and it goes
    with the archive. Changing it is AWS's ManagedRuleException (the API reference's ManagedRuleException: "You
    cannot modify these managed rules by using DisableRule, EnableRule, PutTargets, PutRule..."); its message is
    not recorded (docs/server.md says what is chosen)."""
    with Server() as server:
        events = client("events", server.endpoint_url)
        bus = events.create_event_bus(Name="orders")["EventBusArn"]
        events.put_rule(Name="mine", EventBusName="orders", EventPattern='{"source": ["shop"]}')
        events.create_archive(ArchiveName="paid", EventSourceArn=bus, EventPattern='{"detail-type": ["paid"]}')
        listed = events.list_rules(EventBusName="orders")["Rules"]
        assert [r["Name"] for r in listed] == ["Events-Archive-paid", "mine"]
        managed = listed[0]
        assert managed["ManagedBy"] == "prod.vhs.events.aws.internal" and managed["State"] == "ENABLED"
        assert json.loads(managed["EventPattern"]) == {"detail-type": ["paid"], "replay-name": [{"exists": False}]}
        assert managed["Arn"] == "arn:aws:events:us-east-1:123456789012:rule/orders/Events-Archive-paid"
        described = events.describe_rule(Name="Events-Archive-paid", EventBusName="orders")
        assert described["ManagedBy"] == "prod.vhs.events.aws.internal"
        assert events.list_rules()["Rules"] == []  # the default bus has no archive
        for call, params in ((events.put_rule, {"Name": "Events-Archive-paid", "EventPattern": '{"source": ["x"]}'}),
                             (events.disable_rule, {"Name": "Events-Archive-paid"}),
                             (events.delete_rule, {"Name": "Events-Archive-paid"}),
                             (events.put_targets, {"Rule": "Events-Archive-paid", "Targets": [
                                 {"Id": "q", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}]})):
            status, code, _ = aws_error(call, EventBusName="orders", **params)
            assert (status, code) == (400, "ManagedRuleException")
        events.delete_archive(ArchiveName="paid")
        assert [r["Name"] for r in events.list_rules(EventBusName="orders")["Rules"]] == ["mine"]


def test_create_schedule_refuses_a_target_arn_that_is_not_an_arn() -> None:
    """CreateSchedule's Target.Arn and RoleArn are ARNs (Scheduler's API reference, Target: "The Amazon Resource
    Name (ARN) of the target"; a universal target, arn:aws:scheduler:::aws-sdk:..., is one); AWS's own message is
    not recorded: docs/scheduler.md says what is chosen. Nothing is created."""
    with Server() as server:
        scheduler = client("scheduler", server.endpoint_url)
        common = {"ScheduleExpression": "rate(1 hour)", "FlexibleTimeWindow": {"Mode": "OFF"}}
        assert aws_error(scheduler.create_schedule, Name="s", Target={"Arn": "test-bucket", "RoleArn": ROLE},
                         **common) == (400, "ValidationException", "Invalid Target Arn test-bucket: it is not an ARN.")
        assert aws_error(scheduler.create_schedule, Name="s", Target={  # (the model's pattern, in AWS's form)
            "Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": "my-role"}, **common)[2].startswith(
            "1 validation error detected: Value 'my-role' at 'target.roleArn' failed to satisfy constraint")
        assert scheduler.list_schedules()["Schedules"] == []
        scheduler.create_schedule(Name="universal", Target={
            "Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage", "RoleArn": ROLE,
            "Input": '{"QueueUrl": "q", "MessageBody": "m"}'}, **common)
