"""Rebuild the vendored catalogue of AWS's event schemas (a maintainer's step; never run by the tests or at
run time).

AWS's schemas for its services' events are published in the npm package ``@aws-cdk/aws-service-spec``
(Apache-2.0). Its ``db.json.gz`` holds them in two tables: ``schema.event`` (source, detail-type, the
detail's type) and ``schema.eventTypeDefinition`` (types: property names, types, ``required``). This keeps
what the lint needs, compactly, in ``aws_events.json.gz`` beside this file::

    npm pack @aws-cdk/aws-service-spec          # aws-cdk-aws-service-spec-<version>.tgz
    python -m eventmatch.schemas.rebuild aws-cdk-aws-service-spec-<version>.tgz

The extract's format: ``{"package": ..., "version": ..., "events": [[source, detail-type, type id]],
"types": {id: {"name": ..., "properties": {name: [type, required]}}}}``, a type being ``"string"``,
``"number"``, ``"integer"``, ``"boolean"``, ``"json"`` (open), ``{"ref": id}``, ``{"array": type}``,
``{"map": type}`` or ``{"union": [type, ...]}``.
"""

from __future__ import annotations

import gzip
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("aws_events.json.gz")
PACKAGE = "@aws-cdk/aws-service-spec"


def _type(given: dict[str, Any]) -> Any:
    kind = given["type"]
    if kind == "ref":
        return {"ref": given["reference"]["$ref"]}
    if kind in ("array", "map"):
        return {kind: _type(given["element"])}
    if kind == "union":
        return {"union": [_type(t) for t in given["types"]]}
    return kind


def extract(db: dict[str, Any], version: str) -> dict[str, Any]:
    schema = db["schema"]
    events = [[e["source"], e["detailType"], e["rootProperty"]["$ref"]] for e in schema["event"]["entities"]]
    types = {t["$id"]: {"name": t["name"], "properties": {
        name: [_type(p["type"]), bool(p.get("required"))] for name, p in sorted(t["properties"].items())}}
        for t in schema["eventTypeDefinition"]["entities"]}
    return {"package": PACKAGE, "version": version, "licence": "Apache-2.0",
            "events": sorted(events), "types": types}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with tarfile.open(argv[0]) as packed:
        manifest = json.load(packed.extractfile("package/package.json"))  # type: ignore[arg-type]
        with gzip.open(packed.extractfile("package/db.json.gz")) as packed_db:  # type: ignore[arg-type]
            db = json.load(packed_db)
    data = extract(db, str(manifest["version"]))
    text = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    with gzip.GzipFile(OUT, "wb", mtime=0) as out:
        out.write(text)
    print(f"{OUT}: {len(data['events'])} event types, {len(data['types'])} types, {OUT.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
