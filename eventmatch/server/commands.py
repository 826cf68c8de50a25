"""The command log of both APIs: how a change is run and logged, the one player that plays the log again on
start, and its compaction.

* **A change** is logged as (action, parameters, facts) once it succeeded, before its answer: EventBridge's
  actions by their names, Scheduler's as ``scheduler:<Action>``; its facts are the times and ids it made up
  (:class:`~.service.Facts`), given back when it is played again, so it makes the same ARNs and times.
  Reads (``List...``, ``Describe...``, ``Get...``) and work that is not state (PutEvents, StartReplay) are
  not logged. Changes the server makes on its own are logged as well: a schedule that deleted itself
  (``scheduler:DeleteSchedule``) and each replay's description when it starts and ends
  (``eventmatch:Replay``).
* **Compaction.** Once the log holds :data:`COMPACT_AFTER` commands since its last snapshot (and more than
  the snapshot rebuilds), a shadow service plays it (the live one is not touched, and what was made in
  Python or from ``--template`` stays out), and one ``eventmatch:Snapshot`` entry, that shadow's state,
  replaces the commands it covers, in one transaction. A start plays the snapshot and the commands after
  it: start-up time follows the state's size, not its history.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..bus import EventBridge
from ..bus.registry import BusSettings
from ..errors import EventmatchError, ResourceAlreadyExistsError
from ..scheduler import Scheduler
from .resources import ACTIONS as EVENTS_ACTIONS
from .resources import SCHEMAS_ACTIONS, STORES, Answer, Handler, Params, Targets
from .resources.common import from_json, to_json
from .resources.rules import CREATED_BY, Creators
from .resources.schedules import ACTIONS as SCHEDULER_ACTIONS
from .service import Registry, Service
from .sigv4 import Pair
from .state import SNAPSHOT, LogEntry, State

log = logging.getLogger("eventmatch.server")

#: the command log's first entry: when the state was first used (its facts: the time)
STARTED = "eventmatch:Started"
#: a replay's description, logged when it starts and when it ends (replays are not run again on start)
REPLAY = "eventmatch:Replay"
#: Scheduler's actions in the log: ``scheduler:CreateSchedule``...; EventBridge Schemas': ``schemas:...``
SCHEDULER, SCHEMAS = "scheduler:", "schemas:"
#: the log is compacted once it holds this many commands since its last snapshot
COMPACT_AFTER = 1000

#: actions that change nothing that is state (not logged), besides every read
NOT_LOGGED = frozenset({"PutEvents", "PutPartnerEvents", "TestEventPattern", "StartReplay", "CancelReplay",
                        "SearchSchemas", "ExportSchema"})
READS = ("List", "Describe", "Get")


def handler_of(action: str) -> Handler | None:
    """The handler of a logged action (EventBridge's, or Scheduler's with its prefix), or None."""
    if action.startswith(SCHEDULER):
        return SCHEDULER_ACTIONS.get(action[len(SCHEDULER):])
    if action.startswith(SCHEMAS):
        return SCHEMAS_ACTIONS.get(action[len(SCHEMAS):])
    return EVENTS_ACTIONS.get(action)


def logged(action: str) -> bool:
    """Whether a change of this action is logged (see the module's docstring)."""
    name = action.split(":", 1)[1] if action.startswith((SCHEDULER, SCHEMAS)) else action
    return name not in NOT_LOGGED and not name.startswith(READS)


def run(svc: Service, action: str, handler: Handler, params: Params) -> Answer:
    """Run one action on ``svc`` (the caller holds ``svc.lock``), and log it when it changed something."""
    svc.facts.start()
    answer = handler(svc, params)
    if svc.state is not None and logged(action):  # before the answer: a change answered is a change kept
        svc.state.log_command(action, params, svc.facts.made, (svc.account, svc.region))
        if svc.compactor is not None:
            svc.compactor.soon()
    return answer


def run_checked(svc: Service, service: str, action: str, handler: Handler,
                params: Params) -> tuple[Answer | None, tuple[str, str] | None]:
    """One action of a REST API (``service``: ``scheduler``, ``schemas``) on ``svc``, as the EventBridge API's
    run: validated by botocore's model, run under the server's lock, logged as ``<service>:<action>``. Gives its
    answer, or the (code, message) of the error it ends in (``ValidationException`` for the model's refusal,
    ``InternalException`` for a defect, logged)."""
    from .validate import validator

    check = validator(service)
    problem = check.type_problem(action, params) or check.message(action, params)
    if problem is not None:
        return None, ("ValidationException", problem)
    try:
        with svc.lock:
            return run(svc, f"{service}:{action}", handler, params), None
    except EventmatchError as exc:
        return None, (getattr(exc, "code", "ValidationException"), str(exc))
    except Exception:
        log.exception("internal error in %s %s", service, action)
        return None, ("InternalException", "An internal error occurred.")


# -- playing the log again ----------------------------------------------------------------------
def play(services: Registry, state: State) -> int:
    """Play ``state``'s log again, each change on the service of its account and region (on start, with no
    service's ``state`` set, so that nothing is logged twice); returns how many commands ran. A command that
    fails now is logged and skipped."""
    try:
        ran, started = _play_entries(services, list(state.log_entries()), state)
    finally:
        for svc in services:
            svc.restoring = False
    if not started:  # a new state (or one from before the time was kept)
        state.log_command(STARTED, {}, [services.default.started.isoformat()])
    return ran


def _play_entries(services: Registry, entries: list[LogEntry], state: State | None = None) -> tuple[int, bool]:
    """Play ``entries`` of a log: (how many commands ran, whether the log holds its start)."""
    ran = 0
    started = False
    for seq, action, params, facts, pair in entries:
        svc = services.get(pair)
        svc.restoring = True
        if action == STARTED:
            started = True
            if facts:  # when the state was first used: the default bus's creation time
                svc.started = datetime.fromisoformat(facts[0])
                default = svc.bridge.bus("default").settings
                default.created = default.modified = svc.started
        elif action == REPLAY:
            svc.bridge.replays.restore(params)
        elif action == SNAPSHOT:
            started = True
            load_all(services, params)
        else:
            ran += _play_one(svc, state, seq, action, params, facts)
    return ran, started


def _play_one(svc: Service, state: State | None, seq: int, action: str, params: Params,
              facts: list[str] | None) -> int:
    handler = handler_of(action)
    if handler is None:
        return 0
    svc.facts.start(facts)  # the same times and ids as the first time
    try:
        handler(svc, params)
    except ResourceAlreadyExistsError:  # made already (by a template installed before the log is played)
        log.debug("restoring %s: it exists already", action)
        return 0
    except Exception:
        log.exception("restoring %s failed", action)
        return 0
    finally:
        made = svc.facts.made
        svc.facts.start()
    if facts is None and made and state is not None:  # logged before facts were kept: the ones made now, kept
        state.keep_facts(seq, made)
    return 1


# -- snapshots -----------------------------------------------------------------------------------
def snapshot(svc: Service) -> dict[str, Any]:
    """``svc``'s state as one JSON object: the commands that rebuild what the bridge and the Scheduler hold
    (buses, rules and their targets, archives, schedule groups, schedules), then the API's models, tags and
    replays as they are."""
    bridge, targets, creators = svc.bridge, svc.store(Targets), svc.store(Creators)
    settings: dict[str, object] = {}
    commands: list[tuple[str, dict[str, Any], list[str]]] = []
    for listed in bridge.list_event_buses():
        name = listed["Name"]
        bus = bridge.bus(name)
        if name != "default":
            commands.append(("CreateEventBus", {"Name": name}, [bus.settings.created.isoformat()]))
        settings[name] = to_json(vars(bus.settings))
        for rule in bus.list_rules():
            params = {k: rule[k] for k in ("Name", "EventPattern", "ScheduleExpression", "State", "Description",
                                                       "RoleArn")
                      if rule.get(k) not in (None, "")}
            creator = creators.get((name, rule["Name"]))
            if creator is not None:  # made from another account (see crossing)
                params[CREATED_BY] = creator
            commands.append(("PutRule", {**params, "EventBusName": name}, []))
            specs = targets.get((name, rule["Name"]))
            if specs:
                commands.append(("PutTargets", {"EventBusName": name, "Rule": rule["Name"],
                                                "Targets": list(specs.values())}, []))
    for archive in bridge.archives.list_archives():
        described = bridge.archives.describe(archive["ArchiveName"])
        params = {k: described[k] for k in ("ArchiveName", "EventSourceArn", "EventPattern", "RetentionDays",
                                            "Description") if k in described}
        commands.append(("CreateArchive", params, [described["CreationTime"].isoformat()]))
    modified: dict[str, str] = {}
    if svc.scheduler is not None:
        for group in svc.scheduler.groups.values():
            if group.name != "default":
                commands.append((SCHEDULER + "CreateScheduleGroup", {"Name": group.name}, [group.created.isoformat()]))
        for schedule in svc.scheduler.schedules.values():
            described = schedule.describe()
            params = {k: v for k, v in described.items()
                      if k not in ("Arn", "CreationDate", "LastModificationDate")}
            commands.append((SCHEDULER + "CreateSchedule", params, [schedule.created.isoformat()]))
            modified[schedule.arn] = schedule.modified.isoformat()
    return {"version": 1, "started": svc.started.isoformat(), "commands": commands,
            "buses": settings, "resources": {store.kind: svc.store(store).to_json() for store in STORES},
            "tags": svc.tags.items(), "replays": bridge.replays.list_replays(), "scheduleModified": modified}


def snapshot_all(services: Registry) -> dict[str, Any]:
    """Every service's state (``snapshot``), with its account and region."""
    return {"version": 2, "services": [{"account": svc.account, "region": svc.region, **snapshot(svc)}
                                       for svc in services]}


def load_all(services: Registry, data: dict[str, Any]) -> None:
    """Rebuild what ``snapshot_all`` gave (or a snapshot of one service, as the first compactions wrote)."""
    for one in data.get("services", [data]):
        pair = (one["account"], one["region"]) if "account" in one else None
        load(services.get(pair), one)


def load(svc: Service, data: dict[str, Any]) -> None:
    """Rebuild the state ``snapshot`` gave on ``svc`` (an empty one: on start)."""
    svc.started = datetime.fromisoformat(data["started"])
    for action, params, facts in data["commands"]:
        _play_one(svc, None, 0, action, params, facts)
    for name, settings in data.get("buses", {}).items():
        svc.bridge.bus(name).settings = BusSettings(**from_json(settings))
    for store in STORES:
        svc.store(store).load(data["resources"].get(store.kind, {}))
    svc.tags.load(data["tags"])
    for record in data["replays"]:
        svc.bridge.replays.restore(record)
    if svc.scheduler is not None:
        for key, schedule in list(svc.scheduler.schedules.items()):
            when = data["scheduleModified"].get(schedule.arn)
            if when is not None:
                svc.scheduler.schedules[key] = replace(schedule, modified=datetime.fromisoformat(when))


def shadow_of(svc: Service) -> Service:
    """A service like ``svc`` (its account, region and clock) with nothing in it and no state: what a
    compaction plays the log on. Its targets are never called."""
    bridge = EventBridge(clock=svc.bridge.clock, account=svc.account, region=svc.region,
                         target_resolver=lambda spec: _never_called)
    shadow = Service(bridge)
    shadow.scheduler = Scheduler(bridge, tags=shadow.tags)
    shadow.scheduler.stamp = shadow.facts.now
    shadow.restoring = True
    return shadow


def shadows_of(services: Registry) -> Registry:
    """A registry like ``services`` (its default pair, and a shadow service for any other pair the log
    names) with nothing in it: what a compaction plays the log on."""
    clock = services.default.bridge.clock

    def make(pair: Pair) -> Service:
        return shadow_of(Service(EventBridge(clock=clock, account=pair[0], region=pair[1])))

    return Registry(shadow_of(services.default), make)


def _never_called(payload: object) -> None:
    pass


def compact(state: State, shadows: Registry) -> int:
    """Compact ``state``'s log (see the module's docstring), playing it on ``shadows`` (``shadows_of``);
    returns how many entries the snapshot replaced."""
    entries = list(state.log_entries())
    if not entries:
        return 0
    _play_entries(shadows, entries)
    last = entries[-1][0]
    state.replace_log(last, SNAPSHOT, snapshot_all(shadows))
    return len(entries)


class Compactor:  # (Service.compactor: the Compacts protocol)
    """Compacts a state's log in a thread of its own when it has grown (one compaction at a time)."""

    def __init__(self, state: State, shadow: Callable[[], Registry]) -> None:
        self.state = state
        self.shadow = shadow
        self._running = threading.Lock()
        self.compactions = 0

    def due(self) -> bool:
        return self.state.log_size >= max(COMPACT_AFTER, 2 * self.state.snapshot_size)

    def soon(self) -> None:
        """Compact in the background if the log has grown enough (and no compaction runs)."""
        if self.due() and self._running.acquire(blocking=False):
            threading.Thread(target=self._run, name="eventmatch-compaction", daemon=True).start()

    def now(self) -> int:
        """Compact now, on this thread; how many entries were replaced."""
        with self._running:
            return self._compact()

    def _run(self) -> None:
        try:
            self._compact()
        except Exception:
            log.exception("compacting the command log failed (it is kept as it was)")
        finally:
            self._running.release()

    def _compact(self) -> int:
        replaced = compact(self.state, self.shadow())
        self.compactions += 1
        return replaced


__all__ = ["COMPACT_AFTER", "REPLAY", "SCHEDULER", "SNAPSHOT", "STARTED", "Compactor", "compact", "handler_of",
           "load", "load_all", "logged", "play", "run", "shadow_of", "shadows_of", "snapshot", "snapshot_all"]
