"""EventBridge Scheduler's API, its actions: CreateSchedule, UpdateSchedule, GetSchedule, DeleteSchedule,
ListSchedules, CreateScheduleGroup, GetScheduleGroup, DeleteScheduleGroup, ListScheduleGroups, and tags.
The models (:class:`~eventmatch.scheduler.models.Schedule`, ``ScheduleGroup``) are the service's
Scheduler's; the wire (REST-JSON routes) is :mod:`..scheduler_api`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from ...errors import ResourceNotFoundError, ValidationError
from ...scheduler import Scheduler
from .common import Answer, Handler, Params, listing

if TYPE_CHECKING:
    from ..service import Service

#: the settings CreateSchedule and UpdateSchedule take besides the expression, target and window
OPTIONS = ("ScheduleExpressionTimezone", "StartDate", "EndDate", "State", "Description", "KmsKeyArn",
           "ActionAfterCompletion")


def scheduler_of(svc: Service) -> Scheduler:
    if svc.scheduler is None:
        raise RuntimeError("this service has no Scheduler")
    return svc.scheduler


def _page(items: list[Answer], params: Params, key: str) -> Answer:
    """One page by MaxResults and NextToken: the EventBridge API's paging, under Scheduler's names."""
    return listing(key, items, {k: v for k, v in (("Limit", params.get("MaxResults")),
                                                  ("NextToken", params.get("NextToken"))) if v is not None})


def _tags(given: object) -> dict[str, str]:
    items = given if isinstance(given, list) else []
    return {str(t.get("Key")): str(t.get("Value")) for t in items if isinstance(t, Mapping)}


#: AWS's answer to a StartDate more than five minutes before now (quoted in getmoto/moto#8172); Scheduler's
#: API reference, CreateSchedule: StartDate is ignored for one-time (at) schedules
EARLY_START = "The StartDate you specify cannot be earlier than 5 minutes ago."


def _start_checked(svc: Service, p: Params) -> None:
    """A recurring schedule's StartDate may not lie more than five minutes before now (the server's clock,
    virtual or real; not checked while the command log is played again)."""
    start = p.get("StartDate")
    if start is None or svc.restoring or str(p.get("ScheduleExpression", "")).startswith("at("):
        return
    when: datetime | None = None
    if isinstance(start, datetime):
        when = start
    elif isinstance(start, (int, float)) and not isinstance(start, bool):  # epoch seconds, as the SDKs send it
        when = datetime.fromtimestamp(start, UTC)
    elif isinstance(start, str):
        try:
            when = datetime.fromisoformat(start.replace("Z", "+00:00"))
        except ValueError:
            return  # the model's checks answer it
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if when is not None and when < svc.bridge.clock.now() - timedelta(minutes=5):
        raise ValidationError(EARLY_START)


def create_schedule(svc: Service, p: Params) -> Answer:
    _start_checked(svc, p)
    arn = scheduler_of(svc).create_schedule(
        p["Name"], str(p.get("ScheduleExpression")), p.get("Target") or {},
        flexible_time_window=p.get("FlexibleTimeWindow"), group=p.get("GroupName"),
        client_token=p.get("ClientToken"), **{k: p[k] for k in OPTIONS if k in p})
    return {"ScheduleArn": arn}


def update_schedule(svc: Service, p: Params) -> Answer:
    _start_checked(svc, p)
    arn = scheduler_of(svc).update_schedule(
        p["Name"], str(p.get("ScheduleExpression")), p.get("Target") or {},
        flexible_time_window=p.get("FlexibleTimeWindow"), group=p.get("GroupName"),
        **{k: p[k] for k in OPTIONS if k in p})
    return {"ScheduleArn": arn}


def get_schedule(svc: Service, p: Params) -> Answer:
    return scheduler_of(svc).get_schedule(p["Name"], p.get("GroupName"))


def delete_schedule(svc: Service, p: Params) -> Answer:
    scheduler_of(svc).delete_schedule(p["Name"], p.get("GroupName"))
    return {}


def list_schedules(svc: Service, p: Params) -> Answer:
    listed = scheduler_of(svc).list_schedules(p.get("GroupName"), p.get("NamePrefix") or "", p.get("State"))
    return _page(listed, p, "Schedules")


def create_schedule_group(svc: Service, p: Params) -> Answer:
    arn = scheduler_of(svc).create_schedule_group(p["Name"], _tags(p.get("Tags")), p.get("ClientToken"))
    return {"ScheduleGroupArn": arn}


def get_schedule_group(svc: Service, p: Params) -> Answer:
    return scheduler_of(svc).get_schedule_group(p["Name"])


def delete_schedule_group(svc: Service, p: Params) -> Answer:
    scheduler_of(svc).delete_schedule_group(p["Name"])
    return {}


def list_schedule_groups(svc: Service, p: Params) -> Answer:
    return _page(scheduler_of(svc).list_schedule_groups(p.get("NamePrefix") or ""), p, "ScheduleGroups")


def _group_arn(svc: Service, p: Params) -> str:
    """The ResourceArn of a schedule group (AWS: the schedule group is the only taggable Scheduler resource)."""
    arn = str(p.get("ResourceArn"))
    if not any(g.arn == arn for g in scheduler_of(svc).groups.values()):
        raise ResourceNotFoundError(f"Schedule group {arn.rsplit('/', 1)[-1]} does not exist.")
    return arn


def tag_resource(svc: Service, p: Params) -> Answer:
    svc.tags.tag(_group_arn(svc, p), _tags(p.get("Tags")))
    return {}


def untag_resource(svc: Service, p: Params) -> Answer:
    svc.tags.untag(_group_arn(svc, p), p.get("TagKeys") or [])
    return {}


def list_tags_for_resource(svc: Service, p: Params) -> Answer:
    return {"Tags": [{"Key": k, "Value": v} for k, v in svc.tags.get(_group_arn(svc, p)).items()]}


#: Scheduler's actions (botocore's ``scheduler`` model) -> handler
ACTIONS: dict[str, Handler] = {
    "CreateSchedule": create_schedule,
    "UpdateSchedule": update_schedule,
    "GetSchedule": get_schedule,
    "DeleteSchedule": delete_schedule,
    "ListSchedules": list_schedules,
    "CreateScheduleGroup": create_schedule_group,
    "GetScheduleGroup": get_schedule_group,
    "DeleteScheduleGroup": delete_schedule_group,
    "ListScheduleGroups": list_schedule_groups,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}

__all__ = ["ACTIONS"]
