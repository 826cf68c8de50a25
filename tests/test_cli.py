"""The installed command line, run in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eventmatch", *args], input=stdin, capture_output=True, text=True, timeout=60
    )


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
