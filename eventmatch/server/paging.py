"""Pages of a list action, with opaque NextTokens.

A token names where the next page starts, for the list it was given for, and is signed with a key drawn
when the server starts: a token that was not handed out by this server for this list (edited, forged, from
another list, or an earlier run) is refused with AWS's ValidationException, never read as an offset.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from ..errors import ValidationError

_KEY = secrets.token_bytes(32)
INVALID = "The NextToken provided is invalid."
#: the longest token read (AWS's model: 2,048 characters)
MAX_TOKEN = 2048


def _mac(kind: str, offset: int) -> str:
    return hmac.new(_KEY, f"{kind}:{offset}".encode(), hashlib.sha256).hexdigest()[:24]


def encode_token(kind: str, offset: int) -> str:
    """The NextToken of the page of list ``kind`` that starts at ``offset``."""
    return base64.urlsafe_b64encode(f"{offset}.{_mac(kind, offset)}".encode()).decode().rstrip("=")


def decode_token(kind: str, token: Any) -> int:
    """Where the page a token names starts; ValidationError for any token this server did not give out."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        raise ValidationError(INVALID)
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        offset_text, mac = text.split(".", 1)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError(INVALID) from None
    if not offset_text.isdigit() or len(offset_text) > 12 or not hmac.compare_digest(mac, _mac(kind, int(offset_text))):
        raise ValidationError(INVALID)
    return int(offset_text)


def page(kind: str, items: list[Any], params: Mapping[str, Any]) -> tuple[list[Any], str | None]:
    """A page of ``items`` by ``Limit`` and ``NextToken``, and the token of the next page (None at the end)."""
    limit = params.get("Limit")
    token = params.get("NextToken")
    start = decode_token(kind, token) if token is not None else 0
    if limit is None:
        return items[start:], None
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100:
        raise ValidationError(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
            "Member must have value between 1 and 100"
        )
    end = start + limit
    return items[start:end], (encode_token(kind, end) if end < len(items) else None)


__all__ = ["INVALID", "decode_token", "encode_token", "page"]
