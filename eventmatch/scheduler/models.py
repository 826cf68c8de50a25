"""EventBridge Scheduler's resources as models: a schedule group and a schedule, with the shapes GetSchedule,
GetScheduleGroup and ListSchedules describe them in."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import EventmatchError, ValidationError
from ..schedule import parse_schedule

if TYPE_CHECKING:
    from ..schedule.parse import Schedule as Timing

#: what an ARN looks like (arn:partition:service:region:account:resource; region and account may be empty, as in
#: Scheduler's universal targets, arn:aws:scheduler:::aws-sdk:sqs:sendMessage)
_ARN = re.compile(r"^arn:[a-z][a-z-]*:[a-z0-9][a-z0-9-]*:[a-z0-9-]*:\d*:.+$")


@dataclass(frozen=True)
class ScheduleGroup:
    name: str
    arn: str
    created: datetime
    modified: datetime
    state: str = "ACTIVE"

    def describe(self) -> dict[str, Any]:
        return {"Arn": self.arn, "Name": self.name, "State": self.state, "CreationDate": self.created,
                "LastModificationDate": self.modified}


@dataclass(frozen=True)
class Schedule:
    """One schedule, as GetSchedule describes it (``timing``: its expression parsed)."""

    name: str
    group: str
    arn: str
    expression: str
    timing: Timing
    target: dict[str, Any]
    flexible_window: dict[str, Any]
    timezone: str = "UTC"
    state: str = "ENABLED"
    start: datetime | None = None
    end: datetime | None = None
    description: str | None = None
    kms_key_arn: str | None = None
    action_after_completion: str = "NONE"
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Arn": self.arn, "GroupName": self.group, "Name": self.name, "ScheduleExpression": self.expression,
            "ScheduleExpressionTimezone": self.timezone, "State": self.state, "CreationDate": self.created,
            "LastModificationDate": self.modified, "Target": self.target, "FlexibleTimeWindow": self.flexible_window,
            "ActionAfterCompletion": self.action_after_completion,
        }
        for key, value in (("StartDate", self.start), ("EndDate", self.end), ("Description", self.description),
                           ("KmsKeyArn", self.kms_key_arn)):
            if value is not None:
                out[key] = value
        return out

    def summary(self) -> dict[str, Any]:
        """As ListSchedules lists it."""
        return {"Arn": self.arn, "GroupName": self.group, "Name": self.name, "State": self.state,
                "CreationDate": self.created, "LastModificationDate": self.modified,
                "Target": {"Arn": self.target.get("Arn")}}


def build_schedule(name: str, group: str, arn: str, expression: str, target: Mapping[str, Any],
                   window: Mapping[str, Any] | None, options: Mapping[str, Any],
                   now: Callable[[], datetime]) -> Schedule:
    """A schedule from CreateSchedule's or UpdateSchedule's settings, each checked as Scheduler checks it
    (ValidationError naming what is wrong); ``now`` gives its creation time, asked once it is valid."""
    unknown = set(options) - {"ScheduleExpressionTimezone", "StartDate", "EndDate", "State", "Description",
                              "KmsKeyArn", "ActionAfterCompletion"}
    if unknown:
        raise ValidationError(f"Unknown schedule settings: {', '.join(sorted(unknown))}.")
    timezone = options.get("ScheduleExpressionTimezone") or "UTC"
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"Invalid ScheduleExpressionTimezone {timezone}.") from None
    if not isinstance(target, Mapping) or not target.get("Arn") or not target.get("RoleArn"):
        raise ValidationError("Target must have an Arn and a RoleArn.")
    for member in ("Arn", "RoleArn"):  # (AWS's own message is not recorded: docs/scheduler.md says so)
        if not isinstance(target[member], str) or not _ARN.match(target[member]):
            raise ValidationError(f"Invalid Target {member} {target[member]}: it is not an ARN.")
    window = dict(window or {"Mode": "OFF"})
    mode = window.get("Mode")
    if mode not in ("OFF", "FLEXIBLE"):
        raise ValidationError(f"Invalid FlexibleTimeWindow Mode {mode}: OFF or FLEXIBLE.")
    minutes = window.get("MaximumWindowInMinutes")
    if mode == "FLEXIBLE" and not (isinstance(minutes, int) and 1 <= minutes <= 1440):
        raise ValidationError("MaximumWindowInMinutes must be between 1 and 1440 when Mode is FLEXIBLE.")
    if mode == "OFF" and minutes is not None:
        raise ValidationError("MaximumWindowInMinutes can only be given when Mode is FLEXIBLE.")
    state = options.get("State") or "ENABLED"
    if state not in ("ENABLED", "DISABLED"):
        raise ValidationError(f"Invalid State {state}: ENABLED or DISABLED.")
    after = options.get("ActionAfterCompletion") or "NONE"
    if after not in ("NONE", "DELETE"):
        raise ValidationError(f"Invalid ActionAfterCompletion {after}: NONE or DELETE.")
    start, end = _when(options.get("StartDate"), "StartDate"), _when(options.get("EndDate"), "EndDate")
    if start is not None and end is not None and end <= start:
        raise ValidationError("The EndDate must be after the StartDate.")
    try:
        timing = parse_schedule(str(expression), str(timezone), start=start, end=end, service="scheduler")
    except EventmatchError:
        raise ValidationError(f"Invalid Schedule Expression {expression}.") from None
    retry = target.get("RetryPolicy") or {}
    attempts, age = retry.get("MaximumRetryAttempts", 185), retry.get("MaximumEventAgeInSeconds", 86400)
    if not (isinstance(attempts, int) and 0 <= attempts <= 185):
        raise ValidationError("MaximumRetryAttempts must be between 0 and 185.")
    if not (isinstance(age, int) and 60 <= age <= 86400):
        raise ValidationError("MaximumEventAgeInSeconds must be between 60 and 86400.")
    target = {**target, "RetryPolicy": {"MaximumEventAgeInSeconds": age, "MaximumRetryAttempts": attempts}}
    created = now()
    return Schedule(
        name=name, group=group, arn=arn, expression=str(expression),
        timing=timing, target=dict(target), flexible_window=window, timezone=str(timezone), state=state,
        start=start, end=end, description=options.get("Description"), kms_key_arn=options.get("KmsKeyArn"),
        action_after_completion=after, created=created, modified=created,
    )


def _when(value: Any, what: str) -> datetime | None:
    """A date given as a datetime, epoch seconds (the wire) or ISO 8601 text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValidationError(f"Invalid {what} {value!r}: a timestamp.")


__all__ = ["Schedule", "ScheduleGroup", "build_schedule"]
