"""eventmatch: Amazon EventBridge event patterns, in process and offline.

>>> import eventmatch
>>> eventmatch.test_event_pattern(
...     {"id": "1", "account": "123456789012", "source": "aws.ec2", "time": "2024-01-01T00:00:00Z",
...      "region": "us-east-1", "detail-type": "EC2 Instance State-change Notification",
...      "resources": [], "detail": {"state": "terminated"}},
...     {"source": ["aws.ec2"], "detail": {"state": ["terminated"]}})
True
"""

from __future__ import annotations

from .bus import EventBridge, EventBus, PermanentDeliveryError, RetryPolicy, VirtualClock
from .errors import (
    AccessDeniedError,
    BusError,
    ConflictError,
    EventmatchError,
    IllegalStatusError,
    InvalidEventError,
    InvalidEventPatternError,
    LimitExceededError,
    ManagedRuleError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
    ValidationError,
)
from .pattern import Explanation, Pattern, RuleSet, compile_pattern, explain
from .pattern.check import test_event_pattern
from .schedule import InvalidScheduleExpressionError, Schedule, parse_schedule
from .version import __version__

__all__ = [
    "AccessDeniedError",
    "BusError",
    "ConflictError",
    "EventBridge",
    "EventBus",
    "EventmatchError",
    "Explanation",
    "IllegalStatusError",
    "InvalidEventError",
    "InvalidEventPatternError",
    "InvalidScheduleExpressionError",
    "LimitExceededError",
    "ManagedRuleError",
    "Pattern",
    "PermanentDeliveryError",
    "ResourceAlreadyExistsError",
    "ResourceNotFoundError",
    "RetryPolicy",
    "RuleSet",
    "Schedule",
    "ValidationError",
    "VirtualClock",
    "__version__",
    "compile_pattern",
    "explain",
    "parse_schedule",
    "test_event_pattern",
]
