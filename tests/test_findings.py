"""What real templates, AWS's documented examples and hostile input turned up (issue 16): one test a finding.

Where AWS's behaviour had to be looked up, the evidence is written beside the test.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from eventmatch import (
    EventBridge,
    InvalidEventError,
    InvalidEventPatternError,
    InvalidScheduleExpressionError,
    RuleSet,
    ValidationError,
    compile_pattern,
    parse_schedule,
    test_event_pattern,
)
from eventmatch.template import TemplateError, load_template
from tests.test_cli import run

T0 = datetime(2026, 3, 5, 23, 59, tzinfo=UTC)  # a minute before Friday


def _times(expression: str, n: int, after: datetime = T0, **options: Any) -> list[str]:
    schedule = parse_schedule(expression, **options)
    out = []
    for when in schedule.iter(after):
        out.append(when.strftime("%a %H:%M"))
        if len(out) == n:
            break
    return out


# -- schedules -----------------------------------------------------------------------------------
def test_hour_ranges_that_run_past_midnight_wrap() -> None:
    # AWS's cron follows Quartz, whose ranges wrap past a field's end: 22-2 is 22, 23, 0, 1, 2
    assert _times("cron(0 22-2 * * ? *)", 6) == ["Fri 00:00", "Fri 01:00", "Fri 02:00", "Fri 22:00", "Fri 23:00",
                                                 "Sat 00:00"]
    # an increment carries on across the wrap: 22, 0, 2, 4
    assert _times("cron(0 22-4/2 * * ? *)", 4) == ["Fri 00:00", "Fri 02:00", "Fri 04:00", "Fri 22:00"]


def test_day_of_week_ranges_that_run_past_saturday_wrap() -> None:
    assert _times("cron(0 12 ? * FRI-MON *)", 5) == ["Fri 12:00", "Sat 12:00", "Sun 12:00", "Mon 12:00",
                                                     "Fri 12:00"]
    assert _times("cron(0 12 ? * 6-2 *)", 4) == _times("cron(0 12 ? * FRI-MON *)", 4)
    with pytest.raises(InvalidScheduleExpressionError) as info:
        parse_schedule("cron(0 0 * * ? 2030-2026)")  # years do not wrap
    assert "runs backwards" in info.value.detail


def test_fields_separated_by_a_comma_and_a_space_read_as_fields() -> None:
    # sfn-log-export/template.yaml deploys cron(5, 0, 1, *, ?, *); PutRule accepts that form and AWS's console
    # shows it the fire times of the fields without commas (aws/aws-sdk#161, boto/boto3#2876)
    assert _times("cron(5, 0, 1, *, ?, *)", 3) == _times("cron(5 0 1 * ? *)", 3)
    assert _times("cron(0/5, 9-18, ?, *, MON-FRI, *)", 3) == _times("cron(0/5 9-18 ? * MON-FRI *)", 3)
    rule = EventBridge().bus()
    rule.put_rule("export", schedule_expression="cron(5, 0, 1, *, ?, *)")


def test_rate_units_agree_with_the_value_for_rules_only() -> None:
    # Rules: EventBridge's user guide ("rate(1 hours) and rate(5 hour) aren't valid"), and PutRule's recorded
    # ValidationException for rate(3 minute) (buildkite/buildkite-agent-scaler#100). Scheduler: its API
    # reference states no such rule, and about twenty of its own published patterns (eventbridge-schedule-to-
    # lambda, eventbridge-schedule-to-sqs-sam) have deployed rate(5 minute) since 2022.
    for expression in ("rate(5 minute)", "rate(1 hours)"):
        assert parse_schedule(expression, service="scheduler").period is not None
        with pytest.raises(InvalidScheduleExpressionError):
            parse_schedule(expression, service="events")
        with pytest.raises(InvalidScheduleExpressionError):
            EventBridge().bus().put_rule("r", schedule_expression=expression)
    assert run("validate", "--service", "events", "rate(5 minute)").returncode == 1
    assert run("validate", "--service", "scheduler", "rate(5 minute)").returncode == 0


def test_at_is_refused_for_rules_and_increments_past_the_field_are_refused() -> None:
    with pytest.raises(InvalidScheduleExpressionError) as info:
        EventBridge().bus().put_rule("once", schedule_expression="at(2026-05-01T10:00:00)")
    assert "Scheduler" in info.value.detail
    assert parse_schedule("at(2026-05-01T10:00:00)").at is not None  # Scheduler's own expression
    # cron(*/60 * * * ? *) is refused by PutRule (aws/aws-sdk-js#4212); */59 is not
    with pytest.raises(InvalidScheduleExpressionError):
        parse_schedule("cron(*/60 * * * ? *)")
    assert _times("cron(*/59 * * * ? *)", 2) == ["Fri 00:00", "Fri 00:59"]
    text = _template("AWS::Events::Rule", "ScheduleExpression: at(2026-05-01T10:00:00)")
    assert "at() is an EventBridge Scheduler expression" in _problems(text)[0][1]


def test_large_rate_values_give_a_clear_error_or_correct_times() -> None:
    for expression in ("rate(9999999999999 minutes)", "rate(10000000 days)"):
        checked, listed = run("validate", expression), run("next", expression)
        assert checked.returncode == 1 and listed.returncode == 2, (checked.stderr, listed.stderr)
        assert "Traceback" not in checked.stderr + listed.stderr
        assert "longer than any date can reach" in checked.stdout + listed.stderr
    # a valid rate whose times run past the year 9999: the times that exist, then a note
    out = run("next", "rate(1000 days)", "-n", "100000", "--after", "2026-01-01T00:00:00+00:00")
    assert out.returncode == 0 and "Traceback" not in out.stderr
    times = out.stdout.split()
    # (a rate counts from --after, as a rule's from its creation: the first is 1,000 days after it)
    assert times[0] == "2028-09-27T00:00:00+00:00" and times[-1].startswith("99") and 2900 < len(times) < 2950
    assert "fire time(s)" in out.stderr
    assert run("validate", "rate(1000 days)").returncode == 0


# -- patterns and events --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "text", "matches"),
    [
        ("STRASSE", "straße", False),  # S matches s or S, never ß
        ("straße", "STRASSE", True),  # ß matches ß or SS (Java's toUpperCase of "ß")
        ("ı", "I", True), ("I", "ı", False), ("İ", "i", False),  # Turkish dotless and dotted i
        ("ς", "Σ", True), ("σ", "ς", False),  # Greek final sigma
        ("ﬁ", "FI", True), ("FI", "ﬁ", False),  # a ligature whose upper case is two letters
        ("ǅ", "ǅ", False), ("ǅ", "ǆ", True),  # a titlecase letter matches its lower and upper forms only
        ("k", "\u212a", False), ("\u212a", "k", True),  # the Kelvin sign
    ],
)
def test_equals_ignore_case_folds_as_the_reference_library(value: str, text: str, matches: bool) -> None:
    # labelled by aws/event-ruler 2.0.1 through ../shared/anchors/label.sh (test_oracle covers many more)
    assert compile_pattern({"a": [{"equals-ignore-case": value}]}).matches({"a": text}) is matches
    assert compile_pattern({"a": [{"prefix": {"equals-ignore-case": value}}]}).matches({"a": text + "-"}) is matches
    assert compile_pattern({"a": [{"suffix": {"equals-ignore-case": value}}]}).matches({"a": "-" + text}) is matches
    but = compile_pattern({"a": [{"anything-but": {"equals-ignore-case": value}}]})
    assert but.matches({"a": text}) is not matches
    rules = RuleSet()
    rules.add("r", {"a": [{"equals-ignore-case": value}]})
    assert (rules.matching(json.dumps({"a": text})) == ["r"]) is matches


DEEP_PATTERN = '{"a":' * 3000 + '["x"]' + "}" * 3000
DEEP_EVENT = '{"a":' * 3000 + '"x"' + "}" * 3000


def test_deep_nesting_raises_the_librarys_errors_and_changes_nothing() -> None:
    with pytest.raises(InvalidEventPatternError, match=r"nesting depth \(101\) exceeds the maximum allowed \(100\)"):
        compile_pattern(DEEP_PATTERN)
    with pytest.raises(InvalidEventPatternError):
        compile_pattern(json.loads('{"a":' * 900 + '["x"]' + "}" * 900))  # a dict, too
    with pytest.raises(InvalidEventError):
        compile_pattern({"a": ["x"]}).matches(DEEP_EVENT)
    rules = RuleSet()
    rules.add("keep", {"a": ["x"]})
    with pytest.raises(InvalidEventPatternError):
        rules.add("deep", DEEP_PATTERN)
    assert list(rules) == ["keep"]
    for event in (DEEP_EVENT, DEEP_EVENT.encode()):
        with pytest.raises(InvalidEventError):
            rules.matching(event)
    assert rules.matching({"a": "x"}) == ["keep"]
    bridge = EventBridge()
    with pytest.raises(InvalidEventPatternError):
        bridge.bus().put_rule("deep", DEEP_PATTERN)
    assert bridge.bus().list_rules() == []
    with pytest.raises(InvalidEventError):
        bridge.publish(DEEP_EVENT)
    answer = bridge.put_events([{"Source": "s", "DetailType": "t", "Detail": DEEP_EVENT}])
    assert answer["Entries"][0]["ErrorCode"] == "MalformedDetail"


def test_nan_and_infinity_are_not_json_in_events() -> None:
    for text in ('{"source":"a","n":NaN}', '{"source":"a","n":Infinity}', '{"source":"a","n":-Infinity}'):
        with pytest.raises(InvalidEventError):
            compile_pattern({"source": ["a"]}).matches(text)
        rules = RuleSet()
        rules.add("r", {"source": ["a"]})
        for event in (text, text.encode()):
            with pytest.raises(InvalidEventError):
                rules.matching(event)
        with pytest.raises(InvalidEventError):
            test_event_pattern(text, {"source": ["a"]})
        answer = EventBridge().put_events([{"Source": "a", "DetailType": "t", "Detail": text}])
        assert answer["Entries"][0] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    out = run("test", '{"source":["a"]}', '{"source":"a","n":NaN}')
    assert out.returncode == 2 and "Parameter Event is not valid." in out.stderr


# -- the bus --------------------------------------------------------------------------------------
def test_a_placeholder_as_an_object_key_is_refused() -> None:
    # AWS's API reference for InputTransformer: a placeholder cannot be used as an object key
    bus = EventBridge().bus()
    bus.put_rule("r", {"source": ["a"]})
    transformer = {"InputPathsMap": {"instance": "$.detail.id"}, "InputTemplate": '{<instance>: "x"}'}
    with pytest.raises(ValidationError, match=r"^InputTemplate for target t contains invalid placeholder instance\.$"):
        bus.put_targets("r", [{"Id": "t", "Fn": print, "InputTransformer": transformer}])
    assert bus.list_targets("r") == []
    ok = {"InputPathsMap": {"instance": "$.detail.id"}, "InputTemplate": '{"<instance>": <instance>}'}
    bus.put_targets("r", [{"Id": "t", "Fn": print, "InputTransformer": ok}])


# -- templates ------------------------------------------------------------------------------------
def _template(kind: str, props: str, extra: str = "") -> str:
    return f"{extra}Resources:\n  R:\n    Type: {kind}\n    Properties:\n      " + props.replace("\n", "\n      ") + "\n"


def _problems(text: str, **parameters: str) -> list[tuple[str, str]]:
    with pytest.raises(TemplateError) as info:
        load_template("t.yaml", parameters, text=text)
    return info.value.problems


def test_a_resource_whose_condition_is_false_does_not_exist() -> None:
    text = """
