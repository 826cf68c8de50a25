"""The pytest plugin (registered as ``eventmatch`` through the ``pytest11`` entry point).

Installing eventmatch makes these fixtures available in every test:

* ``eventbridge``: an :class:`~eventmatch.EventBridge` on a :class:`~eventmatch.VirtualClock`
  that starts at ``2026-01-01T00:00:00Z``; move time with ``eventbridge.advance(seconds)``.
* ``event_bus``: its default bus.
* ``virtual_clock``: its clock.
* ``recorder``: a fresh :class:`~eventmatch.testing.Recorder`, a target that keeps what it receives.
* ``eventmatch_server``: ``eventmatch serve`` on a free loopback port over ``eventbridge``, for
  boto3 (``endpoint_url=eventmatch_server.endpoint_url``); needs the ``server`` extra. On its virtual
  clock, a replay started with StartReplay stays RUNNING (so that a test can cancel it) until the clock
  next moves: ``eventbridge.advance(1)`` completes it.
* ``eventmatch_client``: ``eventmatch_client("events", region="eu-west-1", account="111122223333")``, a
  boto3 client of ``eventmatch_server`` signed for that account and region (each defaulting to the server's
  default pair, us-east-1 and 123456789012): every account and region of the server is its own, as in AWS;
  ``eventmatch_server.service(account, region)`` gives that pair's ``bridge`` and ``scheduler``.
* ``load_template``: :func:`eventmatch.template.load_template`, to test the rules of your own
  CloudFormation or SAM template; a relative path is read from the test file's folder.

and the helpers ``assert_matches`` and ``assert_no_match`` as fixtures too (they
are also importable from :mod:`eventmatch.testing`), whose failures explain,
field by field, why the event did or did not match; and ``assert_lints_clean(template)``,
which fails, listing each finding, if a rule of the template can never fire as written
(``eventmatch lint``, docs/lint.md).

.. code-block:: python

    def test_order_rule(event_bus, recorder):
        event_bus.put_rule("big", {"detail": {"total": [{"numeric": [">", 100]}]}})
        event_bus.put_targets("big", [{"Id": "t", "Fn": recorder}])
        event_bus.publish({"source": "shop", "detail-type": "Order", "detail": {"total": 150}})
        assert recorder.last["detail"]["total"] == 150
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from .bus import EventBridge, EventBus, VirtualClock
from .template import load_template as _load_template
from .testing import Recorder
from .testing import assert_lints_clean as _assert_lints_clean
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
    """The virtual clock of the ``eventbridge`` fixture (starts at 2026-01-01T00:00:00Z; ``advance(seconds)``)."""
    clock = eventbridge.clock
    assert isinstance(clock, VirtualClock)
    return clock


@pytest.fixture
def recorder() -> Recorder:
    """A target that keeps every payload it receives: ``Fn`` of a target, then ``recorder.last``."""
    return Recorder()


@pytest.fixture
def load_template(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """``load_template(path, parameters=None)``: a template's rules; a relative path is read from the folder of
    the test file (then from the working directory), so tests run the same from anywhere."""
    here = Path(request.path).parent

    def load(source: str | Path, parameters: Mapping[str, str] | None = None, **options: Any) -> Any:
        path = Path(source)
        if not path.is_absolute() and "text" not in options and (here / path).exists():
            path = here / path
        return _load_template(path, parameters, **options)

    return load


@pytest.fixture
def eventmatch_server(eventbridge: EventBridge) -> Iterator[Any]:
    """``eventmatch serve`` in this process on a free loopback port, over the ``eventbridge`` fixture (its
    virtual clock): ``boto3.client("events", endpoint_url=eventmatch_server.endpoint_url)``. Targets given by
    ARN are recorded: ``eventmatch_server.deliveries()``. Needs the ``server`` extra."""
    server_module = pytest.importorskip("eventmatch.server", reason="pip install 'eventmatch[server]'")
    server = server_module.Server(eventbridge).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def eventmatch_client(eventmatch_server: Any) -> Callable[..., Any]:
    """boto3 clients of ``eventmatch_server``: ``eventmatch_client("events")``, or ``("scheduler",
    region="eu-west-1", account="111122223333")`` for another account and region of the server (the region the
    client signs for; the account as its 12-digit access key id). Needs boto3."""
    boto3 = pytest.importorskip("boto3", reason="pip install boto3")
    default_account, default_region = eventmatch_server.app.state.services.default_pair

    def make(service: str = "events", *, region: str | None = None, account: str | None = None) -> Any:
        return boto3.client(service, endpoint_url=eventmatch_server.endpoint_url,
                            region_name=region or default_region, aws_access_key_id=account or default_account,
                            aws_secret_access_key="test")

    return make


@pytest.fixture(name="assert_matches")
def assert_matches_fixture() -> Callable[..., None]:
    """``assert_matches(pattern, event)``: fails with a field-by-field explanation unless the event matches."""
    return _assert_matches


@pytest.fixture(name="assert_no_match")
def assert_no_match_fixture() -> Callable[..., None]:
    """``assert_no_match(pattern, event)``: fails with a field-by-field explanation if the event matches."""
    return _assert_no_match


@pytest.fixture(name="assert_lints_clean")
def assert_lints_clean_fixture(request: pytest.FixtureRequest) -> Callable[..., None]:
    """``assert_lints_clean(template, parameters=None, ignore=())``: fails, listing each finding, if a rule of the
    template can never fire as written (docs/lint.md); a relative path is read from the test file's folder."""
    here = Path(request.path).parent

    def check(template: str | Path, parameters: Mapping[str, str] | None = None, **options: Any) -> None:
        __tracebackhide__ = True
        path = Path(template)
        if not path.is_absolute() and (here / path).exists():
            path = here / path
        _assert_lints_clean(path, parameters, **options)

    return check
