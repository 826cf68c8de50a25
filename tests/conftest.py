from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hypothesis import settings

# CI replays the same examples every run (a landing must not depend on luck);
# developers' runs keep exploring new random examples. Neither has a deadline per example:
# this machine is shared, and speed is measured by the benchmarks, not by the tests.
settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

DATA = Path(__file__).parent / "data"


def load_json(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def envelope(detail: Any = None, **fields: Any) -> dict[str, Any]:
    """An EventBridge event with the envelope TestEventPattern requires."""
    event: dict[str, Any] = {
        "version": "0",
        "id": "1",
        "detail-type": "test-detail-type",
        "source": "test-source",
        "account": "123456789012",
        "time": "2022-07-13T13:48:01Z",
        "region": "us-east-2",
        "resources": [],
    }
    if detail is not None:
        event["detail"] = detail
    event.update(fields)
    return event


# -- no packet leaves this machine ------------------------------------------------------------------------
# Every test runs with connect() refused outside loopback (127.0.0.0/8 and ::1): a test that tries fails
# at this guard, on old code and new, instead of reaching the network. (Names are never looked up by the
# tests that check outbound rules: they give the server a resolver of their own.)
import ipaddress  # noqa: E402
import socket  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

#: the addresses a test tried to reach off this machine, since the test began
OFF_MACHINE: list[str] = []
_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex


def _loopback(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # a Unix socket's path
        return True
    host = str(address[0]).split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _loopback(address):
        OFF_MACHINE.append(str(address))
        raise ConnectionRefusedError(f"the test guard refuses a connection off this machine: {address}")
    return _connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _loopback(address):
        OFF_MACHINE.append(str(address))
        raise ConnectionRefusedError(f"the test guard refuses a connection off this machine: {address}")
    return _connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _no_connection_off_this_machine() -> Iterator[None]:
    OFF_MACHINE.clear()
    yield
    if OFF_MACHINE:
        tried = list(OFF_MACHINE)
        OFF_MACHINE.clear()
        pytest.fail(f"the test tried to connect off this machine: {tried}")
