"""EventBridge Scheduler: schedule groups and schedules that fire on an EventBridge's clock (see :mod:`.service`)."""

from .service import DEFAULT_GROUP, Schedule, ScheduleGroup, Scheduler

__all__ = ["DEFAULT_GROUP", "Schedule", "ScheduleGroup", "Scheduler"]
