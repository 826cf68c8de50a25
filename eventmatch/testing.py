"""Helpers for testing your own rules: assertions that explain themselves, and a target that records.

They need no pytest (plain ``assert`` semantics: they raise ``AssertionError``);
the pytest plugin (:mod:`eventmatch.pytest_plugin`) adds fixtures around them.

>>> assert_matches({"source": ["aws.ec2"]}, {"source": "aws.ec2"})
>>> assert_no_match({"source": ["aws.ec2"]}, {"source": "aws.s3"})
>>> seen = Recorder()
>>> seen({"n": 1}); seen.last
{'n': 1}
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .pattern import Pattern, explain
from .pattern.compile import PatternInput

EventArg = Mapping[str, Any] | str | bytes


def assert_matches(pattern: PatternInput | Pattern, event: EventArg) -> None:
    """Fail, with a field-by-field explanation, unless ``event`` matches ``pattern``.

    Unlike :func:`eventmatch.test_event_pattern`, the event needs no envelope
    fields (id, account, time...), so tests can stay short.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this one
    result = explain(pattern, event)
    if not result.matched:
        raise AssertionError(f"the event does not match the pattern:\n{result}")


def assert_lints_clean(template: str | Path, parameters: Mapping[str, str] | None = None, *,
                       ignore: tuple[str, ...] = (), severities: tuple[str, ...] = ("error", "warning")) -> None:
    """Fail, listing each finding, if any rule of a CloudFormation or SAM template has a lint finding of these
    ``severities`` (docs/lint.md) whose code does not start with one of ``ignore``."""
    __tracebackhide__ = True
    from .schemas import lint_template

    found = [f for f in lint_template(str(template), parameters)
             if f.severity in severities and not (ignore and f.code.startswith(ignore))]
    if found:
        lines = "\n".join(f"  {f.code} {f.severity} [{f.rule or '-'}] {f.message}" for f in found)
        raise AssertionError(f"{template}: {len(found)} lint finding{'s' if len(found) > 1 else ''}:\n{lines}")


def assert_no_match(pattern: PatternInput | Pattern, event: EventArg) -> None:
    """Fail, with a field-by-field explanation, if ``event`` matches ``pattern``."""
    __tracebackhide__ = True
    result = explain(pattern, event)
    if result.matched:
        raise AssertionError(f"the event matches the pattern, but should not:\n{result}")


class Recorder:
    """A target callable that keeps every payload it receives (thread-safe).

    >>> bus.put_targets("rule", [{"Id": "t", "Fn": recorder}])   # doctest: +SKIP
    """

    def __init__(self) -> None:
        self.payloads: list[Any] = []
        self._lock = threading.Lock()

    def __call__(self, payload: Any) -> None:
        with self._lock:
            self.payloads.append(payload)

    @property
    def last(self) -> Any:
        """The most recent payload (AssertionError if none arrived)."""
        __tracebackhide__ = True
        if not self.payloads:
            raise AssertionError("the target received nothing")
        return self.payloads[-1]

    def __len__(self) -> int:
        return len(self.payloads)

    def clear(self) -> None:
        with self._lock:
            self.payloads.clear()

    def __repr__(self) -> str:
        return f"<Recorder {len(self.payloads)} payloads>"
