"""Sample events for the sandbox: the common AWS events, in the shapes AWS's documentation shows."""

from __future__ import annotations

from typing import Any

_ENVELOPE = {"version": "0", "account": "123456789012", "region": "us-east-1", "time": "2026-01-01T12:00:00Z"}


def _event(event_id: str, source: str, detail_type: str, resources: list[str],
           detail: dict[str, Any]) -> dict[str, Any]:
    return {**_ENVELOPE, "id": event_id, "detail-type": detail_type, "source": source, "resources": resources,
            "detail": detail}


#: (name, event)
SAMPLES: list[tuple[str, dict[str, Any]]] = [
    ("EC2 Instance State-change Notification", _event(
        "7bf73129-1428-4cd3-a780-95db273d1602", "aws.ec2", "EC2 Instance State-change Notification",
        ["arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890abcdef0"],
        {"instance-id": "i-1234567890abcdef0", "state": "terminated"})),
    ("S3 Object Created", _event(
        "17793124-05d4-b198-2fde-7ededc63b103", "aws.s3", "Object Created", ["arn:aws:s3:::example-bucket"],
        {"version": "0", "bucket": {"name": "example-bucket"},
         "object": {"key": "example-key", "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184",
                    "sequencer": "0062E99A88DC407460"},
         "request-id": "N4N7GDK58NMKJ12R", "requester": "123456789012", "source-ip-address": "1.2.3.4",
         "reason": "PutObject"})),
    ("Scheduled Event", _event(
        "89d1a02d-5ec7-412e-82f5-13505f849b41", "aws.events", "Scheduled Event",
        ["arn:aws:events:us-east-1:123456789012:rule/hourly"], {})),
    ("CodePipeline Pipeline Execution State Change", _event(
        "01234567-EXAMPLE", "aws.codepipeline", "CodePipeline Pipeline Execution State Change",
        ["arn:aws:codepipeline:us-east-1:123456789012:myPipeline"],
        {"pipeline": "myPipeline", "version": 1, "state": "FAILED",
         "execution-id": "01234567-0123-0123-0123-012345678901"})),
    ("AWS Console Sign In via CloudTrail", _event(
        "6f87d04b-9f74-4f04-a780-7acf4b0a9b38", "aws.signin", "AWS Console Sign In via CloudTrail", [],
        {"eventVersion": "1.08", "userIdentity": {"type": "IAMUser", "userName": "alice"},
         "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "awsRegion": "us-east-1",
         "sourceIPAddress": "192.0.2.0", "responseElements": {"ConsoleLogin": "Success"}})),
]

__all__ = ["SAMPLES"]
