"""Read an event pattern into sub-rules, with AWS's validation and messages.

EventBridge reads a pattern as a stream of JSON tokens. This module does the
same over the tokens of :mod:`.tokens`, so that the first problem found is the
one AWS reports, at the position AWS reports. The result is a list of
*sub-rules*: each maps a dotted field path to the matchers any one of which
the field's value must satisfy; ``$or`` forks the sub-rules, and the pattern
matches when any sub-rule does. A later duplicate key replaces an earlier one
for the same path, as in AWS's reader.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidEventPatternError
from . import operators as op
from .cidr import parse_cidr
from .numbers import canonical
from .tokens import MAX_NESTING, Tok, Token, line_column, nesting_error, tokenize, tokens_of
from .wildcard import MAX_COMPLEXITY, TOO_COMPLEX, complexity, parse_wildcard

SubRule = dict[str, tuple[op.Matcher, ...]]

OR = "$or"
_RESERVED_IN_OR = frozenset(
    {"prefix", "suffix", "anything-but", "exists", "numeric", "cidr", "equals-ignore-case", "wildcard"}
)


class _Abort(Exception):
    """Internal: unwinds an attempt to read ``$or`` as a relationship."""


class _Reader:
    """A cursor over the pattern's tokens that reports errors where AWS does."""

    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.text_read = False  # whether the last string token's text was taken
        self.path: list[str] = []

    # -- the cursor -------------------------------------------------------
    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        self.text_read = False
        return tok

    def take_text(self, tok: Token) -> str:
        self.text_read = True
        return tok.value  # type: ignore[return-value]

    def location(self) -> int:
        """The offset AWS's reader reports: just past what it has read so far."""
        if self.i == 0:
            return 0
        last = self.tokens[self.i - 1]
        if last.kind is Tok.FIELD_NAME:
            # the reader has already looked at the start of the field's value
            following = self.tokens[self.i]
            return following.start + 1 if following.kind is Tok.STRING else following.end
        if last.kind is Tok.STRING and not self.text_read:
            return last.start + 1
        return last.end

    def fail(self, reason: str, *, in_list: bool = False) -> InvalidEventPatternError:
        line, column = line_column(self.text, self.location())
        path = ".".join(self.path) or None
        return InvalidEventPatternError(
            reason, source=self.text, line=line, column=column, path=path, repeat_location=in_list
        )

    def fail_plain(self, reason: str) -> InvalidEventPatternError:
        """An error AWS reports without a location (found after the JSON was read)."""
        return InvalidEventPatternError(reason, path=".".join(self.path) or None)

    def skip_value(self) -> None:
        """Step over one complete value (the start token has not been read yet)."""
        depth = 0
        while True:
            tok = self.next()
            if tok.kind in (Tok.START_OBJECT, Tok.START_ARRAY):
                depth += 1
            elif tok.kind in (Tok.END_OBJECT, Tok.END_ARRAY):
                depth -= 1
            if depth == 0 and tok.kind is not Tok.FIELD_NAME:
                return

    # -- the structure ----------------------------------------------------
    def pattern(self) -> list[SubRule]:
        if self.next().kind is not Tok.START_OBJECT:
            raise self.fail("Filter is not an object")
        rules: list[SubRule] = []
        self.object_body(rules, in_or=False)
        return rules

    def object_body(self, rules: list[SubRule], in_or: bool) -> None:
        present = False
        while (tok := self.next()).kind is not Tok.END_OBJECT:
            present = True
            name: str = tok.value  # type: ignore[assignment]
            if name == OR and self.tokens[self.i].kind is Tok.START_ARRAY:
                self.or_relationship(rules, tok)
                continue
            if in_or and name in _RESERVED_IN_OR:
                raise self.fail(f"{name} is Ruler reserved fieldName which cannot be used inside {OR}.")
            value = self.next()
            if value.kind is Tok.START_OBJECT:
                self.path.append(name)
                self.object_body(rules, in_or)
                self.path.pop()
            elif value.kind is Tok.START_ARRAY:
                self.field_values(rules, name)
            else:
                raise self.fail(f'"{name}" must be an object or an array')
        if not present:
            raise self.fail("Empty objects are not allowed")

    def or_relationship(self, rules: list[SubRule], name_token: Token) -> None:
        """``"$or": [ {...}, {...}, ... ]``; anything else makes ``$or`` a plain field name."""
        mark = self.i
        before = [dict(r) for r in rules]
        try:
            self.next()  # the array
            branches: list[SubRule] = []
            count = 0
            while (tok := self.next()).kind is not Tok.END_ARRAY:
                count += 1
                if tok.kind is not Tok.START_OBJECT:
                    raise _Abort
                branch = [dict(r) for r in before] or [{}]
                self.object_body(branch, in_or=True)
                branches.extend(branch)
            if count < 2:
                raise _Abort
        except (_Abort, InvalidEventPatternError):
            # AWS then reads "$or" as an ordinary field whose value is a match list
            self.i = mark
            rules[:] = before
            self.next()
            self.field_values(rules, name_token.value)  # type: ignore[arg-type]
            return
        rules[:] = branches

    def field_values(self, rules: list[SubRule], name: str) -> None:
        self.path.append(name)
        matchers: list[op.Matcher] = []
        while (tok := self.next()).kind is not Tok.END_ARRAY:
            if tok.kind is Tok.START_OBJECT:
                matchers.append(self.match_expression())
            elif tok.kind is Tok.STRING:
                matchers.append(op.ExactString(self.take_text(tok)))
            elif tok.kind is Tok.NUMBER:
                matchers.append(op.ExactNumber(canonical(tok.value)))  # type: ignore[arg-type]
            elif tok.kind is Tok.TRUE:
                matchers.append(op.ExactLiteral(True))
            elif tok.kind is Tok.FALSE:
                matchers.append(op.ExactLiteral(False))
            elif tok.kind is Tok.NULL:
                matchers.append(op.ExactLiteral(None))
            else:
                raise self.fail("Match value must be String, number, true, false, or null")
        if not matchers:
            raise self.fail("Empty arrays are not allowed")
        path = sys.intern(".".join(self.path))  # one string per distinct path, however many rules name it
        self.path.pop()
        if not rules:
            rules.append({})
        unique = tuple(dict.fromkeys(matchers))
        for rule in rules:
            rule[path] = unique

    # -- one match expression: {"prefix": ...}, {"numeric": [...]}, ... ---
    def match_expression(self) -> op.Matcher:
        tok = self.next()
        if tok.kind is not Tok.FIELD_NAME:
            raise self.fail("Match expression name not found")
        kind: str = tok.value  # type: ignore[assignment]
        if kind in ("prefix", "suffix"):
            matcher = self.prefix_or_suffix(kind)
        elif kind == "equals-ignore-case":
            matcher = op.EqualsIgnoreCase(self.string_operand("equals-ignore-case match pattern must be a string"))
        elif kind == "wildcard":
            matcher = self.wildcard(self.string_operand("wildcard match pattern must be a string"))
        elif kind == "cidr":
            text = self.string_operand("prefix match pattern must be a string")
            try:
                matcher = op.Cidr(text, parse_cidr(text))
            except ValueError as exc:
                raise self.fail_plain(str(exc)) from None
        elif kind == "exists":
            value = self.next()
            if value.kind not in (Tok.TRUE, Tok.FALSE):
                raise self.fail("exists match pattern must be either true or false.")
            matcher = op.Exists(value.kind is Tok.TRUE)
        elif kind == "numeric":
            if self.next().kind is not Tok.START_ARRAY:
                raise self.fail("Value of numeric must be an array.")
            matcher = self.numeric()
            if self.next().kind is not Tok.END_OBJECT:
                raise self.fail("Too many elements in numeric expression")
            return matcher
        elif kind == "anything-but":
            return self.anything_but()
        else:
            raise self.fail(f"Unrecognized match type {kind}")
        if self.next().kind is not Tok.END_OBJECT:
            raise self.fail("Only one key allowed in match expression")
        return matcher

    def string_operand(self, message: str) -> str:
        tok = self.next()
        if tok.kind is not Tok.STRING:
            raise self.fail(message)
        return self.take_text(tok)

    def wildcard(self, text: str) -> op.Wildcard:
        try:
            return op.Wildcard(text, parse_wildcard(text))
        except ValueError as exc:
            raise self.fail(str(exc)) from None

    def prefix_or_suffix(self, kind: str) -> op.Matcher:
        cls = op.Prefix if kind == "prefix" else op.Suffix
        tok = self.next()
        if tok.kind is Tok.STRING:
            return cls(self.take_text(tok))
        if tok.kind is not Tok.START_OBJECT:
            raise self.fail(f"{kind} match pattern must be a string")
        inner = self.next()
        if inner.kind is not Tok.FIELD_NAME:
            raise self.fail(f"{kind.capitalize()} expression name not found")
        if inner.value != "equals-ignore-case":
            raise self.fail(f"Unsupported {kind} pattern: {inner.value}")
        value = self.string_operand("equals-ignore-case match pattern must be a string")
        if self.next().kind is not Tok.END_OBJECT:
            raise self.fail("Only one key allowed in match expression")
        return cls(value, ignore_case=True)

    def numeric(self) -> op.Numeric:
        first = self.next()
        if first.kind is not Tok.STRING:
            raise self.fail(f"Invalid member in numeric match: {self.token_text(first)}")
        operator = self.take_text(first)
        if operator not in ("=", ">", ">=", "<", "<="):
            self.next()
            raise self.fail(f"Unrecognized numeric range operator: {operator}")
        value = self.next()
        if value.kind is not Tok.NUMBER:
            raise self.fail(f"Value of {'equals' if operator == '=' else operator} must be numeric")
        number = canonical(value.value)  # type: ignore[arg-type]
        if operator == "=":
            if self.next().kind is not Tok.END_ARRAY:
                raise self.fail("Too many elements in numeric expression")
            return op.Numeric(number, False, number, False)
        if operator in ("<", "<="):
            if self.next().kind is not Tok.END_ARRAY:
                raise self.fail("Too many elements in numeric expression")
            return op.Numeric(high=number, high_open=operator == "<")
        tok = self.next()
        if tok.kind is Tok.END_ARRAY:
            return op.Numeric(low=number, low_open=operator == ">")
        if tok.kind is not Tok.STRING:
            raise self.fail(f"Bad value in numeric range: {self.token_text(tok)}")
        upper = self.take_text(tok)
        if upper not in ("<", "<="):
            raise self.fail(f"Bad numeric range operator: {upper}")
        top = self.next()
        if top.kind is not Tok.NUMBER:
            raise self.fail(f"Value of {upper} must be numeric")
        high = canonical(top.value)  # type: ignore[arg-type]
        if self.next().kind is not Tok.END_ARRAY:
            raise self.fail("Too many terms in numeric range expression")
        if not number < high:
            raise self.fail("Bottom must be less than top")
        return op.Numeric(number, operator == ">", high, upper == "<")

    def token_text(self, tok: Token) -> str:
        if tok.kind is Tok.NUMBER:
            return tok.text
        if tok.kind in (Tok.STRING, Tok.FIELD_NAME):
            return self.take_text(tok)
        return str(tok.kind.value)

    def anything_but(self) -> op.Matcher:
        tok = self.next()
        ignore_case = False
        if tok.kind is Tok.START_OBJECT:
            shape = self.next()
            if shape.kind is not Tok.FIELD_NAME:
                raise self.fail("Anything-But expression name not found")
            kind: str = shape.value  # type: ignore[assignment]
            if kind in ("prefix", "suffix", "wildcard"):
                shaped = self.anything_but_shape(kind)
                if self.next().kind is not Tok.END_OBJECT:
                    raise self.fail("Only one key allowed in match expression")
                if self.next().kind is not Tok.END_OBJECT:
                    raise self.fail("Only one key allowed in match expression")
                return shaped
            if kind != "equals-ignore-case":
                raise self.fail(f"Unsupported anything-but pattern: {kind}")
            ignore_case = True
            tok = self.next()
        if tok.kind not in (Tok.START_ARRAY, Tok.STRING, Tok.NUMBER):
            raise self.fail("Value of anything-but must be an array or single string/number value.")
        matcher: op.Matcher
        if ignore_case:
            values = self.anything_but_ignore_case(tok)
            matcher = op.AnythingButShape(
                "equals-ignore-case", values, tuple(op.EqualsIgnoreCase(v) for v in values)
            )
        else:
            matcher = self.anything_but_values(tok)
        if self.next().kind is not Tok.END_OBJECT:
            raise self.fail("Too many elements in numeric expression")
        if ignore_case and self.next().kind is not Tok.END_OBJECT:
            raise self.fail("Too many elements in numeric expression")
        return matcher

    def anything_but_values(self, tok: Token) -> op.AnythingBut:
        strings: list[str] = []
        numbers: list[Any] = []
        items = [tok] if tok.kind is not Tok.START_ARRAY else None
        if items is None:
            items = []
            while (item := self.next()).kind is not Tok.END_ARRAY:
                if item.kind not in (Tok.STRING, Tok.NUMBER):
                    raise self.fail("Inside anything but list, start|null|boolean is not supported.", in_list=True)
                items.append(item)
        for item in items:
            if item.kind is Tok.STRING:
                strings.append(self.take_text(item))
            else:
                numbers.append(canonical(item.value))  # type: ignore[arg-type]
        if bool(strings) == bool(numbers):
            raise self.fail(
                "Inside anything but list, either all values are number or string, mixed type is not supported"
            )
        if strings:
            return op.AnythingBut(strings=frozenset(strings))
        return op.AnythingBut(numbers=frozenset(numbers))

    def anything_but_ignore_case(self, tok: Token) -> tuple[str, ...]:
        message = "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
        if tok.kind is Tok.STRING:
            return (self.take_text(tok),)
        if tok.kind is not Tok.START_ARRAY:
            raise self.fail(message)
        values: list[str] = []
        while (item := self.next()).kind is not Tok.END_ARRAY:
            if item.kind is not Tok.STRING:
                raise self.fail(message, in_list=True)
            values.append(self.take_text(item))
        if not values:
            raise self.fail("Empty arrays are not allowed")
        return tuple(dict.fromkeys(values))

    def anything_but_shape(self, kind: str) -> op.AnythingButShape:
        """``{"prefix" | "suffix" | "wildcard": "text" or ["text", ...]}`` inside anything-but."""
        message = (
            "wildcard match pattern must be a string"
            if kind == "wildcard"
            else "prefix/suffix match pattern must be a string"
        )
        tok = self.next()
        if tok.kind is Tok.START_OBJECT:
            raise self.fail("Value of anything-but must be an array or single string/number value.")
        if tok.kind is Tok.STRING:
            items = [self.take_text(tok)]
        elif tok.kind is Tok.START_ARRAY:
            items = []
            while (item := self.next()).kind is not Tok.END_ARRAY:
                if item.kind is not Tok.STRING:
                    raise self.fail(message, in_list=True)
                items.append(self.take_text(item))
            if not items:
                raise self.fail("Empty arrays are not allowed")
        else:
            raise self.fail(message)
        excluded: list[op.Matcher] = []
        for text in dict.fromkeys(items):
            if kind == "wildcard":
                excluded.append(self.wildcard(text))
            elif not text:
                raise self.fail("Null prefix/suffix not allowed")
            elif kind == "prefix":
                excluded.append(op.Prefix(text))
            else:
                excluded.append(op.Suffix(text))
        return op.AnythingButShape(kind, tuple(dict.fromkeys(items)), tuple(excluded))


