"""EventBridge Scheduler at scale: creating 100,000 schedules, and one virtual day of their invocations.

    python -m benchmarks.scheduler_bench [--schedules N] [--out PAGE]

Each schedule fires once a day (``cron(M H * * ? *)``, minutes and hours spread over the day, in three time
zones in turn) to a recorder (a Python callable that keeps the payload). Measured in one run:

* the time to create the schedules (``Scheduler.create_schedule``: validation, parsing, the first time);
* one virtual day advanced (``bridge.advance``): every invocation made and recorded, invocations/s;
* the same day with 1,000 schedules: the cost per invocation at 1,000 against N (the heap makes it
  O(log n); the goal is within 2x).

The table replaces the part of the page (docs/scheduler.md by default) between
``<!-- scheduler-bench:start -->`` and ``<!-- scheduler-bench:end -->``.
"""

from __future__ import annotations

import argparse
import gc
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from eventmatch import EventBridge, VirtualClock
from eventmatch.scheduler import Scheduler

START, END = "<!-- scheduler-bench:start -->", "<!-- scheduler-bench:end -->"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:recorder"
ROLE = "arn:aws:iam::123456789012:role/scheduler"
ZONES = ("UTC", "Europe/Paris", "America/New_York")
DAY0 = datetime(2026, 1, 1, tzinfo=UTC)


def _run(schedules: int) -> dict[str, float]:
    bridge = EventBridge(clock=VirtualClock(DAY0))
    received: list[Any] = []
    scheduler = Scheduler(bridge, functions={FUNCTION: received.append})
    target = {"Arn": FUNCTION, "RoleArn": ROLE, "Input": '{"at": "<aws.scheduler.scheduled-time>"}'}
    gc.collect()
    started = time.perf_counter()
    for i in range(schedules):
        scheduler.create_schedule(f"s{i}", f"cron({i % 60} {(i // 60) % 24} * * ? *)", target,
                                  ScheduleExpressionTimezone=ZONES[i % len(ZONES)])
    created = time.perf_counter() - started
    started = time.perf_counter()
    ran = bridge.advance(timedelta(days=1))
    elapsed = time.perf_counter() - started
    assert ran == len(received) == schedules, (ran, len(received), schedules)
    return {"create s": created, "invocations": ran, "day s": elapsed, "per invocation us": elapsed / ran * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path("docs/scheduler.md"))
    args = parser.parse_args()
    small = _run(1_000)
    large = _run(args.schedules)
    ratio = large["per invocation us"] / small["per invocation us"]
    table = "\n".join([
        START,
        f"Measured by `make bench-scheduler` on {date.today().isoformat()} (one run; every schedule fires once "
        "a virtual day, to a recorder).",
        "",
        "| figure | value |",
        "|---|---|",
        f"| {args.schedules:,} schedules created | {large['create s']:.1f} s "
        f"({large['create s'] / args.schedules * 1e6:.0f} µs each; goal: under 10 s) |",
        f"| one virtual day advanced, {large['invocations']:,} invocations recorded | {large['day s']:.1f} s, "
        f"{large['invocations'] / large['day s']:,.0f} invocations/s |",
        f"| cost per invocation, 1,000 schedules | {small['per invocation us']:.1f} µs |",
        f"| cost per invocation, {args.schedules:,} schedules | {large['per invocation us']:.1f} µs: "
        f"{ratio:.2f}x the cost at 1,000 (goal: within 2x) |",
        END,
    ])
    text = args.out.read_text() if args.out.exists() else ""
    if START in text:
        text = text[: text.index(START)] + table + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + table + "\n"
    args.out.write_text(text)
    print(table)


if __name__ == "__main__":
    main()
