"""Rules read from CloudFormation and SAM templates shaped like real projects'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eventmatch.errors import TemplateError
from eventmatch.template import load_template

TEMPLATES = Path(__file__).parent / "data" / "templates"
SAM = TEMPLATES / "sam-orders.yaml"
CFN = TEMPLATES / "cfn-ops.json"

ORDER = {"source": "com.example.orders.dev", "detail-type": "Order Placed", "detail": {"orderId": "o-1", "total": 150}}
EC2 = {"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification",
       "detail": {"instance-id": "i-0abc", "state": "terminated"}}


def test_sam_template_rules_schedules_and_buses() -> None:
    t = load_template(SAM)
    assert t.buses == ("default", "orders-dev")
    rules = {r.name: r for r in t.rules}
    placed = rules["OrderPlacedFunctionOrderPlaced"]
    assert placed.kind == "AWS::Serverless::Function/EventBridgeRule" and placed.bus == "orders-dev"
    # !FindInMap with a nested !Ref
    assert json.loads(placed.pattern.text) == {  # type: ignore[union-attr]
        "source": ["com.example.orders.dev"], "detail-type": ["Order Placed"],
        "detail": {"total": [{"numeric": [">=", 100]}]}}
    # the function's ARN, as SAM's generated rule has it (FunctionName with !Sub)
    assert placed.targets[0].arn == "arn:aws:lambda:us-east-1:123456789012:function:order-placed-dev"
    nightly = rules["OrderPlacedFunctionNightly"]
    assert nightly.schedule == "cron(0 2 * * ? *)" and nightly.state == "ENABLED"
    assert nightly.targets[0].input == '{"job": "reconcile"}'
    hourly = rules["OrderPlacedFunctionHourly"]
    assert hourly.timezone == "Europe/Berlin" and hourly.state == "DISABLED"  # !If on the IsProd condition
    audit = rules["AuditFunctionAnyOrderEvent"]
    assert audit.bus == "orders-dev"  # !GetAtt as a name
    assert audit.targets[0].arn == "arn:aws:lambda:us-east-1:123456789012:function:AuditFunction"  # no FunctionName
    assert len(t.pattern_rules) == 2 and len(t.schedules) == 2


def test_parameters_change_what_resolves() -> None:
    t = load_template(SAM, {"Stage": "prod"})
    rules = {r.name: r for r in t.rules}
    assert rules["OrderPlacedFunctionHourly"].state == "ENABLED"
    assert "orders-prod" in t.buses
    assert json.loads(rules["OrderPlacedFunctionOrderPlaced"].pattern.text)["source"] == ["com.example.orders"]  # type: ignore[union-attr]


def test_fire_reports_what_each_target_receives() -> None:
    firings = load_template(SAM).fire(ORDER)
    assert [(f.rule.name, f.target.id) for f in firings] == [
        ("OrderPlacedFunctionOrderPlaced", "OrderPlacedFunctionOrderPlacedLambdaTarget"),
        ("AuditFunctionAnyOrderEvent", "AuditFunctionAnyOrderEventLambdaTarget"),
    ]
    assert firings[0].payload == {"order": "o-1", "total": 150, "stage": "dev"}  # InputTransformer
    assert firings[1].payload == ORDER["detail"]  # InputPath
    assert load_template(SAM).fire({**ORDER, "detail": {"orderId": "o-2", "total": 5}}, bus="orders-dev") == [
        f for f in load_template(SAM).fire({**ORDER, "detail": {"orderId": "o-2", "total": 5}})
        if f.rule.bus == "orders-dev"
    ]


def test_cloudformation_json_template() -> None:
    t = load_template(CFN)
    rules = {r.name: r for r in t.rules}
    assert set(rules) == {"ec2-terminated", "HourlyRule", "NoonRule", "nightly-backup"}
    assert rules["NoonRule"].state == "DISABLED" and not rules["NoonRule"].enabled
    assert rules["NoonRule"].targets[0].arn.startswith("<")  # Fn::ImportValue: named, not resolved
    assert rules["nightly-backup"].kind == "AWS::Scheduler::Schedule"
    assert rules["nightly-backup"].timezone == "America/New_York"
    firings = t.fire(EC2)
    assert next(f.payload for f in firings) == "Instance i-0abc is now terminated."
    assert firings[1].target.arn == "arn:aws:sqs:us-east-1:123456789012:audit"  # Fn::Sub with pseudo parameters
    assert firings[1].payload["detail"] == EC2["detail"] and firings[1].payload["version"] == "0"


def test_scheduled_rules_fire_on_the_templates_bridge() -> None:
    from datetime import UTC, datetime

    from eventmatch import VirtualClock

    got: list[tuple[str, object]] = []
    bridge = load_template(CFN).bridge(
        clock=VirtualClock(datetime(2026, 1, 1, 11, 30, tzinfo=UTC)), deliver=lambda r, t, p: got.append((r.name, p))
    )
    bridge.advance(3600)
    assert ("HourlyRule", {"tick": True}) in got
    assert not any(name == "NoonRule" for name, _ in got)  # disabled


def _problems(text: str, **kwargs: str) -> list[tuple[str, str]]:
    with pytest.raises(TemplateError) as info:
        load_template("t.yaml", kwargs or None, text=text)
    return info.value.problems


RULE = """
Resources:
  R:
    Type: AWS::Events::Rule
    Properties:
{props}
"""


def test_bad_templates_name_the_place_and_aws_message() -> None:
    problems = _problems(RULE.format(props="      EventPattern: {source: []}"))
    assert problems == [("Resources.R.Properties.EventPattern",
                         'Event pattern is not valid. Reason: Empty arrays are not allowed\n'
                         ' at [Source: (String)"{"source": []}"; line: 1, column: 14]')]
    problems = _problems(RULE.format(props="      ScheduleExpression: cron(0 12 * * * *)"))
    assert problems[0][0] == "Resources.R.Properties.ScheduleExpression"
    assert problems[0][1].startswith("Parameter ScheduleExpression is not valid.")
    problems = _problems(RULE.format(props="      EventPattern: {source: [!ImportValue shared-source]}"))
    assert problems == [("Resources.R.Properties.EventPattern",
                         "Fn::ImportValue needs a deployed stack and cannot be resolved offline")]
    problems = _problems(RULE.format(props="      Description: only words"))
    assert problems == [("Resources.R", "the rule has no EventPattern or ScheduleExpression")]


def test_bad_targets_get_the_bus_messages() -> None:
    text = RULE.format(props="""      EventPattern: {source: [a]}
      Targets:
        - Id: t
          Arn: x
          Input: '{}'
          InputPath: $.detail""")
    assert _problems(text) == [("Resources.R", "Only one of Input, InputPath, or InputTransformer must be provided for target t.")]


def test_every_problem_is_reported_at_once_and_nothing_loads() -> None:
    text = """
