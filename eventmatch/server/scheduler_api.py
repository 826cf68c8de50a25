"""EventBridge Scheduler's API on the same server: REST-JSON, as boto3's ``scheduler`` client speaks it.

Routes: ``/schedules/{Name}`` (POST create, PUT update, GET, DELETE; ``groupName`` in the query for GET and
DELETE), ``/schedules`` (GET list; the group as the query key ``ScheduleGroup``), ``/schedule-groups/{Name}``
and ``/schedule-groups``, ``/tags/{ResourceArn}`` (GET, POST, DELETE with ``TagKeys``). Errors follow
Scheduler's convention: the code in the ``x-amzn-ErrorType`` header, ``{"Message": ...}`` in the body, the
status by code (ValidationException 400, ResourceNotFoundException 404, ConflictException 409,
ServiceQuotaExceededException 402, ThrottlingException 429, InternalServerException 500); a method a path
has no action for is UnknownOperationException, 404.

Every change is logged in the server's state (``scheduler:<Action>``) and played again on start.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import EventmatchError, ResourceNotFoundError
from ..jsonbody import BodyError, read_object
from ..scheduler import Scheduler
from .events_api import _listing
from .state import State
from .validate import validator

log = logging.getLogger("eventmatch.server")
STATUS = {"ValidationException": 400, "ResourceNotFoundException": 404, "ConflictException": 409,
          "ServiceQuotaExceededException": 402, "ThrottlingException": 429, "InternalServerException": 500}
PREFIX = "scheduler:"
#: every route takes every method: one it has no action for gets Scheduler's error shape, not the HTTP stack's
ALL = ["GET", "POST", "PUT", "DELETE", "PATCH"]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()  # REST-JSON's timestamps: epoch seconds
    raise TypeError(f"not JSON: {type(value).__name__}")


def _answer(payload: Any, status: int = 200, code: str | None = None) -> Response:
    headers = {"x-amzn-ErrorType": code} if code else {}
    return Response(json.dumps(payload, default=_json_default), status_code=status, headers=headers,
                    media_type="application/json")


def _error(code: str, message: str) -> Response:
    return _answer({"Message": message}, STATUS.get(code, 400), code)


def _page(items: list[Any], params: Mapping[str, Any], key: str) -> dict[str, Any]:
    """One page by MaxResults and NextToken: the EventBridge API's paging, under Scheduler's names."""
    return _listing(key, items, {k: v for k, v in (("Limit", params.get("MaxResults")),
                                                   ("NextToken", params.get("NextToken"))) if v is not None})


def _schedule_options(params: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("ScheduleExpressionTimezone", "StartDate", "EndDate", "State", "Description", "KmsKeyArn",
            "ActionAfterCompletion")
    return {k: params[k] for k in keys if k in params}


def _tags(given: Any) -> dict[str, str]:
    return {str(t.get("Key")): str(t.get("Value")) for t in given or [] if isinstance(t, Mapping)}


def _apply(scheduler: Scheduler, action: str, p: Mapping[str, Any]) -> Any:
    """Run one action on ``scheduler`` with its parameters (path, query and body merged, by API names)."""
    if action == "CreateSchedule":
        arn = scheduler.create_schedule(p["Name"], str(p.get("ScheduleExpression")), p.get("Target") or {},
                                        flexible_time_window=p.get("FlexibleTimeWindow"), group=p.get("GroupName"),
                                        client_token=p.get("ClientToken"), **_schedule_options(p))
        return {"ScheduleArn": arn}
    if action == "UpdateSchedule":
        arn = scheduler.update_schedule(p["Name"], str(p.get("ScheduleExpression")), p.get("Target") or {},
                                        flexible_time_window=p.get("FlexibleTimeWindow"), group=p.get("GroupName"),
                                        **_schedule_options(p))
        return {"ScheduleArn": arn}
    if action == "GetSchedule":
        return scheduler.get_schedule(p["Name"], p.get("GroupName"))
    if action == "DeleteSchedule":
        scheduler.delete_schedule(p["Name"], p.get("GroupName"))
        return {}
    if action == "ListSchedules":
        listed = scheduler.list_schedules(p.get("GroupName"), p.get("NamePrefix") or "", p.get("State"))
        return _page(listed, p, "Schedules")
    if action == "CreateScheduleGroup":
        return {"ScheduleGroupArn": scheduler.create_schedule_group(p["Name"], _tags(p.get("Tags")),
                                                                    p.get("ClientToken"))}
    if action == "GetScheduleGroup":
        return scheduler.get_schedule_group(p["Name"])
    if action == "DeleteScheduleGroup":
        scheduler.delete_schedule_group(p["Name"])
        return {}
    if action == "ListScheduleGroups":
        return _page(scheduler.list_schedule_groups(p.get("NamePrefix") or ""), p, "ScheduleGroups")
    arn = str(p.get("ResourceArn"))
    if action == "TagResource":
        _resource(scheduler, arn)
        scheduler.tags.setdefault(arn, {}).update(_tags(p.get("Tags")))
        return {}
    if action == "UntagResource":
        _resource(scheduler, arn)
        for key in p.get("TagKeys") or []:
            scheduler.tags.get(arn, {}).pop(key, None)
        return {}
    if action == "ListTagsForResource":
        _resource(scheduler, arn)
        return {"Tags": [{"Key": k, "Value": v} for k, v in scheduler.tags.get(arn, {}).items()]}
    raise KeyError(action)


def _resource(scheduler: Scheduler, arn: str) -> None:
    """Tags are on schedule groups (AWS: "the schedule group" is the only taggable Scheduler resource)."""
    if not any(g.arn == arn for g in scheduler.groups.values()):
        raise ResourceNotFoundError(f"Schedule group {arn.rsplit('/', 1)[-1]} does not exist.")


CHANGES = frozenset({"CreateSchedule", "UpdateSchedule", "DeleteSchedule", "CreateScheduleGroup",
                     "DeleteScheduleGroup", "TagResource", "UntagResource"})


#: the query keys of Scheduler's routes, and the members they are
QUERY = (("groupName", "GroupName"), ("ScheduleGroup", "GroupName"), ("clientToken", "ClientToken"),
         ("NamePrefix", "NamePrefix"), ("State", "State"), ("NextToken", "NextToken"))


def _params(body: bytes, request: Request, name_key: str | None) -> dict[str, Any]:
    """One request's parameters by their API names: the body's members, the query's, and the path's name;
    BodyError for a body that is not a JSON object or a MaxResults that is not a number."""
    params = read_object(body)
    query = request.query_params
    for wire, name in QUERY:
        if wire in query:
            params[name] = query[wire]
    if "MaxResults" in query:
        try:
            params["MaxResults"] = int(query["MaxResults"])
        except ValueError:
            raise BodyError("MaxResults must be a number.") from None
    if "TagKeys" in query:
        params["TagKeys"] = query.getlist("TagKeys")
    if name_key is not None:
        params[name_key] = unquote(request.path_params[name_key])
    return params


def routes(scheduler: Scheduler, lock: threading.Lock, state: State) -> list[Route]:
    """The Starlette routes of Scheduler's API, run one request at a time under ``lock`` (the server's)."""

    def run(action: str, params: dict[str, Any]) -> Response:
        problem = validator("scheduler").type_problem(action, params) or validator("scheduler").message(action, params)
        if problem is not None:
            return _error("ValidationException", problem)
        try:
            with lock:
                facts: list[str] = []
                scheduler.stamp = _recorded(scheduler, facts)  # the times the change makes up, logged with it
                try:
                    answer = _apply(scheduler, action, params)
                finally:
                    scheduler.stamp = None
                if action in CHANGES:
                    state.log_command(PREFIX + action, params, facts)
        except EventmatchError as exc:
            return _error(getattr(exc, "code", "ValidationException"), str(exc))
        except Exception:
            log.exception("internal error in scheduler %s", action)
            return _error("InternalServerException", "An internal error occurred.")
        return _answer(answer)

    def endpoint(actions: Mapping[str, str], name_key: str | None) -> Callable[[Request], Any]:
        async def handle(request: Request) -> Response:
            action = actions.get(request.method)
            if action is None:
                return _answer({"Message": f"No operation {request.method} {request.url.path}."}, 404,
                               "UnknownOperationException")
            try:
                params = _params(await request.body(), request, name_key)
            except BodyError as exc:
                return _error("ValidationException", str(exc))
            return run(action, params)

        return handle

    return [
        Route("/schedules", endpoint({"GET": "ListSchedules"}, None), methods=ALL),
        Route("/schedules/{Name}", endpoint({"POST": "CreateSchedule", "PUT": "UpdateSchedule", "GET": "GetSchedule",
                                             "DELETE": "DeleteSchedule"}, "Name"),
              methods=ALL),
        Route("/schedule-groups", endpoint({"GET": "ListScheduleGroups"}, None), methods=ALL),
        Route("/schedule-groups/{Name}", endpoint({"POST": "CreateScheduleGroup", "GET": "GetScheduleGroup",
                                                   "DELETE": "DeleteScheduleGroup"}, "Name"),
              methods=ALL),
        Route("/tags/{ResourceArn:path}", endpoint({"GET": "ListTagsForResource", "POST": "TagResource",
                                                    "DELETE": "UntagResource"}, "ResourceArn"),
              methods=ALL),
    ]


def _recorded(scheduler: Scheduler, facts: list[str]) -> Callable[[], datetime]:
    """The clock's time, each appended to ``facts``."""
    def stamp() -> datetime:
        now = scheduler.clock.now()
        facts.append(now.isoformat())
        return now

    return stamp


def _replayed(scheduler: Scheduler, facts: list[str]) -> Callable[[], datetime]:
    """The logged times, in order (the clock's time once they run out)."""
    given = list(facts)

    def stamp() -> datetime:
        return datetime.fromisoformat(given.pop(0)) if given else scheduler.clock.now()

    return stamp


def restore(scheduler: Scheduler, state: State) -> int:
    """Play the Scheduler commands of ``state``'s log again (on start); returns how many ran."""
    ran = 0
    for seq, action, params, facts in state.log_entries():
        if not action.startswith(PREFIX):
            continue
        made: list[str] = []
        # the creation and modification times the change made up the first time (logged before facts were
        # kept: the ones made up now, kept from then on)
        scheduler.stamp = _replayed(scheduler, facts) if facts else _recorded(scheduler, made)
        try:
            _apply(scheduler, action[len(PREFIX):], params)
            ran += 1
            if facts is None and made:
                state.keep_facts(seq, made)
        except Exception:
            log.exception("restoring %s failed", action)
        finally:
            scheduler.stamp = None
    return ran


__all__ = ["STATUS", "restore", "routes"]
