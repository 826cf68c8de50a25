"""Events: reading them from JSON text, bytes or dicts, and flattening them into fields.

A pattern looks at an event as a set of *leaf values* (strings, numbers,
booleans, null) under dotted paths: ``{"detail": {"state": "x"}}`` has the
value ``"x"`` at ``detail.state``. Arrays add no step to the path; each of
their elements is a value of the same path. A value inside an object (or an
array) that is an element of an array remembers which element of which array
it came from (its *trail*), so that a rule over several fields of objects
inside one array is met within a single element, as AWS does.
"""

from __future__ import annotations

import json
from collections.abc import Container, Mapping
from typing import Any

import msgspec

from .errors import InvalidEventError

#: One leaf value and its trail: ((array id, element index), ...) from the outermost array.
Leaf = tuple[Any, tuple[tuple[int, int], ...]]
Fields = dict[str, list[Leaf]]

_NO_TRAIL: tuple[tuple[int, int], ...] = ()

#: The fields TestEventPattern requires in an event (every AWS-recorded case has them).
ENVELOPE_FIELDS = ("id", "account", "source", "time", "region", "detail-type")


def load_event(event: str | bytes | bytearray | memoryview | Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the event as a mapping, parsing JSON text or bytes; raise InvalidEventError otherwise."""
    if isinstance(event, Mapping):
        return event
    if isinstance(event, (str, bytes, bytearray, memoryview)):
        try:
            value = _decode(event)
        except RecursionError:
            raise InvalidEventError(TOO_DEEP) from None
        except (msgspec.DecodeError, msgspec.ValidationError, UnicodeError) as exc:
            value = _load_slow(event, exc)
        if not isinstance(value, dict):
            raise InvalidEventError(f"the event must be a JSON object, not {json_type(value)}")
        return value
    raise InvalidEventError(f"the event must be JSON text, bytes or a dict, not {type(event).__name__}")


#: msgspec rather than orjson: orjson reads integers past 64 bits as floats, losing the
#: exactness AWS's numeric matching keeps; msgspec returns them as exact ints.
_decode = msgspec.json.Decoder().decode


#: an event nested deeper than the JSON readers' recursion allows (thousands of levels)
TOO_DEEP = "the event is nested too deeply to read"


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value")


def _integer(text: str) -> int | float:
    """A JSON integer: exact, or past Python's 4,300-digit conversion limit a float (an infinity)."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def _load_slow(event: str | bytes | bytearray | memoryview, first_error: Exception) -> Any:
    """Parse what msgspec refuses but JSON allows (lone surrogates, numbers past the float range).

    ``NaN``, ``Infinity`` and ``-Infinity`` are refused, as JSON (RFC 8259) and AWS's event check refuse
    them; Python's reader would take them.
    """
    try:
        text = event if isinstance(event, str) else bytes(event).decode("utf-8")
        return json.loads(text, parse_constant=_not_json, parse_int=_integer)
    except RecursionError:
        raise InvalidEventError(TOO_DEEP) from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidEventError(f"the event is not valid JSON: {first_error}") from None


def holds_lone_surrogates(value: Any) -> bool:
    """Whether a value read from JSON holds a lone surrogate (``"\\ud800"``, which JSON's escapes allow but
    no Unicode text holds) or cannot be written back as JSON; only the stdlib's reader yields them (msgspec's
    refuses them), so only values read by it need asking."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError, ValueError, TypeError):
        return True
    return False


def json_type(value: object) -> str:
    """What a JSON value that is not an object is, in words ("an array", "a string", "null"...)."""
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def check_envelope(event: Mapping[str, Any]) -> None:
    """Raise InvalidEventError unless the event has the fields TestEventPattern requires."""
    missing = [name for name in ENVELOPE_FIELDS if name not in event]
    if missing:
        raise InvalidEventError(f"the event lacks the envelope field(s) {', '.join(missing)}")


def flatten(event: Mapping[str, Any], wanted: Container[str] | None = None) -> Fields:
    """Flatten an event into ``{path: [(value, trail), ...]}``.

    With ``wanted``, only paths in it (and objects on the way to them) are
    visited: the compiled machine passes the paths its rules use and every
    dotted prefix of them, so the rest of a large event costs nothing.
    """
    out: Fields = {}
    try:
        _walk(event, "", _NO_TRAIL, out, wanted, [0])
    except RecursionError:
        raise InvalidEventError(TOO_DEEP) from None
    return out


def walk_value(
    value: Any,
    path: str,
    trail: tuple[tuple[int, int], ...],
    out: Fields,
    wanted: Container[str] | None,
    counter: list[int],
) -> None:
    """Record one value found at ``path`` (a leaf, or an object or array to descend into)."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        leaves = out.get(path)
        if leaves is None:
            out[path] = [(value, trail)]
        else:
            leaves.append((value, trail))
    elif kind is dict:
        _walk(value, path + ".", trail, out, wanted, counter)
    elif kind is list or kind is tuple:
        _walk_array(value, path, trail, out, wanted, counter)
    elif isinstance(value, Mapping):
        _walk(value, path + ".", trail, out, wanted, counter)
    else:
        raise InvalidEventError(f"the value at {path} is not JSON: {type(value).__name__}")


def walk_element(
    value: Any,
    path: str,
    trail: tuple[tuple[int, int], ...],
    inner: tuple[tuple[int, int], ...],
    out: Fields,
    wanted: Container[str] | None,
    counter: list[int],
) -> None:
    """Record one element of an array at ``path``; ``inner`` is ``trail`` plus the element's position."""
    kind = type(value)
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        _walk(value, path + ".", inner, out, wanted, counter)
    elif kind is list or kind is tuple:
        _walk_array(value, path, inner, out, wanted, counter)
    elif kind is str or kind is int or kind is float or kind is bool or value is None:
        # a scalar element does not record its index (as in AWS's reference
        # library): only objects and arrays inside an array do
        leaves = out.get(path)
        if leaves is None:
            out[path] = [(value, trail)]
        else:
            leaves.append((value, trail))
    else:
        raise InvalidEventError(f"the value at {path} is not JSON: {type(value).__name__}")


def _walk(
    obj: Mapping[str, Any],
    prefix: str,
    trail: tuple[tuple[int, int], ...],
    out: Fields,
    wanted: Container[str] | None,
    counter: list[int],
) -> None:
    for key, value in obj.items():
        if type(key) is not str:
            raise InvalidEventError(f"field names must be strings, not {key!r}")
        path = prefix + key
        if wanted is not None and path not in wanted:
            continue
        walk_value(value, path, trail, out, wanted, counter)


def _walk_array(
    items: list[Any] | tuple[Any, ...],
    path: str,
    trail: tuple[tuple[int, int], ...],
    out: Fields,
    wanted: Container[str] | None,
    counter: list[int],
) -> None:
    array_id = counter[0]
    counter[0] += 1
    for index, value in enumerate(items):
        walk_element(value, path, trail, (*trail, (array_id, index)), out, wanted, counter)
