"""The web console in a real browser: Debian's Chromium (``make chromium`` installs it), driven by Playwright's
Python package, against a server in this process, with boto3 on the same server."""

from __future__ import annotations

import json
import os
import shutil
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
