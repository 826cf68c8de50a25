"""EventBridge Scheduler, the service: in process, and over the wire with boto3's ``scheduler`` client and the
AWS CLI; AWS's recorded answers replayed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from eventmatch import ConflictError, EventBridge, ResourceNotFoundError, ValidationError, VirtualClock
from eventmatch.scheduler import Scheduler

START = datetime(2026, 1, 1, tzinfo=UTC)
ROLE = "arn:aws:iam::123456789012:role/scheduler"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:jobs"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:job"
RECORDED = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "aws-recorded"


# -- in process ------------------------------------------------------------------------------------
def _scheduler(**options: Any) -> tuple[EventBridge, Scheduler, list[Any]]:
    bridge = EventBridge(clock=VirtualClock(START))
    received: list[Any] = []
    return bridge, Scheduler(bridge, functions={FUNCTION: received.append}, **options), received


def test_a_rate_schedule_fires_with_its_context_attributes() -> None:
    bridge, scheduler, received = _scheduler()
    arn = scheduler.create_schedule("every-hour", "rate(1 hour)", {
        "Arn": FUNCTION, "RoleArn": ROLE,
        "Input": json.dumps({"arn": "<aws.scheduler.schedule-arn>", "at": "<aws.scheduler.scheduled-time>",
                             "attempt": "<aws.scheduler.attempt-number>", "id": "<aws.scheduler.execution-id>"})})
    assert arn == "arn:aws:scheduler:us-east-1:123456789012:schedule/default/every-hour"
    assert bridge.advance(3 * 3600) == 3
    assert [r["at"] for r in received] == ["2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z", "2026-01-01T03:00:00Z"]
    assert {r["arn"] for r in received} == {arn} and {r["attempt"] for r in received} == {"1"}
    assert len({r["id"] for r in received}) == 3


def test_cron_in_a_time_zone_start_and_end_dates_and_no_input() -> None:
    bridge, scheduler, received = _scheduler()
    scheduler.create_schedule("paris-nine", "cron(0 9 * * ? *)", {"Arn": FUNCTION, "RoleArn": ROLE},
                              ScheduleExpressionTimezone="Europe/Paris", StartDate=START + timedelta(days=1),
                              EndDate=START + timedelta(days=3))
    assert scheduler.next_invocation("paris-nine") == datetime(2026, 1, 2, 8, 0, tzinfo=UTC)  # 09:00 in Paris
    bridge.advance(timedelta(days=10))
    assert received == [{}, {}]  # 2 and 3 January; none after the EndDate; {} without an Input


def test_a_one_time_schedule_deletes_itself_after_completion() -> None:
    bridge, scheduler, received = _scheduler()
    scheduler.create_schedule("once", "at(2026-01-01T00:30:00)", {"Arn": FUNCTION, "RoleArn": ROLE, "Input": "hi"},
                              ActionAfterCompletion="DELETE")
    bridge.advance(3600)
    assert received == ["hi"]
    with pytest.raises(ResourceNotFoundError, match=r"Schedule once does not exist\."):
        scheduler.get_schedule("once")


def test_a_flexible_window_is_random_inside_the_window_and_reproducible() -> None:
    times = []
    for _ in range(2):
        _, scheduler, _ = _scheduler(seed=7)
        scheduler.create_schedule("flex", "rate(1 hour)", {"Arn": FUNCTION, "RoleArn": ROLE},
                                  flexible_time_window={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15})
        times.append(scheduler.next_invocation("flex"))
    assert times[0] == times[1]
    assert START + timedelta(hours=1) <= times[0] <= START + timedelta(hours=1, minutes=15)


def test_retries_then_the_dead_letter_queue_with_the_attempt_number() -> None:
    bridge = EventBridge(clock=VirtualClock(START))
    attempts: list[Any] = []
    dead: list[tuple[str, Any, dict[str, Any]]] = []

    def failing(payload: Any) -> None:
        attempts.append(payload)
        raise RuntimeError("down")

    scheduler = Scheduler(bridge, functions={FUNCTION: failing}, dead_letter=lambda *a: dead.append(a), seed=1)
    scheduler.create_schedule("flaky", "at(2026-01-01T00:10:00)", {
        "Arn": FUNCTION, "RoleArn": ROLE, "Input": '{"attempt": "<aws.scheduler.attempt-number>"}',
        "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
        "DeadLetterConfig": {"Arn": QUEUE}})
    bridge.advance(3600)
    assert [a["attempt"] for a in attempts] == ["1", "2", "3"]
    ((arn, payload, attributes),) = dead
    assert arn == QUEUE and payload == {"attempt": "3"}
    assert attributes["X-Amz-Scheduler-Attempt"] == "3" and "down" in attributes["X-Amz-Scheduler-Error-Message"]
    assert attributes["X-Amz-Scheduler-Target-Arn"] == FUNCTION and attributes["X-Amz-Scheduler-Group"] == "default"


def test_a_target_on_an_event_bus_puts_an_event() -> None:
    bridge, scheduler, _ = _scheduler()
    seen: list[Any] = []
    bus = bridge.bus()
    bus.put_rule("from-scheduler", {"source": ["my.scheduler"]})
    bus.put_targets("from-scheduler", [{"Id": "t", "Fn": seen.append}])
    scheduler.create_schedule("to-bus", "rate(5 minutes)", {
        "Arn": "arn:aws:events:us-east-1:123456789012:event-bus/default", "RoleArn": ROLE, "Input": '{"n": 1}',
        "EventBridgeParameters": {"Source": "my.scheduler", "DetailType": "Tick"}})
    bridge.advance(300)
    (event,) = seen
    assert (event["source"], event["detail-type"], event["detail"]) == ("my.scheduler", "Tick", {"n": 1})
    assert event["resources"] == ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/to-bus"]


def test_groups_updates_conflicts_and_client_tokens() -> None:
    bridge, scheduler, received = _scheduler()
    scheduler.create_schedule_group("team")
    target = {"Arn": FUNCTION, "RoleArn": ROLE}
    first = scheduler.create_schedule("job", "rate(1 day)", target, group="team", client_token="t-1")
    assert scheduler.create_schedule("job", "rate(1 day)", target, group="team", client_token="t-1") == first
    with pytest.raises(ConflictError, match=r"Schedule job already exists\."):
        scheduler.create_schedule("job", "rate(1 day)", target, group="team")
    with pytest.raises(ResourceNotFoundError, match=r"Schedule group nope does not exist\."):
        scheduler.create_schedule("job", "rate(1 day)", target, group="nope")
    with pytest.raises(ValidationError, match=r"Invalid Schedule Expression rate\(1 fortnight\)."):
        scheduler.create_schedule("bad", "rate(1 fortnight)", target)
    scheduler.update_schedule("job", "rate(1 hour)", target, group="team", State="DISABLED")
    assert scheduler.get_schedule("job", "team")["State"] == "DISABLED"
    bridge.advance(7200)
    assert received == []  # disabled
    scheduler.delete_schedule_group("team")
    assert scheduler.list_schedules() == []


TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Jobs:
    Type: AWS::Scheduler::ScheduleGroup
    Properties:
      Name: jobs
  Queue:
    Type: AWS::SQS::Queue
  Nightly:
    Type: AWS::Scheduler::Schedule
    Properties:
      Name: nightly
      GroupName: !Ref Jobs
      ScheduleExpression: cron(0 2 * * ? *)
      ScheduleExpressionTimezone: Europe/Paris
      FlexibleTimeWindow:
        Mode: FLEXIBLE
        MaximumWindowInMinutes: 10
      Target:
        Arn: !GetAtt Queue.Arn
        RoleArn: arn:aws:iam::123456789012:role/scheduler
        Input: '{"job": "nightly"}'
        RetryPolicy:
          MaximumRetryAttempts: 3
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        Every5:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(5 minutes)
            Input: '{"job": "sweep"}'
            RetryPolicy:
              MaximumRetryAttempts: 0
"""


