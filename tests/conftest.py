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
