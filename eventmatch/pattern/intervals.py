"""Stabbing queries: which of many intervals hold a value, in one look-up whatever their number.

The bounds of all the intervals, sorted, cut the line into *slots*: slot ``2i`` is the open gap below
``bounds[i]`` (slot ``2m`` the gap above the last of the ``m`` bounds) and slot ``2i + 1`` the point
``bounds[i]`` itself. Every value falls in exactly one slot, found by bisection, and an interval covers
a run of whole slots. A slot's intervals are listed in a flat table when the lists are small altogether
(disjoint or lightly overlapping intervals: one list per slot), and otherwise in a segment tree (nested
intervals, a threshold per device: each interval in O(log m) nodes, a look-up walks one leaf-to-root
path), so memory stays O(n log n) where a flat table would need O(n²).

An interval may also *touch* a point without surely covering it (a numeric range whose decimal bound is
not exactly a float, compared with a value equal to that float): such pairs are listed per point as
(matcher, payload) and tested one by one, which is as many tests as intervals share that bound.

Used for numeric ranges (floats) and CIDR blocks (addresses as hexadecimal text, compared as text, as
AWS's library compares them: :mod:`.cidr`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

#: a flat table is used while its lists hold at most FLAT_PER_INTERVAL entries per interval (plus
#: FLAT_SLACK): past that the intervals overlap a lot, and the segment tree is smaller
FLAT_PER_INTERVAL, FLAT_SLACK = 8, 4096


class Stabber:
    """An immutable index of intervals over one ordered type (floats, or strings).

    Built from ``spans``: (first slot, last slot, payload), each covering slots first..last inclusive,
    and ``tests``: point index -> [(matcher, payload)], tested with ``matcher.test(value)`` when a value
    equals that bound. Payloads are appended to ``out`` by :meth:`stab`.
    """

    __slots__ = ("bounds", "flat", "tests", "tree", "width")

    def __init__(self, bounds: Sequence[Any], spans: Sequence[tuple[int, int, Any]],
                 tests: dict[int, list[tuple[Any, Any]]]) -> None:
        self.bounds = list(bounds)
        self.tests = tests
        n_slots = 2 * len(self.bounds) + 1
        total = sum(last - first + 1 for first, last, _ in spans)
        self.flat: list[list[Any]] | None = None
        self.tree: list[list[Any] | None] = []
        self.width = 1
        if total <= FLAT_PER_INTERVAL * len(spans) + FLAT_SLACK:
            # a difference sweep would not help here: each slot needs its own list anyway
            flat: list[list[Any]] = [[] for _ in range(n_slots)]
            for first, last, payload in spans:
                for slot in range(first, last + 1):
                    flat[slot].append(payload)
            self.flat = flat
            return
        width = 1
        while width < n_slots:
            width *= 2
        tree: list[list[Any] | None] = [None] * (2 * width)
        for first, last, payload in spans:
            low, high = first + width, last + width + 1
            while low < high:
                if low & 1:
                    node = tree[low]
                    if node is None:
                        tree[low] = [payload]
                    else:
                        node.append(payload)
                    low += 1
                if high & 1:
                    high -= 1
                    node = tree[high]
                    if node is None:
                        tree[high] = [payload]
                    else:
                        node.append(payload)
                low >>= 1
                high >>= 1
        self.tree, self.width = tree, width

    def stab(self, value: Any, out: list[Any]) -> None:
        """Append to ``out`` the payload of every interval holding ``value``."""
        bounds = self.bounds
        i = bisect_left(bounds, value)
        if i < len(bounds) and bounds[i] == value:
            slot = 2 * i + 1
            touching = self.tests.get(i)
            if touching:
                for matcher, payload in touching:
                    if matcher.test(value):
                        out.append(payload)
        else:
            slot = 2 * i
        flat = self.flat
        if flat is not None:
            out.extend(flat[slot])
            return
        tree = self.tree
        node_at = slot + self.width
        while node_at:
            node = tree[node_at]
            if node is not None:
                out.extend(node)
            node_at >>= 1

    def gaps(self) -> list[list[Any]] | None:
        """The flat table's gap lists (slot 2i for i in 0..m), or None when the index is a tree."""
        if self.flat is None:
            return None
        return self.flat[0::2]

    def __repr__(self) -> str:
        kind = "flat" if self.flat is not None else f"tree of width {self.width}"
        return f"<Stabber {len(self.bounds)} bounds, {kind}>"


__all__ = ["Stabber"]