def test_a_templates_schedules_load_into_the_scheduler_with_their_settings() -> None:
    from eventmatch.template import load_template

    bridge = EventBridge(clock=VirtualClock(START))
    received: list[tuple[str, Any]] = []
    scheduler = Scheduler(bridge, resolver=lambda spec: lambda payload: received.append((spec["Arn"], payload)))
    template = load_template("template.yaml", text=TEMPLATE)
    assert template.schedule_groups == ("jobs",)
    template.install(bridge, scheduler)
    nightly = scheduler.get_schedule("nightly", "jobs")
    assert nightly["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 10}
    assert nightly["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert nightly["Target"]["Arn"] == "arn:aws:sqs:us-east-1:123456789012:Queue"
    assert nightly["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 3
    sweep = scheduler.get_schedule("WorkerEvery5")
    assert sweep["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 0
    bridge.advance(timedelta(hours=2))  # 02:00 in Paris is 01:00Z in winter, inside a 10-minute window
    payloads = [p for _, p in received]
    assert payloads.count({"job": "sweep"}) == 24 and payloads.count({"job": "nightly"}) == 1
    assert bridge.bus().list_rules() == []  # in the Scheduler, not as rules on the bus


# -- over the wire ---------------------------------------------------------------------------------
boto3 = pytest.importorskip("boto3")
pytest.importorskip("starlette")
from eventmatch.server import Server  # noqa: E402
from tests.aws_clients import aws_error as _error  # noqa: E402
from tests.aws_clients import client as _client  # noqa: E402


@pytest.fixture
def server() -> Iterator[Server]:
    with Server(EventBridge(clock=VirtualClock(START))) as running:
        yield running


@pytest.fixture
def client(server: Server) -> Any:
    return _client("scheduler", server.endpoint_url)


def test_all_twelve_actions_with_boto3(server: Server, client: Any) -> None:
    target = {"Arn": QUEUE, "RoleArn": ROLE, "Input": '{"at": "<aws.scheduler.scheduled-time>"}'}
    group_arn = client.create_schedule_group(Name="team", Tags=[{"Key": "owner", "Value": "me"}])["ScheduleGroupArn"]
    assert group_arn == "arn:aws:scheduler:us-east-1:123456789012:schedule-group/team"
    assert client.get_schedule_group(Name="team")["State"] == "ACTIVE"
    assert [g["Name"] for g in client.list_schedule_groups()["ScheduleGroups"]] == ["default", "team"]
    arn = client.create_schedule(Name="hourly", GroupName="team", ScheduleExpression="rate(1 hour)", Target=target,
                                 FlexibleTimeWindow={"Mode": "OFF"})["ScheduleArn"]
    got = client.get_schedule(Name="hourly", GroupName="team")
    assert (got["Arn"], got["ScheduleExpression"], got["State"], got["Target"]["Arn"]) == (
        arn, "rate(1 hour)", "ENABLED", QUEUE)
    assert isinstance(got["CreationDate"], datetime)
    client.create_schedule(Name="daily", ScheduleExpression="rate(1 day)", Target=target,
                           FlexibleTimeWindow={"Mode": "OFF"})
    assert [s["Name"] for s in client.list_schedules(GroupName="team")["Schedules"]] == ["hourly"]
    assert [s["Name"] for s in client.list_schedules()["Schedules"]] == ["daily", "hourly"]
    assert [s["Name"] for s in client.list_schedules(NamePrefix="da")["Schedules"]] == ["daily"]
    client.update_schedule(Name="hourly", GroupName="team", ScheduleExpression="rate(2 hours)", Target=target,
                           FlexibleTimeWindow={"Mode": "OFF"}, State="ENABLED")
    assert client.get_schedule(Name="hourly", GroupName="team")["ScheduleExpression"] == "rate(2 hours)"
    client.tag_resource(ResourceArn=group_arn, Tags=[{"Key": "env", "Value": "test"}])
    assert {t["Key"] for t in client.list_tags_for_resource(ResourceArn=group_arn)["Tags"]} == {"owner", "env"}
    client.untag_resource(ResourceArn=group_arn, TagKeys=["owner"])
    assert client.list_tags_for_resource(ResourceArn=group_arn)["Tags"] == [{"Key": "env", "Value": "test"}]
    # the schedules fire on the server's virtual clock, moved over HTTP
    request = urllib.request.Request(server.endpoint_url + "/_eventmatch/clock", data=b'{"advance": 7200}',
                                     method="POST")
    urllib.request.urlopen(request, timeout=10).read()
    fired = [d for d in server.deliveries() if d["arn"] == QUEUE]
    assert [d["payload"]["at"] for d in fired] == ["2026-01-01T02:00:00Z"]
    client.delete_schedule(Name="daily")
    client.delete_schedule_group(Name="team")  # its schedules go with it
    assert client.list_schedules()["Schedules"] == []
    assert _error(client.get_schedule, Name="hourly", GroupName="team") == (
        404, "ResourceNotFoundException", "Schedule group team does not exist.")


def test_errors_follow_schedulers_convention(server: Server, client: Any) -> None:
    target = {"Arn": QUEUE, "RoleArn": ROLE}
    assert _error(client.get_schedule, Name="missing") == (404, "ResourceNotFoundException",
                                                           "Schedule missing does not exist.")
    client.create_schedule(Name="twice", ScheduleExpression="rate(1 day)", Target=target,
                           FlexibleTimeWindow={"Mode": "OFF"})
    assert _error(client.create_schedule, Name="twice", ScheduleExpression="rate(1 day)", Target=target,
                  FlexibleTimeWindow={"Mode": "OFF"}) == (409, "ConflictException", "Schedule twice already exists.")
    # the code travels in x-amzn-ErrorType, the message as {"Message": ...}
    request = urllib.request.Request(server.endpoint_url + "/schedules/missing")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 404 and info.value.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert json.loads(info.value.read()) == {"Message": "Schedule missing does not exist."}


def test_malformed_scheduler_requests_get_schedulers_error_shape(server: Server) -> None:
    for method, path, body in (("POST", "/schedules/x", b"{not json"), ("POST", "/schedules/x", b"[1]"),
                               ("GET", "/schedules?MaxResults=lots", b""), ("PUT", "/schedule-groups/x", b"{}")):
        request = urllib.request.Request(server.endpoint_url + path, data=body or None, method=method)
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=10)
        if method == "PUT":  # no such action on a group
            assert info.value.code == 404 and info.value.headers["x-amzn-ErrorType"] == "UnknownOperationException"
        else:
            assert info.value.code == 400 and info.value.headers["x-amzn-ErrorType"] == "ValidationException"
        assert set(json.loads(info.value.read())) == {"Message"}


def test_client_token_makes_a_retried_create_idempotent(client: Any) -> None:
    options = {"Name": "once", "ScheduleExpression": "rate(1 day)", "Target": {"Arn": QUEUE, "RoleArn": ROLE},
               "FlexibleTimeWindow": {"Mode": "OFF"}, "ClientToken": "retry-1"}
    assert client.create_schedule(**options)["ScheduleArn"] == client.create_schedule(**options)["ScheduleArn"]


def _recorded() -> dict[str, Any]:
    path = RECORDED / "test_scheduler.snapshot.json"
    return json.loads(path.read_text()) if path.exists() else {}


@pytest.mark.skipif(not _recorded(), reason="needs ../shared/reference/aws-recorded")
def test_recorded_schedule_expressions_replayed_over_the_wire(client: Any) -> None:
    """Every expression AWS refused is refused with its status, code and message; those it took are taken."""
    refused = taken = 0
    for key, value in _recorded().items():
        test = key.split("::")[-1]
        if "[" not in test or ("schedule_expression" not in test and "cron_expressions" not in test):
            continue
        expression = test[test.index("[") + 1:-1]
        for step, content in value["recorded-content"].items():
            params = {"Name": f"s{refused + taken}", "ScheduleExpression": expression,
                      "Target": {"Arn": QUEUE, "RoleArn": ROLE}, "FlexibleTimeWindow": {"Mode": "OFF"}}
            if "Error" in content:
                want = (content["ResponseMetadata"]["HTTPStatusCode"], content["Error"]["Code"],
                        content["Error"]["Message"])
                assert _error(client.create_schedule, **params) == want, expression
                refused += 1
            else:
                assert client.create_schedule(**params)["ScheduleArn"].endswith(f"/default/{params['Name']}"), step
                taken += 1
    assert refused >= 16 and taken >= 6


@pytest.mark.skipif(not _recorded(), reason="needs ../shared/reference/aws-recorded")
def test_recorded_tags_replayed(client: Any) -> None:
    recorded = {k.split("::")[-1]: v["recorded-content"] for k, v in _recorded().items()}
    arn = client.create_schedule_group(Name="tagged")["ScheduleGroupArn"]
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "TagKey", "Value": "TagValue"}])
    answer = client.list_tags_for_resource(ResourceArn=arn)
    assert answer["Tags"] == recorded["test_tag_resource"]["list-tagged-schedule"]["Tags"]
    client.untag_resource(ResourceArn=arn, TagKeys=["TagKey"])
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == \
        recorded["test_untag_resource"]["list-untagged-schedule"]["Tags"]


