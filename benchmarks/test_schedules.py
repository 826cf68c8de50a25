"""Schedules: parse time and the next 1,000 fire times, side by side with other libraries.

Each library is fed the form it understands: croniter and cronsim take Unix
cron (five fields, 0 = Sunday), aws-croniter AWS's six fields without
``cron(...)``. Compare means within one run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from eventmatch import parse_schedule

START = datetime(2026, 11, 25, 10, 7, tzinfo=UTC)
N = 1000
COMMON = {
    "weekdays-0900": ("cron(0 9 ? * MON-FRI *)", "0 9 * * MON-FRI"),
    "every-15-min": ("cron(0/15 * * * ? *)", "*/15 * * * *"),
    "daily-noon": ("cron(0 12 * * ? *)", "0 12 * * *"),
}


def _eventmatch(aws: str) -> list[datetime]:
    return list(zip(range(N), parse_schedule(aws).iter(START), strict=False))  # type: ignore[arg-type]


def _croniter(unix: str) -> list[datetime]:
    from croniter import croniter

    it = croniter(unix, START)
    return [it.get_next(datetime) for _ in range(N)]


def _cronsim(unix: str) -> list[datetime]:
    from cronsim import CronSim

    it = CronSim(unix, START)
    return [next(it) for _ in range(N)]


def _aws_croniter(aws: str) -> list[datetime]:
    from aws_croniter import AwsCroniter

    return list(AwsCroniter(aws[5:-1]).get_next(START, N))


ENGINES = {"eventmatch": _eventmatch, "croniter": _croniter, "cronsim": _cronsim, "aws-croniter": _aws_croniter}


@pytest.mark.parametrize("engine", list(ENGINES))
@pytest.mark.parametrize("name", list(COMMON))
def test_next_1000(benchmark: Any, name: str, engine: str) -> None:
    if engine != "eventmatch":
        pytest.importorskip(engine.replace("-", "_"), reason=f"{engine} is not installed")
    aws, unix = COMMON[name]
    benchmark.group = f"next-1000: {name}"
    benchmark(ENGINES[engine], unix if engine in ("croniter", "cronsim") else aws)


def test_engines_agree_on_the_common_expressions() -> None:
    for aws, unix in COMMON.values():
        ours = [t for _, t in _eventmatch(aws)]  # type: ignore[misc]
        assert ours == _cronsim(unix)


def _parse_eventmatch(aws: str) -> Any:
    return parse_schedule(aws)


def _parse_croniter(unix: str) -> Any:
    from croniter import croniter

    return croniter(unix, START)


def _parse_cronsim(unix: str) -> Any:
    from cronsim import CronSim

    return CronSim(unix, START)


def _parse_aws_croniter(aws: str) -> Any:
    from aws_croniter import AwsCroniter

    return AwsCroniter(aws[5:-1])


PARSERS = {
    "eventmatch": _parse_eventmatch,
    "croniter": _parse_croniter,
    "cronsim": _parse_cronsim,
    "aws-croniter": _parse_aws_croniter,
}


@pytest.mark.parametrize("engine", list(PARSERS))
def test_parse(benchmark: Any, engine: str) -> None:
    if engine != "eventmatch":
        pytest.importorskip(engine.replace("-", "_"), reason=f"{engine} is not installed")
    benchmark.group = "parse: the three common expressions"
    forms = [unix if engine in ("croniter", "cronsim") else aws for aws, unix in COMMON.values()]

    def parse_all() -> None:
        for form in forms:
            PARSERS[engine](form)

    benchmark(parse_all)
