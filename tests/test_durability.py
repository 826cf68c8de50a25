"""Durable until final: a delivery waiting for a retry keeps its attempt number and due time across a restart,
and across kill -9 in the middle of a retry storm, for rule targets and for Scheduler's invocations."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from eventmatch import EventBridge
from eventmatch.bus import VirtualClock
from eventmatch.server import Server
from tests.aws_clients import client
from tests.test_cli import COMMAND
from tests.test_server import _Receiver

START = datetime(2026, 1, 1, tzinfo=UTC)
DLQ = "arn:aws:sqs:us-east-1:123456789012:dlq"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:f"
ROLE = "arn:aws:iam::123456789012:role/scheduler"
#: how late after its due time a resumed retry may arrive (the issue's bound)
LATE = 10.0


def _api_destination(events: Any, url: str) -> str:
    connection = events.create_connection(Name="c", AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})["ConnectionArn"]
    return str(events.create_api_destination(Name="d", ConnectionArn=connection, HttpMethod="POST",
                                             InvocationEndpoint=url + "/hook")["ApiDestinationArn"])


def _pending(state: str) -> list[tuple[str, int | None, dict[str, Any]]]:
    with sqlite3.connect(state) as db:
        return [(k, s, json.loads(r)) for k, s, r in db.execute("SELECT key, seq, record FROM pending")]


def test_a_retry_keeps_its_attempt_number_and_due_time_across_a_restart(tmp_path: Path) -> None:
    """A delivery that had made its first attempt and waited for its first retry, when the server stopped,
    makes that retry after the restart at its due time, and only the retries its policy has left: the dead
    letter says RETRY_ATTEMPTS 2 (starting again from attempt 0 would have made three calls, not two)."""
    receiver = _Receiver([503] * 100)
    state = str(tmp_path / "state.db")
    try:
        with Server(EventBridge(clock=VirtualClock(START)), state=state) as server:
            events = client("events", server.endpoint_url)
            arn = _api_destination(events, receiver.url)
            events.put_rule(Name="r", EventPattern='{"source": ["s"]}')
            events.put_targets(Rule="r", Targets=[{"Id": "api", "Arn": arn, "DeadLetterConfig": {"Arn": DLQ},
                                                   "RetryPolicy": {"MaximumRetryAttempts": 2}}])
            events.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}"}])
            server.deliveries()
            deadline = time.monotonic() + 10
            while not _pending(state) and time.monotonic() < deadline:
                time.sleep(0.02)
        ((_, seq, record),) = _pending(state)
        assert seq is not None and record["attempt"] == 1
        due = datetime.fromisoformat(record["due"])
        assert START <= due <= START + timedelta(seconds=1)  # the first backoff: up to 1 s, with jitter
        assert len(receiver.calls()) == 1

        with Server(EventBridge(clock=VirtualClock(START)), state=state) as server:
            server.deliveries()
            assert len(receiver.calls()) == 1  # not called again at once: the retry waits for its time
            server.bridge.advance(timedelta(minutes=5))
            server.deliveries()
            deadline = time.monotonic() + 10
            while not server.state.dead_letters() and time.monotonic() < deadline:
                time.sleep(0.02)
            (dead,) = server.state.dead_letters()
        assert dead["payload"]["attributes"]["RETRY_ATTEMPTS"] == 2
        assert len(receiver.calls()) == 3  # attempt 0 before the restart, retries 1 and 2 after it
        assert _pending(state) == []
    finally:
        receiver.close()


def _serve(state: str, *options: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([*COMMAND, "serve", "--port", "0", "--state", state, *options],
                               stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    return process, process.stderr.readline().split(" at ", 1)[1].split()[0]


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(20)


def _wall(receiver_time: float) -> float:
    """A receiver's call time (time.monotonic) as epoch seconds."""
    return receiver_time + (time.time() - time.monotonic())


