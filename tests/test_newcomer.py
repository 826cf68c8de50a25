"""What a newcomer reads (issue 35, item 7): descriptions and counts in plain English, times people read."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from eventmatch.schedule import parse_schedule
from tests.test_cli import run


def test_a_rate_is_described_with_its_unit_in_the_right_number() -> None:
    """Scheduler takes either form of a rate's unit ("rate(5 minute)"); the description says "minutes"."""
    assert parse_schedule("rate(5 minute)", service="scheduler").describe() == "every 5 minutes"
    assert parse_schedule("rate(5 minutes)").describe() == "every 5 minutes"
    assert parse_schedule("rate(1 hour)").describe() == "every 1 hour"


def test_validate_counts_one_rule_as_one_rule(tmp_path: Path) -> None:
    template = tmp_path / "template.json"
    template.write_text(json.dumps({"Resources": {"OnlyRule": {"Type": "AWS::Events::Rule", "Properties": {
        "EventPattern": {"source": ["shop"]}}}}}))
    out = run("validate", "--template", str(template))
    assert "(1 rule)" in out.stdout, out.stdout + out.stderr


def test_schedulers_invocations_give_times_people_read() -> None:
    """GET /_eventmatch/scheduler/invocations: ScheduledTime and InvokedTime as ISO 8601 (epoch floats before)."""
    pytest.importorskip("starlette")
    from eventmatch import EventBridge
    from eventmatch.bus import VirtualClock
    from eventmatch.server import Server

    start = datetime(2026, 1, 1, tzinfo=UTC)
    with Server(EventBridge(clock=VirtualClock(start))) as server:
        server.scheduler.create_schedule("tick", "rate(1 hour)", {
            "Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": "arn:aws:iam::123456789012:role/r"})
        server.bridge.advance(timedelta(hours=1))
        with urllib.request.urlopen(server.endpoint_url + "/_eventmatch/scheduler/invocations", timeout=10) as got:
            (made,) = json.loads(got.read())["Invocations"]
        assert made["ScheduledTime"] == "2026-01-01T01:00:00+00:00" and made["Outcome"] == "SUCCEEDED"


def test_the_timeline_says_where_a_strip_stops_early_and_shows_times_to_the_second() -> None:
    """A strip draws at most 300 times: a rate(1 minute) rule's would seem to end after five hours, so the page
    says it stops there; times are shown to the second (no microseconds, even on the system clock)."""
    pytest.importorskip("starlette")
    from eventmatch import EventBridge
    from eventmatch.server import Server

    with Server(EventBridge()) as server:  # the system clock: its now has microseconds
        server.bridge.bus().put_rule("every-minute", schedule_expression="rate(1 minute)")
        server.bridge.bus().put_rule("hourly", schedule_expression="rate(1 hour)")
        with urllib.request.urlopen(server.endpoint_url + "/timeline", timeout=10) as got:
            page = got.read().decode()
    limits = page.split('<ul id="timeline-limits">', 1)[1].split("</ul>", 1)[0]
    assert "default/every-minute: its first 300 times only" in limits and "hourly" not in limits
    now = page.split('<time id="now">', 1)[1].split("</time>", 1)[0]
    assert len(now) == len("2026-01-01T00:00:00+00:00"), now
    assert not any(part[:26].count(".") for part in page.split("<title>")[1:4]), "a tick's time has a fraction"


def test_the_live_tail_starts_with_the_recent_events() -> None:
    """The live tail's stream starts with the most recent events routed (up to TAIL_RECENT), not empty."""
    pytest.importorskip("starlette")
    import http.client

    from eventmatch import EventBridge
    from eventmatch.console.pages import TAIL_RECENT
    from eventmatch.server import Server
    from tests.aws_clients import client

    with Server(EventBridge()) as server:
        events = client("events", server.endpoint_url)
        for n in range(TAIL_RECENT + 5):
            events.put_events(Entries=[{"Source": "shop", "DetailType": "order", "Detail": json.dumps({"n": n})}])
        server.inbox.wait_idle()
        host, port = server.endpoint_url.split("//", 1)[1].split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/_eventmatch/console/tail")
        stream = connection.getresponse()
        seen: list[dict[str, object]] = []
        while len(seen) < TAIL_RECENT:
            line = stream.readline().decode()
            if line.startswith("data: {"):
                seen.append(json.loads(line[len("data: "):]))
        connection.close()
    assert [e["source"] for e in seen] == ["shop"] * TAIL_RECENT