def test_schedules_survive_a_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    with Server(EventBridge(clock=VirtualClock(START)), state=state) as first:
        client = _client("scheduler", first.endpoint_url)
        client.create_schedule_group(Name="kept")
        client.create_schedule(Name="nightly", GroupName="kept", ScheduleExpression="cron(0 2 * * ? *)",
                               Target={"Arn": QUEUE, "RoleArn": ROLE}, FlexibleTimeWindow={"Mode": "OFF"})
    with Server(EventBridge(clock=VirtualClock(START)), state=state) as second:
        client = _client("scheduler", second.endpoint_url)
        assert client.get_schedule(Name="nightly", GroupName="kept")["ScheduleExpression"] == "cron(0 2 * * ? *)"
        second.bridge.advance(3 * 3600)
        assert [d["arn"] for d in second.deliveries()] == [QUEUE]


@pytest.mark.skipif(shutil.which("aws") is None and not (Path(sys.executable).parent / "aws").exists(),
                    reason="the AWS CLI is not installed")
def test_the_aws_cli_talks_to_the_scheduler(server: Server) -> None:
    aws = str(Path(sys.executable).parent / "aws") if (Path(sys.executable).parent / "aws").exists() else "aws"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([aws, "scheduler", *args, "--endpoint-url", server.endpoint_url], env=env,
                              capture_output=True, text=True, timeout=60)

    made = cli("create-schedule", "--name", "cli", "--schedule-expression", "rate(5 minutes)", "--target",
               json.dumps({"Arn": QUEUE, "RoleArn": ROLE}), "--flexible-time-window", '{"Mode": "OFF"}')
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["ScheduleArn"].endswith("/default/cli")
    listed = cli("list-schedules")
    assert [s["Name"] for s in json.loads(listed.stdout)["Schedules"]] == ["cli"]
    missing = cli("get-schedule", "--name", "nope")
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr


