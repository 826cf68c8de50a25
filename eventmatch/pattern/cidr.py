"""IP addresses and CIDR blocks, as EventBridge's ``cidr`` operator reads them.

Addresses are turned into upper-case hexadecimal strings (8 digits for IPv4,
32 for IPv6) and a CIDR block into the inclusive range of such strings, compared
as text. That is how AWS's reference library does it, so its edge cases carry
over: ``::/0`` covers every address, IPv4 ones included.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass

_MASK = re.compile(r"[+-]?[0-9]+")
_inet_pton, _AF_INET = socket.inet_pton, socket.AF_INET


@dataclass(frozen=True, slots=True)
class HexRange:
    """An inclusive range of addresses in hexadecimal text form."""

    low: str
    high: str

    def contains(self, address_hex: str) -> bool:
        return self.low <= address_hex <= self.high


def ip_to_hex(text: str) -> str | None:
    """The hexadecimal form of an IPv4 or IPv6 address, or None if ``text`` is not one."""
    if not text or len(text) > 45:
        return None
    if ":" not in text:
        try:  # the C parser takes plain dotted quads (no leading zeros), which the loop below reads alike
            return _inet_pton(_AF_INET, text).hex().upper()
        except (OSError, ValueError):
            pass
        parts = text.split(".")
        if len(parts) != 4:
            return None
        value = 0
        for part in parts:
            if not (1 <= len(part) <= 3) or not part.isascii() or not part.isdigit():
                return None
            octet = int(part)
            if octet > 255:
                return None
            value = value * 256 + octet
        return f"{value:08X}"
    if "." in text or "%" in text or not text.isascii():
        return None
    try:
        return f"{int(ipaddress.IPv6Address(text)):032X}"
    except ValueError:
        return None


def ip_to_bytes(text: str) -> bytes | None:
    """The address's bytes (4 for IPv4, 16 for IPv6), or None if ``text`` is not one: ``ip_to_hex`` as bytes,
    which sort as the hexadecimal forms do (the fused matchers' CIDR table, whose IPv4 addresses come
    straight from ``inet_pton``)."""
    address = ip_to_hex(text)
    return None if address is None else bytes.fromhex(address)


def parse_cidr(text: str) -> HexRange:
    """Parse ``a.b.c.d/n`` or ``ipv6/n``; raise ValueError with AWS's message otherwise."""
    parts = text.split("/")
    if len(parts) != 2:
        raise ValueError("Malformed CIDR, one '/' required")
    address, bits_text = parts
    if not _MASK.fullmatch(bits_text):
        raise ValueError("Malformed CIDR, mask bits must be an integer")
    bits = int(bits_text)
    if bits < 0:
        raise ValueError("Malformed CIDR, mask bits must not be negative")
    hex_address = ip_to_hex(address)
    if hex_address is None:
        parts = address.split(".")
        if len(parts) == 4 and all(p.isascii() and p.isdigit() for p in parts):
            raise ValueError(f"Invalid IP address: {address}")
        raise ValueError(f"Nonstandard IP address: {address}")
    width = len(hex_address) * 4
    if width == 32 and bits >= 32:
        raise ValueError("IPv4 mask bits must be < 32")
    if width == 128 and bits >= 128:
        raise ValueError("IPv6 mask bits must be < 128")
    value = int(hex_address, 16)
    host = (1 << (width - bits)) - 1
    digits = width // 4
    return HexRange(f"{value & ~host:0{digits}X}", f"{value | host:0{digits}X}")
