"""API destinations as targets: real HTTP requests, as EventBridge makes them.

A target whose ARN is an API destination of this server is called over HTTP when a rule delivers to it:

* the destination's ``HttpMethod`` to its ``InvocationEndpoint``, ``*`` in the endpoint's path filled
  from the target's ``HttpParameters.PathParameterValues``, in order;
* the connection's authorization: ``API_KEY`` (a header), ``BASIC``, or ``OAUTH_CLIENT_CREDENTIALS``
  (a token fetched from the connection's ``AuthorizationEndpoint`` with the client's id and secret, kept
  until a 401 asks for a new one), plus the connection's ``InvocationHttpParameters``, then the target's
  ``HttpParameters`` (headers, query string);
* the payload as the body (JSON, or the text of a string payload);
* at most ``InvocationRateLimitPerSecond`` calls a second (a call over the limit waits for its turn);
* the answer: 2xx is delivered; 429 and 5xx (and no answer) are retried by the target's RetryPolicy;
  any other status fails at once (no retry), to the dead-letter target if there is one.

AWS requires HTTPS endpoints. Local receivers rarely have TLS, so ``http://`` is accepted for loopback
addresses (a difference from AWS); where a call may go is :mod:`.outbound`'s to say: checked when the
destination or connection is created, and again, on the address the name resolves to, at every call
(refused there, the attempt fails with the reason and is not retried). Redirects are not followed.
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..bus import PermanentDeliveryError, RetriableDeliveryError
from .outbound import TIMEOUT, EndpointRefused, OutboundPolicy
from .resources.connections import Connection, Connections
from .resources.destinations import ApiDestinations

if TYPE_CHECKING:
    from .service import Service


class RateLimiter:
    """At most ``rate`` calls a second: a call over the limit waits for its turn (AWS delays, it does not drop)."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, rate: int) -> None:
        interval = 1.0 / max(rate, 1)
        with self._lock:
            now = time.monotonic()
            turn = max(now, self._next.get(key, now))
            self._next[key] = turn + interval
        if turn > now:
            time.sleep(turn - now)


