"""EventBridge Schemas' API on the same server: REST-JSON, as boto3's ``schemas`` client speaks it.

Every operation of botocore's ``schemas`` model has its route (``/v1/registries/name/{registryName}``,
``/v1/discoverers/id/{discovererId}``, ``/v1/discover``, ``/v1/policy``...), read and answered from the model
itself: each member where the model puts it (the path, the query, the body under its wire name: ``tags``), each
answer's timestamps as ISO 8601, GetCodeBindingSource's ``Body`` as the response's body, and the status the
model gives (201 for a creation, 204 for a deletion). ``/tags/{resource-arn}`` is Scheduler's route too: a
request there goes to Schemas when its ARN is a Schemas one (:mod:`.scheduler_api` asks :func:`tags`).

Errors follow Schemas' convention: ``{"Code": ..., "Message": ...}`` and the code in ``x-amzn-ErrorType``;
a request the model refuses is ``BadRequestException`` with the model's message (AWS's front end wording, as for
the other APIs), a missing resource ``NotFoundException``, an existing one ``ConflictException``.

The actions are :mod:`.resources.registries`', :mod:`.resources.codebindings`', :mod:`.resources.discoverers`'
and :mod:`.resources.schema_policy`'s; every change is logged in the server's state (``schemas:<Action>``) and
played again on start (:mod:`.commands`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Protocol

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..jsonbody import BodyError, read_object
from . import commands
from .asgi import request_id
from .resources import SCHEMAS_ACTIONS, Params
from .service import Registry, Service
from .sigv4 import pair_of
from .validate import validator

#: the library's error codes as Schemas names them, and each code's status
CODES = {"ValidationException": "BadRequestException", "ResourceNotFoundException": "NotFoundException",
         "ResourceAlreadyExistsException": "ConflictException"}
STATUS = {"BadRequestException": 400, "UnauthorizedException": 401, "ForbiddenException": 403,
          "NotFoundException": 404, "ConflictException": 409, "GoneException": 410,
          "PreconditionFailedException": 412, "TooManyRequestsException": 429, "InternalServerErrorException": 500,
          "ServiceUnavailableException": 503}
ALL = ["GET", "POST", "PUT", "DELETE", "PATCH"]


class _Shape(Protocol):
    """What is read of a botocore shape (a structure's members, a list's member, a map's value)."""

    type_name: str
    serialization: Mapping[str, str]
    members: Mapping[str, _Shape]
    member: _Shape
    value: _Shape


class _Operation(Protocol):
    """What is read of a botocore operation model."""

    http: Mapping[str, str]
    input_shape: _Shape | None
    output_shape: _Shape | None


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _wire(shape: _Shape, value: object) -> object:
    """An answer's value as the model puts it on the wire: members under their wire names, timestamps ISO."""
    kind = shape.type_name
    if kind == "timestamp":
        return _iso(value) if isinstance(value, datetime) else value
    if kind == "structure" and isinstance(value, Mapping):
        return {member.serialization.get("name", name): _wire(member, value[name])
                for name, member in shape.members.items() if value.get(name) is not None}
    if kind == "list" and isinstance(value, list):
        return [_wire(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, Mapping):
        return {k: _wire(shape.value, v) for k, v in value.items()}
    return value


def _answer(payload: bytes, status: int, code: str | None = None,
            media_type: str = "application/json") -> Response:
    headers = {"x-amzn-RequestId": request_id().decode(), **({"x-amzn-ErrorType": code} if code else {})}
    return Response(payload, status_code=status, headers=headers, media_type=media_type)


def _error(code: str, message: str) -> Response:
    code = CODES.get(code, code)
    return _answer(json.dumps({"Code": code, "Message": message}).encode(), STATUS.get(code, 400), code)


def _params(operation: _Operation, request: Request, body: bytes) -> dict[str, object]:
    """A request's parameters by their API names, each read where the model puts it; BodyError for a body that
    is not a JSON object, or a query value that is not of its member's type."""
    given = read_object(body) if body.strip() else {}
    query = request.query_params
    params: dict[str, object] = {}
    shape = operation.input_shape
    for name, member in (shape.members.items() if shape is not None else ()):
        where, wire = member.serialization.get("location"), member.serialization.get("name", name)
        if where == "uri":
            if wire in request.path_params:
                params[name] = request.path_params[wire]
        elif where == "querystring":
            if wire in query:
                params[name] = _query_value(member, wire, query)
        elif wire in given:
            params[name] = given[wire]
    return params


def _query_value(member: _Shape, wire: str, query: QueryParams) -> object:
    if member.type_name == "list":
        return query.getlist(wire)
    if member.type_name in ("integer", "long"):
        try:
            return int(query[wire])
        except ValueError:
            raise BodyError(f"{wire} must be a number.") from None
    if member.type_name == "boolean":
        return query[wire].lower() == "true"
    return query[wire]


def _run(svc: Service, action: str, params: Params) -> Response:
    """One action of Schemas' API on ``svc``: validated by botocore's model, one change at a time (under the
    server's lock), logged by :mod:`.commands`; answered as the model says."""
    found, failed = commands.run_checked(svc, "schemas", action, SCHEMAS_ACTIONS[action], params)
    if failed is not None:
        code, message = failed
        return _error("InternalServerErrorException" if code == "InternalException" else code, message)
    answer: Mapping[str, object] = found or {}
    operation: _Operation = validator("schemas").model.operation_model(action)
    status = int(operation.http.get("responseCode", 200))
    output = operation.output_shape
    if output is None:
        return _answer(b"", status)
    payload = output.serialization.get("payload")
    if payload is not None:  # the answer is this member's bytes
        body = answer.get(payload)
        return _answer(body if isinstance(body, bytes) else b"", status, media_type="application/octet-stream")
    return _answer(json.dumps(_wire(output, answer)).encode(), status)


def _service(request: Request) -> Service:
    services: Registry = request.app.state.services
    scope = request.scope
    return services.get(pair_of(scope["headers"], scope["query_string"], services.default_pair))


async def endpoint(actions: Mapping[str, str], request: Request) -> Response:
    """A route of Schemas' API: the action of the request's method, on the service the registry picks."""
    action = actions.get(request.method)
    if action is None:
        return _answer(json.dumps({"Message": f"No operation {request.method} {request.url.path}."}).encode(), 404,
                       "UnknownOperationException")
    try:
        params = _params(validator("schemas").model.operation_model(action), request, await request.body())
    except BodyError as exc:
        return _error("BadRequestException", str(exc))
    return _run(_service(request), action, params)


async def tags(request: Request, arn: str) -> Response:
    """``/tags/{resource-arn}`` for a Schemas ARN (Scheduler's route hands these over)."""
    action = {"GET": "ListTagsForResource", "POST": "TagResource", "DELETE": "UntagResource"}.get(request.method)
    if action is None:
        return _error("BadRequestException", f"No operation {request.method} on tags.")
    try:
        given = read_object(await request.body()) if request.method == "POST" else {}
    except BodyError as exc:
        return _error("BadRequestException", str(exc))
    params: dict[str, object] = {"ResourceArn": arn}
    if action == "TagResource":
        params["Tags"] = given.get("tags")
    elif action == "UntagResource":
        params["TagKeys"] = request.query_params.getlist("tagKeys")
    return _run(_service(request), action, params)


def _routes() -> list[Route]:
    """A route per path of the model (its methods' actions), the tags' path left to Scheduler's route."""
    model = validator("schemas").model
    by_path: dict[str, dict[str, str]] = {}
    for name in model.operation_names:
        http = model.operation_model(name).http
        path = http["requestUri"].split("?", 1)[0]
        if not path.startswith("/tags/"):
            by_path.setdefault(path, {})[http["method"]] = name
    return [Route(path, functools.partial(endpoint, actions), methods=ALL) for path, actions in sorted(by_path.items())]


def routes() -> list[Route]:
    """Schemas' routes (made from botocore's model when the server is made)."""
    return _routes()


__all__ = ["STATUS", "routes", "tags"]
