"""The pytest plugin (registered as ``eventmatch`` through the ``pytest11`` entry point).

Installing eventmatch makes these fixtures available in every test:

* ``eventbridge``: an :class:`~eventmatch.EventBridge` on a :class:`~eventmatch.VirtualClock`
  that starts at ``2026-01-01T00:00:00Z``; move time with ``eventbridge.advance(seconds)``.
* ``event_bus``: its default bus.
* ``virtual_clock``: its clock.
* ``recorder``: a fresh :class:`~eventmatch.testing.Recorder`, a target that keeps what it receives.
* ``load_template``: :func:`eventmatch.template.load_template`, to test the rules of your own
  CloudFormation or SAM template.

and the helpers ``assert_matches`` and ``assert_no_match`` as fixtures too (they
are also importable from :mod:`eventmatch.testing`), whose failures explain,
field by field, why the event did or did not match.

.. code-block:: python

    def test_order_rule(event_bus, recorder):
        event_bus.put_rule("big", {"detail": {"total": [{"numeric": [">", 100]}]}})
        event_bus.put_targets("big", [{"Id": "t", "Fn": recorder}])
        event_bus.publish({"source": "shop", "detail-type": "Order", "detail": {"total": 150}})
        assert recorder.last["detail"]["total"] == 150
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from .bus import EventBridge, EventBus, VirtualClock
from .template import load_template as _load_template
from .testing import Recorder
from .testing import assert_matches as _assert_matches
from .testing import assert_no_match as _assert_no_match

#: when the virtual clock of the ``eventbridge`` fixture starts
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def eventbridge() -> Iterator[EventBridge]:
    """An EventBridge on a virtual clock, stopped after the test."""
    bridge = EventBridge(clock=VirtualClock(START), seed=0)
    try:
        yield bridge
    finally:
        bridge.stop()


@pytest.fixture
def event_bus(eventbridge: EventBridge) -> EventBus:
    """The default bus of the ``eventbridge`` fixture."""
    return eventbridge.bus()


@pytest.fixture
def virtual_clock(eventbridge: EventBridge) -> VirtualClock:
    clock = eventbridge.clock
    assert isinstance(clock, VirtualClock)
    return clock


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def load_template() -> Callable[..., Any]:
    return _load_template


@pytest.fixture(name="assert_matches")
def assert_matches_fixture() -> Callable[..., None]:
    return _assert_matches


@pytest.fixture(name="assert_no_match")
def assert_no_match_fixture() -> Callable[..., None]:
    return _assert_no_match
