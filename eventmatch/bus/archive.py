"""Archives: events a bus received, kept in SQLite (a file, or in memory) for replays.

An archive behaves as AWS's managed rule: its own pattern (optional) plus
``{"replay-name": [{"exists": false}]}``, so replayed events are never archived
again. Events are kept for ``retention_days`` (forever when unset), and a replay
selects them by their ``time`` field.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import ResourceAlreadyExistsError, ValidationError
from ..pattern.compile import Pattern


@dataclass(frozen=True)
class Archive:
    name: str
    bus: str
    arn: str
    pattern: Pattern | None
    retention_days: int | None


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class ArchiveStore:
    """Archives and their events in one SQLite database."""

    def __init__(self, path: str = ":memory:") -> None:
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS events (archive TEXT, time TEXT, archived TEXT, event TEXT)")
        self._db.execute("CREATE INDEX IF NOT EXISTS by_time ON events (archive, time)")
        self._archives: dict[str, Archive] = {}
        self._lock = threading.Lock()
        #: whether any archive exists (read on every routed event, so a plain attribute)
        self.active = False

    def create(
        self, name: str, bus: str, pattern: Pattern | None, retention_days: int | None, now: datetime
    ) -> Archive:
        if name in self._archives:
            raise ResourceAlreadyExistsError(f"Archive {name} already exists.")
        if retention_days is not None and (type(retention_days) is not int or retention_days < 0):
            raise ValidationError("Parameter RetentionDays is not valid. Reason: must be a non-negative integer.")
        archive = Archive(name, bus, f"arn:aws:events:::archive/{name}", pattern, retention_days or None)
        self._archives[name] = archive
        self.active = True
        return archive

    def get(self, name: str) -> Archive | None:
        return self._archives.get(name)

    def offer(self, bus: str, event: dict[str, Any], now: datetime | None = None) -> None:
        """Archive the event in every archive of ``bus`` whose pattern it matches."""
        if not self._archives:
            return
        rows = []
        for archive in self._archives.values():
            if archive.bus == bus and (archive.pattern is None or archive.pattern.matches(event)):
                rows.append(
                    (
                        archive.name,
                        str(event.get("time", "")),
                        (now or datetime.now(UTC)).isoformat(),
                        json.dumps(event),
                    )
                )
        if rows:
            with self._lock:
                self._db.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", rows)
                self._db.commit()

    def events(self, name: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT time, event FROM events WHERE archive = ?", (name,)).fetchall()
        out = []
        for time_text, text in rows:
            try:
                when = _utc(time_text)
            except ValueError:
                continue
            if start.astimezone(UTC) <= when < end.astimezone(UTC):
                out.append(json.loads(text))
        return out

    def count(self, name: str) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM events WHERE archive = ?", (name,)).fetchone()[0])

    def expire(self, now: datetime) -> None:
        for archive in self._archives.values():
            if archive.retention_days:
                cutoff = (now - timedelta(days=archive.retention_days)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                with self._lock:
                    self._db.execute("DELETE FROM events WHERE archive = ? AND time < ?", (archive.name, cutoff))
                    self._db.commit()
