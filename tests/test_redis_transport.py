"""The Redis Streams transport against a real redis-server (started by the tests on a free loopback port)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from eventmatch import InvalidEventPatternError, ValidationError
from eventmatch.transport.redis import RedisTransport, Worker
from tests.redis_server import RedisServer

WORKER = Path(__file__).parent / "redis_worker.py"
ALL = {"rules": [{"Name": "all", "EventPattern": {"source": [{"prefix": ""}]},
                  "Targets": [{"Id": "t", "Handler": "record"}]}]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    srv = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield srv
    srv.stop()


@pytest.fixture
def transport(server: RedisServer) -> RedisTransport:
    return RedisTransport(server.url, namespace=f"t-{uuid.uuid4().hex[:8]}", visibility_timeout=1.0)


class Running:
    """Workers in threads of this process, stopped at the end."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self, worker: Worker) -> Worker:
        t = threading.Thread(target=worker.run, args=(self.stop,), daemon=True)
        t.start()
        self.threads.append(t)
        return worker

    def close(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(15)


@pytest.fixture
def running() -> Iterator[Running]:
    r = Running()
    yield r
    r.close()


def _events(n: int, source: str = "com.example") -> list[dict[str, Any]]:
    return [{"id": f"e-{i}", "source": source, "detail-type": "t", "detail": {"n": i}} for i in range(n)]


def test_put_events_and_a_worker_deliver_everything(transport: RedisTransport, running: Running) -> None:
    got: list[Any] = []
    transport.put_rules({"buses": ["default", "shop"], "rules": [
        {"Name": "orders", "EventBusName": "shop", "EventPattern": {"detail-type": ["Order"]},
         "Targets": [{"Id": "t", "Handler": "collect",
                      "InputTransformer": {"InputPathsMap": {"n": "$.detail.n"}, "InputTemplate": '{"n": <n>}'}}]},
        {"Name": "ec2", "EventPattern": {"source": ["com.example.ec2"]}, "Targets": [{"Id": "t", "Handler": "collect"}]},
    ]})
    response = transport.put_events([
        {"Source": "shop", "DetailType": "Order", "Detail": '{"n": 1}', "EventBusName": "shop"},
        {"Source": "com.example.ec2", "DetailType": "x", "Detail": "{}"},
        {"Source": "com.example.ec2", "DetailType": "x", "Detail": "[1]"},
    ])
    assert response["FailedEntryCount"] == 1
    assert response["Entries"][2] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    running.start(transport.worker({"collect": got.append}))
    assert transport.wait_idle(10)
    assert {"n": 1} in got and any(isinstance(g, dict) and g.get("source") == "com.example.ec2" for g in got)
    counts = transport.counts()
    assert counts["published"] == 2 and counts["acknowledged"] == 2


def test_put_events_keeps_aws_request_errors(transport: RedisTransport) -> None:
    with pytest.raises(ValidationError):
        transport.put_events([{"Source": "s", "DetailType": "d", "Detail": "{}"}] * 11)
    assert transport.counts() == {}


def test_rules_are_validated_versioned_and_applied_as_a_whole(transport: RedisTransport, running: Running) -> None:
    with pytest.raises(InvalidEventPatternError, match="Empty arrays are not allowed") as info:
        transport.put_rules({"rules": [{"Name": "bad", "EventPattern": {"a": []}}]})
    assert str(info.value).startswith("Event pattern is not valid. Reason: Empty arrays are not allowed\n at")
    assert info.value.__notes__ == ["in rule bad of the rules document"]
    with pytest.raises(ValidationError, match=r"^Rule r: Only one of Input, InputPath, or InputTransformer"):
        transport.put_rules({"rules": [{"Name": "r", "EventPattern": {"a": [1]}, "Targets": [
            {"Id": "t", "Handler": "h", "Input": "{}", "InputPath": "$.detail"}]}]})
    with pytest.raises(ValidationError, match="every target needs a Handler"):
        transport.put_rules({"rules": [{"Name": "r", "EventPattern": {"a": [1]}, "Targets": [{"Id": "t"}]}]})
    with pytest.raises(ValidationError, match="scheduled rules are not carried"):
        transport.put_rules({"rules": [{"Name": "r", "ScheduleExpression": "rate(1 hour)"}]})
    assert transport.rules().version == 0  # nothing was written
    first: list[Any] = []
    second: list[Any] = []
    assert transport.put_rules({"rules": [{"Name": "r", "EventPattern": {"source": ["a"]},
                                           "Targets": [{"Id": "t", "Handler": "first"}]}]}) == 1
    worker = running.start(transport.worker({"first": first.append, "second": second.append}))
    transport.publish({"source": "a"})
    assert transport.wait_idle(10) and len(first) == 1
    assert transport.put_rules({"rules": [{"Name": "r", "EventPattern": {"source": ["a"]},
                                           "Targets": [{"Id": "t", "Handler": "second"}]}]}) == 2
    deadline = time.monotonic() + 10
    while worker.version != 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    transport.publish({"source": "a"})
    assert transport.wait_idle(10)
    assert len(first) == 1 and len(second) == 1


def test_failing_targets_are_retried_then_dead_lettered_before_the_ack(transport: RedisTransport, running: Running) -> None:
    dead: list[Any] = []
    attempts = {"n": 0}

    def broken(payload: Any) -> None:
        attempts["n"] += 1
        raise RuntimeError("down")

    transport.put_rules({"rules": [{"Name": "r", "EventPattern": {"source": ["a"]}, "Targets": [
        {"Id": "t", "Handler": "broken", "RetryPolicy": {"MaximumRetryAttempts": 1}, "DeadLetterHandler": "dlq"}]}]})
    worker = transport.worker({"broken": broken, "dlq": dead.append})
    transport.publish({"source": "a", "id": "x"})
    worker.run_once()
    assert transport.pending() == 1 and not dead  # the retry is outstanding: not acknowledged
    deadline = time.monotonic() + 10
    while transport.pending() and time.monotonic() < deadline:
        worker.run_once()
    assert transport.pending() == 0 and attempts["n"] == 2
    assert dead[0]["attributes"]["ERROR_CODE"] == "TARGET_ERROR" and dead[0]["payload"]["id"] == "x"


def test_missing_handler_is_a_dead_letter_not_a_loss(transport: RedisTransport) -> None:
    dead: list[Any] = []
    transport.put_rules({"rules": [{"Name": "r", "EventPattern": {"source": ["a"]}, "Targets": [
        {"Id": "t", "Handler": "nowhere", "DeadLetterHandler": "dlq"}]}]})
    worker = transport.worker({"dlq": dead.append}, "w1")
    transport.publish({"source": "a"})
    worker.run_once()
    assert dead[0]["attributes"]["ERROR_MESSAGE"] == "no handler named nowhere on worker w1"
    assert transport.pending() == 0


def test_sharded_streams_and_two_workers_share_the_load(transport: RedisTransport) -> None:
    sharded = RedisTransport(transport.url, namespace=transport.namespace, shards=4, visibility_timeout=1.0)
    seen: list[str] = []
    lock = threading.Lock()

    def record(event: Any) -> None:
        with lock:
            seen.append(event["id"])

    sharded.put_rules({"rules": [{"Name": "all", "EventPattern": {"source": [{"prefix": ""}]},
                                  "Targets": [{"Id": "t", "Handler": "record"}]}]})
    assert sharded.publish_many(_events(2000)) == 2000
    assert len({sharded._stream_for("default", e) for e in _events(50)}) == 4
    # two workers of one group, stepped in turn (threads would race for who reads first): each read
    # gets entries the other has not, and together they deliver every event exactly once
    a = sharded.worker({"record": record}, "a", batch=100)
    b = sharded.worker({"record": record}, "b", batch=100)
    deadline = time.monotonic() + 30
    while (sharded.backlog() or sharded.pending()) and time.monotonic() < deadline:
        a.run_once()
        b.run_once()
    assert sorted(seen) == sorted(e["id"] for e in _events(2000))
    assert a.processed > 0 and b.processed > 0 and a.processed + b.processed == 2000
    a.close()
    b.close()


def test_the_stream_is_the_archive_and_replays_reach_chosen_rules(transport: RedisTransport) -> None:
    got: dict[str, list[Any]] = {"one": [], "two": []}
    transport.put_rules({"rules": [
        {"Name": "one", "EventPattern": {"source": ["a"]}, "Targets": [{"Id": "t", "Handler": "one"}]},
        {"Name": "two", "EventPattern": {"source": ["a"]}, "Targets": [{"Id": "t", "Handler": "two"}]},
    ]})
    start = datetime.now(UTC) - timedelta(seconds=1)
    transport.publish_many(_events(5, "a"))
    end = datetime.now(UTC) + timedelta(seconds=1)
    worker = transport.worker({"one": got["one"].append, "two": got["two"].append})
    worker.run_once()
    assert len(got["one"]) == len(got["two"]) == 5
    assert [e["id"] for e in transport.events("default", start, end)] == [f"e-{i}" for i in range(5)]
    assert transport.replay("again", "default", start, end, rules=["two"]) == 5
    worker.run_once()
    assert len(got["one"]) == 5 and len(got["two"]) == 10
    assert all(e["replay-name"] == "again" for e in got["two"][5:])
    assert len(transport.events("default", start, datetime.now(UTC) + timedelta(seconds=1))) == 5  # replays excluded
    with pytest.raises(ValidationError):
        transport.replay("bad", "default", end, start)


def test_bad_arguments(server: RedisServer) -> None:
    with pytest.raises(ValidationError):
        RedisTransport(server.url, shards=0)
    with pytest.raises(ValidationError):
        RedisTransport(server.url, visibility_timeout=0)
    t = RedisTransport(server.url, namespace="bad-args")
    with pytest.raises(ValidationError):
        t.worker({"x": 1})  # type: ignore[dict-item]
    with pytest.raises(ValidationError):
        t.publish([1])  # type: ignore[arg-type]


# -- fault tests: worker processes, kill -9, a Redis restart, a slow consumer ------------------------


def _spawn(
    server: RedisServer, namespace: str, name: str, slow: float = 0.0, batch: int = 50, visibility: float = 1.0
) -> subprocess.Popen[str]:
    args = [server.url, namespace, name, str(slow), str(visibility), str(batch)]
    proc = subprocess.Popen([sys.executable, str(WORKER), *args],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def _delivered(server: RedisServer, namespace: str) -> list[str]:
    return [x.decode() for x in redis.Redis.from_url(server.url).lrange(f"{namespace}:delivered", 0, -1)]


def _wait(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except redis.exceptions.ConnectionError:
            pass
        time.sleep(0.05)
    return False


def _stop(*procs: subprocess.Popen[str]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()


def test_kill_9_of_a_worker_mid_batch_loses_nothing(transport: RedisTransport, server: RedisServer) -> None:
    ns = transport.namespace
    transport.put_rules(ALL)
    ids = [e["id"] for e in _events(1500)]
    transport.publish_many(_events(1500))
    # one batch holds every entry and is acknowledged only at its end (3 s of work): the kill lands mid-batch
    victim = _spawn(server, ns, "victim", slow=0.002, batch=1500)
    assert _wait(lambda: len(_delivered(server, ns)) >= 200, 30)
    victim.kill()  # SIGKILL
    victim.wait(10)
    assert transport.pending() > 0  # it held entries it never acknowledged
    survivor = _spawn(server, ns, "survivor")
    try:
        assert transport.wait_idle(60)
    finally:
        _stop(survivor)
    delivered = _delivered(server, ns)
    assert set(delivered) == set(ids)  # every event at least once
    counts = transport.counts()
    assert counts["acknowledged"] == 1500 and counts["reclaimed"] >= 1
    assert len(delivered) - len(ids) <= counts["reclaimed"]  # duplicates only for entries taken over


def test_a_redis_restart_with_aof_loses_nothing(tmp_path: Path) -> None:
    srv = RedisServer(tmp_path / "aof").start()
    try:
        ns = "restart"
        t = RedisTransport(srv.url, namespace=ns, visibility_timeout=1.0)
        t.put_rules(ALL)
        t.publish_many(_events(1000))
        worker = _spawn(srv, ns, "w", slow=0.002)
        assert _wait(lambda: len(_delivered(srv, ns)) >= 100, 30)
        srv.kill()  # SIGKILL of Redis itself: only what AOF (fsync always) holds survives
        time.sleep(0.5)
        srv.start()  # same port, same folder: the AOF is replayed
        # Redis forgets the group's lag across a restart (XINFO reports nil): the backlog is counted instead
        assert t.backlog() > 0
        t.publish_many({"id": f"late-{i}", "source": "s"} for i in range(200))
        try:
            assert t.wait_idle(90)
        finally:
            _stop(worker)
        delivered = set(_delivered(srv, ns))
        assert {f"e-{i}" for i in range(1000)} | {f"late-{i}" for i in range(200)} <= delivered
        assert t.counts()["published"] == 1200
    finally:
        srv.stop()


def test_a_slow_consumer_keeps_its_entries_and_nothing_is_lost(transport: RedisTransport, server: RedisServer) -> None:
    ns = transport.namespace
    transport.put_rules(ALL)
    transport.publish_many(_events(400))
    # 4 s per batch, past the 2 s visibility timeout; heartbeats every 0.67 s keep the batch the slow worker's
    slow = _spawn(server, ns, "slow", slow=0.04, batch=100, visibility=2.0)
    fast = _spawn(server, ns, "fast", visibility=2.0)
    try:
        assert transport.wait_idle(90)
    finally:
        _stop(slow, fast)
    delivered = _delivered(server, ns)
    assert set(delivered) == {f"e-{i}" for i in range(400)}
    assert len(delivered) == 400  # the slow worker's heartbeats kept its batch from being taken over
    assert transport.counts()["acknowledged"] == 400


def test_undeliverable_entries_are_counted_and_acknowledged(transport: RedisTransport) -> None:
    transport.put_rules(ALL)
    stream = transport.streams()[0]
    transport.redis.xadd(stream, {"b": "default", "e": "not json"})
    transport.redis.xadd(stream, {"b": "default", "e": "[1, 2]"})
    transport.redis.xadd(stream, {"b": "nowhere", "e": '{"source": "s"}'})
    worker = transport.worker({"record": lambda e: None})
    worker.run_once()
    assert transport.pending() == 0 and transport.counts()["undeliverable"] == 3


def test_entries_too_deep_to_read_are_undeliverable_and_publish_refuses_them(transport: RedisTransport) -> None:
    from eventmatch import InvalidEventError

    transport.put_rules(ALL)
    stream = transport.streams()[0]
    transport.redis.xadd(stream, {"b": "default", "e": '{"a":' * 5000 + "1" + "}" * 5000})
    worker = transport.worker({"record": lambda e: None})
    worker.run_once()
    assert transport.pending() == 0 and transport.counts()["undeliverable"] == 1
    deep: dict[str, Any] = {}
    cursor = deep
    for _ in range(5000):
        cursor["a"] = {}
        cursor = cursor["a"]
    before = transport.redis.xlen(stream)
    with pytest.raises(InvalidEventError):
        transport.publish(deep)
    assert transport.redis.xlen(stream) == before  # nothing half-applied


def test_reclaim_reaches_a_dead_workers_entries_behind_many_that_live_workers_renew(transport: RedisTransport) -> None:
    # XAUTOCLAIM examines at most ten times COUNT entries a call: a reclaim that stopped at the first call
    # claiming nothing never reached the 500 entries of a dead worker behind 2,500 a live one keeps fresh
    transport.put_rules(ALL)
    transport.publish_many(_events(3000))
    stream = transport.streams()[0]
    live = transport.redis.xreadgroup(transport.group, "live", {stream: ">"}, count=2500)[0][1]
    dead = transport.redis.xreadgroup(transport.group, "dead", {stream: ">"}, count=500)[0][1]
    time.sleep(transport.visibility_timeout + 0.2)
    transport.redis.xclaim(stream, transport.group, "live", 0, [e for e, _ in live], justid=True)  # a heartbeat
    got: list[Any] = []
    rescuer = transport.worker({"record": got.append}, "rescuer", batch=20)
    rescuer.run_once()
    assert sorted(e["id"] for e in got) == sorted(f"e-{i}" for i in range(2500, 3000))
    owners = {c["name"].decode(): c["pending"] for c in transport.redis.xinfo_consumers(stream, transport.group)}
    assert owners.get("dead", 0) == 0 and owners["live"] == 2500
    assert len(dead) == 500


def test_publish_many_appends_nothing_when_one_event_is_bad(transport: RedisTransport) -> None:
    """Every event is checked before any is appended: a bad one past the first chunk leaves the streams
    and the published count as they were, and the error names its position."""
    from eventmatch import InvalidEventError

    transport.put_rules(ALL)
    before = sum(transport.redis.xlen(s) for s in transport.streams()), transport.counts().get("published", 0)
    events: list[Any] = _events(25)
    with pytest.raises(InvalidEventError) as caught:
        transport.publish_many([*events, {"id": "bad", "when": object()}], chunk=10)
    assert any("event 25" in note for note in caught.value.__notes__)
    with pytest.raises(ValidationError, match="event 3 is str"):
        transport.publish_many([*events[:3], "not an event"], chunk=2)
    with pytest.raises(ValueError, match="chunk"):
        transport.publish_many(events, chunk=0)
    after = sum(transport.redis.xlen(s) for s in transport.streams()), transport.counts().get("published", 0)
    assert after == before
    assert transport.publish_many(events, chunk=10) == 25
    assert sum(transport.redis.xlen(s) for s in transport.streams()) == before[0] + 25
