"""Many rules of one operator on one field: the workloads of the operator-scaling table.

Each operator gets ``n`` rules on one field of small events (about 150 bytes of JSON), built so that an
event matches about the same number of rules at every ``n`` where the operator allows it (a few), and
the anything-but forms, which match every rule but the excluded ones, match nearly all of them.

    python -m benchmarks.operators [--sizes 10,100,1000] [--events N] [--anchors DIR]

prints a table (events/s of eventmatch on JSON text, event-ruler and quamina, match counts). ``make perf``
draws it into docs/performance.md with a chart (``benchmarks.report``).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

#: the operators of the table, in its order
OPERATORS = (
    "numeric-range", "cidr", "wildcard", "prefix", "suffix", "equals-ignore-case", "anything-but",
    "anything-but-prefix", "anything-but-suffix", "anything-but-ignore-case", "anything-but-wildcard",
)
SIZES = (10, 100, 1000, 10_000)


def _detail(field: str, condition: Any) -> dict[str, Any]:
    return {"detail": {field: condition}}


def _block(i: int) -> str:
    a, b = divmod(i, 256)
    if i % 5 == 3:
        return f"{11 + a % 200}.{b}.0.0/16"
    if i % 5 == 4:
        return f"12.{a % 256}.{b}.16/28"
    return f"10.{a % 256}.{b}.0/24"


def _address_in(i: int, rng: random.Random) -> str:
    """An address in rule ``i``'s block (see _block)."""
    a, b = divmod(i, 256)
    if i % 5 == 3:
        return f"{11 + a % 200}.{b}.{rng.randrange(256)}.{rng.randrange(256)}"
    if i % 5 == 4:
        return f"12.{a % 256}.{b}.{16 + rng.randrange(16)}"
    return f"10.{a % 256}.{b}.{rng.randrange(256)}"


