"""Every account and region beyond the API (issue 35): the console's picker, the inspection routes, templates
loaded into a pair (``eventmatch serve --template-in``), and the pytest plugin's fixtures."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from eventmatch import EventBridge
from eventmatch.server import Server
from tests.aws_clients import client

OTHER = ("111122223333", "eu-west-1")


def get(server: Server, path: str, cookie: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(server.endpoint_url + path, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as failed:
        return failed.code, failed.read().decode()


def test_the_console_shows_the_pair_its_cookie_names() -> None:
    """The console's pages show one account and region: the default pair's, or the one the picker chose (its
    ``eventmatch_pair`` cookie); ``/_eventmatch/console/pairs`` lists every pair the server holds."""
    with Server(EventBridge()) as server:
        client("events", server.endpoint_url).create_event_bus(Name="home-bus")
        client("events", server.endpoint_url, region=OTHER[1], access_key=OTHER[0]).create_event_bus(Name="far-bus")
        status, page = get(server, "/buses")
        assert status == 200 and "home-bus" in page and "far-bus" not in page
        status, page = get(server, "/buses", cookie="eventmatch_pair=111122223333:eu-west-1")
        assert "far-bus" in page and "home-bus" not in page
        assert "arn:aws:events:eu-west-1:111122223333:event-bus/far-bus" in page
        _, listed = get(server, "/_eventmatch/console/pairs", cookie="eventmatch_pair=111122223333:eu-west-1")
        assert json.loads(listed) == {"pairs": ["123456789012:us-east-1", "111122223333:eu-west-1"],
                                      "current": "111122223333:eu-west-1"}
        _, page = get(server, "/buses", cookie="eventmatch_pair=999999999999:eu-west-1")  # not held: the default
        assert "home-bus" in page


def test_the_console_and_the_events_route_show_the_events_routed_in_a_pair() -> None:
    """An event account A puts on account B's bus (by its ARN) is routed in B: the console shows it among B's
    recent events (not A's), and ``/_eventmatch/events?account=B...`` lists it, with account A in it."""
    with Server(EventBridge()) as server:
        a = client("events", server.endpoint_url)
        b = client("events", server.endpoint_url, region="us-east-1", access_key=OTHER[0])
        shared = b.create_event_bus(Name="shared")["EventBusArn"]
        b.put_permission(EventBusName="shared", Action="events:PutEvents", Principal="*", StatementId="all")
        a.put_events(Entries=[{"Source": "shop", "DetailType": "d", "Detail": "{}", "EventBusName": shared}])
        server.deliveries()
        _, home = get(server, "/")
        _, theirs = get(server, "/", cookie=f"eventmatch_pair={OTHER[0]}:us-east-1")
        assert "<p>0 recent events." in home and "<p>1 recent events." in theirs
        _, listed = get(server, f"/_eventmatch/events?account={OTHER[0]}")
        (event,) = json.loads(listed)["Events"]
        assert (event["bus"], event["account"]) == ("shared", "123456789012")
        assert json.loads(get(server, "/_eventmatch/events?account=123456789012")[1])["Events"] == []


def test_the_console_acts_on_the_pair_it_shows() -> None:
    """The console's actions run on the pair it shows (a rule created from the console, with the cookie, is
    that pair's)."""
    with Server(EventBridge()) as server:
        other = client("events", server.endpoint_url, region=OTHER[1], access_key=OTHER[0])
        other.list_event_buses()  # the pair exists once a request signed for it came
        body = json.dumps({"action": "PutRule", "params": {"Name": "from-console",
                                                           "EventPattern": '{"source": ["s"]}'}}).encode()
        request = urllib.request.Request(server.endpoint_url + "/_eventmatch/console/api", data=body, headers={
            "Content-Type": "application/json", "Cookie": "eventmatch_pair=111122223333:eu-west-1"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert json.loads(answer.read())["RuleArn"] == "arn:aws:events:eu-west-1:111122223333:rule/from-console"
        assert [r["Name"] for r in other.list_rules()["Rules"]] == ["from-console"]
        assert client("events", server.endpoint_url).list_rules()["Rules"] == []


def test_the_inspection_routes_take_an_account_and_region() -> None:
    """``/_eventmatch/metrics`` and ``/_eventmatch/scheduler/invocations`` read the pair of ``?account=`` and
    ``?region=`` (the default pair without them; 404 for a pair the server does not hold);
    ``/_eventmatch/events`` gives each event's account and region and filters on them."""
    with Server(EventBridge()) as server:
        far = client("events", server.endpoint_url, region=OTHER[1], access_key=OTHER[0])
        far.put_rule(Name="r", EventPattern='{"source": ["s"]}')
        far.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}"}])
        client("events", server.endpoint_url).put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}"}])
        server.deliveries()
        query = "?account=111122223333&region=eu-west-1"
        _, far_metrics = get(server, "/_eventmatch/metrics" + query)
        _, home_metrics = get(server, "/_eventmatch/metrics")
        assert "MatchedEvents" in far_metrics and "MatchedEvents" not in home_metrics
        assert get(server, "/_eventmatch/metrics?account=999999999999")[0] == 404
        assert get(server, "/_eventmatch/scheduler/invocations" + query)[0] == 200
        _, listed = get(server, "/_eventmatch/events" + query)
        (event,) = json.loads(listed)["Events"]
        assert (event["account"], event["region"], event["rules"]) == (*OTHER, ["r"])


TEMPLATE = """
Resources:
  Orders:
    Type: AWS::Events::EventBus
    Properties: {Name: orders}
  Paid:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: orders
      EventPattern: {source: [shop]}
"""


def test_serve_loads_a_template_into_another_account_and_region(tmp_path: Path) -> None:
    """``eventmatch serve --template-in ACCOUNT:REGION FILE`` creates the template's buses and rules in that
    pair; a malformed pair is a usage error."""
    import os
    import socket
    import subprocess
    import sys
    import time

    from tests.test_cli import run

    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    bad = run("serve", "--template-in", "eu-west-1", str(template))
    assert bad.returncode == 2 and "ACCOUNT:REGION" in bad.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "eventmatch", "serve", "--port", str(port),
                                "--template-in", "111122223333:eu-west-1", str(template)],
                               env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                far = client("events", url, region="eu-west-1", access_key="111122223333")
                names = [b["Name"] for b in far.list_event_buses()["EventBuses"]]
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert names == ["default", "orders"]
        assert [r["Name"] for r in far.list_rules(EventBusName="orders")["Rules"]] == ["Paid"]
        assert [b["Name"] for b in client("events", url).list_event_buses()["EventBuses"]] == ["default"]
    finally:
        process.terminate()
        process.wait(10)


