"""Replays: archived events sent again to their bus, as StartReplay does.

Replayed events carry ``replay-name`` and keep their original ``time``; they go
through the router like any other event (to the rules of ``FilterArns`` only,
when given), so deliveries and metrics are the same as the first time. A replay
runs to its end before ``start_replay`` returns, or on a thread of its own with
``wait=False``; either way its state moves as AWS's does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..arn import arn
from ..errors import (
    IllegalStatusError,
    LimitExceededError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
    ValidationError,
)
from .clock import VirtualClock
from .targets import NAME

if TYPE_CHECKING:
    from .archive import ArchiveStore
    from .clock import Clock
    from .registry import EventBus
    from .router import Router

#: a replay's states, in the API reference's order
REPLAY_STATES = ("STARTING", "RUNNING", "CANCELLING", "COMPLETED", "CANCELLED", "FAILED")
#: replay states that count against the limit of active replays
_REPLAY_ACTIVE = ("STARTING", "RUNNING", "CANCELLING")
#: at most this many replays are active at once (AWS's quota)
MAX_ACTIVE_REPLAYS = 10
#: seconds a replay started as StartReplay starts it stays RUNNING at least, on the system clock (see _run)
MIN_RUNNING = 1.0
#: how often a replay on a virtual clock looks whether the clock moved (seconds)
LINGER_POLL = 0.01


class Replays:
    """The replays of one EventBridge (see the module's docstring)."""

    def __init__(
        self,
        clock: Clock,
        archives: ArchiveStore,
        router: Router,
        bus: Callable[[str], EventBus],
        account: str,
        region: str,
    ) -> None:
        self.clock = clock
        self.archives = archives
        self.router = router
        self._bus = bus
        self.account = account
        self.region = region
        self._replays: dict[str, dict[str, Any]] = {}
        self._replay_lock = threading.Lock()  # replay states change on the replays' own threads
        #: told each replay's description when it starts and when it ends (``eventmatch serve --state`` keeps
        #: them, and gives them back with :meth:`restore` on the next start)
        self.kept: Callable[[dict[str, Any]], None] | None = None
        self._replay_runs: dict[str, tuple[threading.Thread | None, threading.Event]] = {}

    def start(
        self,
        name: str,
        archive: str,
        start: datetime,
        end: datetime,
        rules: Sequence[str] | None = None,
        *,
        wait: bool = True,
        description: str | None = None,
        lingers: bool = False,
    ) -> dict[str, Any]:
        """StartReplay (see :meth:`eventmatch.EventBridge.start_replay`, which this serves)."""
        if not isinstance(name, str) or not NAME.match(name) or len(name) > 64:
            raise ValidationError(
                f"1 validation error detected: Value '{name}' at 'replayName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length 1 to 64"
            )
        for label, when in (("start", start), ("end", end)):
            if not isinstance(when, datetime):
                raise TypeError(f"start_replay: {label} must be a datetime, not {type(when).__name__}")
            if when.tzinfo is None:
                raise ValueError(f"start_replay: {label} must be timezone-aware (for example tzinfo=UTC), got {when}")
        if isinstance(rules, str | bytes) or (
            rules is not None and not all(isinstance(rule, str) for rule in rules)
        ):
            raise TypeError("start_replay: rules must be a list of rule names or ARNs")
        if name in self._replays:
            raise ResourceAlreadyExistsError(f"Replay {name} already exists.")
        found = self.archives.get(archive)
        if found is None:
            raise ValidationError(f"Parameter EventSourceArn is not valid. Reason: Archive {archive} does not exist.")
        if not start < end:
            raise ValidationError(
                "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime."
            )
        bus = self._bus(found.bus)
        allowed = None if rules is None else {r.rsplit("/", 1)[-1] for r in rules}
        events = self.archives.events(archive, start, end)  # read here: the store's connection is this thread's
        cancel = threading.Event()
        with self._replay_lock:
            if name in self._replays:
                raise ResourceAlreadyExistsError(f"Replay {name} already exists.")
            if sum(1 for r in self._replays.values() if r["State"] in _REPLAY_ACTIVE) >= MAX_ACTIVE_REPLAYS:
                raise LimitExceededError("The requested resource exceeds the maximum number allowed.")
            replay: dict[str, Any] = {
                "ReplayName": name,
                "ReplayArn": arn("events", self.region, self.account, f"replay/{name}"),
                "EventSourceArn": found.arn,
                "Destination": {"Arn": bus.arn, **({"FilterArns": list(rules)} if rules is not None else {})},
                "State": "STARTING",
                "EventStartTime": start,
                "EventEndTime": end,
                "ReplayStartTime": self.clock.now(),
                "ReplayedEvents": 0,
                **({"Description": description} if description is not None else {}),
            }
            self._replays[name] = replay
            self._replay_runs[name] = (None, cancel)
            started = self._describe(replay)
        if self.kept is not None:
            self.kept(started)
        if wait:
            self._run(replay, bus, events, allowed, cancel)
            return self.describe_replay(name)
        thread = threading.Thread(
            target=self._run,
            args=(replay, bus, events, allowed, cancel, lingers),
            name=f"eventmatch-replay-{name}",
            daemon=True,
        )
        with self._replay_lock:
            self._replay_runs[name] = (thread, cancel)
            described = self._describe(replay)
        thread.start()
        return described

    def _run(
        self,
        replay: dict[str, Any],
        bus: EventBus,
        events: list[dict[str, Any]],
        allowed: set[str] | None,
        cancel: threading.Event,
        lingers: bool = False,
    ) -> None:
        """The body of a replay: deliver the events in order until done or cancelled. One that ``lingers`` (a
        replay started as AWS's StartReplay starts it) stays RUNNING a while after its events are routed, as
        AWS's do, so that it can be cancelled: on the system clock for at least MIN_RUNNING seconds from its
        start, on a virtual clock until the clock next moves."""
        name = replay["ReplayName"]
        started, began = self.clock.now(), time.monotonic()
        with self._replay_lock:
            if replay["State"] == "STARTING":
                replay["State"] = "RUNNING"
        reason = None
        try:
            for event in events:
                if cancel.is_set():
                    break
                event["replay-name"] = name
                now = self.clock.now()
                names = [rule.name for rule in bus.matching_rules(event)]
                if names:
                    self.router.route(bus, event, only=allowed, names=names)
                with self._replay_lock:
                    replay["ReplayedEvents"] += 1
                    replay["EventLastReplayedTime"] = now
        except Exception as exc:  # a replay that fails says why, as AWS's StateReason does
            reason = f"{type(exc).__name__}: {exc}"
        if lingers and reason is None:
            self._linger(cancel, started, began)
        with self._replay_lock:
            if reason is not None:
                replay["State"] = "FAILED"
                replay["StateReason"] = reason
            else:
                replay["State"] = "CANCELLED" if cancel.is_set() else "COMPLETED"
            replay["ReplayEndTime"] = self.clock.now()
            ended = self._describe(replay)
        if self.kept is not None:
            self.kept(ended)

    def _linger(self, cancel: threading.Event, started: datetime, began: float) -> None:
        """Stay RUNNING (see _run) unless cancelled meanwhile."""
        if isinstance(self.clock, VirtualClock):
            while not cancel.wait(LINGER_POLL) and self.clock.now() == started:
                pass
        else:
            cancel.wait(max(MIN_RUNNING - (time.monotonic() - began), 0.0))

    def restore(self, record: dict[str, Any]) -> None:
        """Put back a replay described by ``kept`` in an earlier run (its times as ISO 8601 text or datetimes):
        one that had not ended then did not finish, and is FAILED with that reason."""
        replay = dict(record)
        for key in ("EventStartTime", "EventEndTime", "ReplayStartTime", "ReplayEndTime", "EventLastReplayedTime"):
            if isinstance(replay.get(key), str):
                replay[key] = datetime.fromisoformat(replay[key])
        if replay.get("State") in _REPLAY_ACTIVE:
            replay["State"] = "FAILED"
            replay["StateReason"] = "The server stopped before the replay ended."
        with self._replay_lock:
            self._replays[str(replay["ReplayName"])] = replay
            self._replay_runs[str(replay["ReplayName"])] = (None, threading.Event())

    def cancel_replay(self, name: str) -> dict[str, Any]:
        """AWS's CancelReplay: a replay that is starting or running turns ``CANCELLING`` and stops before its
        next event (then ``CANCELLED``). Returns ``{"ReplayArn", "State"}``."""
        with self._replay_lock:
            replay = self._replays.get(name)
            if replay is None:
                raise ResourceNotFoundError(f"Replay {name} does not exist.")
            if replay["State"] not in ("STARTING", "RUNNING"):
                # AWS's documented reason for IllegalStatusException (the service's own text is not recorded)
                raise IllegalStatusError(
                    "An error occurred because a replay can be canceled only when the state is Running or Starting."
                )
            replay["State"] = "CANCELLING"
            self._replay_runs[name][1].set()
            return {"ReplayArn": replay["ReplayArn"], "State": "CANCELLING"}

    def wait_replay(self, name: str, timeout: float | None = None) -> dict[str, Any]:
        """Wait (up to ``timeout`` seconds) for a replay started with ``wait=False`` to end; returns its
        description, whose ``State`` tells whether it did."""
        with self._replay_lock:
            run = self._replay_runs.get(name)
        if run is None:
            raise ResourceNotFoundError(f"Replay {name} does not exist.")
        thread = run[0]
        if thread is not None:
            thread.join(timeout)
        return self.describe_replay(name)

    def describe_replay(self, name: str) -> dict[str, Any]:
        with self._replay_lock:
            replay = self._replays.get(name)
            if replay is None:
                raise ResourceNotFoundError(f"Replay {name} does not exist.")
            return self._describe(replay)

    def list_replays(self, name_prefix: str | None = None, state: str | None = None) -> list[dict[str, Any]]:
        """The replays (optionally those whose name starts with ``name_prefix``, or in ``state``), by name."""
        if state is not None and state not in REPLAY_STATES:
            raise ValidationError(
                f"1 validation error detected: Value '{state}' at 'state' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(REPLAY_STATES)}]"
            )
        with self._replay_lock:
            return [
                self._describe(r)
                for n, r in sorted(self._replays.items())
                if (name_prefix is None or n.startswith(name_prefix)) and (state is None or r["State"] == state)
            ]

    @staticmethod
    def _describe(replay: dict[str, Any]) -> dict[str, Any]:
        described = dict(replay)
        if "Destination" in described:
            described["Destination"] = {
                k: list(v) if isinstance(v, list) else v for k, v in described["Destination"].items()
            }
        return described



    def stop(self) -> None:
        """Cancel the replays running in the background (each ends CANCELLED before its next event)."""
        with self._replay_lock:
            for name, (thread, cancel) in self._replay_runs.items():
                replay = self._replays[name]
                if thread is not None and replay["State"] in ("STARTING", "RUNNING"):
                    replay["State"] = "CANCELLING"
                    cancel.set()


__all__ = ["MAX_ACTIVE_REPLAYS", "REPLAY_STATES", "Replays"]
