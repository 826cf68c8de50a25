"""Per-event cost as the rules grow, with the matches per event held equal (one).

``benchmarks/workload.py``'s ``one_match_rules``: the realistic mix in groups of ten rules sharing a
``source``; every event of ``one_match_events`` matches exactly one rule, at every size. The sizes'
rule sets are built first, then timed in interleaved rounds (each keeps its best), since the machine is
noisy: the ratios to 100 rules come from one run.

    python -m benchmarks.held_equal                       # print the table
    python -m benchmarks.held_equal --write docs/performance.md
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from benchmarks import workload
from benchmarks.report import put_section, ruleset

SIZES = (100, 10_000, 100_000)
START, END = "<!-- held-equal:start -->", "<!-- held-equal:end -->"
TITLE = "## 100,000 rules, one match an event"


def measure(sizes: tuple[int, ...] = SIZES, n_events: int = 5_000, rounds: int = 5) -> dict[int, dict[str, float]]:
    """{rules: {"dict": seconds an event, "json": seconds a JSON event, "matches": matches an event}}."""
    cases: dict[int, tuple[Any, list[dict[str, Any]], list[bytes]]] = {}
    for n in sizes:
        rules = ruleset(workload.one_match_rules(n))
        events = workload.one_match_events(n, n_events)
        cases[n] = (rules, events, [orjson.dumps(e) for e in events])
    out: dict[int, dict[str, float]] = {n: {"dict": float("inf"), "json": float("inf")} for n in sizes}
    for n, (rules, events, _) in cases.items():
        out[n]["matches"] = sum(len(rules.matching_set(e)) for e in events) / len(events)
    gc.collect()
    gc.freeze()
    try:
        for _ in range(rounds):
            for n, (rules, events, lines) in cases.items():
                match = rules.matching_set
                for kind, items in (("dict", events), ("json", lines)):
                    start = time.perf_counter()
                    for item in items:
                        match(item)
                    out[n][kind] = min(out[n][kind], (time.perf_counter() - start) / len(items))
    finally:
        gc.unfreeze()
    return out


def render(result: dict[int, dict[str, float]]) -> str:
    base = result[min(result)]
    lines = [
        START,
        "Every event matches exactly one rule at every size (`benchmarks/held_equal.py`): the realistic mix "
        "in groups of ten rules sharing a `source`, the groups alike at every size. Interleaved rounds, "
        "each size keeps its best; the ratios are to 100 rules in the same run.",
        "",
        "| rules | matches an event | per event | vs 100 rules | per JSON event | vs 100 rules |",
        "|---|---|---|---|---|---|",
    ]
    for n, row in result.items():
        lines.append(
            f"| {n:,} | {row['matches']:.2f} | {row['dict'] * 1e6:.2f} µs | {row['dict'] / base['dict']:.2f}x "
            f"| {row['json'] * 1e6:.2f} µs | {row['json'] / base['json']:.2f}x |"
        )
    top = result[max(result)]
    worst = max(top["dict"] / base["dict"], top["json"] / base["json"])
    lines += [
        "",
        f"Target: within 2x of 100 rules at {max(result):,}: {'met' if worst <= 2 else 'not met'} "
        f"({worst:.2f}x at most).",
        END,
    ]
    return "\n".join(lines)


def write_section(page: Path, section: str) -> None:
    put_section(page, section, START, END, TITLE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.held_equal", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5_000, help="events a pass (default 5,000)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--write", type=Path, default=None, help="write the section into this page")
    args = parser.parse_args(argv)
    section = render(measure(SIZES, args.events, args.rounds))
    if args.write is not None:
        write_section(args.write, section)
        print(f"wrote {args.write}", file=sys.stderr)
    else:
        print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