Parameters: {Prod: {Type: String, Default: "no", AllowedValues: ["yes", "no"]}}
Conditions: {IsProd: !Equals [!Ref Prod, "yes"], NotProd: !Not [!Condition IsProd]}
Resources:
  A: {Type: AWS::Events::Rule, Condition: IsProd, Properties: {Name: r, EventPattern: {source: [prod]}}}
  B: {Type: AWS::Events::Rule, Condition: NotProd, Properties: {Name: r, EventPattern: {source: [dev]}}}
"""
    assert [json.loads(r.pattern.text) for r in load_template("t.yaml", text=text).rules] == [{"source": ["dev"]}]
    prod = load_template("t.yaml", {"Prod": "yes"}, text=text).rules
    assert [json.loads(r.pattern.text) for r in prod] == [{"source": ["prod"]}]
    assert "AllowedValues" in _problems(text, Prod="maybe")[0][1]


def test_ref_gives_what_each_resource_type_documents() -> None:
    text = """
Parameters: {BucketNameParam: {Type: String, Default: my-real-bucket}}
Resources:
  MyBucket: {Type: AWS::S3::Bucket, Properties: {BucketName: !Ref BucketNameParam}}
  Q: {Type: AWS::SQS::Queue, Properties: {QueueName: jobs}}
  Topic: {Type: AWS::SNS::Topic, Properties: {TopicName: alerts}}
  Table: {Type: AWS::DynamoDB::Table, Properties: {TableName: orders}}
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern:
        source: [aws.s3]
        detail: {bucket: {name: [!Ref MyBucket]}}
      Targets:
        - {Id: q, Arn: !GetAtt Q.Arn, Input: !Sub '{"url": "${Q}", "topic": "${Topic}", "table": "${Table}"}'}
