"""ARNs as AWS writes them: the partition of a region, and an ARN from its parts.

>>> partition("eu-west-1"), partition("cn-north-1"), partition("us-gov-west-1")
('aws', 'aws-cn', 'aws-us-gov')
>>> arn("events", "cn-north-1", "123456789012", "event-bus/default")
'arn:aws-cn:events:cn-north-1:123456789012:event-bus/default'
"""

from __future__ import annotations

#: region prefixes of the partitions other than ``aws`` (AWS's partitions: aws, aws-cn, aws-us-gov, and the
#: isolated ones, whose regions start as their names do)
PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-iso-", "aws-iso"), ("us-isob-", "aws-iso-b"),
              ("eu-isoe-", "aws-iso-e"), ("us-isof-", "aws-iso-f"))


def partition(region: str) -> str:
    """The partition a region belongs to: ``aws`` for most, ``aws-cn`` for cn-*, ``aws-us-gov`` for us-gov-*."""
    for prefix, name in PARTITIONS:
        if region.startswith(prefix):
            return name
    return "aws"


def arn(service: str, region: str, account: str, resource: str) -> str:
    """``arn:<partition>:<service>:<region>:<account>:<resource>``, the partition being the region's."""
    return f"arn:{partition(region)}:{service}:{region}:{account}:{resource}"


__all__ = ["PARTITIONS", "arn", "partition"]
