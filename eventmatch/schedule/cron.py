"""AWS's six-field cron: ``cron(Minutes Hours Day-of-month Month Day-of-week Year)``.

Values and wildcards as EventBridge documents them: ``,`` ``-`` ``*`` ``/``
in every field; ``?`` in exactly one of day-of-month and day-of-week; ``L``,
``LW`` and ``nW`` in day-of-month; ``L``, ``nL`` and ``n#k`` in day-of-week;
``JAN``-``DEC``; ``SUN``-``SAT`` or ``1``-``7`` with 1 = Sunday; years
1970-2199.
"""

from __future__ import annotations

import calendar
import enum
import functools
import re
from dataclasses import dataclass
from datetime import date


class Field(enum.Enum):
    """The six fields, with their names in messages and their ranges."""

    MINUTES = ("Minutes", 0, 59)
    HOURS = ("Hours", 0, 23)
    DAY_OF_MONTH = ("Day-of-month", 1, 31)
    MONTH = ("Month", 1, 12)
    DAY_OF_WEEK = ("Day-of-week", 1, 7)
    YEAR = ("Year", 1970, 2199)

    @property
    def label(self) -> str:
        return self.value[0]

    @property
    def low(self) -> int:
        return self.value[1]

    @property
    def high(self) -> int:
        return self.value[2]


MONTHS = {name: i for i, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
DAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}


class CronError(ValueError):
    """A cron field that AWS would reject; the message names the field."""


def _value(token: str, field: Field) -> int:
    names = MONTHS if field is Field.MONTH else DAYS if field is Field.DAY_OF_WEEK else {}
    upper = token.upper()
    if upper in names:
        return names[upper]
    if not token.isdigit():
        raise CronError(f"{field.label}: {token!r} is not a valid value")
    if len(token) > 4:
        raise CronError(f"{field.label}: {token[:20]} is outside {field.low}-{field.high}")
    n = int(token)
    if not field.low <= n <= field.high:
        raise CronError(f"{field.label}: {n} is outside {field.low}-{field.high}")
    return n


#: the largest increment each field takes (as in Quartz, whose syntax AWS's cron follows): ``*/60``
#: in minutes is refused, as PutRule refuses it (aws/aws-sdk-js#4212)
_MAX_STEP = {Field.MINUTES: 59, Field.HOURS: 23, Field.DAY_OF_MONTH: 31, Field.MONTH: 12, Field.DAY_OF_WEEK: 7}


@functools.lru_cache(maxsize=1024)
def _set(text: str, field: Field) -> frozenset[int]:
    """The values of a field made of ``,`` ``-`` ``*`` ``/`` parts (cached: fields repeat).

    A range whose end is below its start wraps past the field's end, as AWS's
    documented examples use it: ``22-2`` in hours is 22, 23, 0, 1, 2 and
    ``FRI-MON`` is Friday to Monday; an increment carries on across the wrap.
    Years do not wrap.
    """
    out: set[int] = set()
    span = field.high - field.low + 1
    for part in text.split(","):
        if not part:
            raise CronError(f"{field.label}: empty item in {text!r}")
        base, _, step_text = part.partition("/")
        step = 1
        if _:
            if not step_text.isdigit() or len(step_text) > 4 or int(step_text) == 0:
                raise CronError(f"{field.label}: bad increment {step_text!r} in {part!r}")
            step = int(step_text)
            limit = _MAX_STEP.get(field)
            if limit is not None and step > limit:
                raise CronError(f"{field.label}: increment {step} is larger than {limit}")
        if base == "*":
            low, high = field.low, field.high
        elif "-" in base:
            a, _, b = base.partition("-")
            low, high = _value(a, field), _value(b, field)
            if low > high:
                if field is Field.YEAR:
                    raise CronError(f"{field.label}: range {base!r} runs backwards")
                high += span  # wraps: values past the end count on from the field's start
        else:
            low = _value(base, field)
            high = field.high if _ else low
        out.update(field.low + (v - field.low) % span for v in range(low, high + 1, step))
    return frozenset(out)


_DOM_W = re.compile(r"^([0-9]{1,2})W$")
_DOW_L = re.compile(r"^([A-Za-z]{3}|[1-7])L$")
_DOW_HASH = re.compile(r"^([A-Za-z]{3}|[1-7])#([1-5])$")