"""
    template = load_template("t.yaml", text=text)
    rule = template.rules[0]
    assert rule.pattern is not None and rule.pattern.matches({"source": "aws.s3",
                                                              "detail": {"bucket": {"name": "my-real-bucket"}}})
    assert rule.targets[0].arn == "arn:aws:sqs:us-east-1:123456789012:jobs"
    assert json.loads(rule.targets[0].input or "") == {
        "url": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs",
        "topic": "arn:aws:sns:us-east-1:123456789012:alerts",
        "table": "orders",
    }


def test_unknown_functions_are_named_and_messages_name_no_cli_flag() -> None:
    problems = _problems(_template("AWS::Events::Rule", 'EventPattern: {source: [{"Fn::Subb": "x"}]}'))
    assert "Fn::Subb is not an intrinsic function CloudFormation knows" in problems[0][1]
    text = "Parameters: {P: {Type: String}}\n" + _template("AWS::Events::Rule", "EventPattern: {source: [!Ref P]}")
    message = _problems(text)[0][1]
    assert message == "parameter P has no Default and no value was given for it" and "--" not in message


def test_every_problem_is_reported_at_once() -> None:
    text = """
Parameters: {A: {Type: String}, B: {Type: String}}
Resources:
  Empty: {Type: AWS::Events::Rule, Properties: {Name: empty}}
  Bad: {Type: AWS::Events::Rule, Properties: {EventPattern: {source: []}}}
  Both:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [!Ref A]}
      Targets: [{Id: t, Arn: x, InputTransformer: {InputPathsMap: {}, InputTemplate: "<nope>"}}]
  Sched: {Type: AWS::Events::Rule, Properties: {ScheduleExpression: "rate(0 minutes)"}}
