"""Plain-English descriptions of parsed cron expressions (from the parsed form, not the text)."""

from __future__ import annotations

from .cron import Cron

_DAY_NAMES = ["", "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
_MONTH_NAMES = ["", "January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December"]
_ORDINALS = ["", "first", "second", "third", "fourth", "fifth"]


def _runs(values: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for v in values:
        if runs and runs[-1][1] == v - 1:
            runs[-1] = (runs[-1][0], v)
        else:
            runs.append((v, v))
    return runs


def _list(values: list[int], name: list[str] | None = None, joiner: str = " to ") -> str:
    def show(v: int) -> str:
        return name[v] if name else str(v)

    parts = [show(a) if a == b else f"{show(a)}{joiner}{show(b)}" for a, b in _runs(values)]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _step(values: tuple[int, ...], low: int, high: int) -> int | None:
    """The step if ``values`` is low, low+step, ... up to high (as ``*/step`` gives)."""
    if len(values) < 2 or values[0] != low:
        return None
    step = values[1] - values[0]
    return step if list(values) == list(range(low, high + 1, step)) else None


def describe_cron(cron: Cron) -> str:
    minutes, hours = cron.minutes, cron.hours
    every_hour = len(hours) == 24
    minute_step = _step(minutes, 0, 59)
    if every_hour and len(minutes) == 60:
        when = "every minute"
    elif every_hour and minute_step:
        when = f"every {minute_step} minutes"
    elif minute_step and len(minutes) > 1:
        when = f"every {minute_step} minutes during hour{'s' if len(hours) > 1 else ''} {_list(list(hours))}"
    elif len(hours) * len(minutes) <= 6:
        when = "at " + ", ".join(f"{h:02d}:{m:02d}" for h in hours for m in minutes)
    else:
        when = f"at minute {_list(list(minutes))} of hour {_list(list(hours))}"

    rule = cron.day
    if rule.by_month_day:
        if rule.last:
            days = "on the last day of the month"
        elif rule.last_weekday:
            days = "on the last weekday of the month"
        elif rule.nearest_weekday:
            days = f"on the weekday nearest day {rule.nearest_weekday} of the month"
        elif len(rule.days) == 31:
            days = "every day"
        else:
            days = f"on day {_list(sorted(rule.days))} of the month"
    elif rule.last_of_week_day:
        days = f"on the last {_DAY_NAMES[rule.last_of_week_day]} of the month"
    elif rule.nth[0]:
        days = f"on the {_ORDINALS[rule.nth[1]]} {_DAY_NAMES[rule.nth[0]]} of the month"
    elif len(rule.days) == 7:
        days = "every day"
    else:
        days = "on " + _list(sorted(rule.days), _DAY_NAMES)

    parts = [when, days]
    if len(cron.months) < 12:
        parts.append("in " + _list(sorted(cron.months), _MONTH_NAMES))
    if len(cron.years) < 230:
        parts.append("in " + _list(sorted(cron.years), joiner="-"))
    return ", ".join(parts)
