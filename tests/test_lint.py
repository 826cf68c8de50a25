"""``eventmatch lint``: rules that can never fire, found against AWS's event catalogue; and none found on
correct rules (the templates vendored in the tests, AWS's documented example patterns)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eventmatch.schemas import CODES, aws_catalogue, lint_pattern, lint_template
from tests.test_cli import run

TEMPLATES = Path(__file__).parent / "data" / "templates"
EC2 = {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]}
S3 = {"source": ["aws.s3"], "detail-type": ["Object Created"]}

#: patterns from AWS's documentation and examples: correct, so no error or warning
DOCUMENTED = [
    {**EC2, "detail": {"state": ["running", "stopped"], "instance-id": [{"prefix": "i-"}]}},
    {**EC2, "resources": [{"prefix": "arn:aws:ec2"}], "detail": {"state": [{"anything-but": "running"}]}},
    {**S3, "detail": {"bucket": {"name": ["my-bucket"]}, "object": {"key": [{"prefix": "uploads/"}],
                                                                    "size": [{"numeric": [">", 1024]}]}}},
    {"source": ["aws.codepipeline"], "detail-type": ["CodePipeline Pipeline Execution State Change"],
     "detail": {"state": ["FAILED"], "pipeline": ["my-pipeline"]}},
    {"source": ["aws.health"], "detail-type": ["AWS Health Event"], "detail": {"service": ["EC2"]}},
    {"source": ["aws.autoscaling"], "detail-type": ["EC2 Instance Launch Successful",
                                                    "EC2 Instance Terminate Successful"],
     "detail": {"AutoScalingGroupName": ["my-asg"]}},
    {"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"], "detail": {"lastStatus": ["STOPPED"]}},
    {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], "detail": {"severity": [{"numeric": [">=", 7]}]}},
    {"source": ["aws.s3"], "detail-type": ["AWS API Call via CloudTrail"],
     "detail": {"eventSource": ["s3.amazonaws.com"], "eventName": ["PutObject"],
                "requestParameters": {"bucketName": ["b"]}}},
    {"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
     "detail": {"status": ["FAILED", "TIMED_OUT"]}},
    {"source": ["aws.signin"], "detail-type": ["AWS Console Sign In via CloudTrail"]},
    {"$or": [{"source": ["aws.ec2"]}, {"source": ["aws.s3"], "detail-type": ["Object Created"]}]},
    {"source": ["my.app"], "detail-type": ["anything"], "detail": {"anything": [1, "x"]}},
]


def _codes(pattern: Any) -> list[tuple[str, str, str]]:
    return [(f.code, f.severity, f.path) for f in lint_pattern(pattern)]


def test_the_catalogue_holds_awss_event_types() -> None:
    catalogue = aws_catalogue()
    assert len(catalogue) > 350 and len(catalogue.sources()) > 80
    ec2 = catalogue.get("aws.ec2", "EC2 Instance State-change Notification")
    assert ec2 is not None and ec2.detail.fields["state"].kind == "string" and ec2.detail.fields["state"].required
    licence = Path(__import__("eventmatch.schemas").schemas.__file__).with_name("LICENSE-aws-service-spec.txt")
    assert "Apache License" in licence.read_text()


@pytest.mark.parametrize("pattern", DOCUMENTED, ids=range(len(DOCUMENTED)))
def test_documented_patterns_lint_clean(pattern: dict[str, Any]) -> None:
    assert [f for f in lint_pattern(pattern) if f.severity != "info"] == []


@pytest.mark.parametrize("template", [*sorted(p.name for p in (TEMPLATES / "serverless-patterns").glob("*.yaml")),
                                      "sam-orders.yaml", "cfn-ops.json"])
def test_vendored_templates_lint_clean(template: str) -> None:
    path = TEMPLATES / template if (TEMPLATES / template).exists() else TEMPLATES / "serverless-patterns" / template
    findings = [f for f in lint_template(str(path)) if f.severity != "info"]
    # a template whose parameter has no default cannot be read without a value: that is not a finding of its rules
    assert [f for f in findings if "no Default" not in f.message] == []


@pytest.mark.parametrize(("pattern", "expected"), [
    ('{"source": [', [("EM001", "error", "")]),
    ({"source": ["aws.nosuchservice"]}, [("EM101", "info", "source")]),
    ({"source": ["aws.ec2"], "detail-type": ["EC2 Instance State Change Notification"]},
     [("EM102", "error", "detail-type")]),
    ({**EC2, "detail": {"State": ["running"]}}, [("EM103", "error", "detail.State")]),
    ({**EC2, "detail": {"instanceid": ["i-1"]}}, [("EM103", "error", "detail.instanceid")]),
    ({"Source": ["aws.ec2"]}, [("EM103", "error", "Source")]),
    ({**S3, "detail": {"object": {"size": ["1024"]}}}, [("EM104", "error", "detail.object.size")]),
    ({**EC2, "detail": {"state": [5]}}, [("EM104", "error", "detail.state")]),
    ({**EC2, "detail": {"state": [{"numeric": [">", 1]}]}}, [("EM105", "error", "detail.state")]),
    ({**S3, "detail": {"object": {"size": [{"prefix": "10"}]}}}, [("EM105", "error", "detail.object.size")]),
    ({**S3, "detail": {"bucket": ["my-bucket"]}}, [("EM105", "error", "detail.bucket")]),
    ({**EC2, "detail": {"state": [{"exists": False}]}}, [("EM106", "error", "detail.state")]),
])
def test_each_kind_of_defect_is_found_with_its_code(pattern: Any, expected: list[tuple[str, str, str]]) -> None:
    assert _codes(pattern) == expected


def test_findings_say_what_to_write_instead() -> None:
    (typo,) = lint_pattern({"source": ["aws.ec2"], "detail-type": ["EC2 Instance State Change Notification"]})
    assert "closest: 'EC2 Instance State-change Notification'" in typo.message
    (case,) = lint_pattern({**EC2, "detail": {"State": ["running"]}})
    assert "'state' is (field names are case-sensitive)" in case.message
    (quoted,) = lint_pattern({**S3, "detail": {"object": {"size": ["1024"]}}})
    assert "write 1024 without quotes" in quoted.message


def test_a_sample_made_schema_gives_warnings_not_errors() -> None:
    findings = lint_pattern({"source": ["aws.s3"], "detail-type": ["AWS API Call via CloudTrail"],
                             "detail": {"eventSorce": ["s3.amazonaws.com"]}})
    assert [(f.code, f.severity) for f in findings] == [("EM103", "warning")]


def test_lint_on_the_command_line(tmp_path: Path) -> None:
    clean = run("lint", json.dumps(DOCUMENTED[0]))
    assert clean.returncode == 0, clean.stderr
    bad = json.dumps({**EC2, "detail": {"State": ["running"]}})
    found = run("lint", bad)
    assert found.returncode == 1 and "EM103 error" in found.stdout and "detail.State" in found.stdout
    as_json = json.loads(run("lint", "--format", "json", bad).stdout)
    assert [(f["code"], f["severity"], f["path"]) for f in as_json] == [("EM103", "error", "detail.State")]
    assert set(as_json[0]) == {"code", "severity", "message", "rule", "path", "file", "line", "column"}
    sarif = json.loads(run("lint", "--format", "sarif", bad).stdout)
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"][0]["ruleId"] == "EM103"
    assert {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]} == set(CODES)
    assert run("lint", "--ignore", "EM103", bad).returncode == 0
    assert run("lint", "--select", "EM10", bad).returncode == 1
    assert run("lint", "--select", "EM999", bad).returncode == 2
    assert run("lint").returncode == 2
    template = run("lint", "--template", str(TEMPLATES / "sam-orders.yaml"))
    assert template.returncode == 0, template.stdout + template.stderr


def test_a_rule_whose_events_come_back_to_its_bus_is_an_infinite_loop(tmp_path: Path) -> None:
    """EM107: Echo targets its own bus (an error); ToAudit and Back forward billing events between two buses
    (a warning each); with disjoint sources the chain cannot loop, and nothing is found."""
    findings = lint_template(str(TEMPLATES / "loops.yaml"))
    assert [(f.code, f.severity, f.rule) for f in findings] == [
        ("EM107", "error", "Echo"), ("EM107", "warning", "ToAudit"), ("EM107", "warning", "Back")]
    assert "ToAudit -> Back -> ToAudit" in findings[1].message
    disjoint = tmp_path / "disjoint.yaml"
    text = (TEMPLATES / "loops.yaml").read_text()
    disjoint.write_text(text.replace('source: ["billing"]\n      Targets:\n        - Id: back',
                                     'source: ["refunds"]\n      Targets:\n        - Id: back'))
    assert [(f.code, f.rule) for f in lint_template(str(disjoint))] == [("EM107", "Echo")]


def test_template_findings_carry_the_line_and_column_of_the_field(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text((TEMPLATES / "cfn-ops.json").read_text().replace('"detail": {"state"', '"detail": {"State"'))
    (finding,) = lint_template(str(broken))
    line = next(n for n, text in enumerate(broken.read_text().splitlines(), 1) if '"State": ["terminated"]' in text)
    assert (finding.code, finding.rule, finding.line) == ("EM103", "ec2-terminated", line)
    assert broken.read_text().splitlines()[line - 1][finding.column - 1:].startswith('"State"')  # type: ignore[operator]
    shown = run("lint", "--template", str(broken))
    assert shown.stdout.startswith(f"{broken}:{line}:{finding.column}: EM103 error [ec2-terminated]")
    yaml_loops = lint_template(str(TEMPLATES / "loops.yaml"))
    assert all(f.line is not None and f.column is not None for f in yaml_loops)


def test_lint_a_running_servers_rules() -> None:
    pytest.importorskip("starlette")
    from eventmatch import EventBridge
    from eventmatch.server import Server
    from tests.aws_clients import client

    with Server(EventBridge()) as server:
        events = client("events", server.endpoint_url)
        events.create_event_bus(Name="orders")
        events.put_rule(Name="fine", EventPattern=json.dumps(DOCUMENTED[0]))
        events.put_rule(Name="typo", EventBusName="orders", EventPattern=json.dumps({**EC2, "detail": {"State": ["x"]}}))
        events.put_rule(Name="echo", EventBusName="orders", EventPattern='{"source": ["shop"]}')
        events.put_targets(Rule="echo", EventBusName="orders", Targets=[
            {"Id": "self", "Arn": events.describe_event_bus(Name="orders")["Arn"]}])
        shown = run("lint", "--endpoint-url", server.endpoint_url, "--format", "json")
        assert shown.returncode == 1, shown.stderr
        found = sorted((f["code"], f["rule"], f["path"]) for f in json.loads(shown.stdout))
        assert found == [("EM103", "orders/typo", "detail.State"), ("EM107", "orders/echo", "")]
    assert run("lint", "--endpoint-url", server.endpoint_url).returncode == 2  # nothing there now


def test_a_finding_is_silenced_for_one_rule_by_its_resources_metadata(tmp_path: Path) -> None:
    text = (TEMPLATES / "loops.yaml").read_text().replace(
        "  Echo:\n    Type: AWS::Events::Rule\n",
        "  Echo:\n    Type: AWS::Events::Rule\n    Metadata:\n      eventmatch:\n        lint:\n          ignore: [EM107]\n")
    silenced = tmp_path / "silenced.yaml"
    silenced.write_text(text)
    assert [(f.code, f.rule) for f in lint_template(str(silenced))] == [("EM107", "ToAudit"), ("EM107", "Back")]


def test_every_catalogue_type_has_a_sample_event_that_its_own_rule_matches() -> None:
    from eventmatch import test_event_pattern
    from eventmatch.schemas import sample_event

    for event_type in aws_catalogue():
        event = sample_event(aws_catalogue(), event_type.source, event_type.detail_type)
        assert set(event["detail"]) == set(event_type.detail.fields)
        rule = {"source": [event_type.source], "detail-type": [event_type.detail_type]}
        assert test_event_pattern(json.dumps(event), rule)
        for name, field in event_type.detail.fields.items():  # each field's value has the field's kind
            value = event["detail"][name]
            kind = {str: "string", bool: "boolean", int: "number", dict: "object", list: "array"}[type(value)]
            assert field.kind in (kind, "any"), (event_type.detail_type, name, field.kind, kind)


def test_sample_on_the_command_line(tmp_path: Path) -> None:
    shown = run("sample", "aws.ec2", "EC2 Instance State-change Notification")
    assert shown.returncode == 0
    event = json.loads(shown.stdout)
    assert set(event["detail"]) == {"instance-id", "state"}
    (tmp_path / "event.json").write_text(shown.stdout)
    pattern = json.dumps({"source": ["aws.ec2"], "detail": {"state": [{"exists": True}]}})
    assert run("test", pattern, str(tmp_path / "event.json")).returncode == 0  # usable by eventmatch test
    wrong = run("sample", "aws.ec2", "EC2 Instance State Change")
    assert wrong.returncode == 2 and "closest: 'EC2 Instance State-change Notification'" in wrong.stderr


def test_a_value_outside_a_fields_documented_enum_never_matches(tmp_path: Path) -> None:
    """Issue 36: a value outside the enum a schema documents for a field (an OpenAPI or JSON Schema ``enum``,
    from a user's schema: AWS's catalogue lists none) is EM106, with the closest allowed value; allowed values
    are clean."""
    from eventmatch.schemas import load_schemas

    schema = {"openapi": "3.0.0", "info": {"version": "1", "title": "Order"}, "paths": {}, "components": {
        "schemas": {"AWSEvent": {"type": "object", "x-amazon-events-source": "shop",
                                 "x-amazon-events-detail-type": "Order",
                                 "properties": {"detail": {"$ref": "#/components/schemas/Order"}}},
                    "Order": {"type": "object", "properties": {
                        "status": {"type": "string", "enum": ["placed", "paid", "shipped"]},
                        "priority": {"type": "integer", "enum": [1, 2, 3]}}}}}}
    path = tmp_path / "order.json"
    path.write_text(json.dumps(schema))
    catalogue = load_schemas([path])
    base = {"source": ["shop"], "detail-type": ["Order"]}
    found = lint_pattern({**base, "detail": {"status": ["payed"], "priority": [4]}}, catalogue=catalogue)
    assert [(f.code, f.severity, f.path) for f in found] == [("EM106", "error", "detail.status"),
                                                             ("EM106", "error", "detail.priority")]
    assert "closest: " in found[0].message and "'paid'" in found[0].message.split("closest: ")[1]
    assert lint_pattern({**base, "detail": {"status": ["paid", {"prefix": "sh"}], "priority": [1]}},
                        catalogue=catalogue) == []


def test_lint_a_running_server_against_its_schemas_registries() -> None:
    """``lint --endpoint-url`` checks the server's rules against its EventBridge Schemas registries too: the
    schemas a discoverer found on a bus, and a registry of one's own (an ``enum`` there included)."""
    pytest.importorskip("starlette")
    from eventmatch import EventBridge
    from eventmatch.server import Server
    from tests.aws_clients import client

    with Server(EventBridge()) as server:
        events, schemas = client("events", server.endpoint_url), client("schemas", server.endpoint_url)
        schemas.create_discoverer(SourceArn=events.describe_event_bus()["Arn"])
        events.put_events(Entries=[{"Source": "shop", "DetailType": "Order Placed",
                                    "Detail": json.dumps({"orderId": "o-1", "total": 3})}])
        server.deliveries()
        schemas.create_registry(RegistryName="mine")
        schemas.create_schema(RegistryName="mine", SchemaName="crm@Contact", Type="OpenApi3", Content=json.dumps({
            "openapi": "3.0.0", "info": {"version": "1", "title": "Contact"}, "paths": {}, "components": {"schemas": {
                "AWSEvent": {"type": "object", "x-amazon-events-source": "crm", "x-amazon-events-detail-type":
                             "Contact", "properties": {"detail": {"$ref": "#/components/schemas/Contact"}}},
                "Contact": {"type": "object", "properties": {"kind": {"type": "string",
                                                                       "enum": ["lead", "customer"]}}}}}}))
        events.put_rule(Name="renamed", EventPattern=json.dumps(
            {"source": ["shop"], "detail-type": ["Order Placed"], "detail": {"order_id": [{"exists": True}]}}))
        events.put_rule(Name="not-a-kind", EventPattern=json.dumps(
            {"source": ["crm"], "detail-type": ["Contact"], "detail": {"kind": ["prospect"]}}))
        events.put_rule(Name="fine", EventPattern=json.dumps(
            {"source": ["shop"], "detail-type": ["Order Placed"], "detail": {"total": [{"numeric": [">", 1]}]}}))
        shown = run("lint", "--endpoint-url", server.endpoint_url, "--format", "json")
        found = sorted((f["code"], f["rule"], f["path"]) for f in json.loads(shown.stdout))
        assert found == [("EM103", "default/renamed", "detail.order_id"),
                         ("EM106", "default/not-a-kind", "detail.kind")], shown.stdout
