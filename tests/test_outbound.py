"""Where the server's own HTTP calls may go (docs/security.md, eventmatch.server.outbound): API destinations'
endpoints and connections' OAuth endpoints.

No test here sends a packet off this machine: names are resolved by a resolver the test gives the server,
and the session's guard (tests/conftest.py) fails any test that tries to connect outside loopback. The
addresses refused are never reached."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

pytest.importorskip("starlette")

from eventmatch import EventBridge
from eventmatch.bus import VirtualClock
from eventmatch.server import Server
from eventmatch.server.outbound import EndpointRefused, OutboundPolicy, parse_allow_endpoint
from eventmatch.server.security import SecurityPolicy
from tests.aws_clients import aws_error, client
from tests.test_server import _Receiver

HTTPS_REQUIRED = "Parameter InvocationEndpoint is not valid. Reason: an HTTPS endpoint is required."
NAMES = {"loop.test": ["127.0.0.1"], "private.test": ["10.0.0.5"], "metadata.test": ["169.254.169.254"],
         "public.test": ["93.184.215.14"], "mixed.test": ["10.0.0.7", "127.0.0.1"], "v6.test": ["fd00::1"],
         "mapped.test": ["::ffff:10.0.0.1"], "hooks.internal": ["127.0.0.1"]}


def resolver(names: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    """A resolver from a table: no look-up leaves the test."""
    def resolve(host: str, port: int) -> list[str]:
        if host not in names:
            raise OSError(f"{host}: not in the test's table")
        return names[host]

    return resolve


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    running = _Receiver()
    yield running
    running.close()


def _server(names: dict[str, list[str]] | None = None, allow: tuple[str, ...] = ()) -> Server:
    return Server(EventBridge(clock=VirtualClock(datetime(2026, 1, 1, tzinfo=UTC))),
                  security=SecurityPolicy.of(allow_endpoints=allow), resolver=resolver(names or NAMES))


def _connection(events: Any, name: str = "c", auth: dict[str, Any] | None = None) -> str:
    auth = auth or {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}}
    kind = "OAUTH_CLIENT_CREDENTIALS" if "OAuthParameters" in auth else "API_KEY"
    return str(events.create_connection(Name=name, AuthorizationType=kind, AuthParameters=auth)["ConnectionArn"])


def _deliver(server: Server, endpoint: str, auth: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """An API destination at ``endpoint`` (connection ``auth``), one event to it: the attempts it made."""
    events = client("events", server.endpoint_url)
    arn = events.create_api_destination(Name="d", ConnectionArn=_connection(events, auth=auth),
                                        InvocationEndpoint=endpoint, HttpMethod="POST")["ApiDestinationArn"]
    events.put_rule(Name="r", EventPattern='{"source": ["s"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "api", "Arn": arn, "RetryPolicy": {"MaximumRetryAttempts": 0}}])
    events.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}"}])
    server.deliveries()
    return list(server.state.attempts)


# -- the policy on its own ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("url", "address"), [
    ("https://loop.test/x", "127.0.0.1"), ("http://loop.test:8080/x", "127.0.0.1"),
    ("https://public.test/hook", "93.184.215.14"), ("http://127.0.0.1:9/x", "127.0.0.1"), ("http://[::1]:9/", "::1"),
    ("https://mixed.test/x", "127.0.0.1"),  # the first address that may be called: the one connected to
])
def test_the_address_a_name_resolves_to_decides(url: str, address: str) -> None:
    assert OutboundPolicy(resolver=resolver(NAMES)).destination(url).address == address


@pytest.mark.parametrize(("url", "reason"), [
    ("https://private.test/x", "10.0.0.5, a private address"),
    ("https://metadata.test/latest", "169.254.169.254, a link-local address"),
    ("https://v6.test/x", "fd00::1, a private address"),
    ("https://mapped.test/x", "10.0.0.1, a private address"),
    ("https://10.1.2.3/x", "10.1.2.3, a private address"),
    ("https://0.0.0.0/x", "an unspecified address"),
    ("http://public.test/x", "plain http is allowed only to loopback"),
    ("http://93.184.215.14/x", "plain http is allowed only to loopback"),
    ("ftp://loop.test/x", "the scheme ftp: is not allowed"),
    ("file:///etc/hostname", "the scheme file: is not allowed"),
    ("https://unknown.test/x", "could not be resolved"),
])
def test_refused_endpoints_say_why(url: str, reason: str) -> None:
    with pytest.raises(EndpointRefused, match=reason):
        OutboundPolicy(resolver=resolver(NAMES)).destination(url)


def test_allow_endpoint_lifts_the_address_and_https_rules_for_the_hosts_it_names() -> None:
    policy = OutboundPolicy(allow=["private.test", "10.9.9.9:8080"], resolver=resolver(NAMES))
    assert policy.destination("http://private.test/x").address == "10.0.0.5"
    assert policy.destination("http://10.9.9.9:8080/x").address == "10.9.9.9"
    with pytest.raises(EndpointRefused):
        policy.destination("http://10.9.9.9:8081/x")  # another port: not named
    with pytest.raises(ValueError, match="HOST or HOST:PORT"):
        parse_allow_endpoint("http://x/y")


# -- at creation, with AWS's message ----------------------------------------------------------------------------
@pytest.mark.parametrize("endpoint", [
    "http://127.evil.example/x", "http://127.0.0.1.nip.io/x", "http://10.0.0.5/x", "http://example.com/hook",
    "ftp://127.0.0.1/x", "file:///etc/hostname", "gopher://localhost/x",
])
def test_create_api_destination_refuses_what_may_never_be_called(endpoint: str) -> None:
    """The loopback rule was a text prefix: http://127.evil.example and http://127.0.0.1.nip.io passed."""
    with _server() as server:
        events = client("events", server.endpoint_url)
        assert aws_error(events.create_api_destination, Name="d", ConnectionArn=_connection(events),
                         InvocationEndpoint=endpoint, HttpMethod="POST") == (400, "ValidationException",
                                                                             HTTPS_REQUIRED)


