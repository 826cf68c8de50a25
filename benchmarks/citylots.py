"""Citylots-shaped events and the fourteen rule types of AWS's reference benchmark.

aws/event-ruler measures its matcher on San Francisco's city lots as GeoJSON
(``citylots2``: about 200,000 lots). That file is large, so this module
generates events of the same shape and size deterministically at run time:
``properties`` with MAPBLKLOT, BLKLOT, BLOCK_NUM, LOT_NUM, FROM_ST, TO_ST,
STREET, ST_TYPE and ODD_EVEN; ``geometry`` with ``type``, ``firstCoordinates``
{x, y, z} and ``coordinates``, a list of {x, y, z}. About 0.7 KB each.

``RULE_TYPES`` holds five rules for each of the fourteen types named in the
event-ruler README's benchmark table, written against the generated values so
that every rule matches some events and most events match few rules, as in the
original.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

STREETS = [
    "JEFFERSON", "BEACH", "HYDE", "CHESTNUT", "FULTON", "MASON", "ACTON", "BLAKE", "DRUMM", "FUNSTON",
    "RHODE ISLAND", "MISSION", "VALENCIA", "MARKET", "FOLSOM", "HOWARD", "LARKIN", "POLK", "VAN NESS",
    "GEARY", "CLEMENT", "IRVING", "JUDAH", "NORIEGA", "TARAVAL", "SLOAT", "OCEAN", "PORTOLA", "DOLORES",
    "GUERRERO", "HARRISON", "BRYANT", "POTRERO", "KANSAS", "DE HARO", "CAROLINA", "WISCONSIN", "ARKANSAS",
    "CONNECTICUT", "MISSOURI", "TEXAS", "MINNESOTA", "TENNESSEE", "ILLINOIS", "INDIANA", "IOWA", "PENNSYLVANIA",
    "FOERSTER", "LAKE", "PARK", "SPRING", "WASHINGTON", "HUNTINGTON", "LEXINGTON", "BURLINGAME", "CHICAGO",
    "SAN DIEGO", "SAN BRUNO", "BAYSHORE", "PUTNAM", "ANDOVER", "ELLSWORTH", "GATES", "BOCANA", "HOLLY PARK",
]
ST_TYPES = ["ST", "ST", "ST", "ST", "ST", "AVE", "AVE", "BLVD", "WAY", "TER", "CT", "PL", "DR", "LN", "st", None]
GEOMETRY_TYPES = ["Polygon"] * 49 + ["MultiPolygon"]


def lot(i: int, rnd: random.Random) -> dict[str, Any]:
    """One citylots-shaped lot (a GeoJSON feature)."""
    block = rnd.randrange(1, 8000)
    lot_num = rnd.randrange(1, 200)
    mapblklot = f"{block:04d}{lot_num:03d}"
    if i % 1000 == 999:
        mapblklot = "VACSTWIL"
    street = rnd.choice(STREETS)
    from_st = rnd.randrange(0, 3000)
    x0 = round(-122.52 + rnd.random() * 0.16, 14)
    y0 = round(37.70 + rnd.random() * 0.12, 14)
    corners = rnd.randrange(5, 8)
    coordinates = [
        {"x": round(x0 + rnd.random() * 0.0004, 14), "y": round(y0 + rnd.random() * 0.0004, 14), "z": 0}
        for _ in range(corners)
    ]
    z0 = 0 if rnd.random() < 0.95 else rnd.randrange(1, 5)
    return {
        "type": "Feature",
        "properties": {
            "MAPBLKLOT": mapblklot,
            "BLKLOT": mapblklot,
            "BLOCK_NUM": f"{block:04d}",
            "LOT_NUM": f"{lot_num:03d}",
            "FROM_ST": str(from_st),
            "TO_ST": str(from_st + rnd.randrange(0, 40)),
            "STREET": street,
            "ST_TYPE": rnd.choice(ST_TYPES),
            "ODD_EVEN": "E" if from_st % 2 == 0 else "O",
        },
        "geometry": {
            "type": rnd.choice(GEOMETRY_TYPES),
            "firstCoordinates": {"x": x0, "y": y0, "z": z0},
            "coordinates": coordinates,
        },
    }


def events(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """``n`` deterministic lots."""
    rnd = random.Random(seed)
    for i in range(n):
        yield lot(i, rnd)


def event_lines(n: int, seed: int = 7) -> list[bytes]:
    """``n`` lots as compact JSON bytes, one per event."""
    return [orjson.dumps(e) for e in events(n, seed)]


def _props(**fields: Any) -> dict[str, Any]:
    return {"properties": fields}


def _geo(**fields: Any) -> dict[str, Any]:
    return {"geometry": fields}


#: Five rules per type, in the order of event-ruler's README benchmark table.
RULE_TYPES: dict[str, list[dict[str, Any]]] = {
    "EXACT": [
        _props(MAPBLKLOT=["1430022"]),
        _props(MAPBLKLOT=["2607117"]),
        _props(MAPBLKLOT=["2607118"]),
        _props(MAPBLKLOT=["3745012"]),
        _props(MAPBLKLOT=["VACSTWIL"]),
    ],
    "WILDCARD": [
        _props(MAPBLKLOT=[{"wildcard": "143*"}]),
        _props(MAPBLKLOT=[{"wildcard": "2*0*1*7"}]),
        _props(MAPBLKLOT=[{"wildcard": "*218"}]),
        _props(MAPBLKLOT=[{"wildcard": "3*5*2"}]),
        _props(MAPBLKLOT=[{"wildcard": "VA*IL"}]),
    ],
    "PREFIX": [
        _props(STREET=[{"prefix": "AC"}]),
        _props(STREET=[{"prefix": "BL"}]),
        _props(STREET=[{"prefix": "DR"}]),
        _props(STREET=[{"prefix": "FU"}]),
        _props(STREET=[{"prefix": "RH"}]),
    ],
    "PREFIX_EQUALS_IGNORE_CASE": [
        _props(STREET=[{"prefix": {"equals-ignore-case": "ac"}}]),
        _props(STREET=[{"prefix": {"equals-ignore-case": "bL"}}]),
        _props(STREET=[{"prefix": {"equals-ignore-case": "Dr"}}]),
        _props(STREET=[{"prefix": {"equals-ignore-case": "fu"}}]),
        _props(STREET=[{"prefix": {"equals-ignore-case": "rH"}}]),
    ],
    "SUFFIX": [
        _props(STREET=[{"suffix": "ON"}]),
        _props(STREET=[{"suffix": "KE"}]),
        _props(STREET=[{"suffix": "MM"}]),
        _props(STREET=[{"suffix": "ING"}]),
        _props(STREET=[{"suffix": "GO"}]),
    ],
    "SUFFIX_EQUALS_IGNORE_CASE": [
        _props(STREET=[{"suffix": {"equals-ignore-case": "on"}}]),
        _props(STREET=[{"suffix": {"equals-ignore-case": "Ke"}}]),
        _props(STREET=[{"suffix": {"equals-ignore-case": "mM"}}]),
        _props(STREET=[{"suffix": {"equals-ignore-case": "InG"}}]),
        _props(STREET=[{"suffix": {"equals-ignore-case": "go"}}]),
    ],
    "EQUALS_IGNORE_CASE": [
        _props(STREET=[{"equals-ignore-case": "jefferson"}]),
        _props(STREET=[{"equals-ignore-case": "bEaCh"}]),
        _props(STREET=[{"equals-ignore-case": "HyDe"}]),
        _props(STREET=[{"equals-ignore-case": "CHESTNUT"}]),
        _props(ST_TYPE=[{"equals-ignore-case": "st"}]),
    ],
    "NUMERIC": [
        _geo(type=["Polygon"], firstCoordinates={"x": [{"numeric": ["=", -122.42916360922355]}]}),
        _geo(type=["MultiPolygon"], firstCoordinates={"z": [{"numeric": ["=", 0]}]}),
        _geo(firstCoordinates={"x": [{"numeric": ["<", -122.41600944012424]}]}),
        _geo(firstCoordinates={"x": [{"numeric": [">", -122.41600944012424]}]}),
        _geo(firstCoordinates={"x": [{"numeric": [">", -122.46471267081272, "<", -122.4063085128395]}]}),
    ],
    "COMPLEX_ARRAYS": [
        _geo(type=["Polygon"], coordinates={"x": [{"numeric": ["=", -122.42916360922355]}]}),
        _geo(type=["MultiPolygon"], coordinates={"y": [{"numeric": ["=", 37.729900216217324]}]}),
        _geo(coordinates={"x": [{"numeric": ["<", -122.41600944012424]}]}),
        _geo(coordinates={"x": [{"numeric": [">", -122.41600944012424]}]}),
        _geo(coordinates={"x": [{"numeric": [">", -122.46471267081272, "<", -122.4063085128395]}]}),
    ],
    "ANYTHING_BUT": [
        _props(STREET=[{"anything-but": ["FULTON"]}]),
        _props(STREET=[{"anything-but": ["MASON"]}]),
        _props(ST_TYPE=[{"anything-but": ["ST"]}]),
        _geo(type=[{"anything-but": ["Polygon"]}]),
        _props(FROM_ST=[{"anything-but": ["441"]}]),
    ],
    "ANYTHING_BUT_IGNORE_CASE": [
        _props(STREET=[{"anything-but": {"equals-ignore-case": ["Fulton"]}}]),
        _props(STREET=[{"anything-but": {"equals-ignore-case": ["Mason"]}}]),
        _props(ST_TYPE=[{"anything-but": {"equals-ignore-case": ["st"]}}]),
        _geo(type=[{"anything-but": {"equals-ignore-case": ["polygon"]}}]),
        _props(FROM_ST=[{"anything-but": {"equals-ignore-case": ["441"]}}]),
    ],
    "ANYTHING_BUT_PREFIX": [
        _props(STREET=[{"anything-but": {"prefix": "FULTO"}}]),
        _props(STREET=[{"anything-but": {"prefix": "M"}}]),
        _props(ST_TYPE=[{"anything-but": {"prefix": "S"}}]),
        _geo(type=[{"anything-but": {"prefix": "Poly"}}]),
        _props(FROM_ST=[{"anything-but": {"prefix": "44"}}]),
    ],
    "ANYTHING_BUT_SUFFIX": [
        _props(STREET=[{"anything-but": {"suffix": "ULTON"}}]),
        _props(STREET=[{"anything-but": {"suffix": "ON"}}]),
        _props(ST_TYPE=[{"anything-but": {"suffix": "T"}}]),
        _geo(type=[{"anything-but": {"suffix": "gon"}}]),
        _props(FROM_ST=[{"anything-but": {"suffix": "41"}}]),
    ],
    "ANYTHING_BUT_WILDCARD": [
        _props(STREET=[{"anything-but": {"wildcard": "FUL*N"}}]),
        _props(STREET=[{"anything-but": {"wildcard": "M*N"}}]),
        _props(ST_TYPE=[{"anything-but": {"wildcard": "S*"}}]),
        _geo(type=[{"anything-but": {"wildcard": "*olygon"}}]),
        _props(FROM_ST=[{"anything-but": {"wildcard": "4*1"}}]),
    ],
}


def write_rules(directory: Path) -> None:
    """One ``TYPE.jsonl`` per rule type (see write_rule_set)."""
    directory.mkdir(parents=True, exist_ok=True)
    for kind, patterns in RULE_TYPES.items():
        write_rule_set(directory / f"{kind}.jsonl", kind.lower(), patterns)


def write_rule_set(path: Path, prefix: str, patterns: list[dict[str, Any]]) -> None:
    """Rules in the anchors' format, lines ``{"name": "<prefix>-<i>", "pattern": {...}}``."""
    with open(path, "w") as out:
        for i, pattern in enumerate(patterns):
            out.write(json.dumps({"name": f"{prefix}-{i}", "pattern": pattern}) + "\n")


def write_events(path: Path, lines: list[bytes]) -> None:
    with open(path, "wb") as out:
        for line in lines:
            out.write(line + b"\n")