Resources:
  A: {Type: AWS::Events::Rule, Properties: {EventPattern: {a: []}}}
  B: {Type: AWS::Events::Rule, Properties: {ScheduleExpression: rate(0 hours)}}
  C: {Type: AWS::Events::Rule, Properties: {EventPattern: {c: [x]}}}
"""
    problems = _problems(text)
    assert [where for where, _ in problems] == ["Resources.A.Properties.EventPattern",
                                                "Resources.B.Properties.ScheduleExpression"]


def test_parameters_without_default_and_unknown_parameters() -> None:
    text = "Parameters: {Src: {Type: String}}\n" + RULE.format(props="      EventPattern: {source: [!Ref Src]}")
    assert "parameter Src has no Default" in _problems(text)[0][1]
    assert load_template("t.yaml", {"Src": "x"}, text=text).rules[0].pattern is not None
    assert _problems(text, Nope="1")[0] == ("Parameters", "the template declares no parameter Nope")


def test_unreadable_and_malformed_templates() -> None:
    assert "not valid YAML" in _problems("Resources: [unclosed")[0][1]
    assert "line 1" in _problems("Resources: [unclosed")[0][1]
    assert _problems("Resources: {A: !Bogus x}")[0][1].startswith("not valid YAML: unknown tag !Bogus")
    assert "not valid JSON" in _problems('{"Resources": ')[0][1]
    assert _problems("- a list") == [("", "a template must be a mapping with a Resources section")]
    assert _problems("Resources: {}") == [("Resources", "a template must have a non-empty Resources mapping")]
    with pytest.raises(TemplateError, match="cannot read the template"):
        load_template(TEMPLATES / "missing.yaml")


def test_duplicate_rule_names_on_one_bus() -> None:
    text = """
