"""AWS's TestEventPattern: one event against one pattern, with the event checks AWS makes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..event import check_envelope, load_event
from .compile import Pattern, compile_pattern


def test_event_pattern(
    event: str | bytes | bytearray | Mapping[str, Any],
    pattern: str | bytes | bytearray | Mapping[str, Any] | Pattern,
) -> bool:
    """AWS's TestEventPattern: whether ``event`` matches ``pattern``.

    Both may be JSON text or a dict. Raises
    :class:`InvalidEventPatternError` for an invalid pattern and
    :class:`InvalidEventError` (``Parameter Event is not valid.``) for an event
    that is not a JSON object with the envelope fields AWS requires (id,
    account, source, time, region, detail-type).
    """
    compiled = pattern if isinstance(pattern, Pattern) else compile_pattern(pattern)
    loaded = load_event(event)
    check_envelope(loaded)
    return compiled.matches(loaded)


test_event_pattern.__test__ = False  # type: ignore[attr-defined]  # not a pytest test

__all__ = ["test_event_pattern"]
