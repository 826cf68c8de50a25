"""A raw-bytes pre-filter, measured: could "no rule can match" be answered without decoding the event?

    python -m benchmarks.prefilter [--events N]

When every rule needs one of a few string values, an event whose JSON text holds none of them quoted (and no
backslash, since escapes can spell a value differently) matches no rule. This measures, for 1 to 100 rules of
the common shape (a ``source`` and a ``detail-type`` each), what ``RuleSet.matching_set`` costs on JSON
bytes against two ways of asking first: a loop of ``in`` over the needles, and one compiled regular
expression of them all. Events that match no rule (a *miss*) and events that match one (a *hit*) are
measured apart, with sources that share a long prefix (``com.shop.svc3``) and sources that share none.
The conclusions are in docs/performance.md ("A raw-bytes pre-filter").
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections.abc import Callable
from typing import Any

import orjson

from eventmatch import RuleSet

WORDS = ("orders", "billing", "inventory", "payments", "shipping", "catalog", "users", "search", "reviews",
         "returns", "loyalty", "pricing", "ledger", "fraud", "notify", "audit")


def _sources(k: int, shared_prefix: bool) -> list[str]:
    if shared_prefix:
        return [f"com.shop.svc{i}" for i in range(k)]
    return [f"{WORDS[i % len(WORDS)]}{'' if i < len(WORDS) else i}.{WORDS[(i * 7 + 3) % len(WORDS)]}"
            for i in range(k)]


def _event(rng: random.Random, source: str, detail_type: str, i: int) -> bytes:
    return orjson.dumps({
        "version": "0", "id": f"{rng.getrandbits(64):016x}", "detail-type": detail_type, "source": source,
        "account": "123456789012", "time": "2026-12-01T00:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"orderId": i, "state": rng.choice(["new", "paid", "shipped"])},
    })


def _per_event(f: Callable[[bytes], Any], events: list[bytes], passes: int = 7) -> float:
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        for event in events:
            f(event)
        best = min(best, time.perf_counter() - start)
    return best / len(events) * 1e9


def measure(n_events: int) -> list[tuple[str, int, dict[str, float]]]:
    rows = []
    for shared in (True, False):
        for k in (1, 3, 10, 30, 100):
            rng = random.Random(5)
            sources = _sources(k, shared)
            rules = RuleSet()
            rules.update((f"r{i}", {"source": [s], "detail-type": ["OrderPlaced"]}) for i, s in enumerate(sources))
            needles = [orjson.dumps(s) for s in sources]  # each quoted, as it stands in the text
            misses = [_event(rng, f"com.other.app{i % 50}", "Something", i) for i in range(n_events)]
            hits = [_event(rng, sources[i % k], "OrderPlaced", i) for i in range(n_events)]
            match = rules.matching_set
            search = re.compile(b"|".join(re.escape(n) for n in needles)).search

            def loop(event: bytes, match: Callable[[bytes], Any] = match, needles: list[bytes] = needles) -> Any:
                if b"\\" not in event:
                    for needle in needles:
                        if needle in event:
                            return match(event)
                    return set()
                return match(event)

            def regex(event: bytes, match: Callable[[bytes], Any] = match, search: Any = search) -> Any:
                if b"\\" not in event and search(event) is None:
                    return set()
                return match(event)

            for event in misses[:100] + hits[:100]:  # the same answers either way
                assert loop(event) == regex(event) == match(event)
            figures = {f"{name} {kind}": _per_event(f, events)
                       for kind, events in (("miss", misses), ("hit", hits))
                       for name, f in (("match", match), ("loop", loop), ("regex", regex))}
            rows.append(("shared prefix" if shared else "no shared prefix", k, figures))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    print("| sources | rules | miss: match | miss: `in` loop first | miss: regex first "
          "| hit: match | hit: `in` loop first | hit: regex first |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, k, f in measure(args.events):
        print(f"| {kind} | {k} | " + " | ".join(
            f"{f[key]:,.0f} ns" for key in ("match miss", "loop miss", "regex miss", "match hit", "loop hit",
                                              "regex hit")) + " |")


if __name__ == "__main__":
    main()
