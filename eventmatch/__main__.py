"""The ``eventmatch`` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__, test_event_pattern
from .errors import EventmatchError


def _read(arg: str) -> str:
    """An argument is JSON text, ``@file`` or ``-`` for standard input."""
    if arg == "-":
        return sys.stdin.read()
    if arg.startswith("@"):
        return Path(arg[1:]).read_text(encoding="utf-8")
    return arg


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eventmatch", description="EventBridge event patterns, offline.")
    parser.add_argument("--version", action="version", version=f"eventmatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run the demo on the embedded examples")
    test = sub.add_parser("test", help="TestEventPattern: does EVENT match PATTERN? (exit 0 yes, 1 no, 2 error)")
    test.add_argument("pattern", help="pattern JSON, @file, or - for stdin")
    test.add_argument("event", help="event JSON, @file, or - for stdin")
    test.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    if args.command == "demo":
        from .demo import run

        return run(sys.stdout)
    if args.command == "test":
        try:
            result = test_event_pattern(_read(args.event), _read(args.pattern))
        except (EventmatchError, OSError) as exc:
            if args.json:
                print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
            else:
                print(f"eventmatch: {exc}", file=sys.stderr)
            return 2
        print(json.dumps({"Result": result}) if args.json else ("match" if result else "no match"))
        return 0 if result else 1
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