@dataclass(frozen=True, slots=True)
class DayRule:
    """How days are chosen: by day-of-month or by day-of-week (the other field is ``?``)."""

    by_month_day: bool
    days: frozenset[int] = frozenset()  # plain day-of-month or day-of-week values
    last: bool = False  # L in day-of-month
    last_weekday: bool = False  # LW
    nearest_weekday: int = 0  # nW
    last_of_week_day: int = 0  # nL (day-of-week)
    nth: tuple[int, int] = (0, 0)  # n#k: (weekday, k)

    def matches(self, d: date) -> bool:
        if self.by_month_day:
            if self.days:
                return d.day in self.days
            days_in_month = calendar.monthrange(d.year, d.month)[1]
            if self.last:
                return d.day == days_in_month
            if self.last_weekday:
                last = date(d.year, d.month, days_in_month)
                while last.weekday() >= 5:
                    last = last.replace(day=last.day - 1)
                return d.day == last.day
            return d.day == _nearest_weekday(d.year, d.month, self.nearest_weekday, days_in_month)
        weekday = (d.weekday() + 1) % 7 + 1  # 1 = Sunday .. 7 = Saturday
        if self.days:
            return weekday in self.days
        if self.last_of_week_day:
            return weekday == self.last_of_week_day and d.day + 7 > calendar.monthrange(d.year, d.month)[1]
        return weekday == self.nth[0] and (d.day - 1) // 7 + 1 == self.nth[1]


def _nearest_weekday(year: int, month: int, day: int, days_in_month: int) -> int:
    """The weekday (Mon-Fri) nearest to ``day`` within the same month."""
    if day > days_in_month:
        return -1
    d = date(year, month, day)
    if d.weekday() == 5:  # Saturday: Friday before, or Monday after on the 1st
        return day - 1 if day > 1 else day + 2
    if d.weekday() == 6:  # Sunday: Monday after, or Friday before at the month's end
        return day + 1 if day < days_in_month else day - 2
    return day


@functools.lru_cache(maxsize=1024)
def _day_rule(dom: str, dow: str) -> DayRule:
    if (dom == "?") == (dow == "?"):
        raise CronError("Day-of-month and Day-of-week: exactly one of them must be '?'")
    if dow == "?":
        field = Field.DAY_OF_MONTH
        upper = dom.upper()
        if upper == "L":
            return DayRule(True, last=True)
        if upper == "LW":
            return DayRule(True, last_weekday=True)
        m = _DOM_W.match(upper)
        if m:
            return DayRule(True, nearest_weekday=_value(m.group(1), field))
        return DayRule(True, days=_set(dom, field))
    field = Field.DAY_OF_WEEK
    upper = dow.upper()
    if upper == "L":
        return DayRule(False, days=frozenset({7}))
    m = _DOW_L.match(upper)
    if m:
        return DayRule(False, last_of_week_day=_value(m.group(1), field))
    m = _DOW_HASH.match(upper)
    if m:
        return DayRule(False, nth=(_value(m.group(1), field), int(m.group(2))))
    return DayRule(False, days=_set(dow, field))


@dataclass(frozen=True, slots=True)
class Cron:
    """A parsed cron expression: plain sets plus the day rule."""

    text: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: frozenset[int]
    years: frozenset[int]
    day: DayRule

    def day_matches(self, d: date) -> bool:
        return d.month in self.months and d.year in self.years and self.day.matches(d)


@functools.lru_cache(maxsize=256)
def _sorted(text: str, field: Field) -> tuple[int, ...]:
    return tuple(sorted(_set(text, field)))


def parse_cron(body: str) -> Cron:
    """Parse the inside of ``cron(...)``; raise CronError naming the field."""
    parts = body.split()
    # "cron(5, 0, 1, *, ?, *)": PutRule accepts fields separated by a comma and a space, and AWS's
    # console shows that form's fire times as those of the same fields separated by spaces
    # (aws/aws-sdk#161, boto/boto3#2876); a comma at the end of a field is read as a separator
    if len(parts) == 6 and all(p.endswith(",") and len(p) > 1 for p in parts[:5]):
        parts = [p[:-1] for p in parts[:5]] + parts[5:]
    if len(parts) != 6:
        raise CronError(
            f"cron() takes 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), got {len(parts)}"
        )
    minutes, hours, dom, month, dow, year = parts
    return Cron(
        body,
        _sorted(minutes, Field.MINUTES),
        _sorted(hours, Field.HOURS),
        _set(month, Field.MONTH),
        _set(year, Field.YEAR),
        _day_rule(dom, dow),
    )