"""
    where = [w for w, _ in _problems(text)]
    assert where == [
        "Resources.Empty",
        "Resources.Bad.Properties.EventPattern",
        "Resources.Both.Properties.EventPattern",
        "Resources.Sched.Properties.ScheduleExpression",
    ]
    # and the bus's own checks (a transformer's placeholder) show beside the reader's
    text = text.replace("!Ref A", "x")
    messages = [m for _, m in _problems(text)]
    assert any("invalid placeholder nope" in m for m in messages) and len(messages) == 4


def test_parameters_that_only_feed_payloads_do_not_block() -> None:
    path = REAL / "sam-eventbridge-ebs-snapshot.yaml"
    problems = _problems(path.read_text())
    assert problems == [("Resources.EC2ShutdownSnapshotRule.Properties.EventPattern",
                         "parameter InstanceId has no Default and no value was given for it")]
    template = load_template(path, {"InstanceId": "i-0123456789abcdef0"})
    assert template.rules[0].targets[0].input == '"${VolumeId}"'  # shown as unresolved, not an error
    listed = run("rules", str(path), "-p", "InstanceId=i-0123456789abcdef0")
    assert listed.returncode == 0 and "EBSSnapshotTarget" in listed.stdout
    failed = run("rules", str(path))
    assert failed.returncode == 2 and "--parameter NAME=VALUE" in failed.stderr


# -- the command line ------------------------------------------------------------------------------
REAL = Path(__file__).parent / "data" / "templates" / "serverless-patterns"


def test_match_reads_a_folder_of_templates(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    for name in ("eventbridge-lambda.yaml", "dynamodb-eventbridge.yaml"):
        (folder / name).write_text((REAL / name).read_text())
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps({"source": "custom.myApp", "detail-type": "transaction",
                                  "detail": {"location": "EUR-x"}}) + "\n")
    out = run("match", "--rules", str(folder), str(events))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1: ConsumerFunctionTrigger"


def test_match_and_test_agree_on_which_rules_of_a_template_fire(tmp_path: Path) -> None:
    template = tmp_path / "t.yaml"
    template.write_text("""