def test_the_plugins_client_fixture_reaches_every_pair(eventmatch_server: Any, eventmatch_client: Any) -> None:
    """The pytest plugin: ``eventmatch_client(service, region=..., account=...)`` is a boto3 client of that pair;
    ``eventmatch_server.service(account, region)`` its bridge and Scheduler."""
    eventmatch_client("events", region="eu-west-1", account="111122223333").create_event_bus(Name="far")
    assert [b["Name"] for b in eventmatch_client("events").list_event_buses()["EventBuses"]] == ["default"]
    far = eventmatch_server.service("111122223333", "eu-west-1")
    assert far.bridge.bus("far").arn == "arn:aws:events:eu-west-1:111122223333:event-bus/far"
    eventmatch_client("scheduler", region="eu-west-1").create_schedule_group(Name="jobs")
    assert "jobs" in eventmatch_server.service(region="eu-west-1").scheduler.groups


def test_changes_made_on_a_templates_bus_survive_a_restart(tmp_path: Path) -> None:
    """A template is installed before the state's command log is played (``Server(prepare=...)``, what ``serve
    --template`` and ``--template-in`` do): a rule made over the API on a template's bus comes back after a
    restart (it was lost: the log was played before the template made the bus)."""
    from eventmatch.template import load_template

    source = tmp_path / "template.yaml"
    source.write_text(TEMPLATE)
    template = load_template(str(source))
    state = str(tmp_path / "state.db")

    def prepare(services: Any) -> None:
        for service in (services.default, services.get(OTHER)):
            template.install(service.bridge, service.scheduler)

    with Server(state=state, prepare=prepare) as server:
        for c in (client("events", server.endpoint_url),
                  client("events", server.endpoint_url, region=OTHER[1], access_key=OTHER[0])):
            c.put_rule(Name="made-over-the-api", EventBusName="orders", EventPattern='{"source": ["s"]}')
    for _ in range(2):
        with Server(state=state, prepare=prepare) as server:
            for c in (client("events", server.endpoint_url),
                      client("events", server.endpoint_url, region=OTHER[1], access_key=OTHER[0])):
                assert [r["Name"] for r in c.list_rules(EventBusName="orders")["Rules"]] == [
                    "Paid", "made-over-the-api"]
            server.app.state.services.default.compactor.now()
