"""Hostile requests to every kind of route of ``eventmatch serve``: AWS's JSON protocol, Scheduler's REST
routes, the console's pages and endpoints, the inspection API and the clock. Malformed, oversized, deeply
nested and wrongly typed bodies and headers, drawn by hypothesis: no answer is a 5xx and the server stays
up. A 100 MB body to a route of each kind leaves the server's memory where it was (the server in its own
process for that test).

No request leaves loopback: the server resolves no name (its resolver refuses every one), and the session's
guard fails any test that tries to connect elsewhere."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("starlette")

from eventmatch import EventBridge
from eventmatch.bus import VirtualClock
from eventmatch.server import Server
from eventmatch.server.wire import ACTIONS

#: requests drawn per example, and examples: at least 2,000 requests in all
PER_EXAMPLE, EXAMPLES = 5, int(os.environ.get("EVENTMATCH_FUZZ_EXAMPLES", "420"))  # more for a deeper run
SEEN: dict[str, int] = {"requests": 0}


def _no_names(host: str, port: int) -> list[str]:
    raise OSError("the fuzz test resolves no name")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with Server(EventBridge(clock=VirtualClock(datetime(2026, 1, 1, tzinfo=UTC))), resolver=_no_names) as running:
        yield running


# -- what a request is made of ----------------------------------------------------------------------------------
KEYS = ["Name", "EventBusName", "EventPattern", "Entries", "Targets", "Rule", "Ids", "Limit", "NextToken",
        "ScheduleExpression", "State", "Description", "Tags", "Source", "DetailType", "Detail", "Time", "Resources",
        "Arn", "Id", "Input", "InputPath", "InputTransformer", "ArchiveName", "EventSourceArn", "RetentionDays",
        "ReplayName", "Destination", "EventStartTime", "EventEndTime", "ConnectionArn", "InvocationEndpoint",
        "HttpMethod", "AuthorizationType", "AuthParameters", "Target", "FlexibleTimeWindow", "GroupName",
        "StartDate", "EndDate", "ScheduleExpressionTimezone", "ResourceARN", "TagKeys", "Event", "action",
        "params", "event", "pattern", "kind", "value", "pathsMap", "template", "seq", "MaxResults"]
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=30)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False), TEXT,
                    st.sampled_from(["rate(1 minute)", "cron(0 12 * * ? *)", "at(2026-01-01T00:00:00)",
                                     '{"source": ["a"]}', "arn:aws:sqs:us-east-1:123456789012:q", "\\ud800",
                                     "https://127.0.0.1:1/x", "ENABLED", "default", "-3", "9" * 50]))
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.sampled_from(KEYS), TEXT), inner, max_size=4)),
    max_leaves=12)
OBJECTS = st.dictionaries(st.sampled_from(KEYS), JSON_VALUES, max_size=6)


def _deep(depth: int, opener: bytes) -> bytes:
    return opener * depth


BODIES = st.one_of(
    OBJECTS.map(lambda o: json.dumps(o).encode()),  # well formed, wrongly typed
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),  # any JSON, objects or not
    st.binary(max_size=64),  # not JSON, not even UTF-8
    st.sampled_from([b"", b"{", b"[1,", b'{"Name": NaN}', b'{"a": 1e999999}', b'{"a": "\\ud800"}', b"\xff\xfe",
                     b'{"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{\\"a\\": \\"\\\\udfff\\"}"}]}',
                     b'{"a": ' + b"9" * 5000 + b"}", b"null", b"true", b'"text"']),
    st.sampled_from([1_000, 5_000, 100_000]).flatmap(  # nested past every reader
        lambda depth: st.sampled_from([_deep(depth, b'{"a":'), _deep(depth, b"["),
                                       b'{"a":' * depth + b"1" + b"}" * depth])),
    st.just(b'{"Name": "' + b"x" * (1024 * 1024 + 10) + b'"}'),  # past the cap
)
HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
CONTENT_TYPES = st.one_of(st.sampled_from(["application/json", "application/x-amz-json-1.1", "text/plain",
                                           "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                           "application/json; charset=utf-8"]), HEADER_TEXT)
EXTRA_HEADERS = st.dictionaries(st.sampled_from(["X-Amz-Date", "Authorization", "Accept", "Sec-Fetch-Site",
                                                 "X-Amz-Target", "Content-Encoding", "Cookie", "Referer"]),
                                HEADER_TEXT, max_size=3)
NAMES = st.one_of(st.sampled_from(["s", "default", "a.b-c_d", "x" * 300, "%2F", "..", "%ED%A0%80", "%00"]),
                  TEXT.map(lambda t: urllib.parse.quote(t, safe="")))
QUERY = st.dictionaries(st.sampled_from(["groupName", "ScheduleGroup", "NamePrefix", "State", "NextToken",
                                         "MaxResults", "TagKeys", "page", "q", "bus", "arn", "rule", "fragment"]),
                        st.one_of(TEXT, st.just("9" * 5000), st.just("-1")), max_size=3).map(
    lambda q: urllib.parse.urlencode(q))


@st.composite
def aws_requests(draw: Any) -> tuple[str, str, bytes, dict[str, str]]:
    action = draw(st.one_of(st.sampled_from(sorted(ACTIONS)), HEADER_TEXT))
    target = draw(st.sampled_from([f"AWSEvents.{action}", action, "", "AWSEvents."]))
    headers = {"X-Amz-Target": target, "Content-Type": draw(CONTENT_TYPES),
               **draw(EXTRA_HEADERS)}
    return "POST", "/", draw(BODIES), headers


@st.composite
def scheduler_requests(draw: Any) -> tuple[str, str, bytes, dict[str, str]]:
    path = draw(st.sampled_from(["/schedules/{}", "/schedules", "/schedule-groups/{}", "/schedule-groups",
                                 "/tags/{}"])).format(draw(NAMES))
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    query = draw(QUERY)
    return method, path + (f"?{query}" if query else ""), draw(BODIES), {"Content-Type": draw(CONTENT_TYPES),
                                                                          **draw(EXTRA_HEADERS)}


@st.composite
def console_requests(draw: Any) -> tuple[str, str, bytes, dict[str, str]]:
    if draw(st.booleans()):
        path = draw(st.sampled_from(["/_eventmatch/console/test", "/_eventmatch/console/api",
                                     "/_eventmatch/console/transform", "/_eventmatch/console/redrive"]))
        return "POST", path, draw(BODIES), {"Content-Type": draw(CONTENT_TYPES), **draw(EXTRA_HEADERS)}
    path = draw(st.sampled_from(["/", "/sandbox", "/rules", "/rules/{}/{}", "/tail", "/deliveries", "/timeline",
                                 "/buses", "/archives", "/metrics", "/_eventmatch/console/why/{}",
                                 "/_eventmatch/console/static/{}"]))
    path = path.replace("{}", draw(NAMES), 1).replace("{}", draw(NAMES), 1)
    query = draw(QUERY)
    return draw(st.sampled_from(["GET", "HEAD", "POST", "DELETE"])), path + (f"?{query}" if query else ""), b"", {}


@st.composite
def inspection_requests(draw: Any) -> tuple[str, str, bytes, dict[str, str]]:
    path = draw(st.sampled_from(["/_eventmatch/deliveries", "/_eventmatch/metrics", "/_eventmatch/inbox",
                                 "/_eventmatch/events", "/_eventmatch/events/{}", "/_eventmatch/clock",
                                 "/_eventmatch/scheduler/invocations", "/_eventmatch/nothing"])).format(draw(NAMES))
    query = draw(QUERY)
    if path == "/_eventmatch/clock" and draw(st.booleans()):
        body = draw(st.one_of(BODIES, st.sampled_from([
            b'{"advance": "x"}', b'{"advance": 1e308}', b'{"advance": -5}', b'{"set": "garbage"}',
            b'{"set": "2026-01-01T00:00:30"}', b'{"advance": 30}', b'{"set": 5}', b'{"advance": null}'])))
        return "POST", path, body, {"Content-Type": draw(CONTENT_TYPES)}
    return draw(st.sampled_from(["GET", "POST"])), path + (f"?{query}" if query else ""), b"", {}


#: EventBridge Schemas' paths, from the model ({...} filled with drawn names)
SCHEMAS_PATHS = ["/v1/discoverers", "/v1/discoverers/id/{}", "/v1/discoverers/id/{}/start", "/v1/discover",
                 "/v1/policy", "/v1/registries", "/v1/registries/name/{}", "/v1/registries/name/{}/schemas",
                 "/v1/registries/name/{}/schemas/search", "/v1/registries/name/{}/schemas/name/{}",
                 "/v1/registries/name/{}/schemas/name/{}/export", "/v1/registries/name/{}/schemas/name/{}/versions",
                 "/v1/registries/name/{}/schemas/name/{}/version/{}",
                 "/v1/registries/name/{}/schemas/name/{}/language/{}/source",
                 "/tags/arn:aws:schemas:us-east-1:123456789012:registry/{}", "/_eventmatch/console/pairs"]


@st.composite
def schemas_requests(draw: Any) -> tuple[str, str, bytes, dict[str, str]]:
    path = draw(st.sampled_from(SCHEMAS_PATHS))
    for _ in range(path.count("{}")):
        path = path.replace("{}", draw(st.one_of(NAMES, st.just("aws.events"))), 1)
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    query = draw(QUERY)
    headers = {"Content-Type": draw(CONTENT_TYPES), **draw(EXTRA_HEADERS)}
    if draw(st.booleans()):  # a console pair picked, or a made-up one
        headers["Cookie"] = "eventmatch_pair=" + draw(st.one_of(st.just("123456789012:us-east-1"), HEADER_TEXT))
    return method, path + (f"?{query}" if query else ""), draw(BODIES), headers


REQUESTS = st.one_of(aws_requests(), scheduler_requests(), console_requests(), inspection_requests(),
                     schemas_requests())


def _send(connection: http.client.HTTPConnection, request: tuple[str, str, bytes, dict[str, str]]) -> int:
    method, path, body, headers = request
    connection.request(method, path, body=body or None, headers=headers)
    answer = connection.getresponse()
    answer.read()
    if answer.getheader("connection", "").lower() == "close":
        connection.close()
    return answer.status


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(REQUESTS, min_size=PER_EXAMPLE, max_size=PER_EXAMPLE))
def test_no_request_gets_a_5xx(server: Server, requests: list[tuple[str, str, bytes, dict[str, str]]]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        for request in requests:
            try:
                status = _send(connection, request)
            except (ConnectionError, http.client.RemoteDisconnected):  # a refused oversize body may close it
                connection.close()
                continue
            SEEN["requests"] += 1
            assert status < 500, (*request[:2], request[2][:200], request[3])
    finally:
        connection.close()


def test_the_server_answered_every_kind_of_request_and_is_alive(server: Server) -> None:
    """After the fuzzing (this test runs after it): at least 2,000 requests, and the server still answers."""
    assert SEEN["requests"] >= 2_000, SEEN
    check = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    check.request("GET", "/_eventmatch/clock")
    assert check.getresponse().status == 200


# -- memory ------------------------------------------------------------------------------------------------------
def _rss(pid: int) -> int:
    """The resident memory of a process, in bytes."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _send_huge(port: int, method: str, path: str, headers: dict[str, str], chunked: bool,
               size: int = 100 * 1024 * 1024) -> bytes:
    """Send ``size`` bytes of body (as long as the server reads it) and return what it answered."""
    block = b"x" * (1024 * 1024)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items())
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {size}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=60) as raw:
        raw.sendall(head.encode())
        sent = 0
        try:
            while sent < size:
                raw.sendall(f"{len(block):x}\r\n".encode() + block + b"\r\n" if chunked else block)
                sent += len(block)
            if chunked:
                raw.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered and closed before the whole body: what is wanted
        try:
            return raw.recv(4096)
        except ConnectionResetError:
            return b""


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], int]]:
    from tests.test_cli import COMMAND

    process = subprocess.Popen([*COMMAND, "serve", "--port", "0", "--virtual-clock", "2026-01-01T00:00:00"],
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        url = line.split(" at ", 1)[1].split()[0]
        yield process, int(url.rsplit(":", 1)[1])
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_100_mb_body_to_each_kind_of_route_leaves_memory_flat(served: tuple[subprocess.Popen[str], int]) -> None:
    process, port = served
    routes = [("POST", "/", {"X-Amz-Target": "AWSEvents.PutEvents", "Content-Type": "application/x-amz-json-1.1"}),
              ("POST", "/schedules/big", {"Content-Type": "application/json"}),
              ("POST", "/_eventmatch/console/api", {"Content-Type": "application/json"}),
              ("POST", "/_eventmatch/deliveries", {}),
              ("GET", "/_eventmatch/events", {}),
              ("POST", "/_eventmatch/clock", {"Content-Type": "application/json"})]
    for method, path, headers in routes[:1]:  # warm up: the first requests import and allocate what serving needs
        _send_huge(port, method, path, headers, chunked=False, size=2 * 1024 * 1024)
    time.sleep(0.5)
    before = _rss(process.pid)
    for method, path, headers in routes:
        for chunked in (False, True):
            answer = _send_huge(port, method, path, headers, chunked)
            assert answer == b"" or answer.startswith((b"HTTP/1.1 413", b"HTTP/1.1 200", b"HTTP/1.1 405")), answer
    time.sleep(0.5)
    after = _rss(process.pid)
    assert after - before < 50 * 1024 * 1024, (before, after)
    check = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    check.request("GET", "/_eventmatch/clock")
    assert check.getresponse().status == 200
