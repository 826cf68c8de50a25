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
from .numbers import FLOAT_EXACT, Number, event_number, nearest_float, number_text
from .wildcard import Pieces, wildcard_regex

_INFINITIES = (float("inf"), float("-inf"))


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def fold(text: str) -> str:
    """The key under which the indexes file ignore-case values: ASCII letters lowered, nothing else changed.

    Comparing keys is exact when the pattern's value is ASCII (see :func:`case_alternatives`: an ASCII
    letter matches itself in either case, and nothing else); a value with other characters is compared
    by :func:`ignore_case_regex` instead.
    """
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


def case_alternatives(char: str) -> tuple[str, ...]:
    """What one character of an ignore-case value matches in an event, as AWS's reference library has it.

    aws/event-ruler maps each UTF-16 unit of the pattern's value to its lower-case and upper-case forms
    (``String.toLowerCase``/``toUpperCase`` of that one character, so the full mappings: ``ß`` matches ``ß``
    or ``SS``, ``ﬁ`` matches ``ﬁ`` or ``FI``, ``İ`` matches ``i̇`` or ``İ``), and the event must spell the
    value with one of them at every position. So ``STRASSE`` does not
    match ``straße`` (the ``S`` of the pattern matches ``s`` or ``S``, not ``ß``), while ``straße`` matches
    ``STRASSE``; and a titlecase letter such as ``ǅ`` matches ``ǆ`` and ``Ǆ`` but not itself.

    One difference, on purpose: a character past U+FFFF matches itself here. The library maps each of its
    two UTF-16 units alone, and a lone surrogate becomes ``?`` in UTF-8, so there ``"𐐀"`` ignoring case
    matches the text ``??`` and not ``𐐀``: a defect, not a case rule.
    """
    if ord(char) > 0xFFFF:
        return (char,)
    lower, upper = char.lower(), char.upper()
    return (lower,) if lower == upper else (lower, upper)


def ignore_case_regex(value: str, *, at_end: bool = False) -> re.Pattern[str]:
    """A regular expression for the event strings that spell ``value`` ignoring case (see case_alternatives);
    with ``at_end``, anchored at the end of the string (for suffixes, found with ``search``)."""
    parts = []
    for char in value:
        alternatives = sorted(case_alternatives(char), key=len, reverse=True)
        parts.append(re.escape(alternatives[0]) if len(alternatives) == 1 else
                     "(?:" + "|".join(map(re.escape, alternatives)) + ")")
    return re.compile("".join(parts) + (r"\Z" if at_end else ""), re.DOTALL)


def _ignore_case_test(regex: re.Pattern[str] | None, folded: str, how: str, value: str) -> bool:
    """Does ``value`` equal (``how`` = "eq"), start with ("prefix") or end with ("suffix") the ignore-case value?"""
    if regex is None:  # an ASCII value: its fold key compares exactly
        key = fold(value)
        return key == folded if how == "eq" else key.startswith(folded) if how == "prefix" else key.endswith(folded)
    if how == "eq":
        return regex.fullmatch(value) is not None
    if how == "prefix":
        return regex.match(value) is not None
    return regex.search(value) is not None


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
        return number_text(self.value)


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
    # for an ignore-case value that is not ASCII: its expression (the indexes then test it one by one)
    regex: re.Pattern[str] | None = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "folded", fold(self.value) if self.ignore_case else self.value)
        exact = not self.ignore_case or self.value.isascii()
        object.__setattr__(self, "regex", None if exact else ignore_case_regex(self.value))

    def test(self, value: object) -> bool:
        if type(value) is not str:
            return False
        if not self.ignore_case:
            return value.startswith(self.value)
        return _ignore_case_test(self.regex, self.folded, "prefix", value)

    def describe(self) -> str:
        inner = f'{{"equals-ignore-case": {_q(self.value)}}}' if self.ignore_case else _q(self.value)
        return f'{{"prefix": {inner}}}'


@dataclass(frozen=True, slots=True)
class Suffix(Matcher):
    """``{"suffix": ".png"}``, or with ``ignore_case`` ``{"suffix": {"equals-ignore-case": ".png"}}``."""

    value: str
    ignore_case: bool = False
    folded: str = field(init=False, compare=False, repr=False)
    # for an ignore-case value that is not ASCII: its expression (the indexes then test it one by one)
    regex: re.Pattern[str] | None = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "folded", fold(self.value) if self.ignore_case else self.value)
        exact = not self.ignore_case or self.value.isascii()
        object.__setattr__(self, "regex", None if exact else ignore_case_regex(self.value, at_end=True))

    def test(self, value: object) -> bool:
        if type(value) is not str:
            return False
        if not self.ignore_case:
            return value.endswith(self.value)
        return _ignore_case_test(self.regex, self.folded, "suffix", value)

    def describe(self) -> str:
        inner = f'{{"equals-ignore-case": {_q(self.value)}}}' if self.ignore_case else _q(self.value)
        return f'{{"suffix": {inner}}}'


@dataclass(frozen=True, slots=True)
class EqualsIgnoreCase(Matcher):
    """``{"equals-ignore-case": "abc"}``: the event string equals this one, ignoring case."""

    value: str
    folded: str = field(init=False, compare=False, repr=False)
    # for a value that is not ASCII: its expression (the indexes then test it one by one)
    regex: re.Pattern[str] | None = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "folded", fold(self.value))
        object.__setattr__(self, "regex", None if self.value.isascii() else ignore_case_regex(self.value))

    def test(self, value: object) -> bool:
        return type(value) is str and _ignore_case_test(self.regex, self.folded, "eq", value)

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
            return f'{{"numeric": ["=", {number_text(self.low)}]}}'
        if self.low is not None:
            terms += [_q(">" if self.low_open else ">="), number_text(self.low)]
        if self.high is not None:
            terms += [_q("<" if self.high_open else "<="), number_text(self.high)]
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
