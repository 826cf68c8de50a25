"""Accounts and regions as AWS has them (issue 35): ARNs in the region's partition, and every answer with its
request id."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

pytest.importorskip("starlette")

from botocore.exceptions import ClientError

from eventmatch import EventBridge
from eventmatch.arn import arn, partition
from eventmatch.scheduler import Scheduler
from eventmatch.server import Server
from tests.aws_clients import client

ROLE = "arn:aws:iam::123456789012:role/r"


def test_a_regions_partition() -> None:
    """AWS's partitions (the ARN reference, docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html):
    ``aws`` for commercial regions, ``aws-cn`` for China, ``aws-us-gov`` for GovCloud (US)."""
    assert [partition(r) for r in ("us-east-1", "eu-west-1", "cn-north-1", "cn-northwest-1", "us-gov-west-1",
                                   "us-iso-east-1", "us-isob-east-1")] == [
        "aws", "aws", "aws-cn", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"]
    assert arn("events", "cn-north-1", "123456789012", "rule/r") == "arn:aws-cn:events:cn-north-1:123456789012:rule/r"


def test_every_arn_the_bridge_and_scheduler_make_is_in_the_regions_partition() -> None:
    bridge = EventBridge(account="111122223333", region="cn-north-1")
    bus = bridge.create_event_bus("orders")
    assert bus.arn == "arn:aws-cn:events:cn-north-1:111122223333:event-bus/orders"
    assert bus.put_rule("r", {"source": ["s"]}) == "arn:aws-cn:events:cn-north-1:111122223333:rule/orders/r"
    assert bridge.create_archive("a", "orders").arn == "arn:aws-cn:events:cn-north-1:111122223333:archive/a"
    gov = Scheduler(EventBridge(account="111122223333", region="us-gov-west-1"))
    made = gov.create_schedule("s", "rate(1 hour)", {"Arn": "arn:aws-us-gov:sqs:us-gov-west-1:111122223333:q",
                                                      "RoleArn": ROLE})
    assert made == "arn:aws-us-gov:scheduler:us-gov-west-1:111122223333:schedule/default/s"


def test_the_apis_resources_take_the_partition_too() -> None:
    with Server(EventBridge(region="cn-north-1")) as server:
        events = client("events", server.endpoint_url, region="cn-north-1")
        connection = events.create_connection(Name="c", AuthorizationType="API_KEY", AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})["ConnectionArn"]
        assert connection.startswith("arn:aws-cn:events:cn-north-1:123456789012:connection/c/")
        assert events.describe_connection(Name="c")["SecretArn"].startswith("arn:aws-cn:secretsmanager:")
        events.put_permission(Action="events:PutEvents", Principal="111122223333", StatementId="s")
        policy = json.loads(events.describe_event_bus()["Policy"])
        assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws-cn:iam::111122223333:root"}


def test_every_answer_carries_a_request_id() -> None:
    """The SDKs read ``x-amzn-RequestId`` (boto3's ResponseMetadata.RequestId); each answer has its own, the
    errors' too, and the guard's refusals."""
    with Server() as server:
        events = client("events", server.endpoint_url)
        scheduler = client("scheduler", server.endpoint_url)
        ids = [events.list_event_buses()["ResponseMetadata"]["RequestId"],
               events.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}"}])[
                   "ResponseMetadata"]["RequestId"],
               scheduler.list_schedules()["ResponseMetadata"]["RequestId"]]
        for call in (lambda: events.describe_rule(Name="missing"), lambda: scheduler.get_schedule(Name="missing")):
            with pytest.raises(ClientError) as raised:
                call()
            ids.append(raised.value.response["ResponseMetadata"]["RequestId"])
        assert all(len(i) == 36 for i in ids) and len(set(ids)) == len(ids)
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("POST", "/", body=b"x" * (2 * 1024 * 1024),
                           headers={"X-Amz-Target": "AWSEvents.ListRules"})
        answer = connection.getresponse()
        assert answer.status == 413 and len(answer.getheader("x-amzn-RequestId") or "") == 36


ACCOUNT_B = "111122223333"


def test_two_regions_and_two_accounts_are_separate() -> None:
    """The region comes from the request's signature (its credential scope), the account from a 12-digit access
    key id: each (account, region) has its own buses, rules, ARNs and lists."""
    with Server() as server:
        url = server.endpoint_url
        home = client("events", url)
        paris = client("events", url, region="eu-west-3")
        other = client("events", url, access_key=ACCOUNT_B)
        made = {name: c.create_event_bus(Name="orders")["EventBusArn"]
                for name, c in (("home", home), ("paris", paris), ("other", other))}
        assert made == {"home": "arn:aws:events:us-east-1:123456789012:event-bus/orders",
                        "paris": "arn:aws:events:eu-west-3:123456789012:event-bus/orders",
                        "other": f"arn:aws:events:us-east-1:{ACCOUNT_B}:event-bus/orders"}
        paris.put_rule(Name="only-in-paris", EventPattern='{"source": ["s"]}')
        assert [r["Name"] for r in paris.list_rules()["Rules"]] == ["only-in-paris"]
        assert home.list_rules()["Rules"] == [] and other.list_rules()["Rules"] == []
        assert [b["Arn"] for b in paris.list_event_buses()["EventBuses"]] == [
            "arn:aws:events:eu-west-3:123456789012:event-bus/default", made["paris"]]
        scheduler = client("scheduler", url, region="eu-west-3")
        arn = scheduler.create_schedule_group(Name="jobs")["ScheduleGroupArn"]
        assert arn == "arn:aws:scheduler:eu-west-3:123456789012:schedule-group/jobs"
        assert [g["Name"] for g in client("scheduler", url).list_schedule_groups()["ScheduleGroups"]] == ["default"]


def test_put_events_in_a_region_is_routed_by_that_regions_rules_and_keeps_its_region() -> None:
    queue = "arn:aws:sqs:eu-west-3:123456789012:q"
    with Server() as server:
        paris = client("events", server.endpoint_url, region="eu-west-3")
        paris.put_rule(Name="r", EventPattern='{"source": ["shop"]}')
        paris.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": queue}])
        client("events", server.endpoint_url).put_events(Entries=[{"Source": "shop", "DetailType": "d",
                                                                    "Detail": '{"where": "home"}'}])
        paris.put_events(Entries=[{"Source": "shop", "DetailType": "d", "Detail": '{"where": "paris"}'}])
        (delivered,) = server.deliveries(queue)
        event = delivered["payload"]
        assert event["detail"] == {"where": "paris"} and event["region"] == "eu-west-3"
        assert event["account"] == "123456789012"


def test_each_pairs_resources_come_back_after_a_restart_and_a_compaction(tmp_path: Any) -> None:
    state = str(tmp_path / "state.db")
    with Server(state=state) as server:
        client("events", server.endpoint_url, region="eu-west-3").create_event_bus(Name="paris-bus")
        client("events", server.endpoint_url, access_key=ACCOUNT_B).put_rule(Name="b-rule",
                                                                              ScheduleExpression="rate(1 hour)")
        client("scheduler", server.endpoint_url, region="ap-south-1").create_schedule_group(Name="mumbai")

    def seen(server: Server) -> tuple[list[str], list[str], list[str], list[str]]:
        url = server.endpoint_url
        return ([b["Name"] for b in client("events", url, region="eu-west-3").list_event_buses()["EventBuses"]],
                [r["Name"] for r in client("events", url, access_key=ACCOUNT_B).list_rules()["Rules"]],
                [g["Name"] for g in client("scheduler", url, region="ap-south-1").list_schedule_groups()[
                    "ScheduleGroups"]],
                [b["Name"] for b in client("events", url).list_event_buses()["EventBuses"]])

    expected = (["default", "paris-bus"], ["b-rule"], ["default", "mumbai"], ["default"])
    with Server(state=state) as server:
        assert seen(server) == expected
        server.app.state.services.default.compactor.now()
    with Server(state=state) as server:
        assert seen(server) == expected


def test_a_rule_targets_a_bus_of_another_account_as_its_policy_allows() -> None:
    """Cross-account delivery (user guide, "Sending and receiving events between AWS accounts in Amazon
    EventBridge", and "Permissions for event buses"): a rule in account A whose target is account B's bus;
    the event arrives there, keeping account A in it, only once B's bus policy allows A (PutPermission)."""
    home, b_queue = "123456789012", f"arn:aws:sqs:us-east-1:{ACCOUNT_B}:received"
    with Server() as server:
        url = server.endpoint_url
        a, b = client("events", url), client("events", url, access_key=ACCOUNT_B)
        b.put_rule(Name="from-a", EventPattern=json.dumps({"account": [home]}))
        b.put_targets(Rule="from-a", Targets=[{"Id": "q", "Arn": b_queue}])
        a.put_rule(Name="to-b", EventPattern='{"source": ["shop"]}')
        b_bus = f"arn:aws:events:us-east-1:{ACCOUNT_B}:event-bus/default"
        a.put_targets(Rule="to-b", Targets=[{"Id": "b", "Arn": b_bus, "RoleArn": ROLE}])

        def send(n: int) -> None:
            a.put_events(Entries=[{"Source": "shop", "DetailType": "order", "Detail": json.dumps({"n": n})}])

        send(1)  # B's policy does not allow A yet: not delivered
        assert server.deliveries(b_queue) == []
        assert server.bridge.metrics.get("FailedInvocations", "default", "to-b") == 1
        b.put_permission(Action="events:PutEvents", Principal=home, StatementId="from-a")
        send(2)
        (delivered,) = server.deliveries(b_queue)
        assert delivered["payload"]["detail"] == {"n": 2} and delivered["payload"]["account"] == home
        b.remove_permission(StatementId="from-a")
        send(3)
        assert len(server.deliveries(b_queue)) == 1


def test_a_rule_targets_a_bus_in_another_region_which_keeps_the_events_region() -> None:
    """Cross-Region delivery (user guide, "Sending and receiving events between AWS Regions in Amazon
    EventBridge"): the same account needs no bus policy; the event keeps the region it was put in."""
    queue = "arn:aws:sqs:eu-west-3:123456789012:paris"
    with Server() as server:
        url = server.endpoint_url
        home, paris = client("events", url), client("events", url, region="eu-west-3")
        paris.create_event_bus(Name="central")
        paris.put_rule(Name="all", EventBusName="central", EventPattern='{"source": ["shop"]}')
        paris.put_targets(Rule="all", EventBusName="central", Targets=[{"Id": "q", "Arn": queue}])
        home.put_rule(Name="to-paris", EventPattern='{"source": ["shop"]}')
        home.put_targets(Rule="to-paris", Targets=[{
            "Id": "paris", "Arn": "arn:aws:events:eu-west-3:123456789012:event-bus/central", "RoleArn": ROLE}])
        home.put_events(Entries=[{"Source": "shop", "DetailType": "order", "Detail": "{}"}])
        (delivered,) = server.deliveries(queue)
        assert delivered["payload"]["region"] == "us-east-1"


def test_a_target_bus_of_a_pair_not_seen_yet_receives_once_it_exists() -> None:
    """A rule's target may be a bus of a region the server has not served yet: the bus is looked up at each
    delivery, so events reach it once it exists; before, the delivery fails as AWS's to a missing bus does."""
    queue = "arn:aws:sqs:ap-south-1:123456789012:mumbai"
    with Server() as server:
        url = server.endpoint_url
        home = client("events", url)
        home.put_rule(Name="to-mumbai", EventPattern='{"source": ["shop"]}')
        home.put_targets(Rule="to-mumbai", Targets=[{
            "Id": "m", "Arn": "arn:aws:events:ap-south-1:123456789012:event-bus/default", "RoleArn": ROLE}])
        home.put_events(Entries=[{"Source": "shop", "DetailType": "order", "Detail": '{"n": 1}'}])
        assert server.deliveries() == []
        mumbai = client("events", url, region="ap-south-1")
        mumbai.put_rule(Name="all", EventPattern='{"source": ["shop"]}')
        mumbai.put_targets(Rule="all", Targets=[{"Id": "q", "Arn": queue}])
        home.put_events(Entries=[{"Source": "shop", "DetailType": "order", "Detail": '{"n": 2}'}])
        (delivered,) = server.deliveries(queue)
        assert delivered["payload"]["detail"] == {"n": 2} and delivered["payload"]["region"] == "us-east-1"


def test_another_pairs_archived_events_are_kept_in_the_state_and_replay_after_a_restart(tmp_path: Any) -> None:
    """Each account and region keeps its archived events in the state file (a table of its own): a restart
    keeps them, and a replay in that pair replays its own events, not another pair's archive of the same
    name."""
    import time
    from datetime import UTC, datetime, timedelta

    state = str(tmp_path / "state.db")
    replayed_arn = "arn:aws:sqs:eu-west-3:123456789012:replayed"
    with Server(state=state) as server:
        for region, n in (("eu-west-3", 3), ("us-east-1", 1)):
            events = client("events", server.endpoint_url, region=region)
            bus = events.describe_event_bus()["Arn"]
            events.create_archive(ArchiveName="kept", EventSourceArn=bus)
            events.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": json.dumps({"n": i})}
                                       for i in range(n)])
        server.deliveries()
    with Server(state=state) as server:
        paris = client("events", server.endpoint_url, region="eu-west-3")
        assert paris.describe_archive(ArchiveName="kept")["EventCount"] == 3
        assert client("events", server.endpoint_url).describe_archive(ArchiveName="kept")["EventCount"] == 1
        paris.put_rule(Name="r", EventPattern='{"source": ["s"]}')
        paris.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": replayed_arn}])
        now = datetime.now(UTC)
        bus = paris.describe_event_bus()["Arn"]
        paris.start_replay(ReplayName="again", EventSourceArn=paris.describe_archive(ArchiveName="kept")["ArchiveArn"],
                           EventStartTime=now - timedelta(hours=1), EventEndTime=now + timedelta(minutes=1),
                           Destination={"Arn": bus})
        deadline = time.monotonic() + 30
        while paris.describe_replay(ReplayName="again")["State"] != "COMPLETED" and time.monotonic() < deadline:
            time.sleep(0.05)
        replayed = server.deliveries(replayed_arn)
        assert sorted(d["payload"]["detail"]["n"] for d in replayed) == [0, 1, 2]
        assert {d["payload"]["region"] for d in replayed} == {"eu-west-3"}