class Caller:
    """Makes the HTTP calls of the API destinations of one server (tokens and rate limits kept here)."""

    def __init__(self, service: Service, policy: OutboundPolicy | None = None) -> None:
        self._service = service
        self.policy = policy or OutboundPolicy()
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        self.limiter = RateLimiter()

    def target(self, spec: Mapping[str, Any]) -> Callable[[Any], None]:
        """The callable that delivers to the API destination the target ``spec`` names."""
        arn = str(spec.get("Arn"))
        name = arn.split(":api-destination/", 1)[1].split("/", 1)[0]
        parameters = dict(spec.get("HttpParameters") or {})

        def call(payload: Any) -> None:
            self.call(name, parameters, payload)

        return call

    def call(self, name: str, parameters: Mapping[str, Any], payload: Any) -> None:
        destination = self._service.store(ApiDestinations).get(name)
        if destination is None:
            raise PermanentDeliveryError(f"API destination {name} does not exist.", "NO_RESOURCE")
        connection = self._service.store(Connections).by_arn(destination.connection_arn)
        if connection is None or connection.state == "DEAUTHORIZED":
            raise PermanentDeliveryError(f"The connection of API destination {name} is missing or deauthorized.",
                                         "NO_PERMISSIONS")
        self.limiter.wait(name, destination.rate)
        url = _fill_path(destination.endpoint, parameters.get("PathParameterValues") or [])
        headers, query = _connection_parameters(connection)
        headers.update(parameters.get("HeaderParameters") or {})
        query.update(parameters.get("QueryStringParameters") or {})
        if query:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
        body = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
        for attempt in (1, 2):
            auth = self._authorization(connection, refresh=attempt == 2)
            status, text = self._request(destination.method, url, {**headers, **auth}, body)
            if status == 401 and connection.authorization_type == "OAUTH_CLIENT_CREDENTIALS" and attempt == 1:
                continue  # the token may have expired: fetch a new one, once
            break
        _raise_for(status, text, name)

    def _authorization(self, connection: Connection, refresh: bool = False) -> dict[str, str]:
        kind, auth = connection.authorization_type, connection.auth_parameters
        key: Any
        basic: Any
        if kind == "API_KEY":
            key = auth.get("ApiKeyAuthParameters") or {}
            return {str(key.get("ApiKeyName")): str(key.get("ApiKeyValue"))}
        if kind == "BASIC":
            basic = auth.get("BasicAuthParameters") or {}
            token = base64.b64encode(f"{basic.get('Username')}:{basic.get('Password')}".encode()).decode()
            return {"Authorization": f"Basic {token}"}
        return {"Authorization": f"Bearer {self._oauth_token(connection, refresh)}"}

    def _oauth_token(self, connection: Connection, refresh: bool) -> str:
        key = connection.arn
        with self._lock:
            if not refresh and key in self._tokens:
                return self._tokens[key]
        oauth: Any = connection.auth_parameters.get("OAuthParameters") or {}
        client = oauth.get("ClientParameters") or {}
        extra = oauth.get("OAuthHttpParameters") or {}
        url = str(oauth.get("AuthorizationEndpoint"))
        query = {p["Key"]: p["Value"] for p in extra.get("QueryStringParameters") or []}
        if query:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
        secret = base64.b64encode(f"{client.get('ClientID')}:{client.get('ClientSecret')}".encode()).decode()
        headers = {"Authorization": f"Basic {secret}", "Content-Type": "application/x-www-form-urlencoded",
                   **{p["Key"]: p["Value"] for p in extra.get("HeaderParameters") or []}}
        form = {"grant_type": "client_credentials", **{p["Key"]: p["Value"] for p in extra.get("BodyParameters") or []}}
        status, text = self._request(str(oauth.get("HttpMethod") or "POST"), url, headers,
                                     urllib.parse.urlencode(form).encode())
        if 300 <= status < 400:
            raise PermanentDeliveryError(f"the authorization endpoint answered {status}: {text}", "NO_PERMISSIONS")
        if status // 100 != 2:
            raise RetriableDeliveryError(f"the authorization endpoint answered {status}", "NO_PERMISSIONS")
        try:
            token = str(json.loads(text)["access_token"])
        except (ValueError, KeyError, TypeError):
            raise PermanentDeliveryError("the authorization endpoint gave no access_token", "NO_PERMISSIONS") from None
        with self._lock:
            self._tokens[key] = token
        return token

    def _request(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> tuple[int, str]:
        """One call through the outbound policy: (status, text). A refused endpoint fails the attempt for
        good (no retry can change the answer); a redirect is answered with its Location, not followed."""
        data = None if method in ("GET", "HEAD") else body
        try:
            status, text, answer_headers = self.policy.request(method, url, headers, data, TIMEOUT)
        except EndpointRefused as exc:
            raise PermanentDeliveryError(f"the endpoint {url} is refused: {exc}", "NO_PERMISSIONS") from None
        except (OSError, http.client.HTTPException) as exc:
            raise RetriableDeliveryError(f"no answer from {url}: {exc}", "SERVICE_UNAVAILABLE") from None
        if 300 <= status < 400:
            where = answer_headers.get("location", "(no Location)")
            text = f"a redirect to {where}, which is not followed"
        return status, text


def _fill_path(endpoint: str, values: list[Any]) -> str:
    for value in values:
        endpoint = endpoint.replace("*", urllib.parse.quote(str(value), safe=""), 1)
    return endpoint


def _connection_parameters(connection: Connection) -> tuple[dict[str, str], dict[str, str]]:
    """The connection's InvocationHttpParameters: (headers, query string). (Body parameters are not sent.)"""
    given: Any = connection.auth_parameters.get("InvocationHttpParameters") or {}

    def pairs(key: str) -> dict[str, str]:
        return {str(p.get("Key")): str(p.get("Value")) for p in given.get(key) or [] if isinstance(p, Mapping)}

    return pairs("HeaderParameters"), pairs("QueryStringParameters")


def _raise_for(status: int, text: str, name: str) -> None:
    if status // 100 == 2:
        return
    message = f"API destination {name} answered {status}: {text[:200]}"
    if status == 429:
        raise RetriableDeliveryError(message, "THROTTLING")
    if status >= 500:
        raise RetriableDeliveryError(message, "SERVICE_UNAVAILABLE")
    raise PermanentDeliveryError(message, "NO_PERMISSIONS" if status in (401, 403) else "NO_RESOURCE")


__all__ = ["Caller", "RateLimiter"]
