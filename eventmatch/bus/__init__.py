"""The event bus: PutEvents, rules and targets, input transformers, retries, dead letters, archives,
replays, scheduled rules and metrics. See :class:`EventBridge`.

The modules, one responsibility each: :mod:`.bridge` (the service and its buses),
:mod:`.registry` (a bus's rules and targets), :mod:`.targets` (what a target is and how
one is described), :mod:`.router` (the one path from an event to targets),
:mod:`.delivery` (calls, retries, timeouts, dead letters), :mod:`.schedules`
(scheduled rules), :mod:`.archive` and :mod:`.replay`, :mod:`.entries` (PutEvents
entries), :mod:`.transform` (Input, InputPath, InputTransformer), :mod:`.metrics`,
:mod:`.clock` and :mod:`.tickets`.
"""

from .bridge import EventBridge
from .clock import Clock, SystemClock, VirtualClock
from .metrics import Metrics
from .registry import EventBus, Rule
from .targets import CallableTarget, PermanentDeliveryError, RetriableDeliveryError, RetryPolicy, Target
from .tickets import Ticket

__all__ = [
    "CallableTarget",
    "Clock",
    "EventBridge",
    "EventBus",
    "Metrics",
    "PermanentDeliveryError",
    "RetriableDeliveryError",
    "RetryPolicy",
    "Rule",
    "SystemClock",
    "Target",
    "Ticket",
    "VirtualClock",
]
