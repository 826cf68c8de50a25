"""Handlers for the CLI worker test: each appends the event id to a file named by an environment variable."""

from __future__ import annotations

import os
from typing import Any


def _record(event: Any) -> None:
    with open(os.environ["EVENTMATCH_TEST_OUT"], "a") as out:
        out.write(f"{event['id']}\n")


HANDLERS = {"record": _record}
