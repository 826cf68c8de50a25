"""Defects of the service layer (the one-service-layer issue), each pinned: found on b3b5066, fixed since."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from eventmatch import EventBridge
from eventmatch.bus import VirtualClock
from eventmatch.server import Server
from tests.aws_clients import client

START = datetime(2026, 1, 1, tzinfo=UTC)
RECORDED = "arn:aws:sqs:us-east-1:123456789012:"
ROLE = "arn:aws:iam::123456789012:role/scheduler"


@pytest.fixture
def server() -> Iterator[Server]:
    with Server(EventBridge(clock=VirtualClock(START))) as running:
        yield running


def _bus_schedule(scheduler: Any, name: str, expression: str, **options: Any) -> None:
    scheduler.create_schedule(Name=name, ScheduleExpression=expression, FlexibleTimeWindow={"Mode": "OFF"},
                              Target={"Arn": "arn:aws:events:us-east-1:123456789012:event-bus/default",
                                      "RoleArn": ROLE, "Input": '{"hello": 1}',
                                      "EventBridgeParameters": {"DetailType": "tick", "Source": "my.scheduler"}},
                              **options)


def test_a_schedule_whose_target_is_a_bus_puts_one_event_there(server: Server) -> None:
    """Defect 1: the schedule put a proper event on the bus, then the server's resolver published the raw
    Input on it as if it were an event: a rule {"hello": [1]} fired on Input {"hello": 1}."""
    events = client("events", server.endpoint_url)
    events.put_rule(Name="raw", EventPattern='{"hello": [1]}')
    events.put_targets(Rule="raw", Targets=[{"Id": "t", "Arn": RECORDED + "raw"}])
    events.put_rule(Name="proper", EventPattern='{"source": ["my.scheduler"], "detail": {"hello": [1]}}')
    events.put_targets(Rule="proper", Targets=[{"Id": "t", "Arn": RECORDED + "proper"}])
    _bus_schedule(client("scheduler", server.endpoint_url), "tick", "rate(1 minute)")
    server.bridge.advance(timedelta(minutes=1))
    assert server.deliveries(RECORDED + "raw") == []
    (delivered,) = server.deliveries(RECORDED + "proper")
    assert delivered["payload"]["detail-type"] == "tick" and delivered["payload"]["detail"] == {"hello": 1}


def test_the_events_a_schedule_puts_are_seen_by_inspection(server: Server) -> None:
    """Defect 3: events a schedule put on a bus were delivered but never appeared in /_eventmatch/events,
    the overview, the live tail or Why?."""
    _bus_schedule(client("scheduler", server.endpoint_url), "tick", "rate(1 minute)")
    server.bridge.advance(timedelta(minutes=2))
    server.inbox.wait_idle()
    with urllib.request.urlopen(server.endpoint_url + "/_eventmatch/events", timeout=10) as answer:
        listed = json.loads(answer.read())["Events"]
    assert [(e["source"], e["detail-type"]) for e in listed] == [("my.scheduler", "tick")] * 2


def test_a_schedule_that_deleted_itself_stays_deleted_after_a_restart(tmp_path: Path) -> None:
    """Defect 2: after ActionAfterCompletion DELETE removed an at() schedule, a restart with --state brought
    it back, ENABLED, never firing."""
    state = str(tmp_path / "state.db")
    with Server(EventBridge(clock=VirtualClock(START)), state=state) as server:
        scheduler = client("scheduler", server.endpoint_url)
        _bus_schedule(scheduler, "once", "at(2026-01-01T00:01:00)", ActionAfterCompletion="DELETE")
        _bus_schedule(scheduler, "kept", "rate(1 hour)")
        server.bridge.advance(timedelta(minutes=2))
        assert [s["Name"] for s in scheduler.list_schedules()["Schedules"]] == ["kept"]
    with Server(EventBridge(clock=VirtualClock(START + timedelta(minutes=3))), state=state) as server:
        scheduler = client("scheduler", server.endpoint_url)
        assert [s["Name"] for s in scheduler.list_schedules()["Schedules"]] == ["kept"]


def test_event_bus_test_event_pattern_takes_the_pattern_then_the_event() -> None:
    """Defect 4: EventBus.test_event_pattern(pattern, event) passed its arguments swapped."""
    event = {"id": "1", "account": "123456789012", "source": "shop", "time": "2026-01-01T00:00:00Z",
             "region": "us-east-1", "detail-type": "order", "detail": {"n": 1}}
    bus = EventBridge().bus("default")
    assert bus.test_event_pattern({"source": ["shop"]}, event) is True
    assert bus.test_event_pattern('{"source": ["other"]}', json.dumps(event)) is False


def _recorded_count(server: Server, arn: str) -> int:
    server.state.flush()
    return len(server.state.deliveries(arn))


def test_a_target_that_never_answers_delays_only_itself() -> None:
    """Defect 6: deliveries ran one at a time on the routing thread: four events to an endpoint that never
    answers held back an unrelated recorded delivery by 20 s (5 s timeout each), and an API destination's
    rate limit stalled all routing. Each such target now has a lane of its own."""
    import socket
    import time

    silent = socket.socket()  # accepts connections, never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        with Server(EventBridge()) as server:
            events = client("events", server.endpoint_url)
            connection = events.create_connection(Name="c", AuthorizationType="API_KEY", AuthParameters={
                "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})["ConnectionArn"]
            silent_arn = events.create_api_destination(
                Name="silent", ConnectionArn=connection, HttpMethod="POST",
                InvocationEndpoint=f"http://127.0.0.1:{silent.getsockname()[1]}/x")["ApiDestinationArn"]
            limited_arn = events.create_api_destination(
                Name="limited", ConnectionArn=connection, HttpMethod="POST", InvocationRateLimitPerSecond=1,
                InvocationEndpoint=f"http://127.0.0.1:{silent.getsockname()[1]}/y")["ApiDestinationArn"]
            events.put_rule(Name="r", EventPattern='{"source": ["s"]}')
            no_retry = {"MaximumRetryAttempts": 0}
            events.put_targets(Rule="r", Targets=[
                {"Id": "silent", "Arn": silent_arn, "RetryPolicy": no_retry},
                {"Id": "limited", "Arn": limited_arn, "RetryPolicy": no_retry},
                {"Id": "recorded", "Arn": RECORDED + "fast"}])
            started = time.monotonic()
            for n in range(4):
                events.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": json.dumps({"n": n})}])
            while _recorded_count(server, RECORDED + "fast") < 4 and time.monotonic() - started < 30:
                time.sleep(0.01)
            took = time.monotonic() - started
            assert _recorded_count(server, RECORDED + "fast") == 4
            assert took < 3.0, took  # was 20 s and more
            silent.close()  # the silent endpoint goes: its waiting calls fail at once
            server.inbox.wait_idle(60)
    finally:
        silent.close()


def test_deliveries_waiting_for_a_retry_survive_kill_9(tmp_path: Path) -> None:
    """Defect 5: with --state, a delivery waiting for a retry lived only in memory: 500 events accepted while
    an API destination answered 503, SIGKILL, restart, endpoint back to 200, and the events that had been
    tried once never arrived (the inbox forgot an event once routed, not once its deliveries were final).
    Now an event stays in the state until each of its deliveries is final, and a restart routes it again."""
    import signal
    import subprocess
    import time

    from tests.test_cli import COMMAND
    from tests.test_server import _Receiver

    receiver = _Receiver([503] * 100_000)
    state = str(tmp_path / "state.db")

    def serve() -> tuple[subprocess.Popen[str], str]:
        process = subprocess.Popen([*COMMAND, "serve", "--port", "0", "--state", state], stderr=subprocess.PIPE,
                                   text=True)
        assert process.stderr is not None
        return process, process.stderr.readline().split(" at ", 1)[1].split()[0]

    process, url = serve()
    try:
        events = client("events", url)
        connection = events.create_connection(Name="c", AuthorizationType="API_KEY", AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})["ConnectionArn"]
        arn = events.create_api_destination(Name="d", ConnectionArn=connection, HttpMethod="POST",
                                            InvocationEndpoint=receiver.url + "/hook")["ApiDestinationArn"]
        events.put_rule(Name="r", EventPattern='{"source": ["s"]}')
        events.put_targets(Rule="r", Targets=[{"Id": "api", "Arn": arn}])
        total = 200
        for start in range(0, total, 10):
            events.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": json.dumps({"n": n})}
                                       for n in range(start, start + 10)])
        deadline = time.monotonic() + 60
        while len(receiver.calls()) < total and time.monotonic() < deadline:  # every event tried once: 503
            time.sleep(0.05)
        assert len(receiver.calls()) >= total
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    receiver.statuses = []  # the endpoint is healthy again
    tried_before = len(receiver.calls())
    process, url = serve()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            delivered = {json.loads(c["body"])["detail"]["n"] for c in receiver.calls()[tried_before:]}
            if len(delivered) == total:
                break
            time.sleep(0.1)
        assert delivered == set(range(total))  # every event arrives (duplicates allowed)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(20)
        receiver.close()


def test_an_event_is_forgotten_once_its_last_delivery_is_final(tmp_path: Path) -> None:
    """The state keeps an accepted request until each delivery of each of its events is final, then forgets
    it, also when its deliveries became final apart (one inline, one after a retry on a lane)."""
    import sqlite3
    import time

    from tests.test_server import _Receiver

    receiver = _Receiver([503])
    state = tmp_path / "state.db"
    try:
        with Server(EventBridge(clock=VirtualClock(START)), state=str(state)) as server:
            events = client("events", server.endpoint_url)
            connection = events.create_connection(Name="c", AuthorizationType="API_KEY", AuthParameters={
                "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})["ConnectionArn"]
            arn = events.create_api_destination(Name="d", ConnectionArn=connection, HttpMethod="POST",
                                                InvocationEndpoint=receiver.url + "/hook")["ApiDestinationArn"]
            events.put_rule(Name="r", EventPattern='{"source": ["s"]}')
            events.put_targets(Rule="r", Targets=[{"Id": "api", "Arn": arn}, {"Id": "rec", "Arn": RECORDED + "q"}])
            events.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": json.dumps({"n": n})}
                                       for n in range(3)])
            server.deliveries()

            def kept() -> int:
                with sqlite3.connect(state) as db:
                    return int(db.execute("SELECT COALESCE(SUM(count), 0) FROM accepted").fetchone()[0])

            time.sleep(0.2)
            assert kept() == 3  # the first event's call answered 503: a retry waits, the request is kept
            server.bridge.advance(timedelta(minutes=10))
            server.deliveries()
            deadline = time.monotonic() + 10
            while kept() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert kept() == 0
            assert len(receiver.calls()) == 4
    finally:
        receiver.close()


def test_archived_events_replay_after_a_restart(tmp_path: Path) -> None:
    """Defect 7 (its archive part): with --state, the server's bus kept its archive in ':memory:', so
    archived events were gone after a restart."""
    import time

    state = str(tmp_path / "state.db")
    with Server(state=state) as server:
        events = client("events", server.endpoint_url)
        bus_arn = events.describe_event_bus(Name="default")["Arn"]
        archive_arn = events.create_archive(ArchiveName="kept", EventSourceArn=bus_arn)["ArchiveArn"]
        events.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": json.dumps({"n": n})}
                                   for n in range(3)])
        server.deliveries()
        assert events.describe_archive(ArchiveName="kept")["EventCount"] == 3
    with Server(state=state) as server:
        events = client("events", server.endpoint_url)
        assert events.describe_archive(ArchiveName="kept")["EventCount"] == 3
        events.put_rule(Name="r", EventPattern='{"source": ["s"]}')
        events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": RECORDED + "replayed"}])
        now = datetime.now(UTC)
        events.start_replay(ReplayName="again", EventSourceArn=archive_arn, EventStartTime=now - timedelta(hours=1),
                            EventEndTime=now + timedelta(minutes=1), Destination={"Arn": bus_arn})
        deadline = time.monotonic() + 30
        while events.describe_replay(ReplayName="again")["State"] != "COMPLETED" and time.monotonic() < deadline:
            time.sleep(0.05)
        replayed = server.deliveries(RECORDED + "replayed")
        assert sorted(d["payload"]["detail"]["n"] for d in replayed) == [0, 1, 2]
        assert all(d["payload"]["replay-name"] == "again" for d in replayed)
        described = events.describe_replay(ReplayName="again")
    with Server(state=state) as server:  # the replay is kept as it ended, and not run again
        events = client("events", server.endpoint_url)
        again = events.describe_replay(ReplayName="again")
        keys = ("State", "EventSourceArn", "ReplayStartTime", "ReplayEndTime", "EventStartTime", "EventEndTime")
        assert {k: again[k] for k in keys} == {k: described[k] for k in keys}
        assert [r["ReplayName"] for r in events.list_replays()["Replays"]] == ["again"]
        assert len(server.deliveries(RECORDED + "replayed")) == 3  # no new deliveries


def test_a_replay_the_server_stopped_during_is_failed_after_the_restart() -> None:
    from eventmatch.bus.replay import Replays

    replays = Replays.__new__(Replays)
    Replays.__init__(replays, None, None, None, None, "123456789012", "us-east-1")  # type: ignore[arg-type]
    replays.restore({"ReplayName": "cut", "State": "RUNNING", "ReplayStartTime": "2026-01-01T00:00:00+00:00"})
    described = replays.describe_replay("cut")
    assert described["State"] == "FAILED" and "stopped" in described["StateReason"]
    assert described["ReplayStartTime"] == datetime(2026, 1, 1, tzinfo=UTC)


def test_a_schedules_slow_target_delays_only_itself() -> None:
    """Scheduler's targets over the network run on lanes too: a schedule whose API destination never answers
    does not hold back another schedule due at the same time (nor the bridge's clock)."""
    import socket
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        with Server(EventBridge()) as server:
            server.bridge.start()
            events = client("events", server.endpoint_url)
            connection = events.create_connection(Name="c", AuthorizationType="API_KEY", AuthParameters={
                "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})["ConnectionArn"]
            arn = events.create_api_destination(
                Name="silent", ConnectionArn=connection, HttpMethod="POST",
                InvocationEndpoint=f"http://127.0.0.1:{silent.getsockname()[1]}/x")["ApiDestinationArn"]
            scheduler = client("scheduler", server.endpoint_url)
            due = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S")
            for name, target in (("slow", arn), ("fast", RECORDED + "scheduled")):
                scheduler.create_schedule(Name=name, ScheduleExpression=f"at({due})", FlexibleTimeWindow={
                    "Mode": "OFF"}, Target={"Arn": target, "RoleArn": ROLE, "Input": '{"n": 1}',
                                            "RetryPolicy": {"MaximumRetryAttempts": 0}})
            deadline = time.monotonic() + 15
            while _recorded_count(server, RECORDED + "scheduled") == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            fired = datetime.fromisoformat(due).replace(tzinfo=UTC)
            (delivered,) = server.state.deliveries(RECORDED + "scheduled")
            late = (datetime.fromisoformat(delivered["time"]) - fired).total_seconds()
            assert late < 2.0, late  # the silent endpoint's call takes 5 s: it was made beside, not before
            silent.close()
    finally:
        silent.close()
