"""One invocation of a schedule on its way to its target: a :class:`~eventmatch.bus.delivery.Job` of the
bridge's delivery engine, which calls, retries (the target's RetryPolicy, with the rule targets' backoff),
runs on lanes and dead-letters it as it does a rule's delivery. What is Scheduler's own is here: the payload
(the Input with the context attributes, the attempt number counting from 1), the dead letter's
``X-Amz-Scheduler-*`` attributes, Scheduler's metrics, the record of each attempt, and the journal that keeps
an invocation until it is final."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from ..bus.delivery import Job, RetryJournal
from ..bus.metrics import Metrics
from ..bus.targets import Target
from .models import Schedule

CONTEXT = ("<aws.scheduler.schedule-arn>", "<aws.scheduler.scheduled-time>", "<aws.scheduler.execution-id>",
           "<aws.scheduler.attempt-number>")

#: the delivery engine's metric names, as Scheduler's (namespace AWS/Scheduler) count them
METRICS = {"InvocationAttempts": "InvocationAttemptCount", "InvocationsSentToDlq": "InvocationsSentToDeadLetterCount",
           "InvocationsFailedToBeSentToDlq": "InvocationsFailedToBeSentToDeadLetterCount"}


class InvocationJournal(Protocol):
    """Where invocations not final yet are written (the server's state), so that a restart resumes each at
    its attempt and due time (see Scheduler.resume)."""

    def pending(self, execution: str, record: dict[str, Any]) -> None:
        """The invocation ``execution`` waits for its attempt ``record["attempt"]``, due at ``record["due"]``."""

    def settled(self, execution: str) -> None:
        """The invocation is final: delivered, dead-lettered or given up."""


@dataclass
class Invocation(Job):
    """One invocation of ``schedule`` (``attempt`` counts retries from 0; Scheduler's attempt number is one
    more); ``ingested`` is its scheduled time, from which its age counts."""

    schedule: Schedule
    target: Target
    ingested: datetime
    execution: str
    #: when this attempt was due
    invoked: datetime
    #: the Scheduler's record of attempts, its metrics, and its journal (None: not kept)
    log: deque[dict[str, Any]]
    metrics: Metrics
    journal: InvocationJournal | None = None
    attempt: int = 0
    _payload: Any = field(default=None, repr=False)

    def payload(self) -> Any:
        self._payload = payload_of(self.schedule, self.ingested, self.execution, self.attempt + 1)
        return self._payload

    def count(self, metrics: Metrics, metric: str) -> None:
        name = METRICS.get(metric)
        if metric == "FailedInvocations" and self.target.dead_letter is None:
            name = "InvocationDroppedCount"  # given up, with nowhere to send it
        if name is not None:
            self.metrics.count(self.schedule.group, self.schedule.name, name)

    def dead_letter_attributes(self, code: str, message: str, retriable: bool) -> dict[str, Any]:
        error_code, _, error_message = message.partition(": ") if code == "TARGET_ERROR" else (code, "", message)
        return {"X-Amz-Scheduler-Attempt": str(self.attempt + 1), "X-Amz-Scheduler-Schedule-Arn": self.schedule.arn,
                "X-Amz-Scheduler-Target-Arn": str(self.schedule.target.get("Arn")),
                "X-Amz-Scheduler-Group": self.schedule.group, "X-Amz-Scheduler-Error-Code": error_code,
                "X-Amz-Scheduler-Error-Message": error_message or message}

    def again(self) -> Invocation:
        return replace(self, attempt=self.attempt + 1, _payload=None)

    def waiting(self, journal: RetryJournal | None, due: datetime) -> None:
        self.invoked = due
        if self.journal is not None:
            self.journal.pending(self.execution, self.record())

    def over(self, journal: RetryJournal | None) -> None:
        if self.journal is not None:
            self.journal.settled(self.execution)

    def attempted(self, error: str | None) -> None:
        made: dict[str, Any] = {"ScheduleArn": self.schedule.arn, "ScheduledTime": self.ingested,
                                "Attempt": self.attempt + 1, "InvokedTime": self.invoked,
                                "ExecutionId": self.execution}
        if error is None:
            made.update(Outcome="SUCCEEDED", Payload=self._payload)
        else:
            made.update(Outcome="FAILED", Error=error)
            self.metrics.count(self.schedule.group, self.schedule.name, "TargetErrorCount")
        self.log.append(made)

    def record(self) -> dict[str, Any]:
        """What a journal keeps of it: enough to make its next attempt after a restart."""
        schedule = self.schedule
        return {"group": schedule.group, "name": schedule.name, "arn": schedule.arn, "expression": schedule.expression,
                "target": schedule.target, "nominal": self.ingested.isoformat(), "attempt": self.attempt + 1,
                "due": self.invoked.isoformat(), "execution": self.execution}


def payload_of(schedule: Schedule, scheduled: datetime, execution: str, attempt: int) -> Any:
    """What the target receives: the Input with the context attributes put in (JSON when it is JSON)."""
    text = schedule.target.get("Input")
    if text is None:
        return {}
    values = (schedule.arn, scheduled.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), execution, str(attempt))
    for attribute, value in zip(CONTEXT, values, strict=True):
        text = text.replace(attribute, value)
    try:
        return json.loads(text)
    except ValueError:
        return text


__all__ = ["CONTEXT", "Invocation", "InvocationJournal", "payload_of"]
