"""Real templates from aws-samples/serverless-patterns (MIT-0, tests/data/templates/serverless-patterns):
each is loaded, validated and fired, as a new user would try eventmatch on their own project."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from eventmatch import VirtualClock
from eventmatch.template import load_template
from tests.test_cli import run

REAL = Path(__file__).parent / "data" / "templates" / "serverless-patterns"
START = datetime(2026, 1, 1, tzinfo=UTC)

#: template -> (parameters, an event, what fires for it: [(rule, target id)])
PATTERNS: dict[str, tuple[dict[str, str], dict[str, Any], list[tuple[str, str]]]] = {
    "eventbridge-lambda": ({}, {"source": "custom.myApp", "detail-type": "transaction",
                                "detail": {"location": "EUR-VIE"}},
                           [("ConsumerFunctionTrigger", "ConsumerFunctionTriggerLambdaTarget")]),
    "s3-eventbridge-direct-java": ({}, {"source": "aws.s3", "detail-type": "Object Created", "detail": {}},
                                   [("MyFunctionTrigger", "MyFunctionTriggerLambdaTarget")]),
    "codecommit-s3": ({}, {"source": "aws.codecommit", "detail-type": "CodeCommit Repository State Change",
                           "detail": {"event": "referenceUpdated"}}, [("EventRule", "CodeCommit2S3")]),
    "dynamodb-eventbridge": ({}, {"source": "MyDynamoStream", "detail-type": "transaction",
                                  "detail": {"eventName": "REMOVE"}}, [("EventRuleRemove", "eventRuleRemove")]),
    "eventbridge-cloudwatch": ({}, {"source": "my-application", "detail-type": "x", "detail": {}},
                               [("LogsRule", "LogTarget")]),
    "lambda-durable-investigation-escalation": (
        {}, {"source": "aws.aidevops", "detail-type": "Investigation Failed", "detail": {}},
        [("eventmatch-stack-devops-agent-escalation", "EscalationDurableFunction")]),
    "sam-eventbridge-ebs-snapshot": (
        {"InstanceId": "i-0abcd123456ef7890", "VolumeId": "vol-0abcd123456ef7890"},
        {"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification",
         "detail": {"state": "stopping", "instance-id": "i-0abcd123456ef7890"}},
        [("EC2ShutdownSnapshotRule", "EBSSnapshotTarget")]),
}

#: template -> (parameters, seconds of virtual time, how many deliveries, what the first one receives)
SCHEDULES: dict[str, tuple[dict[str, str], int, int, Any]] = {
    "eventbridge-schedule-to-lambda": ({}, 3600, 12, None),  # rate(5 minute): Scheduler's form
    "eventbridge-schedule-to-sqs-sam": ({}, 3600, 12, "This message was sent using EventBridge Scheduler!"),
    "eventbridge-schedule-to-lambda-dlq-sam-python": ({}, 3600, 12, None),
    "eventbridge-schedule-stepfunctions-sam": ({}, 86400, 1, {}),  # Scheduler sends no rule envelope
    "sfn-log-export": ({}, 86400 * 62, 3, "envelope"),  # cron(5, 0, 1, *, ?, *): monthly, as AWS reads it
}


def test_every_vendored_template_is_covered() -> None:
    assert {p.stem for p in REAL.glob("*.yaml")} == set(PATTERNS) | set(SCHEDULES)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_pattern_templates_load_validate_and_fire(name: str) -> None:
    parameters, event, expected = PATTERNS[name]
    path = REAL / f"{name}.yaml"
    template = load_template(path, parameters)
    firings = template.fire(event)
    assert [(f.rule.name, f.target.id) for f in firings] == expected
    for f in firings:
        if f.target.input is None and f.target.input_transformer is None:
            assert f.payload["source"] == event["source"]  # the whole event
    assert [r.name for r in template.matching(event)] == [rule for rule, _ in expected]
    args = [a for k, v in parameters.items() for a in ("-p", f"{k}={v}")]
    assert run("validate", "--template", str(path), *args).returncode == 0
    out = run("test", "-t", str(path), json.dumps(event), *args)
    assert out.returncode == 0 and expected[0][1] in out.stdout


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_templates_load_and_fire_on_a_virtual_clock(name: str) -> None:
    parameters, seconds, count, first = SCHEDULES[name]
    template = load_template(REAL / f"{name}.yaml", parameters)
    got: list[Any] = []
    bridge = template.bridge(clock=VirtualClock(START), deliver=lambda rule, target, payload: got.append(payload))
    bridge.advance(seconds)
    assert len(got) == count
    if first == "envelope":  # an EventBridge rule's scheduled event
        assert got[0]["detail-type"] == "Scheduled Event" and got[0]["time"] == "2026-01-01T00:05:00Z"
    elif first is not None:
        assert got[0] == first
    else:
        assert got[0] == {} or isinstance(got[0], dict)
    assert run("validate", "--template", str(REAL / f"{name}.yaml")).returncode == 0
