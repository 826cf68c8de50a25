"""A simple, obviously correct evaluator of EventBridge patterns, for property tests.

It shares no code with eventmatch's compiler: it reads the pattern dict
directly, lists every leaf of the event, and tries every way of meeting the
pattern's fields by brute force. Semantics (from AWS's recordings and its
reference library):

- a pattern is a set of sub-rules (``$or`` with two or more objects forks them);
  the event matches if any sub-rule does;
- a sub-rule's fields are taken in sorted order (UTF-16 code units); each must
  be met by one leaf value at that path that satisfies one of its conditions,
  or, if it lists ``{"exists": false}``, by the absence of any leaf there;
- a leaf inside an object or array that is an element of an array carries that
  element's position; leaves chosen for one sub-rule must agree on the position
  in every array they share, and absence is judged among the leaves that agree
  with the positions chosen so far.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

Leaf = tuple[str, Any, tuple[tuple[int, int], ...]]


def leaves(event: dict[str, Any]) -> list[Leaf]:
    out: list[Leaf] = []
    counter = [0]

    def obj(o: dict[str, Any], prefix: str, trail: tuple[tuple[int, int], ...]) -> None:
        for k, v in o.items():
            value(v, prefix + k, trail)

    def value(v: Any, path: str, trail: tuple[tuple[int, int], ...]) -> None:
        if isinstance(v, dict):
            obj(v, path + ".", trail)
        elif isinstance(v, list):
            aid = counter[0]
            counter[0] += 1
            for i, item in enumerate(v):
                if isinstance(item, (dict, list)):
                    value(item, path, (*trail, (aid, i)))
                else:
                    out.append((path, item, trail))
        else:
            out.append((path, v, trail))

    obj(event, "", ())
    return out


def sub_rules(pattern: dict[str, Any], prefix: str = "") -> list[dict[str, list[Any]]]:
    rules: list[dict[str, list[Any]]] = [{}]
    for key, val in pattern.items():
        if key == "$or" and isinstance(val, list) and len(val) >= 2 and all(isinstance(b, dict) for b in val):
            forks = []
            for branch in val:
                for b in sub_rules(branch, prefix):
                    for r in rules:
                        forks.append({**r, **b})
            rules = forks
        elif isinstance(val, dict):
            nested = sub_rules(val, prefix + key + ".")
            rules = [{**r, **n} for r in rules for n in nested]
        else:
            for r in rules:
                r[prefix + key] = val
    return rules


def _num(v: Any) -> Decimal | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return Decimal(v) if isinstance(v, int) else Decimal(repr(v))


def _wild(pattern: str, s: str) -> bool:
    # pieces: literal text and stars; backslash escapes * and \
    parts: list[Any] = []
    lit = ""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            lit += pattern[i + 1]
            i += 2
            continue
        if c == "*":
            parts.append(lit)
            parts.append(None)
            lit = ""
        else:
            lit += c
        i += 1
    parts.append(lit)

    def go(pi: int, si: int) -> bool:
        if pi == len(parts):
            return si == len(s)
        p = parts[pi]
        if p is None:
            return any(go(pi + 1, j) for j in range(si, len(s) + 1))
        return s.startswith(p, si) and go(pi + 1, si + len(p))

    return go(0, 0)


def _ip(s: str) -> str | None:
    import ipaddress

    if not isinstance(s, str):
        return None
    if ":" not in s:
        parts = s.split(".")
        if len(parts) != 4 or not all(p.isascii() and p.isdigit() and 1 <= len(p) <= 3 and int(p) <= 255 for p in parts):
            return None
        return "".join(f"{int(p):02X}" for p in parts)
    if "." in s or "%" in s:
        return None
    try:
        return f"{int(ipaddress.IPv6Address(s)):032X}"
    except ValueError:
        return None


def _cidr(block: str, s: Any) -> bool:
    addr = _ip(s) if isinstance(s, str) else None
    if addr is None:
        return False
    base, bits = block.split("/")
    b = _ip(base)
    assert b is not None
    width = len(b) * 4
    host = (1 << (width - int(bits))) - 1
    low = f"{int(b, 16) & ~host:0{len(b)}X}"
    high = f"{int(b, 16) | host:0{len(b)}X}"
    return low <= addr <= high


def condition_holds(cond: Any, v: Any) -> bool:
    """Does one pattern condition accept one leaf value?"""
    if not isinstance(cond, dict):
        if cond is None or isinstance(cond, bool):
            return v is cond
        if isinstance(cond, str):
            return isinstance(v, str) and v == cond
        n = _num(v)
        return n is not None and n == _num(cond)
    (op, arg), = cond.items()
    is_str = isinstance(v, str)
    if op == "exists":
        return bool(arg)
    if op in ("prefix", "suffix"):
        if not is_str:
            return False
        if isinstance(arg, dict):
            return _ignore_case(arg["equals-ignore-case"], v, op)
        return v.startswith(arg) if op == "prefix" else v.endswith(arg)
    if op == "equals-ignore-case":
        return is_str and _ignore_case(arg, v, "equals")
    if op == "wildcard":
        return is_str and _wild(arg, v)
    if op == "cidr":
        return _cidr(arg, v)
    if op == "numeric":
        n = _num(v)
        if n is None:
            return False
        ok = True
        for i in range(0, len(arg), 2):
            o, bound = arg[i], _num(arg[i + 1])
            assert bound is not None
            ok = ok and {"=": n == bound, "<": n < bound, "<=": n <= bound, ">": n > bound, ">=": n >= bound}[o]
        return ok
    if op == "anything-but":
        if isinstance(arg, dict):
            (kind, vals), = arg.items()
            vals = vals if isinstance(vals, list) else [vals]
            if not is_str:
                return True
            if kind == "prefix":
                return not any(v.startswith(x) for x in vals)
            if kind == "suffix":
                return not any(v.endswith(x) for x in vals)
            if kind == "equals-ignore-case":
                return not any(_ignore_case(x, v, "equals") for x in vals)
            return not any(_wild(x, v) for x in vals)
        vals = arg if isinstance(arg, list) else [arg]
        return not any(condition_holds(x, v) for x in vals)
    raise AssertionError(f"unknown operator {op}")


def _ignore_case(value: str, text: str, how: str) -> bool:
    """AWS's reference library: each UTF-16 unit of the pattern's value is its lower- or upper-case form
    (full mappings of that one character; characters past U+FFFF have none), written out as positions."""
    pieces = [[c] if ord(c) > 0xFFFF else list({c.lower(), c.upper()}) for c in value]
    if how == "suffix":
        pieces = [[p[::-1] for p in alternatives] for alternatives in reversed(pieces)]
        text = text[::-1]
    ends = {0}
    for alternatives in pieces:
        ends = {end + len(p) for end in ends for p in alternatives if text.startswith(p, end)}
    return len(text) in ends if how == "equals" else bool(ends)


def _compatible(trail: tuple[tuple[int, int], ...], chosen: dict[int, int]) -> bool:
    return all(chosen.get(a, i) == i for a, i in trail)


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    all_leaves = leaves(event)

    def meet(fields: list[tuple[str, list[Any]]], k: int, chosen: dict[int, int]) -> bool:
        if k == len(fields):
            return True
        path, conds = fields[k]
        here = [(v, t) for p, v, t in all_leaves if p == path]
        positive = [c for c in conds if c != {"exists": False}]
        for v, t in here:
            if (
                _compatible(t, chosen)
                and any(condition_holds(c, v) for c in positive)
                and meet(fields, k + 1, {**chosen, **dict(t)})
            ):
                return True
        if {"exists": False} in conds and not any(_compatible(t, chosen) for _, t in here):
            return meet(fields, k + 1, chosen)
        return False

    for rule in sub_rules(pattern):
        fields = sorted(rule.items(), key=lambda kv: kv[0].encode("utf-16-be", "surrogatepass"))
        if meet(fields, 0, {}):
            return True
    return False
