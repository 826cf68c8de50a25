"""AWS's JSON 1.1 protocol, as EventBridge speaks it: ``POST /`` with ``X-Amz-Target: AWSEvents.<Action>``.

A request's body is a JSON object; the answer is a JSON object with status 200, or an error: status 400
with ``{"__type": "<Code>", "message": "..."}`` (AWS's codes and messages), 500 for an internal error.
Whatever a request looks like (bad JSON, another content type, no or an unknown target, an oversize body),
the answer has that shape: never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from ..errors import EventmatchError
from ..jsonbody import SURROGATE, BodyError, holds_lone_surrogates, read_json
from . import commands
from .crossing import owner
from .resources import ACTIONS, Answer, Params
from .service import Service
from .validate import validator

#: actions whose entries AWS checks one by one (a bad entry fails alone, in the answer): not the model's checks
PER_ENTRY = frozenset({"PutEvents", "PutPartnerEvents"})

#: the largest request body read (PutEvents' own limit is 256 KB of entries; JSON adds its syntax)
MAX_BODY = 1024 * 1024
TARGET_PREFIX = "AWSEvents."
CONTENT_TYPE = "application/x-amz-json-1.1"

log = logging.getLogger("eventmatch.server")
NOT_AN_OBJECT = "Start of structure or map found where not expected."


def error(code: str, message: str, status: int = 400) -> tuple[int, Answer]:
    return status, {"__type": code, "message": message}


def handle(svc: Service, target: str | None, body: bytes) -> tuple[int, Answer]:
    """Answer one request: (status, JSON object)."""
    if not target:
        return error("UnknownOperationException", "Missing X-Amz-Target header.")
    if not target.startswith(TARGET_PREFIX):
        return error("UnknownOperationException", f"Unknown operation {target}.")
    action = target[len(TARGET_PREFIX):]
    handler = ACTIONS.get(action)
    if handler is None:
        return error("UnknownOperationException", f"Unknown operation {action}.")
    if len(body) > MAX_BODY:
        return error("ValidationException", "Request body is too large.", 413)
    try:
        params, slow = read_json(body) if body.strip() else ({}, False)
    except BodyError:
        return error("SerializationException", NOT_AN_OBJECT)
    if not isinstance(params, Mapping):
        return error("SerializationException", NOT_AN_OBJECT)
    if slow:  # the stdlib read it: lone surrogates may be in it
        if action in PER_ENTRY:
            params = _entries_without_surrogates(params)
        elif holds_lone_surrogates(params):
            return error("ValidationException", SURROGATE)
    if action not in PER_ENTRY:
        mismatch = validator("events").type_problem(action, params)
        if mismatch is not None:
            return error("SerializationException", mismatch)
        problem = validator("events").message(action, params)
        if problem is not None:
            return error("ValidationException", problem)
    try:
        svc, params = owner(svc, action, params)  # another account's bus, named by its ARN
        return 200, commands.run(svc, action, handler, params)
    except EventmatchError as exc:
        return error(getattr(exc, "code", "ValidationException"), str(exc))
    except Exception:  # a defect of eventmatch's: AWS's shape, and the traceback in the server's log
        log.exception("internal error in %s", action)
        return error("InternalException", "An internal error occurred.", 500)


def _entries_without_surrogates(params: Params) -> Params:
    """PutEvents' parameters with each entry that holds a lone surrogate made to fail alone, as an entry
    whose Detail is malformed fails (its Detail replaced by text that is not Unicode)."""
    entries = params.get("Entries")
    if not isinstance(entries, list) or not holds_lone_surrogates(entries):
        return params
    marked = [{**e, "Detail": "\ud800"} if isinstance(e, Mapping) and holds_lone_surrogates(e) else e
              for e in entries]
    return {**params, "Entries": marked}


__all__ = ["ACTIONS", "CONTENT_TYPE", "MAX_BODY", "handle"]
