"""Small ASGI pieces the security guard (:mod:`.security`) answers and reads with: a refusal in the shape of its
route, a body read once and given again, CORS headers for an allowed origin."""

from __future__ import annotations

import json

from starlette.types import Message, Receive, Send

from ..bus.entries import event_id

#: the request headers AWS's SDKs send, allowed in a preflight (names, or prefixes ending in ``*``)
SDK_REQUEST_HEADERS = ("authorization", "content-type", "content-encoding", "x-amz-*", "amz-sdk-*", "x-amzn-*")
#: the response headers AWS's SDKs read, exposed to an allowed origin
SDK_RESPONSE_HEADERS = "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, x-amz-request-id, x-amz-id-2, Date"
JSON_TYPES = ("application/json",)
#: the header of an answer's request id, as AWS names it (lower case, as ASGI sends headers)
REQUEST_ID = b"x-amzn-requestid"


def request_id() -> bytes:
    """A new request id for an answer's ``x-amzn-RequestId`` header (the SDKs read it: boto3's
    ``ResponseMetadata.RequestId``): a random UUID, as AWS's."""
    return event_id().encode()


def refusal(kind: str, status: int, code: str, message: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """A refusal's status, headers and body in the shape of its route."""
    if kind == "aws":
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [(b"content-type", b"application/x-amz-json-1.1"), (REQUEST_ID, request_id())]
    elif kind == "scheduler":
        body = json.dumps({"Message": message}).encode()
        headers = [(b"content-type", b"application/json"), (b"x-amzn-errortype", code.encode()),
                   (REQUEST_ID, request_id())]
    else:
        body = json.dumps({"message": message, "code": code}).encode()
        headers = [(b"content-type", b"application/json")]
    return status, [*headers, (b"content-length", str(len(body)).encode())], body


async def send_refusal(send: Send, kind: str, status: int, code: str, message: str,
                        extra: list[tuple[bytes, bytes]] | None = None) -> None:
    status, headers, body = refusal(kind, status, code, message)
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


def sdk_header(name: str) -> bool:
    return any(name == h or (h.endswith("*") and name.startswith(h[:-1])) for h in SDK_REQUEST_HEADERS)


def is_json(content_type: bytes | None) -> bool:
    if content_type is None:
        return False
    media = content_type.split(b";", 1)[0].strip().lower().decode("latin-1")
    return media in JSON_TYPES


async def too_large(send: Send, kind: str, cap: int) -> None:
    code = "ValidationException" if kind != "console" else "RequestTooLarge"
    await send_refusal(send, kind, 413, code,
                        "Request body is too large." if kind == "aws" else
                        f"Request body is too large: the most this server reads is {cap} bytes.",
                        [(b"connection", b"close")])


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body read once, then the connection's own messages (its disconnect)."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def with_cors(send: Send, origin: str) -> Send:
    """A ``send`` that adds the CORS headers of an allowed origin to the response."""
    extra = [(b"access-control-allow-origin", origin.encode("latin-1")),
             (b"access-control-expose-headers", SDK_RESPONSE_HEADERS.encode()), (b"vary", b"Origin")]

    async def cors(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return cors


__all__ = ["SDK_REQUEST_HEADERS", "SDK_RESPONSE_HEADERS", "is_json", "refusal", "replay_body", "sdk_header",
           "send_refusal", "too_large", "with_cors"]
