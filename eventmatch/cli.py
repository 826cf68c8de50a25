"""The ``eventmatch`` command line.

Arguments that take JSON (a pattern, an event) accept the JSON text itself,
a file name, ``@FILE``, or ``-`` for standard input. Exit codes follow grep:
0 when something matched (or everything was valid), 1 when nothing did (or
something was invalid), 2 on an error (bad input, a file that cannot be read).
With ``--json`` the answer, and any error, is printed as JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from .errors import EventmatchError
from .pattern import RuleSet, compile_pattern, explain
from .pattern.check import test_event_pattern
from .schedule import parse_schedule
from .version import __version__

SCHEDULE_PREFIXES = ("rate(", "cron(", "at(")
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".template")
RULE_FILE_SUFFIXES = (".json", ".jsonl", ".ndjson", *TEMPLATE_SUFFIXES)


class UsageError(Exception):
    """Bad arguments or unreadable input: exit code 2."""


# -- reading arguments -----------------------------------------------------------------------
class _Inputs:
    """Reads JSON arguments; standard input may be read only once."""

    def __init__(self) -> None:
        self.stdin_used = False

    def text(self, arg: str, what: str) -> str:
        if arg == "-":
            if self.stdin_used:
                raise UsageError("only one argument can be read from standard input (-)")
            self.stdin_used = True
            return sys.stdin.read()
        if arg.startswith("@"):
            return _read_file(Path(arg[1:]), what)
        stripped = arg.lstrip()
        if stripped[:1] in ("{", "[", '"') or stripped == "" or stripped[:4] in ("null", "true"):
            return arg
        path = Path(arg)
        if path.is_file():
            return _read_file(path, what)
        raise UsageError(f"{what}: {arg!r} is neither JSON text nor a file (give JSON, FILE, @FILE or -)")


def _read_file(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{what}: cannot read {path}: {exc}") from None


def _parameters(items: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--parameter {item!r}: expected NAME=VALUE")
        out[key] = value
    return out


# -- output ----------------------------------------------------------------------------------
class _Out:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def json(self, value: Any) -> None:
        print(json.dumps(value, ensure_ascii=False))

    def error(self, exc: BaseException, code: int = 2) -> int:
        if self.as_json:
            payload: dict[str, Any] = {"error": type(exc).__name__, "message": str(exc)}
            for attr in ("detail", "line", "column", "path", "problems"):
                value = getattr(exc, attr, None)
                if value is not None:
                    payload[attr] = value
            self.json(payload)
        else:
            print(f"eventmatch: {exc}", file=sys.stderr)
            detail = getattr(exc, "detail", None)
            if detail:
                print(f"eventmatch: ({detail})", file=sys.stderr)
        return code


class Progress:
    """A one-line progress report on stderr, redrawn at most five times a second."""

    def __init__(self, total_bytes: int | None, stream: IO[str], enabled: bool) -> None:
        self.total = total_bytes
        self.stream = stream
        self.enabled = enabled
        self.start = self.last = time.monotonic()
        self.drawn = False

    def update(self, done_bytes: int, events: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.2:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        line = f"{events:,} events, {events / elapsed:,.0f}/s"
        if self.total:
            share = done_bytes / self.total
            rate = done_bytes / elapsed
            eta = (self.total - done_bytes) / rate if rate else 0
            line += f", {share:.0%} of {_size(self.total)}, {int(eta) // 60}:{int(eta) % 60:02d} left"
        self.stream.write(f"\r{line}\x1b[K")
        self.stream.flush()
        self.drawn = True

    def finish(self, events: int, matched: int, bad: int) -> None:
        if not self.enabled:
            return
        elapsed = max(time.monotonic() - self.start, 1e-9)
        if self.drawn:
            self.stream.write("\r\x1b[K")
        self.stream.write(
            f"{events:,} events, {matched:,} matched, {bad:,} bad lines, {elapsed:.1f} s "
            f"({events / elapsed:,.0f} events/s)\n"
        )
        self.stream.flush()


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


# -- rules files -----------------------------------------------------------------------------
class Rules:
    """The rules ``match`` uses: plain patterns in one RuleSet, and templates, which decide for themselves.

    A template's rules are asked through :meth:`eventmatch.template.Template.matching`, the path
    ``test --template`` takes too: an event goes to every bus of the template, DISABLED rules never
    match, and the envelope fields AWS always sets are filled in first.
    """

    def __init__(self) -> None:
        self.plain = RuleSet()
        self.templates: list[Any] = []
        self.names: list[str] = []

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def matcher(self) -> Any:
        """A function from an event (JSON text or bytes) to the names of the rules it matches."""
        if not self.templates:
            return self.plain.matching
        plain = self.plain.matching if len(self.plain) else None
        templates = self.templates

        def matching(event: Any) -> list[str]:
            names = plain(event) if plain is not None else []
            for template in templates:
                names += [rule.name for rule in template.matching(event)]
            return names

        return matching


def load_rules(path: Path, parameters: dict[str, str] | None = None) -> Rules:
    """Rules from a file: a CloudFormation/SAM template, ``{name: pattern}`` JSON, a JSON list of
    ``{"Name", "EventPattern"}``, JSON lines of ``{"name", "pattern"}``, or a folder of such files."""
    rules = Rules()
    files = sorted(p for p in path.iterdir() if p.suffix in RULE_FILE_SUFFIXES) if path.is_dir() else [path]
    if path.is_dir() and not files:
        raise UsageError(f"--rules {path}: the folder has no rules files ({', '.join(RULE_FILE_SUFFIXES)})")
    for file in files:
        text = _read_file(file, "--rules")
        if _is_template(file, text):
            from .template import load_template

            template = load_template(file, parameters, text=text)
            enabled = [r for r in template.pattern_rules if r.enabled]
            for rule in enabled:
                if rule.name in rules:
                    raise UsageError(f"{file}: {rule.where}: a rule named {rule.name!r} appears twice")
                rules.names.append(rule.name)
            if enabled:
                rules.templates.append(template)
            continue
        for name, pattern, where in _rules_in(file, text):
            if name in rules:
                raise UsageError(f"{where}: a rule named {name!r} appears twice")
            try:
                rules.plain.add(name, pattern)
            except EventmatchError as exc:
                raise UsageError(f"{where}: rule {name!r}: {exc}") from None
            rules.names.append(name)
    if not len(rules):
        raise UsageError(f"--rules {path}: no enabled event-pattern rules found")
    return rules


def _rules_in(file: Path, text: str) -> Iterator[tuple[str, Any, str]]:
    if file.suffix in (".jsonl", ".ndjson"):
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            where = f"{file}:{number}"
            item = _json(line, where)
            if not (isinstance(item, dict) and isinstance(item.get("name"), str) and "pattern" in item):
                raise UsageError(f'{where}: expected {{"name": ..., "pattern": ...}}')
            yield item["name"], _pattern_of(item["pattern"]), where
        return
    data = _json(text, str(file))
    if isinstance(data, dict):
        for name, pattern in data.items():
            yield name, _pattern_of(pattern), f"{file}: {name}"
    elif isinstance(data, list):
        for i, item in enumerate(data):
            where = f"{file}: item {i}"
            if isinstance(item, dict) and isinstance(item.get("Name"), str) and "EventPattern" in item:
                yield item["Name"], _pattern_of(item["EventPattern"]), where
            elif isinstance(item, dict) and isinstance(item.get("name"), str) and "pattern" in item:
                yield item["name"], _pattern_of(item["pattern"]), where
            else:
                raise UsageError(f'{where}: expected {{"Name": ..., "EventPattern": ...}}')
    else:
        raise UsageError(f"{file}: expected rules as a JSON object or list")


def _is_template(file: Path, text: str) -> bool:
    return file.suffix in TEMPLATE_SUFFIXES or (text.lstrip().startswith("{") and '"Resources"' in text)


def _pattern_of(value: Any) -> Any:
    return value  # a dict, or JSON text (as ListRules returns EventPattern)


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{where}: not valid JSON: {exc}") from None


# -- commands --------------------------------------------------------------------------------
def cmd_test(args: argparse.Namespace, out: _Out, inputs: _Inputs) -> int:
    if args.template:
        if args.event is not None:
            raise UsageError("with --template, give only the EVENT")
        return _test_template(args, out, inputs)
    if args.event is None:
        raise UsageError("give PATTERN and EVENT, or --template TEMPLATE and EVENT")
    result = test_event_pattern(inputs.text(args.event, "EVENT"), inputs.text(args.pattern, "PATTERN"))
    if out.as_json:
        out.json({"Result": result})
    else:
        print("match" if result else "no match")
    return 0 if result else 1


def _test_template(args: argparse.Namespace, out: _Out, inputs: _Inputs) -> int:
    from .template import load_template

    template = load_template(args.template, _parameters(args.parameter))
    event = inputs.text(args.pattern, "EVENT")
    matched = template.matching(event, bus=args.bus)
    firings = template.fire(event, bus=args.bus)
    idle = [r for r in matched if not r.targets]  # matched, but nothing to deliver to
    if out.as_json:
        out.json([f.to_dict() for f in firings] + [
            {"rule": r.name, "bus": r.bus, "target": None, "arn": None, "payload": None} for r in idle])
    elif not matched:
        print("no rule matches")
    else:
        for f in firings:
            print(f"{f.rule.name} (bus {f.rule.bus}) -> {f.target.id} ({f.target.arn})")
            print("    " + json.dumps(f.payload, ensure_ascii=False))
        for r in idle:
            print(f"{r.name} (bus {r.bus}) matched; it has no targets")
    return 0 if matched else 1


def cmd_explain(args: argparse.Namespace, out: _Out, inputs: _Inputs) -> int:
    result = explain(inputs.text(args.pattern, "PATTERN"), inputs.text(args.event, "EVENT"))
    if out.as_json:
        out.json(result.to_dict())
    else:
        print(result)
    return 0 if result.matched else 1


def cmd_validate(args: argparse.Namespace, out: _Out, inputs: _Inputs) -> int:
    items: list[tuple[str, str]] = [(i, "auto") for i in args.items]
    items += [(p, "pattern") for p in args.pattern] + [(s, "schedule") for s in args.schedule]
    items += [(t, "template") for t in args.template]
    if not items:
        raise UsageError("nothing to validate: give a pattern, a schedule expression or --template FILE")
    results = []
    for item, kind in items:
        if kind == "auto":
            kind = "schedule" if item.strip().startswith(SCHEDULE_PREFIXES) else "pattern"
        result: dict[str, Any] = {"input": item, "kind": kind, "valid": True}
        try:
            if kind == "schedule":
                schedule = parse_schedule(item.strip(), args.tz, service=args.service)
                result["describe"] = schedule.describe()
            elif kind == "template":
                from .template import load_template

                template = load_template(item, _parameters(args.parameter))
                result["rules"] = len(template.rules)
            else:
                compile_pattern(inputs.text(item, "PATTERN"))
        except EventmatchError as exc:
            result.update(valid=False, message=str(exc))
            for attr in ("detail", "line", "column", "path", "problems"):
                value = getattr(exc, attr, None)
                if value is not None:
                    result[attr] = value
        results.append(result)
    if out.as_json:
        out.json(results if len(results) > 1 else results[0])
    else:
        for r in results:
            label = r["input"] if len(r["input"]) <= 60 else r["input"][:57] + "..."
            if r["valid"]:
                count = r.get("rules")
                extra = (f" ({r['describe']})" if "describe" in r else
                         f" ({count} rule{'' if count == 1 else 's'})" if count is not None else "")
                print(f"valid {r['kind']}: {label}{extra}")
            else:
                print(f"invalid {r['kind']}: {label}")
                for line in r["message"].splitlines():
                    print(f"    {line}")
                if r.get("detail"):
                    print(f"    ({r['detail']})")
    return 0 if all(r["valid"] for r in results) else 1


def cmd_next(args: argparse.Namespace, out: _Out, inputs: _Inputs) -> int:
    if args.n < 1:
        raise UsageError("-n must be at least 1")
    if args.after:
        try:
            after = datetime.fromisoformat(args.after)
        except ValueError:
            raise UsageError(f"--after {args.after!r}: expected an ISO 8601 time such as 2026-01-01T00:00") from None
    else:
        after = datetime.now(UTC)
    schedule = parse_schedule(args.expression, args.tz, service=args.service)
    if after.tzinfo is None:
        after = after.replace(tzinfo=schedule.tz)
    # a rate counts from when its rule or schedule starts (as `make demo`'s rules, made now, do): --after here
    schedule = parse_schedule(args.expression, args.tz, service=args.service, start=after)
    times: list[str] = []
    for when in schedule.iter(after):
        times.append(when.isoformat())
        if len(times) == args.n:
            break
    if out.as_json:
        out.json({"expression": args.expression, "timezone": args.tz, "describe": schedule.describe(), "next": times})
    else:
        for text in times:
            print(text)
        if len(times) < args.n:
            last = "the schedule's last one" if times else "none"
            print(f"eventmatch: {len(times)} fire time(s) after {after.isoformat()} ({last}; "
                  "a schedule ends with its end date, its years or 9999-12-31)", file=sys.stderr)
    return 0


def cmd_rules(args: argparse.Namespace, out: _Out, inputs: _Inputs) -> int:
    from .template import load_template

    template = load_template(args.template, _parameters(args.parameter))
    listed = []
    for rule in template.rules:
        listed.append(
            {
                "name": rule.name,
                "kind": rule.kind,
                "where": rule.where,
                "bus": rule.bus,
                "state": rule.state,
                **({"pattern": json.loads(rule.pattern.text)} if rule.pattern is not None else {}),
                **({"schedule": rule.schedule, "timezone": rule.timezone} if rule.schedule is not None else {}),
                "targets": [t.spec() for t in rule.targets],
            }
        )
    if out.as_json:
        out.json(listed)
    elif not listed:
        print(f"{args.template}: no EventBridge rules or schedules (buses: {', '.join(template.buses)})",
              file=sys.stderr)
    else:
        for item in listed:
            what = json.dumps(item["pattern"]) if "pattern" in item else f"{item['schedule']} [{item['timezone']}]"
            print(f"{item['name']} ({item['kind']}, bus {item['bus']}, {item['state']}): {what}")
            for t in item["targets"]:
                print(f"    -> {t['Id']} ({t['Arn']})")
    return 0 if listed else 1


def cmd_match(args: argparse.Namespace, out: _Out, inputs: _Inputs) -> int:
    rules_path = Path(args.rules)
    if not rules_path.exists():
        raise UsageError(f"--rules {args.rules}: no such file or folder")
    rules = load_rules(rules_path, _parameters(args.parameter))
    sources = args.events or ["-"]
    if sources.count("-") > 1:
        raise UsageError("standard input (-) can be read only once")
    for source in sources:
        if source != "-" and not Path(source).is_file():
            raise UsageError(f"{source}: no such file")
    total = None if "-" in sources else sum(Path(s).stat().st_size for s in sources)
    show_progress = args.progress if args.progress is not None else sys.stderr.isatty()
    progress = Progress(total, sys.stderr, show_progress)
    counts: Counter[str] = Counter()
    events = matched = bad = done = 0
    write = sys.stdout.write
    matching = rules.matcher()
    for source in sources:
        stream = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115
        label = "<stdin>" if source == "-" else source
        try:
            for number, line in enumerate(stream, 1):
                done += len(line)
                if not line.strip():
                    continue
                events += 1
                if not events & 4095:
                    progress.update(done, events)
                try:
                    names = matching(line)
                except EventmatchError as exc:
                    bad += 1
                    detail = getattr(exc, "detail", str(exc))
                    if out.as_json:  # one JSON line for the bad line, in the stream, as --json promises
                        write(json.dumps({"source": label, "line": number, "error": type(exc).__name__,
                                          "message": str(exc), "detail": detail}) + "\n")
                    else:
                        print(f"eventmatch: {label}:{number}: {detail}", file=sys.stderr)
                    continue
                if names:
                    matched += 1
                if args.count:
                    counts.update(names)
                elif out.as_json:
                    if names or args.all:
                        write(json.dumps({"source": label, "line": number, "rules": names}) + "\n")
                elif names or args.all:
                    write(f"{label}:{number}: {', '.join(names)}\n" if len(sources) > 1 else
                          f"{number}: {', '.join(names)}\n")
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
    progress.finish(events, matched, bad)
    if args.count:
        table = {name: counts.get(name, 0) for name in rules}
        if out.as_json:
            out.json({"events": events, "matched": matched, "bad": bad, "rules": table})
        else:
            width = max(len(n) for n in table)
            for name, n in table.items():
                print(f"{name:<{width}}  {n}")
    if bad:
        return 2
    return 0 if matched else 1


def _redis_missing(exc: ImportError) -> UsageError:
    return UsageError(f"the Redis transport needs the redis package: pip install 'eventmatch[redis]' ({exc})")


def _transport(args: argparse.Namespace) -> Any:
    try:
        from .transport.redis import RedisTransport
    except ImportError as exc:  # the redis extra is not installed
        raise _redis_missing(exc) from None
    return RedisTransport(args.redis, namespace=args.namespace, visibility_timeout=args.visibility_timeout)


def _handlers(spec: str) -> dict[str, Any]:
    """``module:attribute`` naming a mapping of handler names to callables."""
    import importlib

    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise UsageError(f"--handlers {spec!r}: expected MODULE:ATTRIBUTE (a mapping of names to callables)")
    sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"--handlers {spec!r}: cannot import {module_name}: {exc}") from None
    handlers = getattr(module, attribute, None)
    if not isinstance(handlers, dict) or not all(callable(f) for f in handlers.values()):
        raise UsageError(f"--handlers {spec!r}: {attribute} must be a dict of names to callables")
    return handlers


def cmd_redis(args: argparse.Namespace, out: _Out, inputs: _Inputs) -> int:
    try:
        import redis
    except ImportError as exc:
        raise _redis_missing(exc) from None
    try:
        if args.action == "put-rules" and args.rules is None:
            raise UsageError("put-rules needs RULES (a rules document: JSON, FILE, @FILE or -)")
        if args.action == "worker" and not args.handlers:
            raise UsageError("worker needs --handlers MODULE:ATTRIBUTE")
        if args.action != "put-rules" and args.rules is not None:
            raise UsageError(f"{args.action} takes no RULES argument")
        transport = _transport(args)
        if args.action == "put-rules":
            version = transport.put_rules(json.loads(inputs.text(args.rules, "RULES")))
            if out.as_json:
                out.json({"version": version})
            else:
                print(f"rules version {version}")
            return 0
        if args.action == "status":
            status = {"rules_version": transport.rules().version, "backlog": transport.backlog(),
                      "pending": transport.pending(), **transport.counts()}
            if out.as_json:
                out.json(status)
            else:
                for key, value in status.items():
                    print(f"{key}: {value}")
            return 0
        import signal
        import threading

        worker = transport.worker(_handlers(args.handlers), args.name, batch=args.batch)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        print(f"worker {worker.name}: consuming (group {transport.group}); SIGTERM or Ctrl-C stops it",
              file=sys.stderr, flush=True)
        processed = worker.run(stop)
        print(f"worker {worker.name}: stopped after {processed} events", file=sys.stderr)
        return 0
    except json.JSONDecodeError as exc:
        raise UsageError(f"RULES: not valid JSON: {exc}") from None
    except redis.exceptions.RedisError as exc:
        raise UsageError(f"--redis {args.redis}: {exc}") from None


def cmd_lint(args: argparse.Namespace, out: _Out, inputs: _Inputs) -> int:
    """Will these rules ever fire? Findings against AWS's event catalogue (docs/lint.md)."""
    from .schemas import CODES, aws_catalogue, lint_pattern, lint_template, load_schemas, to_sarif
    from .schemas.discover import SchemaError

    if not args.items and not args.template and not args.endpoint_url:
        raise UsageError("nothing to lint: give a pattern (JSON, FILE, @FILE, -), --template FILE or "
                         "--endpoint-url URL")
    select = [c.strip().upper() for given in args.select for c in given.split(",") if c.strip()]
    ignore = [c.strip().upper() for given in args.ignore for c in given.split(",") if c.strip()]
    unknown = sorted(c for c in select + ignore if not any(k.startswith(c) for k in CODES))
    if unknown:
        raise UsageError(f"--select/--ignore: no such code {', '.join(unknown)} (codes: {', '.join(CODES)})")
    catalogue = aws_catalogue()
    if args.schemas:
        try:
            catalogue = catalogue.merged(load_schemas(args.schemas))
        except SchemaError as exc:
            raise UsageError(f"--schemas: {exc}") from None
    findings = []
    for item in args.items:
        text = inputs.text(item, "PATTERN")
        where = item if not item.lstrip().startswith(("{", "[")) else "-"
        findings += [replace(f, file=where) for f in lint_pattern(text, catalogue=catalogue)]
    for path in args.template:
        findings += lint_template(path, _parameters(args.parameter), catalogue=catalogue)
    for url in args.endpoint_url:
        from .schemas import lint_server

        try:
            findings += lint_server(url, args.region)
        except Exception as exc:  # botocore's errors: no server there, or not EventBridge's API
            raise UsageError(f"--endpoint-url {url}: cannot read its rules: {exc}") from None
    findings = [f for f in findings if (not select or f.code.startswith(tuple(select)))
                and not (ignore and f.code.startswith(tuple(ignore)))]
    form = "json" if out.as_json else args.format
    if form == "json":
        out.json([f.to_dict() for f in findings])
    elif form == "sarif":
        out.json(to_sarif(findings))
    else:
        for f in findings:
            place = ":".join(str(x) for x in (f.file or "-", f.line, f.column) if x is not None)
            rule = f" [{f.rule}]" if f.rule else ""
            print(f"{place}: {f.code} {f.severity}{rule} {f.message.splitlines()[0]}"
                  + (f" ({f.path})" if f.path and f.path not in f.message else ""))
        errors = sum(f.severity == "error" for f in findings)
        print(f"{len(findings)} finding{'s' if len(findings) != 1 else ''}, {errors} error{'s' if errors != 1 else ''}",
              file=sys.stderr)
    return 1 if any(f.severity == "error" for f in findings) else 0