@pytest.mark.parametrize(("zone", "change", "before", "after"), [
    ("America/New_York", datetime(2026, 3, 8, tzinfo=UTC), 14, 13),  # EST -> EDT
    ("Europe/London", datetime(2026, 3, 29, tzinfo=UTC), 9, 8),  # GMT -> BST
])
def test_cron_keeps_its_wall_time_across_a_daylight_saving_change(zone: str, change: datetime, before: int,
                                                                   after: int) -> None:
    bridge = EventBridge(clock=VirtualClock(change - timedelta(days=2)))
    times: list[Any] = []
    scheduler = Scheduler(bridge, functions={FUNCTION: times.append})
    scheduler.create_schedule("nine", "cron(0 9 * * ? *)", {"Arn": FUNCTION, "RoleArn": ROLE,
                                                           "Input": '"<aws.scheduler.scheduled-time>"'},
                              ScheduleExpressionTimezone=zone)
    scheduler.create_schedule("hourly", "rate(6 hours)", {"Arn": FUNCTION, "RoleArn": ROLE, "Input": '"rate"'},
                              ScheduleExpressionTimezone=zone)
    bridge.advance(timedelta(days=4))
    nine = [datetime.fromisoformat(t.replace("Z", "+00:00")) for t in times if t != "rate"]
    assert [t.hour for t in nine] == [before, before, after, after]  # 09:00 local, each day
    assert times.count("rate") == 16  # a rate counts absolute time: every 6 hours, the change or not


