"""The event bus: PutEvents, rules and targets, input transformers, retries, dead letters, archives,
replays, scheduled rules and metrics. See :class:`EventBridge`."""

from .bus import EventBridge, EventBus, PermanentDeliveryError, RetryPolicy, Rule, Target, Ticket
from .clock import Clock, SystemClock, VirtualClock
from .metrics import Metrics

__all__ = [
    "Clock",
    "EventBridge",
    "EventBus",
    "Metrics",
    "PermanentDeliveryError",
    "RetryPolicy",
    "Rule",
    "SystemClock",
    "Target",
    "Ticket",
    "VirtualClock",
]
