"""Schedules: AWS's documented examples, invalid forms, DST, and a brute-force property."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventmatch.schedule import InvalidScheduleExpressionError, parse_schedule

T0 = datetime(2026, 11, 25, 13, 7, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # AWS's documented cron examples
        ("cron(0 10 * * ? *)", T0, datetime(2026, 11, 26, 10, 0, tzinfo=UTC)),
        ("cron(15 12 * * ? *)", T0, datetime(2026, 11, 26, 12, 15, tzinfo=UTC)),
        ("cron(0 18 ? * MON-FRI *)", T0, datetime(2026, 11, 25, 18, 0, tzinfo=UTC)),
        ("cron(0 8 1 * ? *)", T0, datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
        ("cron(0/15 * * * ? *)", T0, datetime(2026, 11, 25, 13, 15, tzinfo=UTC)),
        ("cron(0/10 * ? * MON-FRI *)", T0, datetime(2026, 11, 25, 13, 10, tzinfo=UTC)),
        ("cron(0/5 8-17 ? * MON-FRI *)", T0, datetime(2026, 11, 25, 13, 10, tzinfo=UTC)),
        ("cron(0/30 20-23 ? * MON-FRI *)", T0, datetime(2026, 11, 25, 20, 0, tzinfo=UTC)),
        ("cron(0 2 ? * SAT *)", T0, datetime(2026, 11, 28, 2, 0, tzinfo=UTC)),
        ("cron(0 12 * * ? *)", T0, datetime(2026, 11, 26, 12, 0, tzinfo=UTC)),
        ("cron(5,35 14 * * ? *)", T0, datetime(2026, 11, 25, 14, 5, tzinfo=UTC)),
        ("cron(15 10 ? * 6L 2002-2005)", datetime(2002, 1, 1, tzinfo=UTC), datetime(2002, 1, 25, 10, 15, tzinfo=UTC)),
        ("cron(15 10 ? * 6L 2002-2005)", T0, None),
        ("cron(0 2 ? * SAT#3 *)", T0, datetime(2026, 12, 19, 2, 0, tzinfo=UTC)),
        ("cron(0/5 5 ? JAN 1-5 2022)", datetime(2022, 1, 1, tzinfo=UTC), datetime(2022, 1, 2, 5, 0, tzinfo=UTC)),
        ("cron(0 0 L * ? *)", T0, datetime(2026, 11, 30, 0, 0, tzinfo=UTC)),
        ("cron(0 0 LW * ? *)", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 30, 0, 0, tzinfo=UTC)),
        ("cron(0 0 15W * ? *)", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 16, 0, 0, tzinfo=UTC)),
        ("cron(0 0 1W * ? *)", datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 8, 3, 0, 0, tzinfo=UTC)),
        ("cron(0 0 ? * L *)", T0, datetime(2026, 11, 28, 0, 0, tzinfo=UTC)),
        ("cron(0 0 ? * 2#1 *)", T0, datetime(2026, 12, 7, 0, 0, tzinfo=UTC)),
        ("cron(0 0 29 FEB ? *)", T0, datetime(2028, 2, 29, 0, 0, tzinfo=UTC)),
        # rate counts elapsed time from the start (the Unix epoch when none is given)
        ("rate(1 hour)", T0, datetime(2026, 11, 25, 14, 0, tzinfo=UTC)),
        ("rate(5 minutes)", T0, datetime(2026, 11, 25, 13, 10, tzinfo=UTC)),
        ("rate(1 day)", T0, datetime(2026, 11, 26, 0, 0, tzinfo=UTC)),
        # at(): once
        ("at(2026-12-01T08:30:00)", T0, datetime(2026, 12, 1, 8, 30, tzinfo=UTC)),
        ("at(2026-01-01T00:00:00)", T0, None),
    ],
)
def test_next_fire_time(expression: str, after: datetime, expected: datetime | None) -> None:
    assert parse_schedule(expression).next(after) == expected


@pytest.mark.parametrize(
    ("expression", "detail"),
    [
        ("cron(INVALID)", "6 fields"),
        ("cron(0 dummy ? * MON-FRI *)", "Hours"),
        ("cron(7 20 * * NOT *)", "Day-of-month and Day-of-week"),
        ("cron(71 8 1 * ? *)", "Minutes: 71"),
        ("cron(0 1 * * * *)", "exactly one of them must be '?'"),
        ("cron(0 1 ? * ? *)", "exactly one of them must be '?'"),
        ("cron(0 24 * * ? *)", "Hours: 24"),
        ("cron(0 0 32 * ? *)", "Day-of-month: 32"),
        ("cron(0 0 * 13 ? *)", "Month: 13"),
        ("cron(0 0 ? * 8 *)", "Day-of-week: 8"),
        ("cron(0 0 * * ? 1969)", "Year: 1969"),
        ("cron(0 0 * * ? 2200)", "Year: 2200"),
        ("cron(0/0 0 * * ? *)", "Minutes: bad increment"),
        ("cron(0 0 * * ? 2030-2026)", "Year: range '2030-2026' runs backwards"),
        ("cron(*/60 * * * ? *)", "Minutes: increment 60 is larger than 59"),
        ("cron(0 0/24 * * ? *)", "Hours: increment 24 is larger than 23"),
        ("cron(0 0 * * ? * *)", "6 fields"),
        ("cron(0 0 1-5W * ? *)", "Day-of-month: '5W'"),
        ("cron(0 0 32W * ? *)", "Day-of-month: 32"),
        ("cron(0 0 L,5 * ? *)", "Day-of-month: 'L'"),
        ("cron(0 0 0 * ? *)", "Day-of-month: 0"),
        ("cron(0 0 ? * SAT#6 *)", "Day-of-week: 'SAT#6'"),
        ("cron(0 0 ? * 8L *)", "Day-of-week: '8L'"),
        ("cron(0 0 ? * FOO *)", "Day-of-week: 'FOO'"),
        ("cron(0 0 * FOO ? *)", "Month: 'FOO'"),
        ("rate(0 minutes)", ">= 1"),
        ("rate(-1 minutes)", ">= 1"),
        ("rate(1 week)", "minute(s), hour(s) or day(s)"),
        ("rate(2 hourss)", "minute(s), hour(s) or day(s)"),
        ("at(2026-13-01T00:00:00)", "at()"),
        ("at(2026-01-01 00:00:00)", "expected rate"),
        ("every 5 minutes", "expected rate"),
    ],
)
def test_invalid_expressions(expression: str, detail: str) -> None:
    with pytest.raises(InvalidScheduleExpressionError) as info:
        parse_schedule(expression)
    assert str(info.value) == "Parameter ScheduleExpression is not valid."
    assert detail in info.value.detail


def test_spring_forward_skips_and_fall_back_fires_once() -> None:
    s = parse_schedule("cron(30 2 * * ? *)", "Europe/Berlin")
    spring = s.between(datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC))
    assert [f.day for f in spring] == [28, 30]
    fall = s.between(datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 10, 27, tzinfo=UTC))
    assert [f.day for f in fall] == [24, 25, 26]


def test_rate_counts_elapsed_time_across_dst() -> None:
    start = datetime(2026, 3, 29, 0, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    s = parse_schedule("rate(1 hour)", "Europe/Berlin", start=start)
    fires = list(s.between(start, start + timedelta(hours=4)))
    assert [f - start for f in fires] == [timedelta(hours=h) for h in range(4)]


def test_start_end_and_window() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    s = parse_schedule("rate(1 day)", start=start, end=start + timedelta(days=2), flexible_window_minutes=15)
    assert s.between(start - timedelta(days=5), start + timedelta(days=10)) == [
        start, start + timedelta(days=1), start + timedelta(days=2)]
    assert s.window(start) == (start, start + timedelta(minutes=15))
    with pytest.raises(InvalidScheduleExpressionError, match="not valid"):
        parse_schedule("rate(1 day)", flexible_window_minutes=0)
    with pytest.raises(InvalidScheduleExpressionError):
        parse_schedule("rate(1 day)", "Mars/Olympus")


def test_describe() -> None:
    assert parse_schedule("rate(1 hour)").describe() == "every 1 hour"
    assert "Europe/Berlin" in parse_schedule("cron(0 12 * * ? *)", "Europe/Berlin").describe()


# -- property: next() equals a brute-force minute-by-minute search ------------

def _weekday(d: datetime) -> int:
    return (d.weekday() + 1) % 7 + 1  # 1 = Sunday


def _brute(minutes: set[int], hours: set[int], doms: set[int] | None, dows: set[int] | None,
           zone: ZoneInfo, after: datetime, horizon: int) -> datetime | None:
    """Walk UTC minutes; a minute fires if its local wall time matches and is its first occurrence."""
    t = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(horizon):
        local = t.astimezone(zone)
        first = local.fold == 0
        ok = first and local.minute in minutes and local.hour in hours
        if ok and doms is not None:
            ok = local.day in doms
        if ok and dows is not None:
            ok = _weekday(local) in dows
        if ok:
            return t
        t += timedelta(minutes=1)
    return None


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney"]
DST_DAYS = [datetime(2026, 3, 29, tzinfo=UTC), datetime(2026, 10, 25, tzinfo=UTC),
            datetime(2026, 3, 8, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC),
            datetime(2026, 4, 5, tzinfo=UTC), datetime(2026, 10, 4, tzinfo=UTC)]


@settings(max_examples=150, deadline=None)
@given(
    st.sets(st.integers(0, 59), min_size=1, max_size=4),
    st.sets(st.integers(0, 23), min_size=1, max_size=24),
    st.one_of(st.none(), st.sets(st.integers(1, 7), min_size=1, max_size=7)),
    st.sampled_from(ZONES),
    st.sampled_from(DST_DAYS),
    st.integers(-36 * 60, 36 * 60),
)
def test_next_equals_brute_force(minutes: set[int], hours: set[int], dows: set[int] | None,
                                 zone_name: str, day: datetime, offset: int) -> None:
    dow_text = "?" if dows is None else ",".join(map(str, sorted(dows)))
    dom_text = "*" if dows is None else "?"
    expression = (f"cron({','.join(map(str, sorted(minutes)))} {','.join(map(str, sorted(hours)))} "
                  f"{dom_text} * {dow_text} *)")
    zone = ZoneInfo(zone_name)
    after = day + timedelta(minutes=offset)
    expected = _brute(minutes, hours, None, dows, zone, after, horizon=9 * 24 * 60)
    got = parse_schedule(expression, zone_name).next(after)
    # compare instants: under PEP 495, == between zones is False inside a fall-back fold
    assert (got and got.astimezone(UTC)) == expected, expression


def test_calendar_sanity() -> None:
    assert calendar.monthrange(2028, 2)[1] == 29


# -- cross-check with croniter where AWS cron and Unix cron agree -------------

@settings(max_examples=60, deadline=None)
@given(
    st.sets(st.integers(0, 59), min_size=1, max_size=3),
    st.sets(st.integers(0, 23), min_size=1, max_size=3),
    st.one_of(st.none(), st.sets(st.integers(1, 7), min_size=1, max_size=3)),
    st.one_of(st.none(), st.sets(st.integers(1, 28), min_size=1, max_size=3)),
)
def test_agrees_with_croniter_in_utc(minutes: set[int], hours: set[int], dows: set[int] | None,
                                     doms: set[int] | None) -> None:
    croniter = pytest.importorskip("croniter").croniter
    if dows is not None and doms is not None:
        doms = None  # AWS needs '?' in one of the two day fields
    m, h = ",".join(map(str, sorted(minutes))), ",".join(map(str, sorted(hours)))
    if dows is not None:
        aws = f"cron({m} {h} ? * {','.join(map(str, sorted(dows)))} *)"
        unix = f"{m} {h} * * {','.join(str(d - 1) for d in sorted(dows))}"  # Unix: 0 = Sunday
    else:
        dom = "*" if doms is None else ",".join(map(str, sorted(doms)))
        aws, unix = f"cron({m} {h} {dom} * ? *)", f"{m} {h} {dom} * *"
    ours = [t for _, t in zip(range(40), parse_schedule(aws).iter(T0), strict=False)]
    it = croniter(unix, T0)
    theirs = [it.get_next(datetime) for _ in range(40)]
    assert ours == theirs, (aws, unix)


@pytest.mark.parametrize(
    ("expression", "text"),
    [
        ("cron(0 12 * * ? *)", "at 12:00, every day"),
        ("cron(0 9 ? * MON-FRI *)", "at 09:00, on Monday to Friday"),
        ("cron(0/15 * * * ? *)", "every 15 minutes, every day"),
        ("cron(0/5 8-17 ? * MON-FRI *)", "every 5 minutes during hours 8 to 17, on Monday to Friday"),
        ("cron(15 10 ? * 6L 2002-2005)", "at 10:15, on the last Friday of the month, in 2002-2005"),
        ("cron(0 2 ? * SAT#3 *)", "at 02:00, on the third Saturday of the month"),
        ("cron(0 0 15W * ? *)", "at 00:00, on the weekday nearest day 15 of the month"),
        ("cron(0 0 L * ? *)", "at 00:00, on the last day of the month"),
        ("at(2026-12-01T08:30:00)", "once, at 2026-12-01 08:30:00"),
        ("rate(5 minutes)", "every 5 minutes"),
    ],
)
def test_describe_in_plain_english(expression: str, text: str) -> None:
    assert parse_schedule(expression).describe() == text


def _day_ok(kind: str, arg: int, k: int, d: datetime) -> bool:
    """An independent reading of AWS's special day values."""
    last = calendar.monthrange(d.year, d.month)[1]
    weekday = (d.weekday() + 1) % 7 + 1
    if kind == "L":
        return d.day == last
    if kind == "LW":
        lw = last
        while datetime(d.year, d.month, lw).weekday() >= 5:
            lw -= 1
        return d.day == lw
    if kind == "W":
        target = datetime(d.year, d.month, arg)
        if target.weekday() == 5:
            want = arg - 1 if arg > 1 else arg + 2
        elif target.weekday() == 6:
            want = arg + 1 if arg < last else arg - 2
        else:
            want = arg
        return d.day == want
    if kind == "#":
        return weekday == arg and (d.day - 1) // 7 + 1 == k
    assert kind == "nL"
    return weekday == arg and d.day + 7 > last


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["L", "LW", "W", "#", "nL"]),
    st.integers(1, 7),
    st.integers(1, 4),
    st.integers(1, 28),
    st.sets(st.integers(1, 12), min_size=10, max_size=12),
    st.sampled_from(ZONES),
    st.integers(0, 300),
)
def test_special_days_equal_brute_force(kind: str, weekday: int, k: int, dom: int, months: set[int],
                                        zone_name: str, start_day: int) -> None:
    day_field, dow_field = {
        "L": ("L", "?"), "LW": ("LW", "?"), "W": (f"{dom}W", "?"), "#": ("?", f"{weekday}#{k}"), "nL": ("?", f"{weekday}L"),
    }[kind]
    expression = f"cron(30 1 {day_field} {','.join(map(str, sorted(months)))} {dow_field} *)"
    zone = ZoneInfo(zone_name)
    after = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=start_day, hours=5)
    arg = dom if kind == "W" else weekday
    expected = None
    d = after.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    for _ in range(400):
        if d.month in months and _day_ok(kind, arg, k, d):
            wall = d.replace(hour=1, minute=30, tzinfo=zone)
            if wall.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None) and wall > after:
                expected = wall.astimezone(UTC)
                break
        d += timedelta(days=1)
    got = parse_schedule(expression, zone_name).next(after)
    assert (got and got.astimezone(UTC)) == expected, expression
