"""Numbers in patterns and events, compared by exact decimal value.

EventBridge compares numbers by value, not by spelling: ``300``, ``300.0`` and
``3e2`` are the same number. eventmatch keeps every number as an exact value
(``int`` or :class:`decimal.Decimal` built from the shortest spelling of a
float), so ``0.1`` in a pattern equals ``0.1`` in an event, and
``27.807807921694092`` does not equal ``27.80780792169409``, as in AWS's
reference library. AWS documents numeric matching for values between
-5.0e9 and +5.0e9 with six digits after the decimal point; inside that range
eventmatch and AWS agree, and outside it eventmatch still compares exactly.
"""

from __future__ import annotations

import math
from decimal import Decimal

Number = int | Decimal

#: The range AWS documents for numeric matching.
DOCUMENTED_MIN = Decimal("-5.0e9")
DOCUMENTED_MAX = Decimal("5.0e9")


def event_number(value: object) -> Number | None:
    """The exact value of a JSON number from an event, or None if ``value`` is not one.

    Booleans are not numbers here, and neither are NaN or the infinities (JSON
    has no spelling for them).
    """
    kind = type(value)
    if kind is int:
        return value  # type: ignore[return-value]
    if kind is float:
        if not math.isfinite(value):  # type: ignore[arg-type]
            return None
        f: float = value  # type: ignore[assignment]
        if f.is_integer() and abs(f) < 2**53:
            return int(f)
        return Decimal(repr(f))
    if kind is Decimal:
        d: Decimal = value  # type: ignore[assignment]
        return d if d.is_finite() else None
    return None


#: Integers below this size convert to floats exactly.
FLOAT_EXACT = 2**53


def nearest_float(value: Number) -> float:
    """The float nearest to a pattern number (an infinity past the float range).

    Rounding to the nearest float is monotonic, so for an event number ``x``
    read as the float ``f``: ``f < nearest_float(b)`` implies ``x < b`` and
    ``f > nearest_float(b)`` implies ``x > b``. Only ``f == nearest_float(b)``
    needs the exact decimal comparison; that lets numeric matchers compare
    floats on the hot path and build a Decimal almost never.
    """
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def number_text(value: Number) -> str:
    """A number as text, whatever its size (``str`` of an int past 4,300 digits raises in Python)."""
    try:
        return str(value)
    except ValueError:
        return str(Decimal(value))


def canonical(value: Decimal) -> Number:
    """A pattern number in the form used for hashing and comparing (``int`` when whole)."""
    if value == value.to_integral_value():
        return int(value)
    return value.normalize()
