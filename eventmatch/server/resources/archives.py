"""Archives and replays over the API: CreateArchive, DescribeArchive, UpdateArchive, DeleteArchive, ListArchives,
StartReplay, DescribeReplay, ListReplays, CancelReplay. The models are the bridge's (:mod:`eventmatch.bus.archive`,
:mod:`eventmatch.bus.replay`): an archive's events are kept in the state file with ``--state``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ...bus import EventBridge, EventBus
from ...bus.archive import UNSET
from ...errors import ValidationError
from ...pattern import Pattern, compile_pattern
from .common import Answer, Handler, Params, listing

if TYPE_CHECKING:
    from ..service import Service


def _archive_pattern(value: Any) -> Pattern | None:
    return compile_pattern(value) if value is not None else None


def _bus_of_arn(bridge: EventBridge, arn: object, what: str) -> EventBus:
    if not isinstance(arn, str) or ":event-bus/" not in arn:
        raise ValidationError(f"Parameter {what} is not valid. Reason: Provided Arn is not in correct format.")
    return bridge.bus(arn.split(":event-bus/", 1)[1])


def create_archive(svc: Service, params: Params) -> Answer:
    bus = _bus_of_arn(svc.bridge, params.get("EventSourceArn"), "EventSourceArn")
    archive = svc.bridge.create_archive(
        params.get("ArchiveName"),  # type: ignore[arg-type]  # validated by the bridge
        bus.name, params.get("EventPattern"), params.get("RetentionDays"), params.get("Description", ""),
        created=svc.now(),
    )
    return {"ArchiveArn": archive.arn, "State": "ENABLED", "CreationTime": archive.created}


def describe_archive(svc: Service, params: Params) -> Answer:
    return svc.bridge.archives.describe(str(params.get("ArchiveName")))


def update_archive(svc: Service, params: Params) -> Answer:
    name = str(params.get("ArchiveName"))
    archive = svc.bridge.archives.update(
        name,
        _archive_pattern(params["EventPattern"]) if "EventPattern" in params else UNSET,
        params.get("RetentionDays", UNSET),
        params.get("Description", UNSET),
    )
    return {"ArchiveArn": archive.arn, "State": "ENABLED", "CreationTime": archive.created}


def delete_archive(svc: Service, params: Params) -> Answer:
    svc.bridge.archives.delete(str(params.get("ArchiveName")))
    return {}


#: ListArchives' and ListReplays' filters: the API reference says of each "Filter parameters are exclusive"
FILTERS = ("NamePrefix", "EventSourceArn", "State")


def _one_filter(params: Params, action: str) -> None:
    """At most one filter of a list of archives or replays (AWS's own message is not recorded; this one says
    what the API reference says, naming the filters given)."""
    given = [name for name in FILTERS if params.get(name) is not None]
    if len(given) > 1:
        raise ValidationError(f"Parameters {' and '.join(given)} are not valid together. Reason: {action}'s "
                              "filter parameters are exclusive.")


def list_archives(svc: Service, params: Params) -> Answer:
    _one_filter(params, "ListArchives")
    source = params.get("EventSourceArn")
    if source is not None:
        source = _bus_of_arn(svc.bridge, source, "EventSourceArn").arn
    archives = svc.bridge.archives.list_archives(str(params.get("NamePrefix") or ""), source, params.get("State"))
    return listing("Archives", archives, params)


def _time(value: object, what: str) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    raise ValidationError(f"Parameter {what} is not valid. Reason: expected a timestamp.")


def start_replay(svc: Service, params: Params) -> Answer:
    bridge = svc.bridge
    source = params.get("EventSourceArn")
    name = source.rsplit("/", 1)[-1] if isinstance(source, str) and ":archive/" in source else str(source)
    archive = bridge.archives.get(name)
    destination = params.get("Destination") or {}
    if archive is not None and isinstance(destination, Mapping):
        target = _bus_of_arn(bridge, destination.get("Arn"), "Destination.Arn")
        if target.name != archive.bus:
            raise ValidationError(
                "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted."
            )
    rules = destination.get("FilterArns") if isinstance(destination, Mapping) else None
    started = bridge.start_replay(
        str(params.get("ReplayName")), name, _time(params.get("EventStartTime"), "EventStartTime"),
        _time(params.get("EventEndTime"), "EventEndTime"), rules, wait=False,
        description=params.get("Description"), lingers=True,
    )
    return {"ReplayArn": started["ReplayArn"], "State": started["State"], "ReplayStartTime": started["ReplayStartTime"]}


def describe_replay(svc: Service, params: Params) -> Answer:
    return svc.bridge.describe_replay(str(params.get("ReplayName")))


def list_replays(svc: Service, params: Params) -> Answer:
    _one_filter(params, "ListReplays")
    replays = svc.bridge.list_replays(params.get("NamePrefix"), params.get("State"))
    source = params.get("EventSourceArn")
    keys = ("ReplayName", "EventSourceArn", "State", "StateReason", "EventStartTime", "EventEndTime",
            "EventLastReplayedTime", "ReplayStartTime", "ReplayEndTime")
    listed = [{k: r[k] for k in keys if k in r} for r in replays if source is None or r["EventSourceArn"] == source]
    return listing("Replays", listed, params)


def cancel_replay(svc: Service, params: Params) -> Answer:
    return svc.bridge.cancel_replay(str(params.get("ReplayName")))


ACTIONS: dict[str, Handler] = {
    "CreateArchive": create_archive,
    "DescribeArchive": describe_archive,
    "UpdateArchive": update_archive,
    "DeleteArchive": delete_archive,
    "ListArchives": list_archives,
    "StartReplay": start_replay,
    "DescribeReplay": describe_replay,
    "ListReplays": list_replays,
    "CancelReplay": cancel_replay,
}

__all__ = ["ACTIONS"]
