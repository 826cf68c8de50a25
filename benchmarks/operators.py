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
from collections.abc import Callable, Sequence
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


def measure_eventmatch(patterns: list[dict[str, Any]], passes: list[list[bytes]],
                       warm: Sequence[bytes] = ()) -> tuple[float, int]:
    """eventmatch's events/s on JSON text (the best pass) and its match count on the first pass's events,
    after an untimed pass over ``warm`` (the anchors have one too: code generated, the memo's verdict in).

    Each pass takes events of its own (the same generator, another seed): a pass over events already seen
    would be served by the fields' memo (FieldIndex.memo), which holds the answers for the last few
    thousand distinct values, and measure that instead of the indexes."""
    import time

    from eventmatch import RuleSet

    rule_set = RuleSet()
    rule_set.update((f"r-{i}", p) for i, p in enumerate(patterns))
    match: Callable[[bytes], Any] = rule_set.matching_set
    for line in warm:
        match(line)
    best, matches = 0.0, 0
    for k, lines in enumerate(passes):
        count = 0
        start = time.perf_counter()
        for line in lines:
            count += len(match(line))
        best = max(best, len(lines) / (time.perf_counter() - start))
        if k == 0:
            matches = count
    return best, matches


def event_count(operator: str, n_rules: int, n_events: int) -> int:
    """How many events a pass of ``operator`` with ``n_rules`` takes: ``n_events``, but for the anything-but
    forms, whose every event matches nearly every rule, about two million matches' worth (at least 200),
    and 2,000 at 10,000 rules."""
    if operator.startswith("anything-but"):
        return max(200, min(n_events, 2_000_000 // n_rules))
    if n_rules >= 10_000:  # the anchors' wildcards take minutes a pass there (quamina's most)
        return min(n_events, 2_000)
    return n_events


def measure(sizes: tuple[int, ...], n_events: int, anchors: Path | None, rounds: int = 4,
            log: Callable[[str], None] | None = None) -> dict[str, dict[int, dict[str, Any]]]:
    """{operator: {rules: {"eventmatch": (events/s, matches), "event-ruler": ..., "quamina": ..., "events": n}}}:
    the anchors' entries are (events/s or None, matches or "unsupported"). Each size's operators that take
    the same number of events share one events file and one run of the anchors. eventmatch takes the best
    of ``2 * (rounds + 1)`` passes, half before the anchors and half after, after a warm-up pass: with
    ``rounds=4``, ten, as event-ruler takes the best of ten after one. Up to ``TARGET_RULES`` the anchors
    run again after eventmatch's second half, and keep their best of both runs."""
    from benchmarks.citylots import write_events, write_rule_set

    out: dict[str, dict[int, dict[str, Any]]] = {op: {} for op in OPERATORS}
    for n in sizes:
        groups: dict[int, list[str]] = {}
        for op in OPERATORS:
            groups.setdefault(event_count(op, n, n_events), []).append(op)
        for count, ops in groups.items():
            lines = events(count, n)
            # eventmatch's passes: the anchors' events first (for the match count), then fresh ones
            passes = [lines] + [events(count, n, seed=100 + k) for k in range(2 * rounds)]
            warm = events(count, n, seed=99)
            with tempfile.TemporaryDirectory() as tmp:
                rules_dir, events_file = Path(tmp) / "rules", Path(tmp) / "events.jsonl"
                rules_dir.mkdir()
                write_events(events_file, lines)
                kept: dict[str, list[dict[str, Any]]] = {}
                for op in ops:
                    patterns = rules(op, n)
                    if log:
                        log(f"operators: {op}, {n} rules, {count} events")
                    out[op][n] = {"eventmatch": measure_eventmatch(patterns, passes[: rounds + 1], warm),
                                  "events": count}
                    kept[op] = patterns
                    write_rule_set(rules_dir / f"{op.upper().replace('-', '_')}.jsonl", "r", patterns)
                if anchors is not None:
                    # eventmatch, the anchors, eventmatch again, and up to the targets' size the anchors again,
                    # each engine keeping its best: the machine's speed swings over minutes, and every engine
                    # should have had its chance at the same ones
                    _anchors_into(out, n, anchors, rules_dir, events_file, log, ops)
                    for op in ops:
                        again = measure_eventmatch(kept[op], [lines, *passes[rounds + 1:]], warm)
                        if again[0] > out[op][n]["eventmatch"][0]:
                            out[op][n]["eventmatch"] = again
                    if n <= TARGET_RULES:
                        _anchors_into(out, n, anchors, rules_dir, events_file, log, ops)
    return out


def _anchors_into(out: dict[str, dict[int, dict[str, Any]]], n: int, anchors: Path, rules_dir: Path,
                  events_file: Path, log: Callable[[str], None] | None, ops: list[str]) -> None:
    """One run of the anchors on ``n`` rules of each of ``ops``, each engine's best rate kept in ``out``."""
    from benchmarks.report import run_anchors

    if log:
        log(f"operators: anchors on {n} rules ({', '.join(ops)})")
    for (engine, kind), (speed, matches) in run_anchors(anchors, rules_dir, events_file).items():
        op = kind.lower().replace("_", "-")
        if op in out and n in out[op]:
            before = out[op][n].get(engine)
            if before is None or before[0] is None or (speed is not None and speed > before[0]):
                out[op][n][engine] = (speed, matches)


TARGET_RULES = 1000
START, END = "<!-- operators:start -->", "<!-- operators:end -->"
CHART = "images/operators.svg"


def _k(rate: float) -> str:
    return f"{rate / 1000:,.1f}k" if rate >= 10_000 else f"{rate / 1000:,.2f}k"


def _rate(cell: tuple[float | None, str] | None) -> float | None:
    return None if cell is None else cell[0]


def render(result: dict[str, dict[int, dict[str, Any]]], anchors: bool, docs: Path) -> str:
    """The markdown section (between START and END) for docs/performance.md; writes the chart into
    ``docs / CHART``."""
    from datetime import date

    from benchmarks.chart import operators_chart

    rates = {op: {engine: {n: cell[engine][0] for n, cell in by_n.items()
                           if engine in cell and cell[engine][0]}
                  for engine in ("eventmatch", "event-ruler", "quamina")}
             for op, by_n in result.items()}
    (docs / CHART).parent.mkdir(parents=True, exist_ok=True)
    (docs / CHART).write_text(operators_chart(rates))
    sizes = sorted({n for by_n in result.values() for n in by_n})
    lines = [
        START,
        f"Measured by `make perf` (`python -m benchmarks.operators`) on {date.today().isoformat()}: for each "
        "operator, N rules on one field of small JSON events (about 150 bytes; `benchmarks/operators.py`), "
        "eventmatch's `RuleSet.matching_set` on the JSON text (the best of ten passes, five before the anchors "
        "and five after, each after an untimed warm-up pass and over events it has not seen, so that no answer "
        "comes from a field's memory of recent values; event-ruler takes the best of ten passes after one "
        "warm-up, quamina of five, and up to 1,000 rules both run again after eventmatch's second five and keep "
        "their best) and the anchors on the same rules and events in the same run. The events' "
        "values are as distinct at every size, so a change with N is the rules' doing. The anything-but forms match "
        "nearly every rule, so a pass of them "
        "takes about two million matches' worth of events (the `events` column); every other operator takes "
        "20,000, and 2,000 at 10,000 rules (where the anchors' wildcards take minutes a pass). *matches* says "
        "whether eventmatch's match count equals event-ruler's.",
        "",
        f"![Events per second against the number of rules, per operator]({CHART})",
        "",
        "| operator | rules | events | eventmatch | vs its rate at 10 | event-ruler | vs event-ruler | quamina "
        "| matches |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    targets: list[tuple[str, bool, str]] = []
    for op, by_n in result.items():
        at_10 = _rate(by_n.get(10, {}).get("eventmatch"))
        for n in sizes:
            cell = by_n.get(n)
            if cell is None:
                continue
            ours, ours_count = cell["eventmatch"]
            ruler = _rate(cell.get("event-ruler"))
            quamina = cell.get("quamina")
            same = "" if "event-ruler" not in cell else ("equal" if str(ours_count) == cell["event-ruler"][1]
                                                         else f"differ ({ours_count} vs {cell['event-ruler'][1]})")
            row = f"| {op} | {n:,} | {cell['events']:,} | {_k(ours)} | "
            row += f"{ours / at_10:.2f}x | " if at_10 else "- | "
            row += f"{_k(ruler)} | {ours / ruler:.2f}x | " if ruler else "- | - | "
            if quamina and quamina[0]:
                row += f"{_k(quamina[0])} | "
            else:
                row += "unsupported | " if quamina else "- | "
            lines.append(row + f"{same} |")
            if n == TARGET_RULES and ruler:
                targets.append((f"{op}: at {n:,} rules >= 1.0x event-ruler", ours >= ruler, f"{ours / ruler:.2f}x"))
            if n == TARGET_RULES and at_10 and not op.startswith("anything-but"):
                targets.append((f"{op}: rate at {n:,} rules >= half its rate at 10", ours >= at_10 / 2,
                                f"{ours / at_10:.2f}x"))
    lines += ["", "| target | result | figure |", "|---|---|---|"]
    lines += [f"| {name} | {'met' if ok else 'NOT met'} | {figure} |" for name, ok, figure in targets]
    lines += [
        "",
        "The anything-but forms are left out of the second target: each event matches nearly every rule, so the "
        "answer itself (a set of N rule names) grows with N, for every engine.",
    ]
    if not anchors:
        lines += ["", "The anchors were not run (no `--anchors` folder)."]
    lines.append(END)
    return "\n".join(lines)


def write_section(page: Path, section: str) -> None:
    """Put ``section`` into ``page`` between START and END (appended when the page has none)."""
    from benchmarks.report import put_section  # (report imports this module in its main)

    put_section(page, section, START, END, "## Many rules of one operator on one field")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.operators", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="rule counts, comma-separated")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--anchors", type=Path, default=None)
    parser.add_argument("--only", default="", help="operators, comma-separated (default all)")
    parser.add_argument("--write", type=Path, default=None,
                        help="write the section and chart into this page (docs/performance.md)")
    args = parser.parse_args(argv)
    global OPERATORS
    if args.only:
        OPERATORS = tuple(args.only.split(","))
    sizes = tuple(int(s) for s in args.sizes.split(","))
    result = measure(sizes, args.events, args.anchors, log=lambda m: print(m, file=sys.stderr, flush=True))
    if args.write is not None:
        write_section(args.write, render(result, args.anchors is not None, args.write.parent))
        print(f"wrote {args.write}", file=sys.stderr)
        return 0
    for op, by_size in result.items():
        for n, engines in by_size.items():
            cells = "  ".join(f"{engine} {speed / 1000 if speed else 0:,.0f}k ({matches})"
                              for engine, (speed, matches) in
                              ((e, c) for e, c in engines.items() if e != "events"))
            print(f"{op:26} {n:6}  {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
