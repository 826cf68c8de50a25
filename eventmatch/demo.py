"""The demo: the examples EventBridge users meet first, run offline.

``python -m eventmatch demo`` (or ``make demo``) compiles a few rules into
one :class:`~eventmatch.RuleSet` and shows which rules each sample event
matches, then shows an invalid pattern rejected with AWS's message.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TextIO

from . import RuleSet, parse_schedule, test_event_pattern
from .bus import EventBridge, VirtualClock
from .errors import InvalidEventPatternError

RULES: dict[str, dict[str, Any]] = {
    # The classic: EC2 instances that terminated.
    "ec2-terminated": {
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
        "detail": {"state": ["terminated"]},
    },
    # Orders over 100 from anywhere but the test stores, on a custom bus's events.
    "big-orders": {
        "source": [{"prefix": "com.example."}],
        "detail": {"total": [{"numeric": [">", 100]}], "store": [{"anything-but": {"prefix": "test-"}}]},
    },
    # Logins from outside the office network, or by root.
    "suspicious-login": {
        "detail-type": ["Console Login"],
        "$or": [
            {"detail": {"sourceIPAddress": [{"anything-but": {"prefix": "10."}}]}},
            {"detail": {"userIdentity": {"type": ["Root"]}}},
        ],
    },
    # Any S3 object whose key is a PNG anywhere under the uploads folder.
    "png-uploads": {"source": ["aws.s3"], "detail": {"object": {"key": [{"wildcard": "uploads/*.png"}]}}},
}


def _envelope(source: str, detail_type: str, detail: dict[str, Any], **extra: Any) -> dict[str, Any]:
    event = {
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-11-25T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }
    event.update(extra)
    return event


EVENTS: list[dict[str, Any]] = [
    _envelope(
        "aws.ec2",
        "EC2 Instance State-change Notification",
        {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
        resources=["arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890abcdef0"],
    ),
    _envelope("aws.ec2", "EC2 Instance State-change Notification", {"instance-id": "i-0abc", "state": "running"}),
    _envelope("com.example.shop", "Order Placed", {"total": 250.0, "store": "berlin-1"}),
    _envelope("com.example.shop", "Order Placed", {"total": 250.0, "store": "test-berlin"}),
    _envelope("aws.signin", "Console Login", {"sourceIPAddress": "203.0.113.7", "userIdentity": {"type": "IAMUser"}}),
    _envelope("aws.signin", "Console Login", {"sourceIPAddress": "10.1.2.3", "userIdentity": {"type": "Root"}}),
    _envelope("aws.s3", "Object Created", {"object": {"key": "uploads/2026/cat.png"}}),
]


def run(out: TextIO) -> int:
    rules = RuleSet()
    for name, pattern in RULES.items():
        rules.add(name, pattern)
    out.write(f"eventmatch demo: {len(rules)} rules compiled into one machine\n\n")
    for name, pattern in RULES.items():
        out.write(f"  {name}: {json.dumps(pattern)}\n")
    out.write("\nEvents and the rules they match:\n")
    for event in EVENTS:
        summary = f"{event['source']} / {event['detail-type']} / {json.dumps(event['detail'])}"
        matched = rules.matching(event)
        out.write(f"  {summary}\n      -> {', '.join(matched) if matched else '(no rule)'}\n")

    out.write("\nScheduled rules, from 2026-11-25 10:07 UTC:\n")
    now = datetime(2026, 11, 25, 10, 7, tzinfo=UTC)
    for expression, tz in (
        ("rate(1 hour)", "UTC"),
        ("cron(0 12 * * ? *)", "UTC"),
        ("cron(0 9 ? * MON-FRI *)", "Europe/Berlin"),
    ):
        schedule = parse_schedule(expression, tz, start=now)  # a rate counts from the rule's creation, as AWS's
        fires = [t.isoformat() for _, t in zip(range(3), schedule.iter(now), strict=False)]
        out.write(f"  {expression} [{tz}] ({schedule.describe()}):\n      {', '.join(fires)}\n")

    out.write("\nTestEventPattern, as the AWS API answers it:\n")
    verdict = test_event_pattern(EVENTS[0], RULES["ec2-terminated"])
    out.write(f"  ec2-terminated on the first event: {verdict}\n")
    bad = {"detail": {"state": [{"numeric": [">", 0, ">", 5]}]}}
    try:
        test_event_pattern(EVENTS[0], bad)
    except InvalidEventPatternError as exc:
        out.write(f"  an invalid pattern {json.dumps(bad)}:\n      {str(exc).splitlines()[0]}\n")
    run_bus(out)
    return 0


def run_bus(out: TextIO) -> None:
    """A default bus and a custom bus, with targets, an input transformer and a scheduled rule."""
    clock = VirtualClock(datetime(2026, 11, 25, 10, 7, tzinfo=UTC))
    bridge = EventBridge(clock=clock)
    default, shop = bridge.bus(), bridge.create_event_bus("shop")

    def target(label: str) -> Any:
        def receive(payload: Any) -> None:
            shown = payload if isinstance(payload, str) else json.dumps(payload)
            out.write(f"  [{clock.now():%H:%M}] {label} <- {shown}\n")

        return receive

    default.put_rule("ec2-terminated", RULES["ec2-terminated"])
    default.put_targets(
        "ec2-terminated",
        [
            {"Id": "audit-log", "Fn": target("audit-log (whole event, id only shown)"), "InputPath": "$.id"},
            {
                "Id": "pager",
                "Fn": target("pager"),
                "InputTransformer": {
                    "InputPathsMap": {"instance": "$.detail.instance-id", "state": "$.detail.state"},
                    "InputTemplate": '"Instance <instance> is now <state> (rule <aws.events.rule-name>)"',
                },
            },
        ],
    )
    default.put_rule("hourly-report", schedule_expression="rate(1 hour)")
    default.put_targets("hourly-report", [{"Id": "report", "Fn": target("hourly-report"), "InputPath": "$.time"}])
    default.put_rule("noon-digest", schedule_expression="cron(0 12 * * ? *)")
    default.put_targets(
        "noon-digest",
        [
            {
                "Id": "digest",
                "Fn": target("noon-digest"),
                "InputTransformer": {"InputPathsMap": {"t": "$.time"}, "InputTemplate": '{"digest_at": <t>}'},
            }
        ],
    )
    shop.put_rule("big-orders", RULES["big-orders"])
    shop.put_targets("big-orders", [{"Id": "fulfilment", "Fn": target("fulfilment"), "InputPath": "$.detail"}])

    out.write("\nThe event bus, on a virtual clock (default bus and a custom bus 'shop'):\n")
    ec2 = EVENTS[0]
    response = bridge.put_events(
        [
            {"Source": "com.example.ec2-mirror", "DetailType": ec2["detail-type"], "Detail": json.dumps(ec2["detail"])},
            {
                "Source": "com.example.shop",
                "DetailType": "Order Placed",
                "Detail": json.dumps({"total": 250, "store": "b-1"}),
                "EventBusName": "shop",
            },
            {"Source": "com.example.shop", "DetailType": "Order Placed", "Detail": "not json", "EventBusName": "shop"},
        ]
    )
    out.write(f"  PutEvents response: {json.dumps(response)[:160]}...\n")
    bridge.publish(ec2)  # an already-built event (AWS's own source), as embedded applications do
    bridge.advance(3 * 3600)  # three hours pass: the scheduled rules fire
    out.write(f"  metrics: {json.dumps(bridge.metrics.snapshot())[:200]}...\n")