def pattern_text(pattern: str | bytes | bytearray | Mapping[str, Any]) -> str:
    """The JSON text of a pattern given as text, bytes or a dict (as AWS would receive it)."""
    if isinstance(pattern, str):
        return pattern
    if isinstance(pattern, (bytes, bytearray)):
        try:
            return bytes(pattern).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidEventPatternError(f"Invalid UTF-8 in pattern: {exc.reason}") from None
    if isinstance(pattern, Mapping):
        try:
            return json.dumps(pattern, ensure_ascii=False, allow_nan=False)
        except RecursionError:
            raise InvalidEventPatternError(nesting_error(MAX_NESTING + 1)) from None
        except (TypeError, ValueError) as exc:
            raise InvalidEventPatternError(f"Pattern is not JSON-serializable: {exc}") from None
    raise TypeError(f"an event pattern must be JSON text, bytes or a dict, not {type(pattern).__name__}")


def _check_wildcards(rules: list[SubRule]) -> None:
    """AWS's limit on how costly a field's wildcards may be, checked once the pattern is read."""
    for rule in rules:
        for path, matchers in rule.items():
            shapes = [m.pieces for m in matchers if isinstance(m, op.Wildcard)]
            for m in matchers:
                if isinstance(m, op.AnythingButShape) and m.kind == "wildcard":
                    shapes.extend(x.pieces for x in m.excluded if isinstance(x, op.Wildcard))
            if shapes and complexity(shapes) > MAX_COMPLEXITY:
                raise InvalidEventPatternError(TOO_COMPLEX, path=path)


def parse_pattern(pattern: str | bytes | bytearray | Mapping[str, Any]) -> list[SubRule]:
    """Validate a pattern and return its sub-rules; raise InvalidEventPatternError as AWS does."""
    return parse_text(pattern_text(pattern), pattern)


def parse_text(text: str, value: object = None) -> list[SubRule]:
    """The sub-rules of pattern ``text``; ``value``, when given, is the dict that ``text`` was written
    from (by pattern_text), whose tokens are read from it directly rather than lexed from the text:
    several times faster. A problem found that way is looked for again in the text, so that AWS's
    message and position are reported."""
    if type(value) is dict:
        tokens = tokens_of(value)
        if tokens is not None:
            try:
                rules = _Reader(text, tokens).pattern()
                _check_wildcards(rules)
                return rules
            except (InvalidEventPatternError, RecursionError):  # the text says what and where
                pass
    rules = _Reader(text, tokenize(text)).pattern()
    _check_wildcards(rules)
    return rules


__all__ = ["SubRule", "parse_pattern", "parse_text", "pattern_text"]
