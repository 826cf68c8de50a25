"""The installed command line, run in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# the installed entry point (console script) beside this interpreter, else on PATH
SCRIPT = Path(sys.executable).parent / "eventmatch"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [shutil.which("eventmatch") or "eventmatch"]
TEMPLATES = Path(__file__).parent / "data" / "templates"


def run(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd)


EVENT = json.dumps(
    {"id": "1", "account": "1", "source": "aws.ec2", "time": "t", "region": "r", "detail-type": "d",
     "detail": {"state": "terminated"}}
)


def test_demo_shows_the_ec2_example() -> None:
    out = run("demo")
    assert out.returncode == 0, out.stderr
    assert "ec2-terminated" in out.stdout
    assert "Event pattern is not valid. Reason: Bad numeric range operator: >" in out.stdout


def test_test_command_exit_codes() -> None:
    assert run("test", '{"source": ["aws.ec2"]}', EVENT).returncode == 0
    assert run("test", '{"source": ["aws.s3"]}', EVENT).returncode == 1
    bad = run("test", '{"source": []}', EVENT)
    assert bad.returncode == 2
    assert "Empty arrays are not allowed" in bad.stderr


def test_test_command_json_and_stdin() -> None:
    out = run("test", "--json", '{"source": ["aws.ec2"]}', "-", stdin=EVENT)
    assert json.loads(out.stdout) == {"Result": True}
    bad = run("test", "--json", "{}", EVENT)
    assert json.loads(bad.stdout)["error"] == "InvalidEventPatternError"


def test_python_dash_m_is_the_same_command() -> None:
    out = subprocess.run([sys.executable, "-m", "eventmatch", "--version"], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == run("--version").stdout.strip()
    assert out.stdout.startswith("eventmatch ")


def test_help_lists_every_command() -> None:
    out = run("--help")
    for command in ("demo", "test", "match", "validate", "next", "explain", "rules"):
        assert command in out.stdout
    assert run().returncode == 2  # no command: argparse's usage error


def test_arguments_may_be_files_at_files_or_stdin(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text('{"source": ["aws.ec2"]}')
    (tmp_path / "e.json").write_text(EVENT)
    assert run("test", "p.json", "@e.json", cwd=tmp_path).returncode == 0
    assert run("test", "-", "e.json", stdin='{"source": ["x"]}', cwd=tmp_path).returncode == 1
    missing = run("test", "nope.json", EVENT, cwd=tmp_path)
    assert missing.returncode == 2 and "neither JSON text nor a file" in missing.stderr
    both = run("test", "-", "-", stdin="{}")
    assert both.returncode == 2 and "only one argument" in both.stderr


def _events(path: Path, n: int) -> Path:
    with open(path, "w") as out:
        for i in range(n):
            out.write(json.dumps({"source": "aws.ec2" if i % 3 == 0 else "aws.s3", "detail": {"n": i}}) + "\n")
    return path


def test_match_streams_events_against_a_rules_file(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"ec2": {"source": ["aws.ec2"]}, "big": {"detail": {"n": [{"numeric": [">=", 8]}]}}}))
    events = _events(tmp_path / "events.jsonl", 10)
    out = run("match", "--rules", str(rules), str(events))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["1: ec2", "4: ec2", "7: ec2", "9: big", "10: ec2, big"]
    js = run("match", "--json", "-r", str(rules), "-", stdin=events.read_text())
    assert [json.loads(line)["line"] for line in js.stdout.splitlines()] == [1, 4, 7, 9, 10]
    counted = run("match", "--count", "--json", "-r", str(rules), str(events))
    assert json.loads(counted.stdout) == {"events": 10, "matched": 5, "bad": 0, "rules": {"ec2": 4, "big": 2}}
    none = run("match", "-r", str(rules), "-", stdin='{"source": "x"}\n')
    assert none.returncode == 1 and none.stdout == ""


def test_match_reads_jsonl_rule_files_folders_and_templates(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "a.jsonl").write_text(json.dumps({"name": "ec2", "pattern": {"source": ["aws.ec2"]}}) + "\n")
    (folder / "b.json").write_text(json.dumps([{"Name": "s3", "EventPattern": json.dumps({"source": ["aws.s3"]})}]))
    events = _events(tmp_path / "e.jsonl", 3)
    assert run("match", "-r", str(folder), str(events)).stdout.splitlines() == ["1: ec2", "2: s3", "3: s3"]
    order = json.dumps({"source": "com.example.orders.dev", "detail-type": "Order Placed", "detail": {"total": 1}})
    out = run("match", "-r", str(TEMPLATES / "sam-orders.yaml"), "-", stdin=order + "\n")
    assert out.stdout.strip() == "1: AuditFunctionAnyOrderEvent"


def test_match_reports_bad_lines_and_keeps_going(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"ec2": {"source": ["aws.ec2"]}}))
    out = run("match", "-r", str(rules), "-", stdin='{"source": "aws.ec2"}\nnot json\n[1]\n\n{"source": "aws.ec2"}\n')
    assert out.returncode == 2
    assert out.stdout.splitlines() == ["1: ec2", "5: ec2"]
    assert "<stdin>:2: the event is not valid JSON" in out.stderr
    assert "<stdin>:3: the event must be a JSON object, not an array" in out.stderr


def test_match_bad_rules_are_named(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"ok": {"a": [1]}, "bad": {"a": []}}))
    out = run("match", "-r", str(rules), "-", stdin="{}\n")
    assert out.returncode == 2
    assert "rule 'bad': Event pattern is not valid. Reason: Empty arrays are not allowed" in out.stderr
    assert run("match", "-r", str(tmp_path / "missing.json")).returncode == 2
    (tmp_path / "x.jsonl").write_text('{"nope": 1}\n')
    assert 'x.jsonl:1: expected {"name": ..., "pattern": ...}' in run("match", "-r", str(tmp_path / "x.jsonl")).stderr


def test_match_progress_on_large_input(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"ec2": {"source": ["aws.ec2"]}}))
    events = _events(tmp_path / "events.jsonl", 200_000)
    out = run("match", "--count", "--progress", "-r", str(rules), str(events))
    assert out.returncode == 0
    assert out.stdout.split() == ["ec2", str(len(range(0, 200_000, 3)))]
    summary = out.stderr.strip().splitlines()[-1].split("\r")[-1].replace("\x1b[K", "")
    assert summary.startswith("200,000 events, 66,667 matched, 0 bad lines")
    quiet = run("match", "--count", "-r", str(rules), str(events))  # stderr is not a terminal: no progress
    assert quiet.stderr == ""


def test_validate_patterns_schedules_and_templates(tmp_path: Path) -> None:
    out = run("validate", '{"source": ["a"]}', "rate(1 hour)", "cron(0 12 * * ? *)")
    assert out.returncode == 0
    assert out.stdout.splitlines() == [
        'valid pattern: {"source": ["a"]}', "valid schedule: rate(1 hour) (every 1 hour)",
        "valid schedule: cron(0 12 * * ? *) (at 12:00, every day)"]
    bad = run("validate", "--json", '{"a": [{"numeric": [">", "x"]}]}', "cron(0 12 * * * *)")
    assert bad.returncode == 1
    first, second = json.loads(bad.stdout)
    assert first["message"].startswith("Event pattern is not valid. Reason: Value of > must be numeric")
    assert first["line"] == 1 and first["column"] > 0
    assert second["message"] == "Parameter ScheduleExpression is not valid." and "?" in second["detail"]
    assert run("validate", "--template", str(TEMPLATES / "cfn-ops.json")).stdout.startswith("valid template:")
    broken = tmp_path / "broken.yaml"
    broken.write_text("Resources:\n  R: {Type: AWS::Events::Rule, Properties: {EventPattern: {a: []}}}\n")
    result = run("validate", "--template", str(broken))
    assert result.returncode == 1 and "Resources.R.Properties.EventPattern: Event pattern is not valid" in result.stdout
    assert run("validate").returncode == 2


def test_next_fire_times() -> None:
    out = run("next", "cron(0 12 * * ? *)", "-n", "3", "--tz", "Europe/Berlin", "--after", "2026-11-25T00:00")
    assert out.stdout.splitlines() == ["2026-11-25T12:00:00+01:00", "2026-11-26T12:00:00+01:00", "2026-11-27T12:00:00+01:00"]
    js = json.loads(run("next", "rate(1 hour)", "-n", "2", "--after", "2026-01-01T00:00:00+00:00", "--json").stdout)
    assert js["describe"] == "every 1 hour" and len(js["next"]) == 2
    bad = run("next", "cron(0 12 * * * *)")
    assert bad.returncode == 2 and "Parameter ScheduleExpression is not valid." in bad.stderr
    assert run("next", "rate(1 hour)", "--after", "yesterday").returncode == 2
    assert run("next", "rate(1 hour)", "-n", "0").returncode == 2


def test_explain_field_by_field() -> None:
    out = run("explain", '{"source": ["aws.ec2"], "detail": {"state": ["terminated"]}}', EVENT)
    assert out.returncode == 0
    assert out.stdout.splitlines()[0] == "match"
    no = run("explain", "--json", '{"source": ["aws.s3"]}', EVENT)
    assert no.returncode == 1 and json.loads(no.stdout)["matched"] is False


def test_test_with_a_template_lists_targets_and_payloads() -> None:
    ec2 = json.dumps({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification",
                      "detail": {"instance-id": "i-1", "state": "terminated"}})
    out = run("test", "--template", str(TEMPLATES / "cfn-ops.json"), ec2)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "ec2-terminated (bus default) -> alert (arn:aws:sns:us-east-1:123456789012:ops-alerts)"
    assert lines[1] == '    "Instance i-1 is now terminated."'
    js = json.loads(run("test", "--json", "-t", str(TEMPLATES / "cfn-ops.json"), ec2).stdout)
    assert [f["target"] for f in js] == ["alert", "audit"]
    order = json.dumps({"source": "com.example.orders", "detail-type": "Order Placed", "detail": {"orderId": "o", "total": 900}})
    prod = run("test", "-t", str(TEMPLATES / "sam-orders.yaml"), "-p", "Stage=prod", "--bus", "orders-prod", order)
    assert "OrderPlacedFunctionOrderPlaced (bus orders-prod)" in prod.stdout
    assert run("test", "-t", str(TEMPLATES / "sam-orders.yaml"), '{"source": "nobody"}').returncode == 1
    unknown_bus = run("test", "-t", str(TEMPLATES / "sam-orders.yaml"), "--bus", "nope", order)
    assert unknown_bus.returncode == 2 and "no bus named nope" in unknown_bus.stderr


@pytest.mark.parametrize("args", [
    ("rules", "missing.yaml"),
    ("test", "-t", "missing.yaml", "{}"),
    ("rules", str(TEMPLATES / "cfn-ops.json"), "-p", "Nope=1"),
    ("rules", str(TEMPLATES / "cfn-ops.json"), "-p", "novalue"),
])
def test_bad_templates_and_arguments_exit_2(args: tuple[str, ...]) -> None:
    out = run(*args)
    assert out.returncode == 2 and out.stderr.startswith("eventmatch: ")


def test_rules_lists_a_template() -> None:
    out = run("rules", str(TEMPLATES / "sam-orders.yaml"))
    assert out.returncode == 0
    assert "OrderPlacedFunctionHourly (AWS::Serverless::Function/ScheduleV2, bus default, DISABLED): rate(1 hour) [Europe/Berlin]" in out.stdout
    listed = json.loads(run("rules", "--json", str(TEMPLATES / "cfn-ops.json")).stdout)
    assert {r["name"] for r in listed} == {"ec2-terminated", "HourlyRule", "NoonRule", "nightly-backup"}


def test_output_to_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"all": {"source": [{"prefix": ""}]}}))
    events = _events(tmp_path / "e.jsonl", 50_000)
    proc = subprocess.run(f"{COMMAND[0]} match -r {rules} {events} | head -1", shell=True, capture_output=True, text=True, timeout=120)
    assert proc.stdout == "1: all\n" and "Traceback" not in proc.stderr


def test_redis_put_rules_worker_and_status(tmp_path: Path) -> None:
    """`eventmatch redis put-rules | worker | status` against a real redis-server."""
    import os
    import signal
    import time

    from eventmatch.transport.redis import RedisTransport
    from tests.redis_server import RedisServer

    server = RedisServer(tmp_path / "redis").start()
    try:
        common = ["--redis", server.url, "--namespace", "cli"]
        rules = json.dumps({"rules": [{"Name": "all", "EventPattern": {"source": [{"prefix": ""}]},
                                       "Targets": [{"Id": "t", "Handler": "record"}]}]})
        put = run("redis", "put-rules", rules, *common)
        assert put.returncode == 0 and put.stdout.strip() == "rules version 1"
        bad = run("redis", "put-rules", '{"rules": [{"Name": "x", "EventPattern": {"a": []}}]}', *common)
        assert bad.returncode == 2 and "Empty arrays are not allowed" in bad.stderr
        assert run("redis", "worker", *common).returncode == 2  # no --handlers
        assert "cannot import" in run("redis", "worker", "--handlers", "nowhere:H", *common).stderr
        RedisTransport(server.url, namespace="cli").publish_many({"id": f"e{i}", "source": "s"} for i in range(50))
        out_file = tmp_path / "delivered.txt"
        env = {**os.environ, "EVENTMATCH_TEST_OUT": str(out_file), "PYTHONPATH": str(Path(__file__).parent.parent)}
        worker = subprocess.Popen([*COMMAND, "redis", "worker", "--handlers", "tests.cli_handlers:HANDLERS", *common],
                                  env=env, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (out_file.exists() and len(out_file.read_text().split()) >= 50):
            time.sleep(0.05)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
        assert sorted(out_file.read_text().split()) == sorted(f"e{i}" for i in range(50))
        status = json.loads(run("redis", "status", "--json", *common).stdout)
        assert status["rules_version"] == 1 and status["acknowledged"] == 50 and status["pending"] == 0
        down = run("redis", "status", "--redis", "redis://127.0.0.1:1/0")
        assert down.returncode == 2 and down.stderr.startswith("eventmatch: --redis")
    finally:
        server.stop()
