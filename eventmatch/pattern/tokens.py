"""A JSON tokenizer for pattern text that keeps what AWS's reader keeps.

EventBridge reads a pattern as a stream of JSON tokens, so duplicate keys are
seen (a later one replaces an earlier one for the same field path) and every
error is reported at a position in the text. This module turns pattern text
into a flat list of :class:`Token` with their offsets, and raises
:class:`~eventmatch.errors.InvalidEventPatternError` with AWS's wording for
malformed JSON.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from decimal import Decimal
from typing import NamedTuple

from ..errors import InvalidEventPatternError


class Tok(enum.Enum):
    START_OBJECT = "{"
    END_OBJECT = "}"
    START_ARRAY = "["
    END_ARRAY = "]"
    FIELD_NAME = "field"
    STRING = "string"
    NUMBER = "number"
    TRUE = "true"
    FALSE = "false"
    NULL = "null"




class Token(NamedTuple):
    """One JSON token: its kind, its value, and where it starts and ends in the text.

    A named tuple rather than a frozen dataclass: a pattern makes dozens of
    tokens, and a tuple is several times cheaper to build.
    """

    kind: Tok
    value: object  # str for FIELD_NAME and STRING, Decimal for NUMBER, else None
    start: int
    end: int
    text: str = ""  # the literal text of a number


_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_WS = " \t\r\n"
_WS_RUN = re.compile(r"[ \t\r\n]*")
#: the characters a string may hold as they are (up to a quote, a backslash or a control character)
_STRING_RUN = re.compile(r'[^"\\\x00-\x1f]*')
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_EXPECTING_VALUE = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"

#: how deeply objects and arrays may nest in a pattern. AWS documents no limit (its 4,096-character limit
#: allows about 680 levels); JSON readers set one (Jackson's is 1,000). eventmatch stops at 100, well
#: inside Python's recursion limit at every step that follows, with Jackson's wording.
MAX_NESTING = 100


def nesting_error(depth: int) -> str:
    return f"Document nesting depth ({depth}) exceeds the maximum allowed ({MAX_NESTING})"


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.tokens: list[Token] = []
        self.depth = 0

    def error(self, reason: str, at: int) -> InvalidEventPatternError:
        line, column = line_column(self.text, at)
        return InvalidEventPatternError(reason, source=self.text, line=line, column=column)

    def skip_ws(self) -> None:
        text, pos = self.text, self.pos
        if pos < len(text) and text[pos] in _WS:
            self.pos = _WS_RUN.match(text, pos).end()  # type: ignore[union-attr]  # always matches

    def run(self) -> list[Token]:
        self.skip_ws()
        if self.pos >= len(self.text):
            raise self.error("No content to map due to end-of-input", self.pos)
        self.value()
        self.skip_ws()
        if self.pos < len(self.text):
            # AWS's reader stops after the first complete value; trailing text
            # only matters when it is not whitespace.
            raise self.error(
                f"Unexpected character ({_describe(self.text[self.pos])}): expected end of input",
                self.pos + 1,
            )
        return self.tokens

    def value(self) -> None:
        self.skip_ws()
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise self.error(f"Unexpected end-of-input: expected {_EXPECTING_VALUE}", pos)
        ch = text[pos]
        if ch == "{" or ch == "[":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise self.error(nesting_error(self.depth), pos + 1)
            self.obj() if ch == "{" else self.arr()
            self.depth -= 1
        elif ch == '"':
            start = pos
            s = self.string()
            self.tokens.append(Token(Tok.STRING, s, start, self.pos))
        elif ch == "-" or ch.isdigit():
            m = _NUMBER.match(text, pos)
            if not m or (m.end() < len(text) and (text[m.end()].isalnum() or text[m.end()] == ".")):
                end = pos + 1
                while end < len(text) and (text[end].isalnum() or text[end] in ".+-"):
                    end += 1
                raise self.error(f"Invalid numeric value: '{text[pos:end]}'", end)
            literal = m.group()
            self.pos = m.end()
            self.tokens.append(Token(Tok.NUMBER, Decimal(literal), pos, self.pos, literal))
        else:
            for word, kind in (("true", Tok.TRUE), ("false", Tok.FALSE), ("null", Tok.NULL)):
                if text.startswith(word, pos) and not _is_word_char(text, pos + len(word)):
                    self.pos = pos + len(word)
                    self.tokens.append(Token(kind, None, pos, self.pos))
                    return
            end = pos
            while end < len(text) and _is_word_char(text, end):
                end += 1
            if end == pos:
                raise self.error(
                    f"Unexpected character ({_describe(ch)}): expected a valid value {_EXPECTING_VALUE}",
                    pos + 1,
                )
            raise self.error(
                f"Unrecognized token '{text[pos:end]}': was expecting {_EXPECTING_VALUE}", end
            )

    def obj(self) -> None:
        self.tokens.append(Token(Tok.START_OBJECT, None, self.pos, self.pos + 1))
        self.pos += 1
        self.skip_ws()
        if self.pos < len(self.text) and self.text[self.pos] == "}":
            self.tokens.append(Token(Tok.END_OBJECT, None, self.pos, self.pos + 1))
            self.pos += 1
            return
        while True:
            self.skip_ws()
            if self.pos >= len(self.text):
                raise self.error("Unexpected end-of-input: expected close marker for Object", self.pos)
            ch = self.text[self.pos]
            if ch != '"':
                raise self.error(
                    f"Unexpected character ({_describe(ch)}): was expecting double-quote to start field name",
                    self.pos + 1,
                )
            start = self.pos
            name = self.string()
            self.tokens.append(Token(Tok.FIELD_NAME, name, start, self.pos))
            self.skip_ws()
            if self.pos >= len(self.text) or self.text[self.pos] != ":":
                got = self.text[self.pos] if self.pos < len(self.text) else None
                if got is None:
                    raise self.error("Unexpected end-of-input: expected a colon", self.pos)
                raise self.error(
                    f"Unexpected character ({_describe(got)}): "
                    "was expecting a colon to separate field name and value",
                    self.pos + 1,
                )
            self.pos += 1
            self.value()
            self.skip_ws()
            if self.pos >= len(self.text):
                raise self.error("Unexpected end-of-input: expected close marker for Object", self.pos)
            ch = self.text[self.pos]
            if ch == ",":
                self.pos += 1
                continue
            if ch == "}":
                self.tokens.append(Token(Tok.END_OBJECT, None, self.pos, self.pos + 1))
                self.pos += 1
                return
            raise self.error(
                f"Unexpected character ({_describe(ch)}): was expecting comma to separate Object entries",
                self.pos + 1,
            )

    def arr(self) -> None:
        self.tokens.append(Token(Tok.START_ARRAY, None, self.pos, self.pos + 1))
        self.pos += 1
        self.skip_ws()
        if self.pos < len(self.text) and self.text[self.pos] == "]":
            self.tokens.append(Token(Tok.END_ARRAY, None, self.pos, self.pos + 1))
            self.pos += 1
            return
        while True:
            self.value()
            self.skip_ws()
            if self.pos >= len(self.text):
                raise self.error("Unexpected end-of-input: expected close marker for Array", self.pos)
            ch = self.text[self.pos]
            if ch == ",":
                self.pos += 1
                continue
            if ch == "]":
                self.tokens.append(Token(Tok.END_ARRAY, None, self.pos, self.pos + 1))
                self.pos += 1
                return
            raise self.error(
                f"Unexpected character ({_describe(ch)}): was expecting comma to separate Array entries",
                self.pos + 1,
            )

    def string(self) -> str:
        text = self.text
        pos = self.pos + 1
        parts: list[str] = []
        while True:
            end = _STRING_RUN.match(text, pos).end()  # type: ignore[union-attr]  # always matches
            parts.append(text[pos:end])
            if end >= len(text):
                raise self.error("Unexpected end-of-input in VALUE_STRING", end)
            ch = text[end]
            if ch == '"':
                self.pos = end + 1
                return _join_surrogates("".join(parts))
            if ch < " ":
                raise self.error(
                    f"Illegal unquoted character ({_describe(ch)}): "
                    "has to be escaped using backslash to be included in string value",
                    end + 1,
                )
            # a backslash escape
            if end + 1 >= len(text):
                raise self.error("Unexpected end-of-input in character escape sequence", end + 1)
            esc = text[end + 1]
            if esc == "u":
                digits = text[end + 2 : end + 6]
                if len(digits) < 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                    raise self.error(
                        "Unexpected character in character escape sequence: expected a hex-digit", end + 3
                    )
                parts.append(chr(int(digits, 16)))
                pos = end + 6
            elif esc in _ESCAPES:
                parts.append(_ESCAPES[esc])
                pos = end + 2
            else:
                raise self.error(f"Unrecognized character escape {_describe(esc)}", end + 2)


def _is_word_char(text: str, pos: int) -> bool:
    if pos >= len(text):
        return False
    ch = text[pos]
    return ch.isalnum() or ch in "_$'"


def _describe(ch: str) -> str:
    return f"'{ch}' (code {ord(ch)})"


def _join_surrogates(s: str) -> str:
    """Combine UTF-16 surrogate pairs written as two \\u escapes into one character."""
    if s.isascii() or not _SURROGATE.search(s):
        return s
    return s.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``, counted as AWS counts them."""
    line = text.count("\n", 0, offset) + 1
    last_newline = text.rfind("\n", 0, offset)
    return line, offset - last_newline