def test_kill_9_in_a_retry_storm_resumes_every_retry_when_it_falls_due(tmp_path: Path) -> None:
    """500 events accepted while an API destination answers 503, retried a few times each; SIGKILL in the
    middle of that storm; restart with the endpoint healthy: every event arrives, each no later than 10 s
    after the retry it was waiting for fell due, and none whose retry was due well after the restart came
    before its time."""
    receiver = _Receiver([503] * 1_000_000)
    state = str(tmp_path / "state.db")
    total = 500
    process, url = _serve(state)
    try:
        events = client("events", url)
        arn = _api_destination(events, receiver.url)
        events.put_rule(Name="r", EventPattern='{"source": ["s"]}')
        events.put_targets(Rule="r", Targets=[{"Id": "api", "Arn": arn}])
        for start in range(0, total, 10):
            events.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": json.dumps({"n": n})}
                                       for n in range(start, start + 10)])
        deadline = time.monotonic() + 60
        while len(receiver.calls()) < 3 * total and time.monotonic() < deadline:  # a storm: ~3 tries an event
            time.sleep(0.02)
        assert len(receiver.calls()) >= 3 * total
    finally:
        _kill(process)
    # what the killed server was waiting for: each event's next retry (by its number in the inbox)
    with sqlite3.connect(state) as db:
        numbers = {seq + i: event["detail"]["n"] for seq, text in db.execute("SELECT seq, events FROM accepted")
                   for i, (_, event) in enumerate(json.loads(text))}
    due = {numbers[seq]: datetime.fromisoformat(record["due"]).timestamp()
           for _, seq, record in _pending(state) if seq is not None}
    assert len(numbers) == total and len(due) > total * 0.9, len(due)  # a few may be between two writes
    assert max(record["attempt"] for _, _, record in _pending(state)) >= 3

    receiver.statuses = []  # healthy again
    before = len(receiver.calls())
    restarted = time.time()
    process, url = _serve(state)
    try:
        deadline = time.monotonic() + 60
        arrived: dict[int, float] = {}
        while len(arrived) < total and time.monotonic() < deadline:
            for call in receiver.calls()[before:]:
                arrived.setdefault(json.loads(call["body"])["detail"]["n"], _wall(call["time"]))
            time.sleep(0.1)
        assert set(arrived) == set(range(total))  # every event arrives (duplicates allowed)
        for n, at in arrived.items():
            fell_due = max(due.get(n, restarted), restarted)
            assert at <= fell_due + LATE, (n, at - fell_due)
            if due.get(n, 0) > restarted + 2:  # waited for its retry, not started again from the first attempt
                assert at >= due[n] - 0.5, (n, due[n] - at)
        deadline = time.monotonic() + 10
        while _pending(state) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _pending(state) == []
    finally:
        _stop(process)
        receiver.close()


def test_kill_9_resumes_schedulers_invocations_at_their_attempt(tmp_path: Path) -> None:
    """Scheduler's invocations to a target that fails (a Lambda function forwarded to an endpoint answering
    503): SIGKILL while they retry; restart with the endpoint healthy: each invocation arrives, with the
    attempt number it had reached, no later than 10 s after its retry fell due."""
    receiver = _Receiver([503] * 1_000_000)
    state = str(tmp_path / "state.db")
    schedules = 10
    process, url = _serve(state, "--forward", f"lambda={receiver.url}")
    try:
        scheduler = client("scheduler", url)
        at = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S")
        for n in range(schedules):
            scheduler.create_schedule(
                Name=f"s{n}", ScheduleExpression=f"at({at})", FlexibleTimeWindow={"Mode": "OFF"},
                Target={"Arn": FUNCTION, "RoleArn": ROLE,
                        "Input": json.dumps({"n": n, "attempt": "<aws.scheduler.attempt-number>"})})
        deadline = time.monotonic() + 60

        def attempts() -> dict[int, int]:
            seen: dict[int, int] = {}
            for call in receiver.calls():
                body = json.loads(call["body"])
                seen[body["n"]] = max(seen.get(body["n"], 0), int(body["attempt"]))
            return seen

        while (len(attempts()) < schedules or min(attempts().values()) < 3) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(attempts()) == schedules and min(attempts().values()) >= 3
        time.sleep(0.1)  # the journal is written within milliseconds
    finally:
        _kill(process)
    kept = {record["name"]: record for key, seq, record in _pending(state) if seq is None}
    assert sorted(kept) == sorted(f"s{n}" for n in range(schedules))
    receiver.statuses = []
    before = len(receiver.calls())
    restarted = time.time()
    process, url = _serve(state, "--forward", f"lambda={receiver.url}")
    try:
        deadline = time.monotonic() + 60
        arrived: dict[int, tuple[int, float]] = {}
        while len(arrived) < schedules and time.monotonic() < deadline:
            for call in receiver.calls()[before:]:
                body = json.loads(call["body"])
                arrived.setdefault(body["n"], (int(body["attempt"]), _wall(call["time"])))
            time.sleep(0.1)
        assert sorted(arrived) == list(range(schedules))
        for n, (attempt, at) in arrived.items():
            record = kept[f"s{n}"]
            assert attempt == record["attempt"]  # the attempt it was waiting for, not the first again
            fell_due = max(datetime.fromisoformat(record["due"]).timestamp(), restarted)
            assert at <= fell_due + LATE, (n, at - fell_due)
        deadline = time.monotonic() + 10
        while _pending(state) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _pending(state) == []
    finally:
        _stop(process)
        receiver.close()