Resources:
  A: {Type: AWS::Events::Rule, Properties: {Name: same, EventPattern: {a: [1]}}}
  B: {Type: AWS::Events::Rule, Properties: {Name: same, EventPattern: {b: [1]}}}
"""
    assert _problems(text) == [("Resources.B", "rule name same on bus default is also used by Resources.A")]


def test_intrinsics() -> None:
    text = """
Parameters: {Env: {Type: String, Default: test}}
Conditions:
  IsTest: !Equals [!Ref Env, test]
  NotTest: !Not [!Condition IsTest]
  Both: !And [!Condition IsTest, !Or [!Condition NotTest, !Equals [a, a]]]
Resources:
  R:
    Type: AWS::Events::Rule
    Properties:
      Name: !Join ["-", [rule, !Ref Env, !Select [1, !Split [",", "x,y,z"]]]]
      EventPattern:
        source: [!Sub "${Env}.${AWS::Region}.${!Literal}"]
        detail-type: [!If [Both, "yes", "no"]]
        account: [!Ref AWS::AccountId]
        region: [!If [NotTest, !Ref AWS::NoValue, us-east-1]]
      Targets:
        - {Id: t, Arn: !GetAtt Q.Arn, Input: !ToJsonString {k: !Ref Env}}
  Q: {Type: AWS::SQS::Queue, Properties: {QueueName: !Sub "q-${Env}"}}
"""
    rule = load_template("t.yaml", text=text).rules[0]
    assert rule.name == "rule-test-y"
    assert json.loads(rule.pattern.text) == {  # type: ignore[union-attr]
        "source": ["test.us-east-1.${Literal}"], "detail-type": ["yes"], "account": ["123456789012"],
        "region": ["us-east-1"]}
    assert rule.targets[0].arn == "arn:aws:sqs:us-east-1:123456789012:q-test" and json.loads(rule.targets[0].input or "") == {"k": "test"}


def test_event_pattern_given_as_json_text() -> None:
    text = RULE.format(props="""      EventPattern: '{"source": ["a"]}'""")
    assert load_template("t.yaml", text=text).rules[0].pattern.matches({"source": "a"})  # type: ignore[union-attr]


def test_ref_of_a_number_parameter_is_text_as_in_cloudformation() -> None:
    """CloudFormation's Ref gives a Number parameter as a string, which EventBridge rejects in numeric."""
    text = "Parameters: {Limit: {Type: Number, Default: 100}, Envs: {Type: CommaDelimitedList, Default: 'a,b'}}\n"
    problems = _problems(text + RULE.format(props='      EventPattern: {n: [{numeric: [">", !Ref Limit]}]}'))
    assert problems[0][1].startswith("Event pattern is not valid. Reason: Value of > must be numeric")
    rule = load_template("t.yaml", text=text + RULE.format(props="      EventPattern: {env: !Ref Envs, n: [!Ref Limit]}")).rules[0]
    assert json.loads(rule.pattern.text) == {"env": ["a", "b"], "n": ["100"]}  # type: ignore[union-attr]