def cmd_discover(args: argparse.Namespace, out: _Out, inputs: _Inputs) -> int:
    """Schemas inferred from events (JSON lines), one per source and detail-type, as OpenAPI 3 files."""
    from .schemas.discover import Discoverer, to_openapi

    found = Discoverer()
    count = 0
    for item in args.events:
        text = inputs.text(item, "EVENTS") if item == "-" or Path(item).is_file() else None
        if text is None:
            raise UsageError(f"EVENTS: {item!r} is not a file (give FILE or -)")
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except ValueError as exc:
                raise UsageError(f"{item}, line {number}: not JSON: {exc}") from None
            if isinstance(event, dict):
                found.observe(event)
                count += 1
    types = found.event_types()
    if args.out:
        folder = Path(args.out)
        folder.mkdir(parents=True, exist_ok=True)
        for event_type in types:
            name = f"{event_type.source}@{event_type.detail_type}".replace("/", "_").replace(" ", "")
            document = to_openapi(event_type, found.version(event_type.source, event_type.detail_type))
            (folder / f"{name}.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if out.as_json:
        out.json([{"source": t.source, "detail-type": t.detail_type,
                   "version": found.version(t.source, t.detail_type),
                   "fields": sorted(t.detail.fields)} for t in types])
    else:
        for t in types:
            print(f"{t.source} / {t.detail_type}: {len(t.detail.fields)} fields, version "
                  f"{found.version(t.source, t.detail_type)}")
        where = f", written to {args.out}" if args.out else ""
        print(f"{count} events, {len(types)} schemas{where}", file=sys.stderr)
    return 0


def cmd_sample(args: argparse.Namespace, out: _Out, inputs: _Inputs) -> int:
    """A sample event of an event type of AWS's catalogue (or of --schemas), valid against its schema."""
    from .schemas import UnknownEventTypeError, aws_catalogue, load_schemas, sample_event
    from .schemas.discover import SchemaError

    catalogue = aws_catalogue()
    try:
        if args.schemas:
            catalogue = catalogue.merged(load_schemas(args.schemas))
        event = sample_event(catalogue, args.source, args.detail_type)
    except (UnknownEventTypeError, SchemaError) as exc:
        raise UsageError(str(exc)) from None
    print(json.dumps(event, indent=None if out.as_json else 2))
    return 0


def cmd_serve(args: argparse.Namespace, out: _Out, inputs: _Inputs) -> int:
    try:
        from .server import Server
    except ImportError as exc:
        raise UsageError(f"eventmatch serve needs the server extra: pip install 'eventmatch[server]' ({exc})") from None
    from .bus import EventBridge, VirtualClock

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"eventmatch: warning: serving on {args.host}: anyone who can reach it can change its rules",
              file=sys.stderr)
    clock = None
    if args.virtual_clock is not None:
        try:
            start = datetime.fromisoformat(args.virtual_clock) if args.virtual_clock else datetime.now(UTC)
        except ValueError:
            raise UsageError(f"--virtual-clock {args.virtual_clock!r}: expected an ISO 8601 time") from None
        clock = VirtualClock(start if start.tzinfo else start.replace(tzinfo=UTC))
    from .server.forward import parse_forward
    from .server.outbound import parse_allow_endpoint
    from .server.security import SecurityPolicy, check_origin

    try:
        forward = parse_forward(args.forward)
        security = SecurityPolicy.of(allow_origins=[check_origin(o) for o in args.allow_origin],
                                     allow_hosts=args.allow_host,
                                     allow_endpoints=[parse_allow_endpoint(e) for e in args.allow_endpoint])
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    # with --state, archived events are kept in the same file (the archives themselves are in its command log)
    bridge = EventBridge(clock=clock, archive_path=args.state or ":memory:", account=args.account,
                         region=args.region)
    # templates read (and refused, with their problems) before anything starts; installed before the state's
    # log is played, so that the changes made since on their buses and rules are there after a restart
    from .template import load_template

    templates: list[tuple[tuple[str, str] | None, Any]] = [
        (None, load_template(path, _parameters(args.parameter))) for path in args.template]
    templates += [(_pair(pair), load_template(path, _parameters(args.parameter))) for pair, path in args.template_in]

    def prepare(services: Any) -> None:
        for pair, template in templates:
            service = services.default if pair is None else services.get(pair)  # another pair made as a request would
            template.install(service.bridge, service.scheduler)

    try:
        server = Server(bridge, host=args.host, port=args.port, state=args.state, forward=forward,
                        security=security, discover=args.discover, prepare=prepare)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc}") from None
    if clock is None:
        bridge.start()  # retries and scheduled rules on the system clock
    server.start()

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    # Ctrl-C and SIGTERM (docker stop, systemd) stop the server in order, even where SIGINT came ignored
    # (a job started in the background by a shell without job control inherits it so; Python then sets no
    # handler of its own, and the server could not be stopped with SIGINT)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    stance = "loopback only" if args.host in ("127.0.0.1", "localhost", "::1") else f"listening on {args.host}"
    origins = f"; pages of {', '.join(sorted(security.allow_origins))} allowed" if security.allow_origins else ""
    print(f"eventmatch: EventBridge API at {server.endpoint_url} (console: {server.endpoint_url}/; {stance}; "
          f"other origins refused{origins}; see docs/security.md). Ctrl-C stops it.", file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def cmd_demo(args: argparse.Namespace, out: _Out, inputs: _Inputs) -> int:
    from .demo import run

    return run(sys.stdout)


# -- the parser ------------------------------------------------------------------------------
def _region(text: str) -> str:
    """--region: a region's name (us-east-1, eu-west-3, cn-north-1...)."""
    from .server.sigv4 import REGION

    if not REGION.match(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a region's name (us-east-1, eu-west-3...)")
    return text


def _pair(text: str) -> tuple[str, str]:
    """--template-in's ACCOUNT:REGION."""
    account, _, region = text.partition(":")
    try:
        return _account(account), _region(region)
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"--template-in {text!r}: expected ACCOUNT:REGION (111122223333:eu-west-1): {exc}") from None


def _account(text: str) -> str:
    """--account: an account id, 12 digits."""
    if not (len(text) == 12 and text.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not an account id (12 digits)")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eventmatch",
        description="Amazon EventBridge event patterns, schedules and templates, offline.",
        epilog="JSON arguments: the text itself, FILE, @FILE, or - for standard input. "
        "Exit status: 0 match/valid, 1 no match/invalid, 2 error.",
    )
    parser.add_argument("--version", action="version", version=f"eventmatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--json", action="store_true", help="print the result (and errors) as JSON")
        return p

    def parameters(p: argparse.ArgumentParser) -> None:
        p.add_argument("--parameter", "-p", action="append", default=[], metavar="NAME=VALUE",
                       help="a template parameter's value (repeatable; others take their Default)")

    def service(p: argparse.ArgumentParser) -> None:
        p.add_argument("--service", choices=["events", "scheduler"], default="scheduler",
                       help="whose rules apply to schedule expressions: events (an EventBridge rule: no at(), "
                       "rate units agree with the value) or scheduler (EventBridge Scheduler; the default)")

    command("demo", "run the demo: patterns, schedules and a bus on a virtual clock")

    p = command("test", "TestEventPattern: does EVENT match PATTERN? Or, with --template, which targets fire")
    p.add_argument("pattern", metavar="PATTERN", help="the pattern (with --template: the EVENT)")
    p.add_argument("event", metavar="EVENT", nargs="?", help="the event")
    p.add_argument("--template", "-t", metavar="FILE", help="a CloudFormation or SAM template (YAML or JSON)")
    p.add_argument("--bus", help="with --template: the bus the event is put on (default: every bus)")
    parameters(p)

    p = command("match", "which rules match each event of a JSON-lines stream")
    p.add_argument("events", metavar="EVENTS", nargs="*", help="JSON-lines files (default: standard input)")
    p.add_argument("--rules", "-r", required=True, metavar="RULES",
                   help="a template, {name: pattern} JSON, JSON lines of {name, pattern}, or a folder of them")
    p.add_argument("--count", action="store_true", help="print how many events each rule matched instead")
    p.add_argument("--all", action="store_true", help="print events that match no rule too")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--progress", dest="progress", action="store_true", default=None,
                       help="show progress on stderr (default: when stderr is a terminal)")
    group.add_argument("--no-progress", dest="progress", action="store_false")
    parameters(p)

    p = command("validate", "check patterns, schedule expressions and templates, with AWS's messages")
    p.add_argument("items", nargs="*", metavar="ITEM",
                   help="a pattern (JSON, FILE, @FILE, -) or a schedule expression (rate(...), cron(...), at(...))")
    p.add_argument("--pattern", action="append", default=[], metavar="PATTERN", help="a pattern (repeatable)")
    p.add_argument("--schedule", action="append", default=[], metavar="EXPR", help="a schedule expression")
    p.add_argument("--template", action="append", default=[], metavar="FILE", help="a template (repeatable)")
    p.add_argument("--tz", default="UTC", help="time zone of schedule expressions (default UTC)")
    service(p)
    parameters(p)

    p = command("next", "the next fire times of a schedule expression")
    p.add_argument("expression", metavar="EXPRESSION", help="rate(...), cron(...) or at(...)")
    p.add_argument("-n", type=int, default=5, help="how many (default 5)")
    p.add_argument("--tz", default="UTC", help="the schedule's time zone (default UTC)")
    p.add_argument("--after", help="start after this ISO 8601 time (default now; naive times are in --tz); a rate "
                                   "counts from it, as a rule's counts from its creation")
    service(p)

    p = command("explain", "why EVENT matches PATTERN or not, field by field")
    p.add_argument("pattern", metavar="PATTERN")
    p.add_argument("event", metavar="EVENT")

    p = command("rules", "list the rules, schedules and targets a template defines")
    p.add_argument("template", metavar="TEMPLATE")
    parameters(p)

    p = command("lint", "will these rules ever fire? patterns and templates checked against AWS's event catalogue")
    p.add_argument("items", nargs="*", metavar="PATTERN", help="a pattern (JSON, FILE, @FILE, -)")
    p.add_argument("--template", "-t", action="append", default=[], metavar="FILE",
                   help="lint every rule of a CloudFormation or SAM template (repeatable)")
    p.add_argument("--schemas", action="append", default=[], metavar="PATH",
                   help="your own events' schemas too: OpenAPI 3 or JSON Schema files, or folders of them "
                   "(eventmatch discover writes them; repeatable)")
    p.add_argument("--endpoint-url", action="append", default=[], metavar="URL",
                   help="lint every rule of a running server (eventmatch serve) at URL (repeatable)")
    p.add_argument("--region", default="us-east-1",
                   help="the region of --endpoint-url's requests (default %(default)s)")
    p.add_argument("--format", choices=["text", "json", "sarif"], default="text",
                   help="text (a finding a line), json (a list of findings) or sarif (SARIF 2.1.0)")
    p.add_argument("--select", action="append", default=[], metavar="CODES",
                   help="only these codes or prefixes (EM1, EM103,EM104; repeatable)")
    p.add_argument("--ignore", action="append", default=[], metavar="CODES", help="not these codes (repeatable)")
    parameters(p)

    p = command("discover", "infer your events' schemas (one per source and detail-type) from JSON lines")
    p.add_argument("events", nargs="+", metavar="EVENTS", help="a file of events, one JSON object a line (or -)")
    p.add_argument("--out", metavar="DIR", help="write each schema there as OpenAPI 3 (for lint --schemas)")

    p = command("sample", "a sample event of an AWS event type (or of your schemas), every field filled")
    p.add_argument("source", metavar="SOURCE", help="the event's source (aws.ec2)")
    p.add_argument("detail_type", metavar="DETAIL-TYPE",
                   help="its detail-type (EC2 Instance State-change Notification)")
    p.add_argument("--schemas", action="append", default=[], metavar="PATH",
                   help="your own events' schemas too (OpenAPI 3 or JSON Schema files, or folders; repeatable)")

    p = command("serve", "EventBridge's API over HTTP, for AWS's SDKs and CLI (--endpoint-url)")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default %(default)s)")
    p.add_argument("--port", type=int, default=4010, help="the port (default %(default)s; 0: a free one)")
    p.add_argument("--virtual-clock", nargs="?", const="", metavar="START",
                   help="run on a virtual clock (from START, ISO 8601; default now), moved by POST /_eventmatch/clock")
    p.add_argument("--template", "-t", action="append", default=[], metavar="FILE",
                   help="create a CloudFormation or SAM template's buses, rules and targets (repeatable)")
    p.add_argument("--template-in", nargs=2, action="append", default=[], metavar=("ACCOUNT:REGION", "FILE"),
                   help="the same, in another account and region of the server (repeatable)")
    p.add_argument("--forward", action="append", default=[], metavar="SERVICE=URL",
                   help="forward targets of an AWS service (sqs, sns, lambda, states, kinesis, firehose, logs) to this "
                   "endpoint, an emulator say (repeatable; without it their deliveries are recorded)")
    p.add_argument("--state", metavar="FILE",
                   help="keep the server's state (buses, rules, targets, archives, accepted events...) in this "
                   "SQLite file across restarts (default: in memory)")
    p.add_argument("--discover", action="store_true",
                   help="infer the schemas of the events routed, as they pass (GET /_eventmatch/schemas; "
                   "eventmatch lint --endpoint-url lints against them)")
    p.add_argument("--region", default="us-east-1", type=_region,
                   help="the region of unsigned requests, of Server.bridge and of the console (default %(default)s; "
                   "a signed request is served in the region it is signed for)")
    p.add_argument("--account", default="123456789012", type=_account,
                   help="the account of unsigned requests and of access key ids that are not 12 digits "
                   "(default %(default)s; an access key id of 12 digits is its own account)")
    p.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                   help="let pages of this origin (scheme://host:port) call the server from a browser: CORS for "
                   "exactly that origin (repeatable; default: every other origin is refused; docs/security.md)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="answer requests whose Host header is NAME, besides loopback, localhost and the bound "
                   "address (a compose service, a tunnel; repeatable)")
    p.add_argument("--allow-endpoint", action="append", default=[], metavar="HOST[:PORT]",
                   help="let API destinations and OAuth endpoints reach HOST (at PORT), a private or link-local "
                   "address included, over http too (repeatable)")
    parameters(p)

    p = command("redis", "one bus across processes on Redis Streams: put rules, run a worker, show status")
    p.add_argument("action", choices=["put-rules", "worker", "status"])
    p.add_argument("rules", nargs="?", metavar="RULES", help="put-rules: the rules document (JSON, FILE, @FILE, -)")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="the Redis URL (default %(default)s)")
    p.add_argument("--namespace", default="eventmatch", help="key prefix of the bus's streams and rules")
    p.add_argument("--handlers", metavar="MODULE:ATTRIBUTE", help="worker: a dict of handler names to callables")
    p.add_argument("--name", help="worker: the consumer name (default host-pid-thread)")
    p.add_argument("--batch", type=int, default=200, help="worker: entries read per round (default 200)")
    p.add_argument("--visibility-timeout", type=float, default=30.0,
                   help="seconds before another worker may claim an unacknowledged entry (default 30)")
    return parser


COMMANDS = {
    "demo": cmd_demo,
    "test": cmd_test,
    "match": cmd_match,
    "validate": cmd_validate,
    "next": cmd_next,
    "explain": cmd_explain,
    "rules": cmd_rules,
    "redis": cmd_redis,
    "lint": cmd_lint,
    "discover": cmd_discover,
    "sample": cmd_sample,
    "serve": cmd_serve,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out = _Out(args.json)
    try:
        return COMMANDS[args.command](args, out, _Inputs())
    except UsageError as exc:
        return out.error(exc)
    except EventmatchError as exc:
        code = out.error(exc)
        problems = getattr(exc, "problems", None) or []
        if not out.as_json and any("no value was given" in message for _, message in problems):
            print("eventmatch: give parameters values with --parameter NAME=VALUE", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (| head): quiet, as Unix tools are
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
