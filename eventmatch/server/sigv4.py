"""Which account and region a request is for, read from its Signature Version 4 credential scope.

An SDK signs each request for a region: the ``Authorization`` header holds
``Credential=<access key id>/<date>/<region>/<service>/aws4_request`` (a presigned request has the same in its
``X-Amz-Credential`` query parameter). The region is taken from there; the account is the access key id when
that is 12 digits (``aws_access_key_id=111122223333``, as LocalStack and moto read it too), else the server's
default account. An unsigned request, or one whose scope is not readable, is the server's default pair
(``eventmatch serve --region``, ``--account``). The signature itself is not checked: this is a local tool.

>>> pair_of([(b"authorization", b"AWS4-HMAC-SHA256 Credential=111122223333/20260101/eu-west-1/events/"
...           b"aws4_request, SignedHeaders=host, Signature=0")], b"", ("123456789012", "us-east-1"))
('111122223333', 'eu-west-1')
>>> pair_of([(b"authorization", b"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/cn-north-1/events/"
...           b"aws4_request, SignedHeaders=host, Signature=0")], b"", ("123456789012", "us-east-1"))
('123456789012', 'cn-north-1')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qs

#: an (account, region) pair
Pair = tuple[str, str]

CREDENTIAL = re.compile(rb"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/[^/,\s]+/aws4_request")
#: what a region's name looks like (us-east-1, eu-central-2, us-gov-west-1, cn-north-1, us-isob-east-1...)
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
ACCOUNT = re.compile(r"^\d{12}$")


def pair_of(headers: Iterable[tuple[bytes, bytes]], query: bytes, default: Pair) -> Pair:
    """The (account, region) a request is signed for (see the module's docstring); ``default`` otherwise."""
    for key, value in headers:
        if key == b"authorization":
            found = CREDENTIAL.search(value)
            if found is not None:
                return _pair(found.group(1).decode("latin-1"), found.group(2).decode("latin-1"), default)
            return default
    if b"X-Amz-Credential" in query:
        credential = parse_qs(query.decode("latin-1")).get("X-Amz-Credential", [""])[0].split("/")
        if len(credential) == 5 and credential[4] == "aws4_request":
            return _pair(credential[0], credential[2], default)
    return default


def _pair(access_key: str, region: str, default: Pair) -> Pair:
    account = access_key if ACCOUNT.match(access_key) else default[0]
    return account, region if REGION.match(region) else default[1]


__all__ = ["Pair", "pair_of"]
