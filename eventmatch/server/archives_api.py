"""The EventBridge API's archives and replays: CreateArchive, DescribeArchive, UpdateArchive, DeleteArchive,
ListArchives, StartReplay, DescribeReplay, ListReplays and CancelReplay, on a :class:`~.events_api.Context`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..bus import EventBridge, EventBus
from ..bus.archive import UNSET
from ..errors import ValidationError
from ..pattern import compile_pattern
from .events_api import Context, Handler, _listing


def _archive_pattern(value: Any) -> Any:
    return compile_pattern(value) if value is not None else None


def _bus_of_arn(bridge: EventBridge, arn: Any, what: str) -> EventBus:
    if not isinstance(arn, str) or ":event-bus/" not in arn:
        raise ValidationError(f"Parameter {what} is not valid. Reason: Provided Arn is not in correct format.")
    return bridge.bus(arn.split(":event-bus/", 1)[1])


def create_archive(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bus = _bus_of_arn(ctx.bridge, params.get("EventSourceArn"), "EventSourceArn")
    archive = ctx.bridge.create_archive(
        params.get("ArchiveName"),  # type: ignore[arg-type]  # validated by the bridge
        bus.name, params.get("EventPattern"), params.get("RetentionDays"), params.get("Description", ""),
        created=ctx.now(),
    )
    return {"ArchiveArn": archive.arn, "State": "ENABLED", "CreationTime": archive.created}


def describe_archive(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    return ctx.bridge.archives.describe(str(params.get("ArchiveName")))


def update_archive(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    name = str(params.get("ArchiveName"))
    archive = ctx.bridge.archives.update(
        name,
        _archive_pattern(params["EventPattern"]) if "EventPattern" in params else UNSET,
        params.get("RetentionDays", UNSET),
        params.get("Description", UNSET),
    )
    return {"ArchiveArn": archive.arn, "State": "ENABLED", "CreationTime": archive.created}


def delete_archive(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    ctx.bridge.archives.delete(str(params.get("ArchiveName")))
    return {}


def list_archives(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    source = params.get("EventSourceArn")
    if source is not None:
        source = _bus_of_arn(ctx.bridge, source, "EventSourceArn").arn
    archives = ctx.bridge.archives.list_archives(str(params.get("NamePrefix") or ""), source, params.get("State"))
    return _listing("Archives", archives, params)


def _time(value: Any, what: str) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    raise ValidationError(f"Parameter {what} is not valid. Reason: expected a timestamp.")


def start_replay(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    bridge = ctx.bridge
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
    )
    return {"ReplayArn": started["ReplayArn"], "State": started["State"], "ReplayStartTime": started["ReplayStartTime"]}


def describe_replay(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    return ctx.bridge.describe_replay(str(params.get("ReplayName")))


def list_replays(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    replays = ctx.bridge.list_replays(params.get("NamePrefix"), params.get("State"))
    source = params.get("EventSourceArn")
    keys = ("ReplayName", "EventSourceArn", "State", "StateReason", "EventStartTime", "EventEndTime",
            "EventLastReplayedTime", "ReplayStartTime", "ReplayEndTime")
    listed = [{k: r[k] for k in keys if k in r} for r in replays if source is None or r["EventSourceArn"] == source]
    return _listing("Replays", listed, params)


def cancel_replay(ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    return ctx.bridge.cancel_replay(str(params.get("ReplayName")))


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
