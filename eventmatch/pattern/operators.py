"""The matchers an event pattern is made of, one class per EventBridge operator.

A matcher tests one leaf value of an event (a string, number, boolean or
null). Each class says what it accepts in :meth:`Matcher.test`; the compiled
machine in :mod:`eventmatch.pattern.machine` indexes them by kind instead of
calling ``test`` on every one, and the two must agree (the tests check it).

All matchers are immutable and hashable, so that equal matchers in many rules
share one entry of the machine's indexes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .cidr import HexRange, ip_to_hex
from .numbers import FLOAT_EXACT, Number, event_number, nearest_float
from .wildcard import Pieces, wildcard_regex

_INFINITIES = (float("inf"), float("-inf"))


def fold(text: str) -> str:
    """Case-fold text the way equals-ignore-case compares it."""
    return text.casefold()


class Matcher:
    """Base class: a test on one leaf value of an event."""

    __slots__ = ()

    def test(self, value: object) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:
        """The matcher as it is written in a pattern (JSON-like)."""
        raise NotImplementedError  # pragma: no cover - abstract


@dataclass(frozen=True, slots=True)
class ExactString(Matcher):
    """``"value"``: the event value is this exact string."""

    value: str

    def test(self, value: object) -> bool:
        return type(value) is str and value == self.value

    def describe(self) -> str:
        return _q(self.value)


@dataclass(frozen=True, slots=True)
class ExactNumber(Matcher):
    """``300``: the event value is a number equal to this one (300 == 300.0 == 3e2)."""

    value: Number

    def test(self, value: object) -> bool:
        n = event_number(value)
        return n is not None and n == self.value

    def describe(self) -> str:
        return str(self.value)


@dataclass(frozen=True, slots=True)
class ExactLiteral(Matcher):
    """``true``, ``false`` or ``null``: the event value is that literal."""

    value: bool | None

    def test(self, value: object) -> bool:
        return value is self.value

    def describe(self) -> str:
        return {True: "true", False: "false", None: "null"}[self.value]


@dataclass(frozen=True, slots=True)
class Prefix(Matcher):
    """``{"prefix": "abc"}``, or with ``ignore_case`` ``{"prefix": {"equals-ignore-case": "abc"}}``."""

    value: str
    ignore_case: bool = False
    folded: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "folded", fold(self.value) if self.ignore_case else self.value)

    def test(self, value: object) -> bool:
        if type(value) is not str:
            return False
        return (fold(value) if self.ignore_case else value).startswith(self.folded)

    def describe(self) -> str:
        inner = f'{{"equals-ignore-case": {_q(self.value)}}}' if self.ignore_case else _q(self.value)
        return f'{{"prefix": {inner}}}'


@dataclass(frozen=True, slots=True)
class Suffix(Matcher):
    """``{"suffix": ".png"}``, or with ``ignore_case`` ``{"suffix": {"equals-ignore-case": ".png"}}``."""

    value: str
    ignore_case: bool = False
    folded: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "folded", fold(self.value) if self.ignore_case else self.value)

    def test(self, value: object) -> bool:
        if type(value) is not str:
            return False
        return (fold(value) if self.ignore_case else value).endswith(self.folded)

    def describe(self) -> str:
        inner = f'{{"equals-ignore-case": {_q(self.value)}}}' if self.ignore_case else _q(self.value)
        return f'{{"suffix": {inner}}}'


@dataclass(frozen=True, slots=True)
class EqualsIgnoreCase(Matcher):
    """``{"equals-ignore-case": "abc"}``: the event string equals this one, ignoring case."""

    value: str
    folded: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "folded", fold(self.value))

    def test(self, value: object) -> bool:
        return type(value) is str and fold(value) == self.folded

    def describe(self) -> str:
        return f'{{"equals-ignore-case": {_q(self.value)}}}'


@dataclass(frozen=True, slots=True)
class Wildcard(Matcher):
    """``{"wildcard": "dir/*.png"}``: ``*`` matches any run of characters."""

    text: str
    pieces: Pieces = field(compare=False, repr=False)
    regex: re.Pattern[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(wildcard_regex(self.pieces), re.DOTALL))

    def test(self, value: object) -> bool:
        return type(value) is str and self.regex.fullmatch(value) is not None

    def describe(self) -> str:
        return f'{{"wildcard": {_q(self.text)}}}'


@dataclass(frozen=True, slots=True)
class Numeric(Matcher):
    """``{"numeric": [">", 0, "<=", 5]}``: the event number lies in this range."""

    low: Number | None = None
    low_open: bool = False
    high: Number | None = None
    high_open: bool = False
    # the bounds as the nearest floats, for the fast comparison (see numbers.nearest_float)
    low_f: float | None = field(default=None, compare=False, repr=False)
    high_f: float | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.low is not None:
            object.__setattr__(self, "low_f", nearest_float(self.low))
        if self.high is not None:
            object.__setattr__(self, "high_f", nearest_float(self.high))

    def test(self, value: object) -> bool:
        kind = type(value)
        if kind is float or (kind is int and -FLOAT_EXACT < value < FLOAT_EXACT):  # type: ignore[operator]
            v: float = value  # type: ignore[assignment]
            if v != v or v in _INFINITIES:
                return False
            bound = self.low_f
            if bound is not None:
                if v < bound:
                    return False
                if v == bound:
                    return self._exact(value)
            bound = self.high_f
            if bound is not None:
                if v > bound:
                    return False
                if v == bound:
                    return self._exact(value)
            return True
        return self._exact(value)

    def _exact(self, value: object) -> bool:
        n = event_number(value)
        if n is None:
            return False
        if self.low is not None and (n <= self.low if self.low_open else n < self.low):
            return False
        return self.high is None or (n < self.high if self.high_open else n <= self.high)

    def describe(self) -> str:
        terms: list[str] = []
        if self.low is not None and self.low == self.high:
            return f'{{"numeric": ["=", {self.low}]}}'
        if self.low is not None:
            terms += [_q(">" if self.low_open else ">="), str(self.low)]
        if self.high is not None:
            terms += [_q("<" if self.high_open else "<="), str(self.high)]
        return f'{{"numeric": [{", ".join(terms)}]}}'


@dataclass(frozen=True, slots=True)
class Exists(Matcher):
    """``{"exists": true}`` / ``{"exists": false}``: the field has (or has no) leaf value.

    ``test`` answers for a present value; absence is decided by the machine.
    """

    present: bool

    def test(self, value: object) -> bool:
        return self.present

    def describe(self) -> str:
        return f'{{"exists": {"true" if self.present else "false"}}}'


@dataclass(frozen=True, slots=True)
class Cidr(Matcher):
    """``{"cidr": "10.0.0.0/24"}``: the event string is an IP address in this block."""

    text: str
    range: HexRange = field(compare=False, repr=False)

    def test(self, value: object) -> bool:
        if type(value) is not str:
            return False
        address = ip_to_hex(value)
        return address is not None and self.range.contains(address)

    def describe(self) -> str:
        return f'{{"cidr": {_q(self.text)}}}'


@dataclass(frozen=True, slots=True)
class AnythingBut(Matcher):
    """``{"anything-but": ...}`` on values: any leaf value except the listed strings or numbers.

    Exactly one of ``strings`` and ``numbers`` is set. A value of another type
    (a number against a string list, null, a boolean) always matches.
    """

    strings: frozenset[str] | None = None
    numbers: frozenset[Number] | None = None

    def test(self, value: object) -> bool:
        if self.strings is not None:
            return not (type(value) is str and value in self.strings)
        n = event_number(value)
        return not (n is not None and self.numbers is not None and n in self.numbers)

    def describe(self) -> str:
        if self.strings is not None:
            items = ", ".join(_q(s) for s in sorted(self.strings))
        else:
            items = ", ".join(str(n) for n in sorted(self.numbers or ()))
        return f'{{"anything-but": [{items}]}}'


@dataclass(frozen=True, slots=True)
class AnythingButShape(Matcher):
    """``{"anything-but": {"prefix" | "suffix" | "equals-ignore-case" | "wildcard": ...}}``.

    Matches any leaf value except strings that have one of the prefixes or
    suffixes, equal one of the values ignoring case, or match one of the
    wildcards. Non-string values always match.
    """

    kind: str  # "prefix", "suffix", "equals-ignore-case" or "wildcard"
    values: tuple[str, ...]
    excluded: tuple[Matcher, ...] = field(compare=False, repr=False)

    def test(self, value: object) -> bool:
        if type(value) is not str:
            return True
        return not any(m.test(value) for m in self.excluded)

    def describe(self) -> str:
        inner = _q(self.values[0]) if len(self.values) == 1 else "[" + ", ".join(map(_q, self.values)) + "]"
        return f'{{"anything-but": {{"{self.kind}": {inner}}}}}'


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