@pytest.mark.parametrize("endpoint", ["file:///etc/hostname", "ftp://10.0.0.1/token", "http://10.0.0.1/token",
                                      "http://127.evil.example/token"])
def test_an_oauth_authorization_endpoint_is_checked_too(endpoint: str) -> None:
    """A connection's AuthorizationEndpoint was not checked: file:///etc/hostname was opened."""
    auth = {"OAuthParameters": {"AuthorizationEndpoint": endpoint, "HttpMethod": "POST",
                                "ClientParameters": {"ClientID": "id", "ClientSecret": "s"}}}
    with _server() as server:
        events = client("events", server.endpoint_url)
        status, code, message = aws_error(events.create_connection, Name="c", AuthorizationType=(
            "OAUTH_CLIENT_CREDENTIALS"), AuthParameters=auth)
        assert (status, code) == (400, "ValidationException")
        assert message == "Parameter AuthorizationEndpoint is not valid. Reason: an HTTPS endpoint is required."
        _connection(events, "ok")
        assert aws_error(events.update_connection, Name="ok", AuthParameters=auth)[1] == "ValidationException"


def test_allow_endpoint_accepts_plain_http_to_the_host_it_names(receiver: _Receiver) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    with _server(allow=(f"hooks.internal:{port}",)) as server:
        attempts = _deliver(server, f"http://hooks.internal:{port}/x")
        assert [a["outcome"] for a in attempts] == ["SUCCEEDED"]
        (call,) = receiver.calls()
        assert call["headers"]["Host"] == f"hooks.internal:{port}"  # the URL's name, at the checked address
    with _server() as server:  # not named: plain http to a name is refused when it is created
        events = client("events", server.endpoint_url)
        assert aws_error(events.create_api_destination, Name="d", ConnectionArn=_connection(events),
                         InvocationEndpoint=f"http://hooks.internal:{port}/x", HttpMethod="POST")[2] == HTTPS_REQUIRED


# -- at each call ---------------------------------------------------------------------------------------------
def test_a_name_that_stops_resolving_to_loopback_is_not_called(receiver: _Receiver) -> None:
    """The decision is made on the address, at each call: localhost answered with a private address (a
    rebinding resolver) is refused, and nothing is sent there."""
    port = receiver.url.rsplit(":", 1)[1]
    with _server({"localhost": ["127.0.0.1"]}) as server:
        assert [a["outcome"] for a in _deliver(server, f"http://localhost:{port}/x")] == ["SUCCEEDED"]
    with _server({"localhost": ["10.0.0.8"]}) as server:
        (attempt,) = _deliver(server, f"http://localhost:{port}/x")
        assert attempt["outcome"] == "FAILED"
        assert "refused" in attempt["error"] and "10.0.0.8, a private address" in attempt["error"]
    assert len(receiver.calls()) == 1


@pytest.mark.parametrize(("name", "reason"), [("private.test", "10.0.0.5, a private address"),
                                               ("metadata.test", "169.254.169.254, a link-local address")])
def test_https_to_a_name_of_a_private_address_fails_at_delivery_with_its_reason(name: str, reason: str) -> None:
    with _server() as server:
        (attempt,) = _deliver(server, f"https://{name}/hook")
        assert attempt["outcome"] == "FAILED" and reason in attempt["error"]
        dead = server.deliveries()
        assert dead == []  # nothing recorded as delivered


@pytest.mark.parametrize("location", ["http://10.0.0.1/steal", "http://127.0.0.1:9/elsewhere",
                                      "http://169.254.169.254/latest/meta-data/"])
def test_a_redirect_is_not_followed(location: str) -> None:
    """A loopback endpoint answering 302 to a private address led to a request there."""
    import http.server
    import threading

    seen: list[str] = []

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    redirecting = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=redirecting.serve_forever, daemon=True).start()
    try:
        with _server() as server:
            (attempt,) = _deliver(server, f"http://127.0.0.1:{redirecting.server_address[1]}/hook")
        assert attempt["outcome"] == "FAILED"
        assert f"a redirect to {location}, which is not followed" in attempt["error"]
        assert seen == ["/hook"]
    finally:
        redirecting.shutdown()


def test_an_oauth_endpoint_resolving_to_a_link_local_address_is_not_called() -> None:
    auth = {"OAuthParameters": {"AuthorizationEndpoint": "https://metadata.test/token", "HttpMethod": "POST",
                                "ClientParameters": {"ClientID": "id", "ClientSecret": "s"}}}
    with _server() as server:
        (attempt,) = _deliver(server, "https://loop.test:9/x", auth)
        assert attempt["outcome"] == "FAILED" and "169.254.169.254, a link-local address" in attempt["error"]