def test_flexible_window_invocations_fall_inside_their_window_roughly_uniformly() -> None:
    bridge = EventBridge(clock=VirtualClock(START))
    scheduler = Scheduler(bridge, functions={FUNCTION: lambda payload: None}, seed=3)
    for i in range(500):
        scheduler.create_schedule(f"f{i}", "rate(1 hour)", {"Arn": FUNCTION, "RoleArn": ROLE},
                                  flexible_time_window={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 10})
    offsets = [(scheduler.next_invocation(f"f{i}") - (START + timedelta(hours=1))).total_seconds() / 60  # type: ignore[operator]
               for i in range(500)]
    assert all(0 <= o <= 10 for o in offsets)
    bins = [sum(1 for o in offsets if b * 2 <= o < (b + 1) * 2) for b in range(5)]
    assert all(60 <= n <= 140 for n in bins), bins  # 100 expected in each fifth of the window
    bridge.advance(timedelta(hours=3, minutes=11))  # each invocation made inside its own window
    made = list(scheduler.invocations)
    assert len(made) == 1500
    assert all(timedelta(0) <= i["InvokedTime"] - i["ScheduledTime"] <= timedelta(minutes=10) for i in made)


def test_the_skipped_and_the_repeated_hour_as_scheduler_runs_them() -> None:
    """New York, 2026: 02:30 does not exist on 8 March (no invocation that day); 01:30 happens twice on
    1 November (one invocation, at the first)."""
    bridge = EventBridge(clock=VirtualClock(datetime(2026, 3, 7, tzinfo=UTC)))
    times: list[Any] = []
    scheduler = Scheduler(bridge, functions={FUNCTION: times.append})
    target = {"Arn": FUNCTION, "RoleArn": ROLE, "Input": '"<aws.scheduler.scheduled-time>"'}
    scheduler.create_schedule("gap", "cron(30 2 * * ? *)", target, ScheduleExpressionTimezone="America/New_York",
                              EndDate=datetime(2026, 3, 10, tzinfo=UTC))
    scheduler.create_schedule("twice", "cron(30 1 * * ? *)", target, ScheduleExpressionTimezone="America/New_York",
                              StartDate=datetime(2026, 10, 31, tzinfo=UTC), EndDate=datetime(2026, 11, 2, 12, tzinfo=UTC))
    bridge.advance(timedelta(days=245))
    assert times == ["2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z",  # 8 March skipped
                     "2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"]  # once on 1 November


def test_a_universal_target_calls_its_api_action_on_the_forwarded_endpoint() -> None:
    from tests.test_server import _FakeAws

    fake = _FakeAws()
    try:
        with Server(EventBridge(clock=VirtualClock(START)), forward={"sqs": fake.url}) as server:
            client = _client("scheduler", server.endpoint_url)
            client.create_schedule(
                Name="universal", ScheduleExpression="at(2026-01-01T00:05:00)", FlexibleTimeWindow={"Mode": "OFF"},
                Target={"Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage", "RoleArn": ROLE,
                        "Input": json.dumps({"QueueUrl": f"{fake.url}/123456789012/jobs",
                                             "MessageBody": "<aws.scheduler.scheduled-time>"})})
            server.bridge.advance(600)
            assert [d["arn"] for d in server.deliveries()] == ["arn:aws:scheduler:::aws-sdk:sqs:sendMessage"]
        (sent,) = [json.loads(r["body"]) for r in fake.requests if r["target"].endswith("SendMessage")]
        assert sent == {"QueueUrl": f"{fake.url}/123456789012/jobs", "MessageBody": "2026-01-01T00:05:00Z"}
    finally:
        fake.server.shutdown()
