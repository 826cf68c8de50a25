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

from collections.abc import Mapping
from typing import Any

from .bus import EventBridge, EventBus, PermanentDeliveryError, RetryPolicy, VirtualClock
from .errors import (
    BusError,
    ConflictError,
    EventmatchError,
    IllegalStatusError,
    InvalidEventError,
    InvalidEventPatternError,
    LimitExceededError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
    ValidationError,
)
from .event import check_envelope, load_event
from .pattern import Explanation, Pattern, RuleSet, compile_pattern, explain
from .schedule import InvalidScheduleExpressionError, Schedule, parse_schedule

__version__ = "0.1.0"


def test_event_pattern(
    event: str | bytes | bytearray | Mapping[str, Any],
    pattern: str | bytes | bytearray | Mapping[str, Any] | Pattern,
) -> bool:
    """AWS's TestEventPattern: whether ``event`` matches ``pattern``.

    Both may be JSON text or a dict. Raises
    :class:`InvalidEventPatternError` for an invalid pattern and
    :class:`InvalidEventError` (``Parameter Event is not valid.``) for an event
    that is not a JSON object with the envelope fields AWS requires (id,
    account, source, time, region, detail-type).
    """
    compiled = pattern if isinstance(pattern, Pattern) else compile_pattern(pattern)
    loaded = load_event(event)
    check_envelope(loaded)
    return compiled.matches(loaded)


test_event_pattern.__test__ = False  # type: ignore[attr-defined]  # not a pytest test

__all__ = [
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
