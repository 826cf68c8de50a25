"""The web console in a real browser: Debian's Chromium (``make chromium`` installs it), driven by Playwright's
Python package, against a server in this process, with boto3 on the same server."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make chromium installs it)")

from eventmatch import EventBridge, compile_pattern, explain  # noqa: E402
from eventmatch.console.samples import SAMPLES  # noqa: E402
from eventmatch.server import Server  # noqa: E402
from tests.aws_clients import client  # noqa: E402


def _shot(page: Any, name: str) -> None:
    """A screenshot for the docs, when ``make screenshots`` asks (EVENTMATCH_SCREENSHOTS names the folder)."""
    folder = os.environ.get("EVENTMATCH_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def server() -> Iterator[Server]:
    with Server(EventBridge()) as running:
        yield running


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    context = browser.new_context(base_url=server.endpoint_url)
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


def test_the_sandbox_gives_the_apis_answer_and_explanation(page: Any, server: Server) -> None:
    pattern = '{"source": ["aws.ec2"], "detail": {"state": ["terminated", "stopped"]}}'
    page.goto("/sandbox")
    page.get_by_label("Sample event").select_option(label="EC2 Instance State-change Notification")
    page.get_by_label("Event pattern").fill(pattern)
    page.get_by_role("button", name="Test pattern").click()
    playwright.expect(page.locator("#result")).to_have_text("Match")
    event = SAMPLES[0][1]
    assert client("events", server.endpoint_url).test_event_pattern(
        Event=json.dumps(event), EventPattern=pattern)["Result"] is True
    expected = explain(compile_pattern(pattern), event).to_dict()
    items = page.locator("#explanation li")
    playwright.expect(items).to_have_count(len(expected["branches"][0]["fields"]))
    assert [(i.get_attribute("data-path"), i.get_attribute("data-met")) for i in items.all()] == [
        (f["path"], str(f["met"]).lower()) for f in expected["branches"][0]["fields"]]
    _shot(page, "sandbox")
    # no match: the same answer as the API
    page.get_by_label("Event pattern").fill('{"source": ["aws.s3"]}')
    page.get_by_role("button", name="Test pattern").click()
    playwright.expect(page.locator("#result")).to_have_text("No match")


def test_the_sandbox_shows_awss_validation_error_at_its_line_and_column_as_you_type(page: Any) -> None:
    broken = '{"source": ["aws.ec2"],\n "detail": {"state": [{"prefix": 5}]}}'
    page.goto("/sandbox")
    page.get_by_label("Event pattern").fill(broken)
    with pytest.raises(Exception) as info:
        compile_pattern(broken)
    error = info.value
    playwright.expect(page.locator("#pattern-error")).to_have_text(
        f"line {error.line}, column {error.column}: {error}")  # type: ignore[attr-defined]
    playwright.expect(page.get_by_label("Event pattern")).to_have_attribute("aria-invalid", "true")


def test_a_rule_created_in_the_page_is_found_with_boto3(page: Any, server: Server) -> None:
    events = client("events", server.endpoint_url)
    page.goto("/sandbox")
    page.get_by_label("Event pattern").fill('{"source": ["aws.ec2"]}')
    page.get_by_label("Rule name").fill("from-the-console")
    page.get_by_role("button", name="Create rule").click()
    playwright.expect(page.locator("#create-result")).to_contain_text("Created arn:aws:events:")
    assert [r["Name"] for r in events.list_rules()["Rules"]] == ["from-the-console"]
    # the API's validation and message, in the page
    page.get_by_label("Rule name").fill("bad name!")
    page.get_by_role("button", name="Create rule").click()
    playwright.expect(page.locator("#create-result")).to_contain_text(
        "ValidationException: 1 validation error detected: Value 'bad name!' at 'name'")


def test_rules_are_listed_searched_and_disabled_in_the_page(page: Any, server: Server) -> None:
    events = client("events", server.endpoint_url)
    for name in ("orders-created", "orders-paid", "users-signed-up"):
        events.put_rule(Name=name, EventPattern='{"source": ["app"]}')
    page.goto("/rules?q=orders")
    rows = page.locator("#rules tbody tr")
    playwright.expect(rows).to_have_count(2)
    rows.filter(has_text="orders-paid").get_by_role("button", name="Disable").click()
    playwright.expect(page.locator("#rule-status")).to_contain_text("DisableRule orders-paid: done")
    assert events.describe_rule(Name="orders-paid")["State"] == "DISABLED"
    page.goto("/rules")
    _shot(page, "rules")
    page.goto("/rules/default/orders-paid")
    playwright.expect(page.get_by_role("heading", level=1)).to_have_text("Rule orders-paid")


def test_the_live_tail_shows_events_sent_with_boto3_and_their_rules(page: Any, server: Server) -> None:
    events = client("events", server.endpoint_url)
    events.put_rule(Name="ec2-terminated", EventPattern='{"source": ["my.ec2"], "detail": {"state": ["terminated"]}}')
    page.goto("/tail")
    playwright.expect(page.locator("#tail-status")).to_have_text("Connected.")
    events.put_events(Entries=[
        {"Source": "my.ec2", "DetailType": "state", "Detail": '{"state": "terminated"}'},
        {"Source": "my.ec2", "DetailType": "state", "Detail": '{"state": "running"}'},
    ])
    rows = page.locator("#tail tbody tr")
    playwright.expect(rows).to_have_count(2)
    texts = sorted(r.inner_text() for r in rows.all())
    assert "ec2-terminated" in texts[0] or "ec2-terminated" in texts[1]
    assert sum("none" in t for t in texts) == 1
    _shot(page, "tail")


def test_a_failing_targets_attempts_and_its_dead_letter(browser: Any) -> None:
    from datetime import UTC, datetime

    from eventmatch import VirtualClock

    failing_arn = "arn:aws:lambda:us-east-1:123456789012:function:broken"

    def broken(payload: Any) -> None:
        raise RuntimeError("the function is down")

    with Server(EventBridge(clock=VirtualClock(datetime(2026, 1, 1, tzinfo=UTC))),
                functions={failing_arn: broken}) as running:
        events = client("events", running.endpoint_url)
        events.put_rule(Name="to-broken", EventPattern='{"source": ["app"]}')
        events.put_targets(Rule="to-broken", Targets=[{
            "Id": "broken", "Arn": failing_arn, "RetryPolicy": {"MaximumRetryAttempts": 2},
            "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:123456789012:dlq"}}])
        events.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": '{"n": 1}'}])
        running.inbox.wait_idle()
        running.bridge.advance(600)  # the retries, then the dead letter
        page = browser.new_page(base_url=running.endpoint_url)
        page.goto("/deliveries")
        attempts = page.locator("#attempts tbody tr[data-outcome=FAILED]")
        playwright.expect(attempts).to_have_count(3)
        playwright.expect(attempts.first).to_contain_text("RuntimeError: the function is down")
        letters = page.locator("#dead-letters tbody tr")
        playwright.expect(letters).to_have_count(1)
        playwright.expect(letters.first).to_contain_text("arn:aws:sqs:us-east-1:123456789012:dlq")
        playwright.expect(letters.first).to_contain_text("EXHAUSTED_RETRY_CONDITION")
        _shot(page, "deliveries")
        page.close()


def test_advancing_the_virtual_clock_in_the_page_fires_a_schedule(browser: Any) -> None:
    from datetime import UTC, datetime

    from eventmatch import VirtualClock

    with Server(EventBridge(clock=VirtualClock(datetime(2026, 1, 1, tzinfo=UTC)))) as running:
        scheduler = client("scheduler", running.endpoint_url)
        scheduler.create_schedule(Name="hourly", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
                                  ScheduleExpressionTimezone="Asia/Tokyo",
                                  Target={"Arn": "arn:aws:sqs:us-east-1:123456789012:jobs",
                                          "RoleArn": "arn:aws:iam::123456789012:role/r"})
        page = browser.new_page(base_url=running.endpoint_url)
        page.goto("/timeline")
        row = page.locator('#scheduler-schedules tr[data-schedule="hourly"]')
        playwright.expect(row.locator(".next")).to_have_text("2026-01-01T10:00:00+09:00")  # in its own zone
        page.get_by_role("button", name="Advance 1 hour").click()
        playwright.expect(page.locator("#invocations li")).to_have_count(1)
        playwright.expect(page.locator("#invocations li").first).to_contain_text("hourly, attempt 1, SUCCEEDED")
        playwright.expect(row.locator(".next")).to_have_text("2026-01-01T11:00:00+09:00")
        assert [d["arn"] for d in running.deliveries()] == ["arn:aws:sqs:us-east-1:123456789012:jobs"]
        _shot(page, "schedules")
        page.close()


def test_the_sandbox_shows_what_a_target_receives_as_the_server_delivers_it(page: Any, server: Server) -> None:
    paths = '{"instance": "$.detail.instance-id", "state": "$.detail.state"}'
    template = '{"id": <instance>, "text": "<instance> is <state>", "rule": <aws.events.rule-name>}'
    page.goto("/sandbox")
    page.get_by_label("Sample event").select_option(label="EC2 Instance State-change Notification")
    page.get_by_label("Configure target input").select_option(label="Input transformer")
    page.get_by_label("InputPathsMap (JSON)").fill(paths)
    page.get_by_label("InputTemplate").fill(template)
    page.get_by_role("button", name="Show target input").click()
    playwright.expect(page.locator("#received")).not_to_be_empty()
    shown = json.loads(page.locator("#received").inner_text())
    _shot(page, "sandbox-target-input")
    # the same transformer on a real rule of the server: the target receives what the page showed
    events = client("events", server.endpoint_url)
    events.put_rule(Name="sandbox-rule", EventPattern='{"source": ["my.ec2"]}')  # PutEvents refuses aws.*
    events.put_targets(Rule="sandbox-rule", Targets=[{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:123456789012:q",
                                                      "InputTransformer": {"InputPathsMap": json.loads(paths),
                                                                           "InputTemplate": template}}])
    sample = SAMPLES[0][1]
    events.put_events(Entries=[{"Source": "my.ec2", "DetailType": sample["detail-type"],
                                "Detail": json.dumps(sample["detail"])}])
    server.inbox.wait_idle()
    assert [d["payload"] for d in server.deliveries()] == [shown]
    # the API's validation: a placeholder with no path
    page.get_by_label("InputTemplate").fill('"<nowhere>"')
    page.get_by_role("button", name="Show target input").click()
    playwright.expect(page.locator("#input-error")).to_have_text(
        "InputTemplate for target sandbox contains invalid placeholder nowhere.")
    # InputPath
    page.get_by_label("Configure target input").select_option(label="Part of the matched event (InputPath)")
    page.get_by_label("InputPath or constant").fill("$.detail.state")
    page.get_by_role("button", name="Show target input").click()
    playwright.expect(page.locator("#received")).to_have_text(json.dumps(sample["detail"]["state"]))


def test_buses_rules_and_targets_are_created_edited_and_deleted_in_the_pages(page: Any, server: Server) -> None:
    events = client("events", server.endpoint_url)
    page.goto("/buses")
    page.get_by_label("Name", exact=True).fill("orders")
    page.get_by_label("Description").fill("order events")
    page.get_by_role("button", name="Create event bus").click()
    playwright.expect(page.locator("#buses")).to_contain_text("orders")
    assert events.describe_event_bus(Name="orders")["Description"] == "order events"
    _shot(page, "buses")
    events.put_rule(Name="big-orders", EventBusName="orders", EventPattern='{"source": ["shop"]}')
    page.goto("/rules/orders/big-orders")
    # an invalid pattern: the API's message, nothing changed
    page.get_by_label("Event pattern").fill('{"detail": {"total": [{"numeric": [">", "x"]}]}}')
    page.get_by_role("button", name="Save rule").click()
    playwright.expect(page.locator("#rule-status")).to_contain_text("InvalidEventPatternException")
    assert events.describe_rule(Name="big-orders", EventBusName="orders")["EventPattern"] == '{"source": ["shop"]}'
    edited = '{"source": ["shop"], "detail": {"total": [{"numeric": [">", 100]}]}}'
    page.get_by_label("Event pattern").fill(edited)
    page.get_by_label("Description").fill("orders over 100")
    page.get_by_label("State").select_option("DISABLED")
    page.get_by_role("button", name="Save rule").click()
    playwright.expect(page.locator("#rule-status")).to_contain_text("Saved")
    described = events.describe_rule(Name="big-orders", EventBusName="orders")
    assert (described["EventPattern"], described["Description"], described["State"]) == (
        edited, "orders over 100", "DISABLED")
    # targets: an invalid one gets the API's answer; a valid one is added, then removed
    page.reload()
    page.get_by_label("Id", exact=True).fill("bad id!")
    page.get_by_label("ARN").fill("arn:aws:sqs:us-east-1:123456789012:q")
    page.get_by_role("button", name="Save target").click()
    playwright.expect(page.locator("#rule-status")).to_contain_text("ValidationException")
    page.get_by_label("Id", exact=True).fill("queue")
    page.get_by_label("Other settings").fill('{"RetryPolicy": {"MaximumRetryAttempts": 3}}')
    page.get_by_role("button", name="Save target").click()
    playwright.expect(page.locator("#targets tbody tr")).to_have_count(1)
    listed = events.list_targets_by_rule(Rule="big-orders", EventBusName="orders")["Targets"]
    assert [(t["Id"], t["RetryPolicy"]["MaximumRetryAttempts"]) for t in listed] == [("queue", 3)]
    _shot(page, "rule")
    page.get_by_role("button", name="Remove").click()
    playwright.expect(page.locator("#targets tbody tr")).to_have_count(0)
    assert events.list_targets_by_rule(Rule="big-orders", EventBusName="orders")["Targets"] == []
    # the default bus has no delete button; a custom one is deleted
    page.goto("/buses")
    assert page.locator('button[data-name="default"]').count() == 0
    events.delete_rule(Name="big-orders", EventBusName="orders")
    page.locator('button[data-name="orders"]').click()
    playwright.expect(page.locator("#buses")).not_to_contain_text("orders")
    assert [b["Name"] for b in events.list_event_buses()["EventBuses"]] == ["default"]


def test_the_tail_says_rule_by_rule_why_an_event_did_not_match(page: Any, server: Server) -> None:
    events = client("events", server.endpoint_url)
    events.put_rule(Name="terminated", EventPattern='{"source": ["my.ec2"], "detail": {"state": ["terminated"]}}')
    events.put_rule(Name="from-s3", EventPattern='{"source": ["aws.s3"]}')
    page.goto("/tail")
    playwright.expect(page.locator("#tail-status")).to_have_text("Connected.")
    events.put_events(Entries=[{"Source": "my.ec2", "DetailType": "state", "Detail": '{"state": "running"}'}])
    page.get_by_role("button", name="Why: event").click()
    rows = page.locator("#why-rules tbody tr")
    playwright.expect(rows).to_have_count(2)
    s3 = page.locator('#why-rules tr[data-rule="from-s3"]')
    playwright.expect(s3).to_have_attribute("data-matched", "false")
    playwright.expect(s3).to_contain_text("source")
    terminated = page.locator('#why-rules tr[data-rule="terminated"]')
    playwright.expect(terminated).to_contain_text("detail.state")
    _shot(page, "tail-why")


def test_a_dead_letter_is_redriven_to_its_target(browser: Any) -> None:
    from datetime import UTC, datetime

    from eventmatch import VirtualClock

    arn = "arn:aws:lambda:us-east-1:123456789012:function:flaky"
    down = [True]

    def flaky(payload: Any) -> None:
        if down[0]:
            raise RuntimeError("the function is down")

    with Server(EventBridge(clock=VirtualClock(datetime(2026, 1, 1, tzinfo=UTC))), functions={arn: flaky}) as running:
        events = client("events", running.endpoint_url)
        events.put_rule(Name="to-flaky", EventPattern='{"source": ["app"]}')
        events.put_targets(Rule="to-flaky", Targets=[{
            "Id": "flaky", "Arn": arn, "RetryPolicy": {"MaximumRetryAttempts": 0},
            "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:123456789012:dlq"}}])
        events.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": '{"n": 1}'}])
        running.inbox.wait_idle()
        running.bridge.advance(60)
        page = browser.new_page(base_url=running.endpoint_url)
        page.goto("/deliveries")
        playwright.expect(page.locator("#dead-letters tbody tr")).to_have_count(1)
        page.get_by_role("button", name="Redrive").click()  # still down: failed again, kept as an attempt
        playwright.expect(page.locator("#dead-letters .redrive")).to_contain_text("redriven: FAILED")
        playwright.expect(page.locator("#attempts tbody tr[data-outcome=FAILED]")).to_have_count(2)
        down[0] = False
        page.get_by_role("button", name="Redrive").click()
        playwright.expect(page.locator("#dead-letters .redrive")).to_contain_text("redriven: SUCCEEDED")
        playwright.expect(page.locator("#attempts tbody tr[data-outcome=SUCCEEDED]")).to_have_count(1)
        assert [d["payload"]["detail"] for d in running.deliveries() if d["arn"] == arn] == [{"n": 1}]
        page.close()


def test_the_timeline_marks_daylight_saving_in_the_next_24_hours(browser: Any) -> None:
    from datetime import UTC, datetime

    from eventmatch import VirtualClock

    # New York springs forward at 2026-03-08 02:00 local (07:00 UTC), within a day of this clock
    with Server(EventBridge(clock=VirtualClock(datetime(2026, 3, 7, 12, tzinfo=UTC)))) as running:
        scheduler = client("scheduler", running.endpoint_url)
        scheduler.create_schedule(Name="half-past", ScheduleExpression="cron(30 * * * ? *)",
                                  ScheduleExpressionTimezone="America/New_York", FlexibleTimeWindow={"Mode": "OFF"},
                                  Target={"Arn": "arn:aws:sqs:us-east-1:123456789012:jobs",
                                          "RoleArn": "arn:aws:iam::123456789012:role/r"})
        client("events", running.endpoint_url).put_rule(Name="one-pm", ScheduleExpression="cron(0 13 * * ? *)")
        page = browser.new_page(base_url=running.endpoint_url)
        page.goto("/timeline")
        playwright.expect(page.locator("#dst li")).to_have_text(
            "America/New_York: 2026-03-08T07:00:00+00:00, UTC offset -05:00 to -04:00 (local 03:00)")
        playwright.expect(page.locator("svg.timeline line.dst")).to_have_count(1)
        # 24 hours from 07:00 EST are 25 local hours, to 08:00 EDT: 25 half-pasts but the skipped 02:30
        playwright.expect(page.locator('svg.timeline g[data-row="default/half-past"] line.fire')).to_have_count(24)
        playwright.expect(page.locator('svg.timeline g[data-row="default/one-pm"] line.fire')).to_have_count(1)
        _shot(page, "timeline")
        page.close()


def test_archives_and_replays_are_started_followed_and_cancelled_in_the_page(page: Any, server: Server) -> None:
    events = client("events", server.endpoint_url)
    events.put_rule(Name="orders", EventPattern='{"source": ["shop"]}')
    events.put_targets(Rule="orders", Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:123456789012:orders"}])
    page.goto("/archives")
    page.get_by_label("Name", exact=True).first.fill("everything")
    page.get_by_role("button", name="Create archive").click()
    playwright.expect(page.locator("#archives")).to_contain_text("everything")
    events.put_events(Entries=[{"Source": "shop", "DetailType": "order", "Detail": '{"n": 1}'}])
    server.inbox.wait_idle()
    assert len(server.deliveries()) == 1
    page.reload()
    page.locator("#replay-name").fill("again")
    page.get_by_role("button", name="Start replay").click()
    state = page.locator('#replays tr[data-replay="again"] .state')
    playwright.expect(state).to_have_text("COMPLETED", timeout=15_000)  # followed in the page
    assert events.describe_replay(ReplayName="again")["State"] == "COMPLETED"
    server.inbox.wait_idle()
    _shot(page, "archives")
    assert len(server.deliveries()) == 2  # the replayed event reached the rule's target again
    # a running replay can be cancelled from the page: the API answers for it as for boto3
    page.evaluate("""() => fetch("/_eventmatch/console/api", {method: "POST", headers: {"Content-Type":
        "application/json"}, body: JSON.stringify({action: "CancelReplay", params: {ReplayName: "again"}})})""")
    with pytest.raises(Exception, match="IllegalStatusException"):
        events.cancel_replay(ReplayName="again")


def test_the_metrics_page_charts_each_bus_and_rule(page: Any, server: Server) -> None:
    events = client("events", server.endpoint_url)
    events.put_rule(Name="orders", EventPattern='{"source": ["shop"]}')
    page.goto("/metrics")
    events.put_events(Entries=[{"Source": "shop", "DetailType": "order", "Detail": "{}"}] * 3)
    server.inbox.wait_idle()
    time.sleep(0.3)  # the page takes a sample when loaded, at most one each 0.2 s
    page.reload()
    rule = page.locator('section[data-rule="orders"]')
    playwright.expect(rule.locator("svg.chart polyline")).to_have_count(4)
    playwright.expect(rule.locator("table.totals tr", has_text="MatchedEvents")).to_contain_text("3")
    assert server.bridge.metrics.get("MatchedEvents", "default", "orders") == 3
    playwright.expect(page.locator('section[data-bus="default"] svg.chart')).to_have_attribute(
        "aria-label", "Bus default: counts per interval")
    _shot(page, "metrics")


PAGES = ("/", "/sandbox", "/buses", "/rules", "/rules/default/r", "/tail", "/deliveries", "/timeline", "/archives",
         "/metrics")


def test_every_page_is_labelled_keyboard_reachable_and_fits_a_narrow_window(browser: Any, server: Server) -> None:
    client("events", server.endpoint_url).put_rule(Name="r", EventPattern='{"source": ["a"]}')
    page = browser.new_page(base_url=server.endpoint_url, viewport={"width": 360, "height": 740})
    for path in PAGES:
        page.goto(path)
        # every form control has an accessible name (a label, or aria-label)
        unnamed = page.evaluate("""() => [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
            .filter((c) => !(c.labels && c.labels.length) && !c.getAttribute("aria-label")).map((c) => c.id)""")
        assert unnamed == [], (path, unnamed)
        # the first Tab reaches the skip link, which leads to the main content
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content", path
        assert page.locator("main h1").count() == 1, path
        # nothing wider than the window
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    page.close()


def test_the_tail_samples_a_flood_and_says_so(page: Any, server: Server) -> None:
    """Events faster than the tail shows (250 a second): it shows a sample, says how many it skipped, keeps at
    most 500 rows, and the page still answers."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    client("events", server.endpoint_url).put_rule(Name="all", EventPattern='{"source": ["load"]}')
    page.goto("/tail")
    playwright.expect(page.locator("#tail-status")).to_have_text("Connected.")
    where = urlsplit(server.endpoint_url)
    body = json.dumps({"Entries": [{"Source": "load", "DetailType": "t", "Detail": "{}"}] * 10})
    sent = [0]

    def flood() -> None:
        connection = http.client.HTTPConnection(where.hostname, where.port)
        ends = time.monotonic() + 2.0
        while time.monotonic() < ends:
            connection.request("POST", "/", body, {"X-Amz-Target": "AWSEvents.PutEvents",
                                                   "Content-Type": "application/x-amz-json-1.1"})
            assert connection.getresponse().read()
            sent[0] += 10
        connection.close()

    thread = threading.Thread(target=flood)
    thread.start()
    thread.join()
    playwright.expect(page.locator("#tail-status")).to_contain_text("Sampling:")
    assert sent[0] > 1000
    assert page.locator("#tail tbody tr").count() <= 500
    page.get_by_role("link", name="Rules").click()  # the page still answers
    playwright.expect(page.locator("h1")).to_have_text("Rules")


def test_the_sandbox_offers_every_catalogue_type_and_a_rules_page_shows_its_lint(page: Any, server: Server) -> None:
    """The sandbox's search lists AWS's event types (the lint's catalogue) and fills the event with a sample of
    the one chosen; a rule's page shows what the lint finds in its pattern."""
    from eventmatch.schemas import aws_catalogue

    page.goto("/sandbox")
    options = page.locator("#catalogue-types option")
    assert options.count() == len(aws_catalogue())
    page.get_by_label("Or any of AWS's event types").fill("aws.s3: Object Created")
    page.get_by_label("Or any of AWS's event types").dispatch_event("change")
    playwright.expect(page.get_by_label("Event", exact=True)).to_have_value(re.compile('"detail-type": "Object Created"'))
    page.get_by_label("Event pattern").fill('{"source": ["aws.s3"], "detail": {"object": {"size": [{"numeric": [">=", 0]}]}}}')
    page.get_by_role("button", name="Test pattern").click()
    playwright.expect(page.locator("#result")).to_have_text("Match")
    events = client("events", server.endpoint_url)
    events.put_rule(Name="never", EventPattern=json.dumps({
        "source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"], "detail": {"State": ["x"]}}))
    events.put_rule(Name="fine", EventPattern='{"source": ["aws.ec2"]}')
    page.goto("/rules/default/never")
    playwright.expect(page.locator('#lint li[data-code="EM103"]')).to_contain_text("'state' is")
    page.goto("/rules/default/fine")
    playwright.expect(page.locator("#lint li")).to_have_text(re.compile("No finding"))


def test_the_console_picker_in_a_browser(browser: Any) -> None:
    """The picker in the header lists the pairs; choosing one shows that pair's buses."""
    expect = playwright.expect
    with Server(EventBridge()) as server:
        client("events", server.endpoint_url).create_event_bus(Name="home-bus")
        client("events", server.endpoint_url, region="eu-west-1", access_key="111122223333").create_event_bus(Name="far-bus")
        context = browser.new_context(base_url=server.endpoint_url)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto("/buses")
        expect(page.get_by_role("cell", name="home-bus", exact=True)).to_be_visible()
        picker = page.get_by_label("Account and region")
        expect(picker.locator("option")).to_have_count(2)
        picker.select_option("111122223333:eu-west-1")
        expect(page.get_by_role("cell", name="far-bus", exact=True)).to_be_visible()
        expect(page.get_by_role("cell", name="home-bus", exact=True)).to_have_count(0)
        expect(page.get_by_label("Account and region")).to_have_value("111122223333:eu-west-1")
        context.close()
