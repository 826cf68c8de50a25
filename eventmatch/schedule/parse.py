"""``parse_schedule``: rate, cron and at expressions with time zones.

Time zones follow EventBridge Scheduler's documented daylight-saving rules: a
cron fire time that falls in the hour skipped by spring-forward does not fire;
one in the hour repeated by fall-back fires once (at its first occurrence);
``rate()`` counts elapsed time, whatever the clocks do.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import EventmatchError
from .cron import Cron, CronError, parse_cron
from .describe import describe_cron

_RATE = re.compile(r"^rate\((\S+) (\S+)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_AT = re.compile(r"^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: the longest rate: the span of dates Python represents (years 1 to 9999); longer is refused, as
#: no fire time could follow the first
_MAX_RATE_DAYS = (datetime.max - datetime.min).days
_MAX_RATE_SECONDS = _MAX_RATE_DAYS * 86400


class InvalidScheduleExpressionError(EventmatchError, ValueError):
    """A schedule expression AWS would reject.

    ``str()`` is AWS's message, ``Parameter ScheduleExpression is not valid.``;
    ``detail`` says what was wrong, naming the field.
    """

    code = "ValidationException"

    def __init__(self, expression: str, detail: str) -> None:
        self.expression = expression
        self.detail = detail
        super().__init__("Parameter ScheduleExpression is not valid.")

    def __repr__(self) -> str:
        return f"InvalidScheduleExpressionError({self.expression!r}, {self.detail!r})"


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule. Create with :func:`parse_schedule`.

    Fire times are aware datetimes in the schedule's time zone. Compare them
    with times in other zones by ordering (``<``, ``>``) or after converting to
    UTC: Python's ``==`` between zones is always False for a time inside a
    fall-back hour (PEP 495).
    """

    expression: str
    kind: str  # "rate", "cron" or "at"
    tz: ZoneInfo
    period: timedelta | None = None
    cron: Cron | None = None
    at: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    flexible_window: timedelta | None = None

    def next(self, after: datetime) -> datetime | None:
        """The first fire time strictly after ``after`` (an aware datetime), or None."""
        if after.tzinfo is None:
            raise ValueError("after must be an aware datetime (give it a tzinfo)")
        if self.start is not None and after < self.start:
            after = self.start - timedelta(microseconds=1)
        found = self._next(after)
        if found is not None and self.end is not None and found > self.end:
            return None
        return found

    def _next(self, after: datetime) -> datetime | None:
        if self.kind == "at":
            assert self.at is not None
            return self.at if self.at > after else None
        if self.kind == "rate":
            assert self.period is not None
            anchor = self.start or _EPOCH
            steps = (after - anchor) // self.period + 1
            try:
                return (anchor + max(steps, 0) * self.period).astimezone(self.tz)
            except OverflowError:  # past 9999-12-31: no fire time is left that a date can hold
                return None
        return self._next_cron(after)

    def _next_cron(self, after: datetime) -> datetime | None:
        return next(self._cron_times(after), None)

    def _cron_times(self, after: datetime) -> Iterator[datetime]:
        """Cron fire times strictly after ``after``, walking the calendar once."""
        cron = self.cron
        assert cron is not None
        local = after.astimezone(self.tz)
        day = local.date()
        first_day = day
        last_year = max(cron.years)
        hours, minutes = cron.hours, cron.minutes
        fixed = self._fixed_offset
        tz = self.tz
        while day.year <= last_year:
            if day.year not in cron.years:
                day = date(day.year + 1, 1, 1)
                continue
            if day.month not in cron.months:
                day = date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
                continue
            if cron.day.matches(day):
                # On the first day, wall times before the current hour and minute are
                # earlier instants (even around a fall-back), so they are skipped.
                start_hour = bisect_left(hours, local.hour) if day == first_day else 0
                y, mo, d = day.year, day.month, day.day
                for hour in hours[start_hour:]:
                    start_minute = 0
                    if day == first_day and hour == local.hour:
                        start_minute = bisect_left(minutes, local.minute)
                    for minute in minutes[start_minute:]:
                        fire: datetime | None = datetime(y, mo, d, hour, minute, tzinfo=tz)
                        if not fixed:
                            fire = self._local(day, hour, minute)
                        if fire is not None and fire > after:
                            yield fire
            day += timedelta(days=1)

    def _local(self, day: date, hour: int, minute: int) -> datetime | None:
        """The instant of a local wall time; None if the clocks skip it (spring-forward)."""
        wall = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)  # fold=0: first occurrence
        back = wall.astimezone(UTC).astimezone(self.tz)
        if back.replace(tzinfo=None) != wall.replace(tzinfo=None):
            return None
        return wall

    @property
    def _fixed_offset(self) -> bool:
        return self.tz.key in ("UTC", "Etc/UTC", "GMT", "Etc/GMT")

    def iter(self, after: datetime) -> Iterator[datetime]:
        """Fire times after ``after``, in order."""
        if self.kind == "cron":
            if after.tzinfo is None:
                raise ValueError("after must be an aware datetime (give it a tzinfo)")
            if self.start is not None and after < self.start:
                after = self.start - timedelta(microseconds=1)
            for fire in self._cron_times(after):
                if self.end is not None and fire > self.end:
                    return
                yield fire
            return
        current = after
        while (found := self.next(current)) is not None:
            yield found
            current = found

    def between(self, start: datetime, end: datetime) -> list[datetime]:
        """Fire times ``t`` with ``start <= t < end``."""
        out = []
        for fire in self.iter(start - timedelta(microseconds=1)):
            if fire >= end:
                break
            out.append(fire)
        return out

    def window(self, fire: datetime) -> tuple[datetime, datetime]:
        """The flexible time window that starts at a fire time (zero-length when OFF)."""
        return fire, fire + (self.flexible_window or timedelta(0))

    def describe(self) -> str:
        """The schedule in plain English."""
        zone = "" if self.tz.key == "UTC" else f" ({self.tz.key})"
        if self.kind == "rate":
            assert self.period is not None
            value, _, unit = self.expression[5:-1].strip().partition(" ")
            unit = unit.strip().rstrip("s")  # Scheduler takes either form of the unit: "5 minute" too
            return f"every {value} {unit}" if value == "1" else f"every {value} {unit}s"
        if self.kind == "at":
            assert self.at is not None
            return f"once, at {self.at.strftime('%Y-%m-%d %H:%M:%S')}{zone}"
        assert self.cron is not None
        return describe_cron(self.cron) + zone


