"""Schedule expressions: ``rate(...)``, AWS's six-field ``cron(...)`` and ``at(...)``."""

from .parse import InvalidScheduleExpressionError, Schedule, parse_schedule

__all__ = ["InvalidScheduleExpressionError", "Schedule", "parse_schedule"]