_START_OBJECT = Token(Tok.START_OBJECT, None, 0, 0)
_END_OBJECT = Token(Tok.END_OBJECT, None, 0, 0)
_START_ARRAY = Token(Tok.START_ARRAY, None, 0, 0)
_END_ARRAY = Token(Tok.END_ARRAY, None, 0, 0)
_LITERALS = {True: Token(Tok.TRUE, None, 0, 0), False: Token(Tok.FALSE, None, 0, 0)}
_NULL = Token(Tok.NULL, None, 0, 0)


class _NotPlain(Exception):
    """Internal: the value holds something json.dumps writes in a way the walk does not follow."""


def tokens_of(value: object) -> list[Token] | None:
    """The tokens the lexer makes of ``json.dumps(value)``, read from the value itself, or None.

    Positions are all 0: a reader that finds a problem in them must read the text again to report
    it where AWS does. None when the value holds anything but dicts with string keys, lists, strings
    (without surrogates), ints, finite floats, booleans and None, each of exactly that type.
    """
    tokens: list[Token] = []
    try:
        _walk(value, tokens.append, 0)
    except (_NotPlain, RecursionError):
        return None
    return tokens


def _walk(value: object, append: Callable[[Token], None], depth: int) -> None:
    # in json.dumps's order of checks, and writing numbers as it does (int.__repr__, float.__repr__)
    if isinstance(value, str):
        if not value.isascii() and _SURROGATE.search(value):
            raise _NotPlain
        append(Token(Tok.STRING, str(value), 0, 0))
    elif value is None:
        append(_NULL)
    elif value is True or value is False:
        append(_LITERALS[value])
    elif isinstance(value, int) and not isinstance(value, bool):
        literal = int.__repr__(value)
        append(Token(Tok.NUMBER, Decimal(literal), 0, 0, literal))
    elif isinstance(value, float):
        literal = float.__repr__(value)
        if not _NUMBER.fullmatch(literal):  # nan, inf: json.dumps refuses them for a pattern
            raise _NotPlain
        append(Token(Tok.NUMBER, Decimal(literal), 0, 0, literal))
    elif depth >= MAX_NESTING and (type(value) is list or type(value) is dict):
        raise _NotPlain  # too deep: the lexer reports it, where AWS would
    elif type(value) is list:  # json.dumps also writes tuples as lists; the lexer decides those
        append(_START_ARRAY)
        for item in value:
            _walk(item, append, depth + 1)
        append(_END_ARRAY)
    elif type(value) is dict:
        append(_START_OBJECT)
        for key, item in value.items():
            if type(key) is not str or (not key.isascii() and _SURROGATE.search(key)):
                raise _NotPlain  # json.dumps writes other keys as strings its own way
            append(Token(Tok.FIELD_NAME, key, 0, 0))
            _walk(item, append, depth + 1)
        append(_END_OBJECT)
    else:
        raise _NotPlain


def tokenize(text: str) -> list[Token]:
    """Split pattern text into tokens, raising AWS's message for malformed JSON."""
    return _Lexer(text).run()
