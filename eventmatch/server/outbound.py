"""Where the server's own HTTP calls may go: the endpoints that come in through the API.

API destinations' ``InvocationEndpoint`` and connections' OAuth ``AuthorizationEndpoint`` are given by
whoever calls the API, so the server checks them before it connects (docs/security.md):

* the scheme is ``https``, as AWS requires, or ``http`` to a loopback address (eventmatch's one
  relaxation: local receivers rarely have TLS); no other scheme;
* the decision is made on the *address* the name resolves to, and the connection is made to that
  checked address (no second look-up a DNS trick could answer differently); loopback and public
  addresses are allowed, private, link-local, shared, multicast and reserved ones refused;
* a redirect is not followed (the attempt fails, with the ``Location`` it named);
* ``--allow-endpoint HOST[:PORT]`` (``OutboundPolicy(allow=...)``) lets a named host through whatever
  it resolves to, over ``http`` too.

Endpoints the user names on the command line (``--forward``) are trusted as given and do not pass here.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

#: resolves a host name to the addresses a connection may be made to: ``(host, port) -> [address, ...]``
Resolver = Callable[[str, int], list[str]]
#: seconds a call may take before it counts as failed
TIMEOUT = 5.0
#: the most of an answer's body read (the rest is dropped: an endpoint cannot fill the server's memory)
MAX_ANSWER = 64 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}


class EndpointRefused(Exception):
    """An endpoint the policy does not let the server call; the message says why."""


def system_resolver(host: str, port: int) -> list[str]:
    """The system's resolver (``getaddrinfo``), every address it gives, in its order."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    return ip


def _kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """What kind of address ``ip`` is, in the words of a refusal."""
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private address"
    return "a reserved address"


@dataclass(frozen=True)
class Destination:
    """A checked endpoint: the URL's parts and the address the connection is made to."""

    scheme: str
    host: str
    port: int
    address: str
    target: str  # the path and query sent in the request line


class OutboundPolicy:
    """The rules above, with the hosts ``allow`` names (``HOST`` or ``HOST:PORT``) let through and the
    ``resolver`` names are looked up with (the system's by default; tests give their own)."""

    def __init__(self, allow: Iterable[str] = (), resolver: Resolver | None = None) -> None:
        self.allowed: frozenset[tuple[str, int | None]] = frozenset(_host_port(a) for a in allow)
        self.resolver: Resolver = resolver or system_resolver

    def _allows(self, host: str, port: int) -> bool:
        return (host, port) in self.allowed or (host, None) in self.allowed

    def problem(self, url: object) -> str | None:
        """Why ``url`` may never be called, as far as can be told without a look-up or a connection: what
        CreateApiDestination and CreateConnection refuse. Plain http is taken for ``localhost``, loopback
        addresses and allowed hosts only (a name is not looked up here; at each call the address it resolves
        to is checked again). None when it may be called."""
        try:
            scheme, host, port, _ = _split(url)
        except EndpointRefused as exc:
            return str(exc)
        if scheme == "https" or self._allows(host, port) or host == "localhost":
            return None
        literal = _address(host)
        if literal is not None and literal.is_loopback:
            return None
        return f"plain http is allowed only to loopback addresses, not {host}"

    def destination(self, url: str) -> Destination:
        """The address to connect to for ``url``, resolved once and checked; EndpointRefused if none may be."""
        scheme, host, port, target = _split(url)
        allowed = self._allows(host, port)
        literal = _address(host)
        if literal is not None:
            addresses = [host]
        else:
            try:
                addresses = self.resolver(host, port)
            except (OSError, UnicodeError) as exc:
                raise EndpointRefused(f"{host} could not be resolved: {exc}") from None
        reasons = []
        for text in addresses:
            ip = _address(text)
            if ip is None:
                continue
            if allowed or ip.is_loopback or (scheme == "https" and ip.is_global and not ip.is_multicast):
                return Destination(scheme, host, port, str(ip), target)
            if ip.is_global and not ip.is_multicast:
                reasons.append(f"plain http is allowed only to loopback addresses, and {host} is {ip}; "
                               f"use https, or --allow-endpoint {host}:{port}")
            else:
                reasons.append(f"{host} is {ip}, {_kind(ip)}, which the server does not call unless "
                               f"--allow-endpoint {host}:{port} names it")
        if not reasons:
            raise EndpointRefused(f"{host} resolved to no address")
        raise EndpointRefused(reasons[0])

    def request(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
                timeout: float = TIMEOUT) -> tuple[int, str, Mapping[str, str]]:
        """One HTTP call to the checked address of ``url``: (status, the answer's text, its headers). A
        redirect is answered as it came, not followed. EndpointRefused where the policy refuses the URL;
        OSError (and http.client's errors) where the call fails."""
        where = self.destination(url)
        connection: http.client.HTTPConnection
        if where.scheme == "https":
            connection = _PinnedTLS(where.host, where.port, where.address, timeout)
        else:
            connection = _Pinned(where.host, where.port, where.address, timeout)
        try:
            connection.request(method, where.target, body=body, headers=dict(headers))
            answer = connection.getresponse()
            text = answer.read(MAX_ANSWER).decode("utf-8", "replace")
            return answer.status, text, {k.lower(): v for k, v in answer.getheaders()}
        finally:
            connection.close()


def _host_port(given: str) -> tuple[str, int | None]:
    """``HOST`` or ``HOST:PORT`` (``[::1]:8080`` for IPv6) as (host in lower case, port or None)."""
    text = given.strip().lower()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    host, colon, port = text.rpartition(":")
    if colon and port.isdigit() and ":" not in host:
        return host, int(port)
    return text, None


def parse_allow_endpoint(given: str) -> str:
    """Check one ``--allow-endpoint`` value; ValueError naming what is wrong."""
    host, port = _host_port(given)
    if not host or "/" in host or (port is not None and not 0 < port < 65536):
        raise ValueError(f"--allow-endpoint {given!r}: expected HOST or HOST:PORT")
    return given


def _split(url: object) -> tuple[str, str, int, str]:
    """(scheme, host, port, path and query) of an endpoint URL; EndpointRefused for another scheme."""
    if not isinstance(url, str) or not url:
        raise EndpointRefused("an endpoint URL is required")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise EndpointRefused(f"not a URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise EndpointRefused(f"the scheme {scheme or '(none)'}: is not allowed (https, or http to loopback)")
    host = (parts.hostname or "").lower()
    if not host:
        raise EndpointRefused("the URL names no host")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or DEFAULT_PORTS[scheme], target


class _Pinned(http.client.HTTPConnection):
    """An HTTP connection to a checked address, with the URL's host in the Host header."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    """An HTTPS connection to a checked address; the certificate is verified for the URL's host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def endpoint_problem(endpoint: object, policy: OutboundPolicy | None = None,
                     parameter: str = "InvocationEndpoint") -> str | None:
    """Why an endpoint given to the API (``parameter``) is refused when it is created, or None."""
    if not isinstance(endpoint, str):
        return f"{parameter} is required."
    if (policy or OutboundPolicy()).problem(endpoint) is None:
        return None
    return f"Parameter {parameter} is not valid. Reason: an HTTPS endpoint is required."


__all__ = ["Destination", "EndpointRefused", "OutboundPolicy", "endpoint_problem", "parse_allow_endpoint",
           "system_resolver"]
