"""EventBridge Scheduler: schedule groups and schedules that fire on an EventBridge's clock (see :mod:`.service`)."""

from .models import Schedule, ScheduleGroup
from .service import DEFAULT_GROUP, Scheduler

__all__ = ["DEFAULT_GROUP", "Schedule", "ScheduleGroup", "Scheduler"]