Resources:
  Shop: {Type: AWS::Events::EventBus, Properties: {Name: shop}}
  OnShop: {Type: AWS::Events::Rule, Properties: {EventBusName: shop, EventPattern: {source: [a]}}}
  Paused: {Type: AWS::Events::Rule, Properties: {State: DISABLED, EventPattern: {source: [a]}}}
  Region: {Type: AWS::Events::Rule, Properties: {EventPattern: {region: [us-east-1]}}}
""")
    event = json.dumps({"source": "a", "detail-type": "t", "detail": {}})
    events = tmp_path / "e.jsonl"
    events.write_text(event + "\n")
    matched = run("match", "--rules", str(template), str(events), "--json")
    assert sorted(json.loads(matched.stdout)["rules"]) == ["OnShop", "Region"]
    tested = run("test", "-t", str(template), event, "--json")
    assert sorted(f["rule"] for f in json.loads(tested.stdout)) == ["OnShop", "Region"]
    text = run("test", "-t", str(template), event)
    assert "OnShop (bus shop) matched; it has no targets" in text.stdout and text.returncode == 0


def test_command_line_edges(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("Resources: {Q: {Type: AWS::SQS::Queue}}\n")
    out = run("rules", str(empty))
    assert out.returncode == 1 and "no EventBridge rules or schedules" in out.stderr
    events = tmp_path / "e.jsonl"
    events.write_text('{"source": "a"}\nnot json\n')
    rules = tmp_path / "r.json"
    rules.write_text('{"r": {"source": ["a"]}}')
    out = run("match", "--rules", str(rules), str(events), "--json")
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert lines[0] == {"source": str(events), "line": 1, "rules": ["r"]}
    assert lines[1]["line"] == 2 and lines[1]["error"] == "InvalidEventError" and out.stderr == ""


def test_the_redis_command_says_to_install_the_extra_when_redis_is_missing() -> None:
    import subprocess
    import sys

    code = ("import sys; sys.modules['redis'] = None; from eventmatch.cli import main; "
            "sys.exit(main(['redis', 'status']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "pip install 'eventmatch[redis]'" in out.stderr and "Traceback" not in out.stderr


# -- packaging ------------------------------------------------------------------------------------
def test_packaging_uses_an_spdx_licence_and_orjson_is_not_a_runtime_dependency() -> None:
    import tomllib

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    assert not any("License ::" in c for c in project["classifiers"])
    assert not any(d.startswith("orjson") for d in project["dependencies"])
    assert any(d.startswith("orjson") for d in project["optional-dependencies"]["test"])