#: the two services that take schedule expressions; they differ in what they accept
SERVICES = ("events", "scheduler")


def parse_schedule(
    expression: str,
    tz: str = "UTC",
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    flexible_window_minutes: int | None = None,
    service: str = "scheduler",
) -> Schedule:
    """Parse ``rate(...)``, ``cron(...)`` or ``at(...)``.

    ``service`` says whose rules apply: ``"events"`` for an EventBridge rule's
    ScheduleExpression (PutRule, ``AWS::Events::Rule``), ``"scheduler"`` for
    EventBridge Scheduler (CreateSchedule, ``AWS::Scheduler::Schedule``). They
    differ in two ways:

    * ``at(...)`` is Scheduler's alone; PutRule refuses it.
    * A rule's ``rate()`` unit must agree with its value (``rate(1 hour)``,
      ``rate(5 hours)``; EventBridge's user guide: "rate(1 hours) and
      rate(5 hour) aren't valid"). Scheduler states no such rule (its API
      reference lists the units as ``minutes | hours | days``), and its own
      published patterns (aws-samples/serverless-patterns'
      eventbridge-schedule-to-lambda and about twenty more) have deployed
      ``rate(5 minute)`` since 2022: Scheduler takes either form for any value.

    Raises :class:`InvalidScheduleExpressionError` (AWS's message, with a
    ``detail`` naming the problem) for an invalid expression.
    """
    if not isinstance(expression, str):
        raise TypeError(f"a schedule expression must be a string, not {type(expression).__name__}")
    if service not in SERVICES:
        raise ValueError(f"service must be one of {', '.join(SERVICES)}, not {service!r}")
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidScheduleExpressionError(expression, f"unknown time zone {tz!r}") from None
    for name, bound in (("start", start), ("end", end)):
        if bound is not None and bound.tzinfo is None:
            raise ValueError(f"{name} must be an aware datetime")
    if start is not None and end is not None and end <= start:
        raise InvalidScheduleExpressionError(expression, "the end date must be after the start date")
    window = None
    if flexible_window_minutes is not None:
        if not 1 <= flexible_window_minutes <= 1440:
            raise InvalidScheduleExpressionError(expression, "a flexible time window is 1 to 1440 minutes")
        window = timedelta(minutes=flexible_window_minutes)

    def make(kind: str, **parsed: object) -> Schedule:
        return Schedule(
            expression, kind, zone, start=start, end=end, flexible_window=window, **parsed  # type: ignore[arg-type]
        )

    if m := _RATE.match(expression):
        value_text, unit = m.groups()
        if not value_text.isdigit() or len(value_text.lstrip("0")) > 20 or int(value_text) < 1:
            raise InvalidScheduleExpressionError(
                expression, f"rate value must be a whole number >= 1, not {value_text[:30]!r}"
            )
        value = int(value_text)
        singular = unit[:-1] if unit.endswith("s") else unit
        if singular not in _UNITS:
            raise InvalidScheduleExpressionError(
                expression, f"rate unit must be minute(s), hour(s) or day(s), not {unit!r}"
            )
        if service == "events" and (value == 1) != (unit == singular):
            want = singular if value == 1 else singular + "s"
            raise InvalidScheduleExpressionError(expression, f"rate({value} ...) takes the unit {want!r}, not {unit!r}")
        seconds = value * _UNITS[singular]
        if seconds > _MAX_RATE_SECONDS:
            raise InvalidScheduleExpressionError(
                expression, f"rate({value} {unit}) is longer than any date can reach (at most {_MAX_RATE_DAYS:,} days)"
            )
        return make("rate", period=timedelta(seconds=seconds))
    if m := _CRON.match(expression):
        try:
            cron = parse_cron(m.group(1))
        except CronError as exc:
            raise InvalidScheduleExpressionError(expression, str(exc)) from None
        return make("cron", cron=cron)
    if m := _AT.match(expression):
        if service == "events":
            raise InvalidScheduleExpressionError(
                expression, "at() is an EventBridge Scheduler expression; a rule takes rate() or cron()"
            )
        y, mo, d, h, mi, s = (int(g) for g in m.groups())
        try:
            when = datetime(y, mo, d, h, mi, s, tzinfo=zone)
        except ValueError as exc:
            raise InvalidScheduleExpressionError(expression, f"at(): {exc}") from None
        return make("at", at=when)
    expected = "rate(value unit) or cron(six fields)" if service == "events" else (
        "rate(value unit), cron(six fields) or at(yyyy-mm-ddThh:mm:ss)"
    )
    raise InvalidScheduleExpressionError(expression, f"expected {expected}")
