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