def rules(operator: str, n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` patterns of ``operator`` on one field of :func:`events`."""
    rng = random.Random(seed)
    if operator == "numeric-range":  # overlapping ranges, each about 3/n of the values wide
        width = 100_000 / n
        out = []
        for i in range(n):
            low = round(i * width + rng.uniform(0, width), 3)
            out.append(_detail("value", [{"numeric": [">=", low, "<", round(low + 3 * width, 3)]}]))
        return out
    if operator == "cidr":  # a block a customer: mostly /24, some /16 and /28, all distinct
        return [_detail("ip", [{"cidr": _block(i)}]) for i in range(n)]
    if operator == "wildcard":  # a key pattern per tenant, one to four stars
        shapes = ("tenant-{i}/*", "tenant-{i}/*/obj-*.json", "tenant-{i}/*/*/obj-*", "*/tenant-{i}/*/*.json*")
        return [_detail("key", [{"wildcard": shapes[i % 4].format(i=i)}]) for i in range(n)]
    if operator == "prefix":
        return [_detail("key", [{"prefix": f"tenant-{i}/"}]) for i in range(n)]
    if operator == "suffix":
        return [_detail("key", [{"suffix": f"/obj-{i}.json"}]) for i in range(n)]
    if operator == "equals-ignore-case":
        return [_detail("device", [{"equals-ignore-case": f"DEVICE-{i}"}]) for i in range(n)]
    if operator == "anything-but":
        return [_detail("device", [{"anything-but": [f"device-{i}", f"device-{i + 1}"]}]) for i in range(n)]
    if operator == "anything-but-prefix":
        return [_detail("key", [{"anything-but": {"prefix": f"tenant-{i}/"}}]) for i in range(n)]
    if operator == "anything-but-suffix":
        return [_detail("key", [{"anything-but": {"suffix": f"/obj-{i}.json"}}]) for i in range(n)]
    if operator == "anything-but-ignore-case":
        return [_detail("device", [{"anything-but": {"equals-ignore-case": f"DEVICE-{i}"}}]) for i in range(n)]
    if operator == "anything-but-wildcard":
        return [_detail("key", [{"anything-but": {"wildcard": f"tenant-{i}/*"}}]) for i in range(n)]
    raise ValueError(f"unknown operator {operator}")


def events(n: int, rules_n: int, seed: int = 11) -> list[bytes]:
    """``n`` small JSON events (about 150 bytes) whose values land among ``rules_n`` rules' values. The
    values are about as distinct at every ``rules_n`` (a random part in each), so that what changes with
    the number of rules is the rules, not how often a value repeats."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        # nine in ten addresses are in a rule's block, the rest in none
        ip = _address_in(rng.randrange(rules_n), rng) if rng.random() < 0.9 else f"13.0.0.{rng.randrange(256)}"
        device = f"device-{rng.randrange(rules_n)}" if rng.random() < 0.5 else f"sensor-{rng.randrange(10**6)}"
        event = {
            "source": "app", "detail-type": "reading",
            "detail": {
                "device": device,
                "value": round(rng.uniform(0, 100_000), 2),
                "ip": ip,
                "key": f"tenant-{rng.randrange(rules_n)}/{rng.randrange(10**5)}/obj-{rng.randrange(rules_n)}.json",
            },
        }
        out.append(orjson.dumps(event))
    return out


def measure_eventmatch(patterns: list[dict[str, Any]], lines: list[bytes], rounds: int = 3) -> tuple[float, int]:
    """eventmatch's events/s on JSON text (best of ``rounds``) and its match count."""
    import time

    from eventmatch import RuleSet

    rule_set = RuleSet()
    rule_set.update((f"r-{i}", p) for i, p in enumerate(patterns))
    match: Callable[[bytes], Any] = rule_set.matching_set
    match(lines[0])
    best, matches = 0.0, 0
    for _ in range(rounds):
        count = 0
        start = time.perf_counter()
        for line in lines:
            count += len(match(line))
        best = max(best, len(lines) / (time.perf_counter() - start))
        matches = count
    return best, matches


def measure(sizes: tuple[int, ...], n_events: int, anchors: Path | None, rounds: int = 3,
            log: Callable[[str], None] | None = None) -> dict[str, dict[int, dict[str, Any]]]:
    """{operator: {rules: {"eventmatch": (events/s, matches), "event-ruler": ..., "quamina": ...}}}: the
    anchors' entries are (events/s or None, matches or "unsupported")."""
    from benchmarks.citylots import write_events, write_rule_set
    from benchmarks.report import run_anchors

    out: dict[str, dict[int, dict[str, Any]]] = {op: {} for op in OPERATORS}
    for n in sizes:
        lines = events(n_events, n)
        with tempfile.TemporaryDirectory() as tmp:
            rules_dir, events_file = Path(tmp) / "rules", Path(tmp) / "events.jsonl"
            rules_dir.mkdir()
            write_events(events_file, lines)
            for op in OPERATORS:
                patterns = rules(op, n)
                if log:
                    log(f"operators: {op}, {n} rules")
                out[op][n] = {"eventmatch": measure_eventmatch(patterns, lines, rounds)}
                write_rule_set(rules_dir / f"{op.upper().replace('-', '_')}.jsonl", "r", patterns)
            if anchors is not None:
                if log:
                    log(f"operators: anchors on {n} rules")
                for (engine, kind), (speed, matches) in run_anchors(anchors, rules_dir, events_file).items():
                    op = kind.lower().replace("_", "-")
                    if op in out:
                        out[op][n][engine] = (speed, matches)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.operators", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,1000", help="rule counts, comma-separated")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--anchors", type=Path, default=None)
    parser.add_argument("--only", default="", help="operators, comma-separated (default all)")
    args = parser.parse_args(argv)
    global OPERATORS
    if args.only:
        OPERATORS = tuple(args.only.split(","))
    sizes = tuple(int(s) for s in args.sizes.split(","))
    result = measure(sizes, args.events, args.anchors, log=lambda m: print(m, file=sys.stderr, flush=True))
    for op, by_size in result.items():
        for n, engines in by_size.items():
            cells = "  ".join(f"{engine} {speed / 1000 if speed else 0:,.0f}k ({matches})"
                              for engine, (speed, matches) in engines.items())
            print(f"{op:26} {n:6}  {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
