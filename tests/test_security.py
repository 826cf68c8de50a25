"""The server is safe to leave running (docs/security.md): no other origin, foreign Host or hostile input
changes its state or gets a bare 500. Each test pins one finding of the safety issue; every request goes
to loopback, with the Host and Origin headers a browser or an attacker would send."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("starlette")

from eventmatch import EventBridge
from eventmatch.bus import VirtualClock
from eventmatch.server import Server
from eventmatch.server.security import SecurityPolicy
from tests.aws_clients import client

START = "2026-01-01T00:00:00+00:00"
EVIL = "http://127.0.0.1:9"  # another port of this machine: another origin, and "same-site"


@pytest.fixture
def server() -> Iterator[Server]:
    from datetime import datetime

    with Server(EventBridge(clock=VirtualClock(datetime.fromisoformat(START)))) as running:
        yield running


def call(server: Server | int, method: str, path: str, body: bytes | str | Iterator[bytes] | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request over a fresh connection to the server (or a port): (status, headers in lower case, body); a
    body given as an iterator is sent chunked."""
    port = server if isinstance(server, int) else server.port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = body.encode() if isinstance(body, str) else body
        chunked = data is not None and not isinstance(data, bytes)
        connection.request(method, path, body=data, headers=headers or {}, encode_chunked=chunked)
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def own(server: Server) -> str:
    return f"http://127.0.0.1:{server.port}"


def snapshot(server: Server) -> dict[str, Any]:
    """What boto3 sees of the server's state, and its clock."""
    events = client("events", server.endpoint_url)
    scheduler = client("scheduler", server.endpoint_url)
    return {
        "buses": sorted(b["Name"] for b in events.list_event_buses()["EventBuses"]),
        "rules": sorted(r["Name"] for r in events.list_rules()["Rules"]),
        "targets": {r["Name"]: sorted(t["Id"] for t in events.list_targets_by_rule(Rule=r["Name"])["Targets"])
                    for r in events.list_rules()["Rules"]},
        "schedules": sorted(s["Name"] for s in scheduler.list_schedules()["Schedules"]),
        "groups": sorted(g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]),
        "clock": json.loads(call(server, "GET", "/_eventmatch/clock")[2])["now"],
    }


#: every route that changes state, with a body that would change it: (method, path, body)
CHANGES = [
    ("POST", "/_eventmatch/console/api", json.dumps({"action": "DeleteRule", "params": {"Name": "kept"}})),
    ("POST", "/_eventmatch/console/api", json.dumps({"action": "CreateEventBus", "params": {"Name": "evil"}})),
    ("POST", "/_eventmatch/console/api", json.dumps({"action": "PutTargets", "params": {
        "Rule": "kept", "Targets": [{"Id": "evil", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}]}})),
    ("POST", "/_eventmatch/console/redrive", json.dumps({"seq": 1})),
    ("POST", "/_eventmatch/console/test", json.dumps({"event": "{}", "pattern": "{}"})),
    ("POST", "/_eventmatch/console/transform", json.dumps({"event": "{}"})),
    ("POST", "/_eventmatch/clock", json.dumps({"advance": 86400})),
    ("POST", "/schedules/evil", json.dumps({"ScheduleExpression": "rate(1 minute)", "FlexibleTimeWindow": {
        "Mode": "OFF"}, "Target": {"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn":
                                   "arn:aws:iam::123456789012:role/r"}})),
    ("POST", "/schedule-groups/evil", "{}"),
    ("DELETE", "/schedule-groups/kept", None),
]


def _prepare(server: Server) -> None:
    events = client("events", server.endpoint_url)
    events.put_rule(Name="kept", EventPattern='{"source": ["a"]}')
    client("scheduler", server.endpoint_url).create_schedule_group(Name="kept")


@pytest.mark.parametrize(("method", "path", "body"), CHANGES, ids=[f"{m} {p}" for m, p, _ in CHANGES])
def test_a_request_from_another_origin_changes_nothing(server: Server, method: str, path: str,
                                                       body: str | None) -> None:
    """Finding 1: a page of another origin (another port of 127.0.0.1 is enough) changed state with no-cors
    fetches (text/plain) and form posts. Refused now, with the origin and the option named."""
    _prepare(server)
    before = snapshot(server)
    for content_type in ("text/plain", "application/json", "application/x-www-form-urlencoded"):
        status, headers, answer = call(server, method, path, body,
                                       {"Origin": EVIL, "Content-Type": content_type, "Sec-Fetch-Site": "same-site"})
        assert status == 403, (status, answer)
        text = answer.decode()
        assert EVIL in text and "--allow-origin" in text
        assert "access-control-allow-origin" not in headers  # no CORS by default
    assert snapshot(server) == before


