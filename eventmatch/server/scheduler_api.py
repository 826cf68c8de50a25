"""EventBridge Scheduler's API on the same server: REST-JSON, as boto3's ``scheduler`` client speaks it.

Routes: ``/schedules/{Name}`` (POST create, PUT update, GET, DELETE; ``groupName`` in the query for GET and
DELETE), ``/schedules`` (GET list; the group as the query key ``ScheduleGroup``), ``/schedule-groups/{Name}``
and ``/schedule-groups``, ``/tags/{ResourceArn}`` (GET, POST, DELETE with ``TagKeys``). Errors follow
Scheduler's convention: the code in the ``x-amzn-ErrorType`` header, ``{"Message": ...}`` in the body, the
status by code (ValidationException 400, ResourceNotFoundException 404, ConflictException 409,
ServiceQuotaExceededException 402, ThrottlingException 429, InternalServerException 500); a method a path
has no action for is UnknownOperationException, 404.

The actions are :mod:`.resources.schedules`'; every change is logged in the server's state
(``scheduler:<Action>``) and played again on start (:mod:`.commands`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..jsonbody import BodyError, read_object
from . import commands
from .asgi import request_id
from .resources import Params
from .resources.schedules import ACTIONS
from .service import Registry, Service
from .sigv4 import pair_of

STATUS = {"ValidationException": 400, "ResourceNotFoundException": 404, "ConflictException": 409,
          "ServiceQuotaExceededException": 402, "ThrottlingException": 429, "InternalServerException": 500}
#: every route takes every method: one it has no action for gets Scheduler's error shape, not the HTTP stack's
ALL = ["GET", "POST", "PUT", "DELETE", "PATCH"]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()  # REST-JSON's timestamps: epoch seconds
    raise TypeError(f"not JSON: {type(value).__name__}")


def _answer(payload: Any, status: int = 200, code: str | None = None) -> Response:
    headers = {"x-amzn-RequestId": request_id().decode(), **({"x-amzn-ErrorType": code} if code else {})}
    return Response(json.dumps(payload, default=_json_default), status_code=status, headers=headers,
                    media_type="application/json")


def _error(code: str, message: str) -> Response:
    return _answer({"Message": message}, STATUS.get(code, 400), code)


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


def _run(svc: Service, action: str, params: Params) -> Response:
    """One action of Scheduler's API on ``svc`` (:func:`.commands.run_checked`), in Scheduler's shapes."""
    answer, failed = commands.run_checked(svc, "scheduler", action, ACTIONS[action], params)
    if failed is not None:
        code, message = failed
        return _error("InternalServerException" if code == "InternalException" else code, message)
    return _answer(answer)


async def endpoint(actions: Mapping[str, str], name_key: str | None, request: Request) -> Response:
    """A route of Scheduler's API: the action of the request's method (``actions``), on the service the
    server's registry picks."""
    if name_key == "ResourceArn":  # the tags' route is EventBridge Schemas' too: its ARNs go there
        resource = unquote(request.path_params[name_key])
        if resource.split(":", 3)[2:3] == ["schemas"]:
            from .schemas_api import tags

            return await tags(request, resource)
    action = actions.get(request.method)
    if action is None:
        return _answer({"Message": f"No operation {request.method} {request.url.path}."}, 404,
                       "UnknownOperationException")
    try:
        params = _params(await request.body(), request, name_key)
    except BodyError as exc:
        return _error("ValidationException", str(exc))
    services: Registry = request.app.state.services
    scope = request.scope
    return _run(services.get(pair_of(scope["headers"], scope["query_string"], services.default_pair)), action, params)


def _route(path: str, actions: dict[str, str], name_key: str | None = None) -> Route:
    return Route(path, functools.partial(endpoint, actions, name_key), methods=ALL)


#: Scheduler's routes (every route takes every method: one it has no action for gets Scheduler's error shape)
ROUTES = [
    _route("/schedules", {"GET": "ListSchedules"}),
    _route("/schedules/{Name}", {"POST": "CreateSchedule", "PUT": "UpdateSchedule", "GET": "GetSchedule",
                                 "DELETE": "DeleteSchedule"}, "Name"),
    _route("/schedule-groups", {"GET": "ListScheduleGroups"}),
    _route("/schedule-groups/{Name}", {"POST": "CreateScheduleGroup", "GET": "GetScheduleGroup",
                                       "DELETE": "DeleteScheduleGroup"}, "Name"),
    _route("/tags/{ResourceArn:path}", {"GET": "ListTagsForResource", "POST": "TagResource",
                                        "DELETE": "UntagResource"}, "ResourceArn"),
]

__all__ = ["ROUTES", "STATUS"]
