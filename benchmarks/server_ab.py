"""The server's PutEvents throughput, this tree against a baseline commit, in one run: ``make bench-server-ab``
(``python -m benchmarks.server_ab --baseline b3b5066 --rounds 3``).

Each round runs :func:`benchmarks.server_bench._round` (``eventmatch serve --state`` in its own process, the
same clients: the benchmark's keep-alive client and boto3) once against the baseline's ``eventmatch`` (a
``git worktree`` of the commit) and once against this tree's, in alternating order; each side keeps its best
round, since the machine is shared and noisy. Prints one line a round and the best of each side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: run in a fresh interpreter whose ``eventmatch`` is the one PYTHONPATH names; the benchmark is this tree's
CODE = ("import json, sys, eventmatch; sys.path.insert(0, {root!r}); from benchmarks.server_bench import _round; "
        "r = _round({requests}); r['eventmatch'] = eventmatch.__file__; print(json.dumps(r))")
KEYS = ("accepted events/s", "boto3 events/s", "baseline requests/s")


def _one(source: Path, requests: int) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(source))
    done = subprocess.run([sys.executable, "-c", CODE.format(root=str(ROOT), requests=requests)], env=env,
                          capture_output=True, text=True, cwd=tempfile.gettempdir(), check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    if not str(result.pop("eventmatch")).startswith(str(source)):
        raise RuntimeError(f"the round did not import eventmatch from {source}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="b3b5066", help="the commit to compare with (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each side (default: %(default)s)")
    parser.add_argument("--requests", type=int, default=3000, help="PutEvents requests a round (default: %(default)s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        baseline = Path(folder) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(baseline), args.baseline],
                       check=True)
        try:
            sides = {"baseline": baseline, "this tree": ROOT}
            best: dict[str, dict[str, float]] = {name: {} for name in sides}
            for n in range(args.rounds):
                order = list(sides) if n % 2 == 0 else list(reversed(sides))
                for name in order:
                    result = _one(sides[name], args.requests)
                    print(f"round {n + 1}, {name}: " + ", ".join(f"{k} {result[k]:,.0f}" for k in KEYS), flush=True)
                    for key in KEYS:
                        best[name][key] = max(best[name].get(key, 0.0), result[key])
            for key in KEYS:
                ours, theirs = best["this tree"][key], best["baseline"][key]
                print(f"best {key}: this tree {ours:,.0f}, {args.baseline} {theirs:,.0f} ({ours / theirs - 1:+.1%})")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)], check=False)


if __name__ == "__main__":
    main()