def test_aws_api_from_another_origin_is_refused_and_its_preflight_is_not_answered(server: Server) -> None:
    status, headers, answer = call(server, "POST", "/", '{"Name": "evil"}', {
        "Origin": EVIL, "X-Amz-Target": "AWSEvents.CreateEventBus", "Content-Type": "application/x-amz-json-1.1"})
    assert status == 403 and json.loads(answer)["__type"] == "AccessDeniedException"
    status, headers, _ = call(server, "OPTIONS", "/", None, {
        "Origin": EVIL, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-amz-target"})
    assert status == 403 and "access-control-allow-origin" not in headers
    assert "evil" not in snapshot(server)["buses"]


def test_a_cross_site_request_without_origin_is_refused(server: Server) -> None:
    status, _, _ = call(server, "POST", "/_eventmatch/clock", '{"advance": 60}', {"Sec-Fetch-Site": "cross-site"})
    assert status == 403
    assert snapshot(server)["clock"] == START


def test_the_consoles_routes_take_json_only_and_the_own_origin_passes(server: Server) -> None:
    _prepare(server)
    body = json.dumps({"action": "CreateEventBus", "params": {"Name": "mine"}})
    status, _, answer = call(server, "POST", "/_eventmatch/console/api", body,
                             {"Origin": own(server), "Content-Type": "text/plain"})
    assert status == 415 and b"application/json" in answer
    status, _, answer = call(server, "POST", "/_eventmatch/console/api", body,
                             {"Origin": own(server), "Content-Type": "application/json; charset=utf-8"})
    assert status == 200, answer
    # clients that send no Origin (boto3, curl, the AWS CLI) are not browsers' pages: served
    status, _, _ = call(server, "POST", "/_eventmatch/clock", '{"advance": 60}')
    assert status == 200
    assert snapshot(server)["buses"] == ["default", "mine"]


@pytest.mark.parametrize("host", ["rebind.example", "rebind.example:4010", "127.0.0.1.nip.io", "10.0.0.1",
                                  "[fe80::1]:4010", "0.0.0.0"])
@pytest.mark.parametrize("path", ["/", "/sandbox", "/_eventmatch/events", "/_eventmatch/deliveries"])
def test_a_foreign_host_is_not_served(server: Server, host: str, path: str) -> None:
    """Finding 2: any Host header was served (DNS rebinding)."""
    status, _, answer = call(server, "GET", path, None, {"Host": host})
    assert status == 403, answer
    assert b"--allow-host" in answer


@pytest.mark.parametrize("host", ["localhost", "localhost:4010", "127.0.0.1", "127.0.0.2:80", "[::1]:4010",
                                  "LOCALHOST"])
def test_loopback_hosts_are_served(server: Server, host: str) -> None:
    status, _, _ = call(server, "GET", "/_eventmatch/clock", None, {"Host": host})
    assert status == 200


def test_allow_host_and_allow_origin_are_explicit_relaxations() -> None:
    policy = SecurityPolicy.of(allow_origins=["http://localhost:3000"], allow_hosts=["eventbridge"])
    with Server(EventBridge(), security=policy) as server:
        status, _, _ = call(server, "GET", "/_eventmatch/clock", None, {"Host": "eventbridge:4010"})
        assert status == 200
        status, headers, _ = call(server, "OPTIONS", "/", None, {
            "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target,x-amz-date,authorization,"
                                              "amz-sdk-invocation-id,x-evil"})
        assert status == 204
        assert headers["access-control-allow-origin"] == "http://localhost:3000"
        allowed = headers["access-control-allow-headers"].split(", ")
        assert {"content-type", "x-amz-target", "authorization", "amz-sdk-invocation-id"} <= set(allowed)
        assert "x-evil" not in allowed
        status, headers, answer = call(server, "POST", "/", '{"Name": "fromthebrowser"}', {
            "Origin": "http://localhost:3000", "X-Amz-Target": "AWSEvents.CreateEventBus",
            "Content-Type": "application/x-amz-json-1.1"})
        assert status == 200, answer
        assert headers["access-control-allow-origin"] == "http://localhost:3000"
        assert "x-amzn-RequestId" in headers["access-control-expose-headers"]
        # another origin still refused
        status, _, _ = call(server, "POST", "/", '{"Name": "other"}', {
            "Origin": "http://localhost:3001", "X-Amz-Target": "AWSEvents.CreateEventBus"})
        assert status == 403


def test_the_same_checks_hold_where_the_app_is_mounted_in_a_users_app() -> None:
    import socket
    import threading
    import time

    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from eventmatch.server import create_app

    outer = Starlette(routes=[Mount("/eventbridge", app=create_app(EventBridge()))])
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    running = uvicorn.Server(uvicorn.Config(outer, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=running.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        while not running.started:
            time.sleep(0.01)
        origin = f"http://127.0.0.1:{port}"
        create = {"X-Amz-Target": "AWSEvents.CreateEventBus", "Content-Type": "application/x-amz-json-1.1"}
        assert call(port, "POST", "/eventbridge/", '{"Name": "evil"}', {**create, "Origin": EVIL})[0] == 403
        assert call(port, "GET", "/eventbridge/_eventmatch/clock", None, {"Host": "rebind.example"})[0] == 403
        assert call(port, "POST", "/eventbridge/_eventmatch/console/api", b"{}", {"Content-Type": "text/plain"})[0] == 415
        assert call(port, "POST", "/eventbridge/_eventmatch/clock", b"x" * (2 * 1024 * 1024))[0] == 413
        status, _, answer = call(port, "POST", "/eventbridge/", '{"Name": "mine"}', {**create, "Origin": origin})
        assert status == 200, answer
    finally:
        running.should_exit = True
        thread.join(10)
        listening.close()


def test_a_server_bound_to_every_address_serves_this_machines_addresses_only() -> None:
    from eventmatch.server.security import Guard

    async def app(scope: Any, receive: Any, send: Any) -> None:  # never reached in this test
        raise AssertionError

    guard = Guard(app, SecurityPolicy())
    assert guard.host_allowed(b"127.0.0.1:4010", "0.0.0.0")
    assert not guard.host_allowed(b"rebind.example", "0.0.0.0")
    assert not guard.host_allowed(b"192.0.2.1", "0.0.0.0")  # TEST-NET-1: no machine's address
    assert guard.host_allowed(b"192.0.2.1:4010", "192.0.2.1")  # the address it is bound to
    assert not guard.host_allowed(b"192.0.2.2", "192.0.2.1")


# -- bodies -------------------------------------------------------------------------------------------------
ROUTES_WITH_BODIES = [
    ("POST", "/", {"X-Amz-Target": "AWSEvents.PutEvents"}),
    ("POST", "/schedules/big", {}),
    ("POST", "/_eventmatch/console/test", {"Content-Type": "application/json"}),
    ("POST", "/_eventmatch/console/api", {"Content-Type": "application/json"}),
    ("POST", "/_eventmatch/clock", {}),
]


@pytest.mark.parametrize(("method", "path", "headers"), ROUTES_WITH_BODIES, ids=[p for _, p, _ in ROUTES_WITH_BODIES])
def test_every_body_is_capped_while_it_is_read(server: Server, method: str, path: str,
                                                headers: dict[str, str]) -> None:
    """Finding 4: only POST / was capped; the console's routes, the clock and Scheduler's read any size."""
    big = b'{"a": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    status, _, answer = call(server, method, path, big, headers)
    assert status == 413, answer
    # chunked, with no length given: counted as it arrives
    status, _, answer = call(server, method, path, iter([big[i:i + 65536] for i in range(0, len(big), 65536)]),
                             headers)
    assert status == 413, answer


def test_a_body_that_does_not_arrive_in_time_is_refused() -> None:
    import socket

    policy = SecurityPolicy(body_seconds=0.5)
    with Server(EventBridge(), security=policy) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            raw.sendall(b"POST /_eventmatch/clock HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{")
            answer = raw.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408"), answer


def test_live_tail_streams_are_bounded() -> None:
    import socket

    policy = SecurityPolicy(max_streams=2)
    with Server(EventBridge(), security=policy) as server:
        opened = []
        try:
            for _ in range(2):
                raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                raw.sendall(b"GET /_eventmatch/console/tail HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert raw.recv(4096).startswith(b"HTTP/1.1 200")
                opened.append(raw)
            status, _, answer = call(server, "GET", "/_eventmatch/console/tail")
            assert status == 429 and b"live-tail streams" in answer
        finally:
            for raw in opened:
                raw.close()


# -- hostile input --------------------------------------------------------------------------------------------
def test_a_lone_surrogate_fails_its_putevents_entry_alone(server: Server) -> None:
    """Finding 5: an escaped lone surrogate in one entry's Detail answered 500 for the whole batch."""
    events = client("events", server.endpoint_url)
    events.put_rule(Name="all", EventPattern='{"source": ["s"]}')
    body = ('{"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{\\"a\\": \\"\\\\ud800\\"}"}, '
            '{"Source": "s", "DetailType": "d", "Detail": "{\\"a\\": 1}"}, '
            '{"Source": "s\\ud800", "DetailType": "d", "Detail": "{}"}]}')
    status, _, answer = call(server, "POST", "/", body, {"X-Amz-Target": "AWSEvents.PutEvents"})
    assert status == 200, answer
    entries = json.loads(answer)["Entries"]
    assert entries[0] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert "EventId" in entries[1]
    assert entries[2]["ErrorCode"] == "MalformedDetail"
    assert json.loads(answer)["FailedEntryCount"] == 2


def test_a_lone_surrogate_in_a_rule_is_refused_and_every_page_stays_up(tmp_path: Any) -> None:
    state = str(tmp_path / "state.db")
    with Server(EventBridge(), state=state) as server:
        body = '{"Name": "r", "EventPattern": "{\\"source\\": [\\"a\\"]}", "Description": "x\\ud800"}'
        status, _, answer = call(server, "POST", "/", body, {"X-Amz-Target": "AWSEvents.PutRule"})
        assert status == 400 and json.loads(answer)["__type"] == "ValidationException"
        status, _, answer = call(server, "POST", "/schedule-groups/g", '{"Tags": [{"Key": "k", "Value": "\\udc00"}]}')
        assert status == 400 and json.loads(answer)["Message"]
    with Server(EventBridge(), state=state) as server:  # nothing half-kept: the restart serves every page
        for path in ("/", "/rules", "/sandbox"):
            assert call(server, "GET", path)[0] == 200
        assert call(server, "GET", "/rules/default/r")[0] == 200


DEEP = [b'{"a":' * 100_000, b"[" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000]


@pytest.mark.parametrize("body", DEEP, ids=["objects", "arrays", "closed objects"])
def test_deep_nesting_answers_each_routes_error_shape(server: Server, body: bytes) -> None:
    """Finding 6: a body nested 100,000 levels answered a plain-text 500 (RecursionError)."""
    status, headers, answer = call(server, "POST", "/", body, {"X-Amz-Target": "AWSEvents.PutRule"})
    assert status == 400 and json.loads(answer)["__type"] == "SerializationException"
    status, headers, answer = call(server, "POST", "/schedules/s", body)
    assert status == 400 and headers["x-amzn-errortype"] == "ValidationException"
    for path in ("/_eventmatch/console/test", "/_eventmatch/console/api", "/_eventmatch/console/transform",
                 "/_eventmatch/console/redrive"):
        status, _, answer = call(server, "POST", path, body, {"Content-Type": "application/json"})
        assert status == 400 and json.loads(answer)["message"], path
    status, _, answer = call(server, "POST", "/_eventmatch/clock", body)
    assert status == 400 and json.loads(answer)["message"]


@pytest.mark.parametrize("field", ["source", "detail-type", "detail"])
def test_an_event_cannot_disable_the_sandbox(server: Server, field: str) -> None:
    """Finding 7: an event holding ``<!--<script>`` made /sandbox lose its script (only ``</`` was escaped)."""
    hostile = "<!--<script>\u2028</script>&"
    entry = {"Source": "s", "DetailType": "d", "Detail": "{}"}
    if field == "detail":
        entry["Detail"] = json.dumps({"x": hostile})
    else:
        entry["Source" if field == "source" else "DetailType"] = hostile
    assert client("events", server.endpoint_url).put_events(Entries=[entry])["FailedEntryCount"] == 0
    server.inbox.wait_idle()
    _, _, page = call(server, "GET", "/sandbox")
    text = page.decode()
    embedded = re.search(r'<script type="application/json" id="samples">(.*?)</script>', text, re.S)
    assert embedded is not None
    inside = embedded.group(1)
    assert "<" not in inside and ">" not in inside and "&" not in inside and "\u2028" not in inside
    samples = json.loads(inside)
    assert any(hostile in json.dumps(s, ensure_ascii=False) for s in samples)


CONSOLE_BAD = [
    ("/_eventmatch/console/test", b"{not json"),
    ("/_eventmatch/console/test", b"[1, 2]"),
    ("/_eventmatch/console/test", b'"a string"'),
    ("/_eventmatch/console/api", b'{"action": ["PutRule"]}'),
    ("/_eventmatch/console/api", b'{"action": "PutRule", "params": "x"}'),
    ("/_eventmatch/console/api", b"[]"),
    ("/_eventmatch/console/transform", b"{not json"),
    ("/_eventmatch/console/transform", b'{"event": "{}", "kind": "InputTransformer", "pathsMap": "[[[[[["}'),
    ("/_eventmatch/console/redrive", b'{"seq": 100000000000000000000000}'),
    ("/_eventmatch/console/redrive", b'{"seq": -1}'),
    ("/_eventmatch/console/redrive", b'"x"'),
]


@pytest.mark.parametrize(("path", "body"), CONSOLE_BAD)
def test_console_routes_answer_a_json_error_for_malformed_input(server: Server, path: str, body: bytes) -> None:
    """Finding 8: bare 500s for malformed JSON, an array or a string where an object belongs, a redrive seq
    of 10^23."""
    status, headers, answer = call(server, "POST", path, body, {"Content-Type": "application/json"})
    assert 200 <= status < 500, (status, answer)
    assert headers["content-type"].startswith("application/json")
    json.loads(answer)


def test_a_page_number_of_thousands_of_digits(server: Server) -> None:
    assert call(server, "GET", "/rules?page=" + "9" * 5000)[0] == 200
    assert call(server, "GET", "/rules?page=-3")[0] == 200


@pytest.mark.parametrize("token", ["-3", "3", "0", "9" * 40, "MTAuZmFrZQ", "not a token"])
def test_a_forged_next_token_is_refused_with_awss_error(server: Server, token: str) -> None:
    """Finding 9: NextToken was a raw offset: "-3" gave the last items, huge values an empty page."""
    events = client("events", server.endpoint_url)
    for n in range(5):
        events.put_rule(Name=f"r{n}", EventPattern='{"source": ["a"]}')
    first = events.list_rules(Limit=2)
    assert [r["Name"] for r in first["Rules"]] == ["r0", "r1"]
    second = events.list_rules(Limit=2, NextToken=first["NextToken"])
    assert [r["Name"] for r in second["Rules"]] == ["r2", "r3"]
    with pytest.raises(events.exceptions.ClientError) as info:
        events.list_rules(Limit=2, NextToken=token)
    assert info.value.response["Error"] == {"Code": "ValidationException",
                                            "Message": "The NextToken provided is invalid."}
    with pytest.raises(events.exceptions.ClientError):  # a token of another list
        events.list_event_buses(NextToken=first["NextToken"])
    status, _, _answer = call(server, "POST", "/", '{"NextToken": 3}', {"X-Amz-Target": "AWSEvents.ListRules"})
    assert status == 400


def test_putevents_refuses_a_time_that_is_not_a_timestamp(server: Server) -> None:
    body = json.dumps({"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}", "Time": "notatime"},
                                   {"Source": "s", "DetailType": "d", "Detail": "{}", "Time": 1767225600}]})
    _status, _, answer = call(server, "POST", "/", body, {"X-Amz-Target": "AWSEvents.PutEvents"})
    entries = json.loads(answer)["Entries"]
    assert entries[0] == {"ErrorCode": "InvalidArgument",
                          "ErrorMessage": "Parameter Time is not valid. Reason: Time must be a timestamp."}
    assert "EventId" in entries[1]  # epoch seconds, as the SDKs send it
    server.inbox.wait_idle()
    assert [e["time"] for _, e, _ in server.inbox.recent] == ["2026-01-01T00:00:00Z"]