def test_make_demo_and_eventmatch_next_count_a_rate_the_same_way() -> None:
    """`make demo` shows rate(1 hour) for a rule made at 10:07 as 11:07 (a rule's rate counts from its creation,
    as EventBridge's); `eventmatch next --after 10:07` says the same (it counted from the epoch, 11:00)."""
    demo = run("demo").stdout
    line = demo.split("rate(1 hour) [UTC]", 1)[1].splitlines()[1].strip()
    assert line.startswith("2026-11-25T11:07:00+00:00"), line
    out = run("next", "rate(1 hour)", "-n", "3", "--after", "2026-11-25T10:07").stdout.split()
    assert ", ".join(out) == line


def test_the_clock_takes_its_documented_set_form() -> None:
    """Issue 35, item 6: ``POST /_eventmatch/clock {"set": "2026-01-02T00:00:00"}``, the form docs/server.md
    shows, answered 400 (a time without an offset compared with an aware one); a time without an offset is UTC,
    as the virtual clock's start is."""
    pytest.importorskip("starlette")
    from eventmatch import EventBridge
    from eventmatch.bus import VirtualClock
    from eventmatch.server import Server

    with Server(EventBridge(clock=VirtualClock(datetime(2026, 1, 1, tzinfo=UTC)))) as server:
        request = urllib.request.Request(server.endpoint_url + "/_eventmatch/clock", method="POST",
                                         data=b'{"set": "2026-01-02T00:00:00"}',
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
            assert json.loads(answer.read())["now"] == "2026-01-02T00:00:00+00:00"
        assert server.bridge.clock.now() == datetime(2026, 1, 2, tzinfo=UTC)


README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readmes_quick_start_works_as_written_with_no_aws_configuration(tmp_path: Path) -> None:
    """The README's emulator quick start, its commands run as written (the server on a free port instead of
    4010) on a machine with no AWS configuration: a HOME of its own, only the dummy credentials the quick start
    exports, and AWS_EC2_METADATA_DISABLED so that no SDK looks for credentials off this machine."""
    import os
    import shutil
    import subprocess
    import sys

    from tests.test_cli import COMMAND

    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    text = README.read_text()
    block = text[text.index("<!-- quickstart:start -->"):text.index("<!-- quickstart:end -->")]
    lines = [line for line in block.splitlines() if line and not line.startswith(("```", "<!--"))]
    assert lines[0].startswith("eventmatch serve")
    server = subprocess.Popen([*COMMAND, "serve", "--port", "0"], stderr=subprocess.PIPE, text=True)
    try:
        assert server.stderr is not None
        url = server.stderr.readline().split(" at ", 1)[1].split()[0]
        env = {"HOME": str(tmp_path), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               "AWS_EC2_METADATA_DISABLED": "true"}
        script = "set -e\n" + "\n".join(line.replace("http://127.0.0.1:4010", url) for line in lines[1:])
        done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        delivered = json.loads(done.stdout.strip().splitlines()[-1])["Deliveries"]
        assert [d["payload"]["detail"] for d in delivered] == [{"total": 42}]
    finally:
        server.terminate()
        server.wait(20)


def test_the_makefiles_installs_do_not_print_setuptools_editable_notice() -> None:
    """Issue 35, item 7: ``make`` printed setuptools' "Editable installation" notice on every install; each
    editable install of the Makefile goes through $(INSTALL), which filters that warning out (a fresh clone's
    ``make test`` output shows none)."""
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    install = next(line for line in makefile.splitlines() if line.startswith("INSTALL :="))
    assert "PYTHONWARNINGS='ignore:Editable installation'" in install and install.endswith("pip install --quiet -e")
    recipes = [line.strip() for line in makefile.splitlines() if line.startswith("\t")]
    assert not [r for r in recipes if "pip install" in r and " -e " in r]  # every editable one is $(INSTALL)
    assert sum("$(INSTALL)" in r for r in recipes) >= 2
