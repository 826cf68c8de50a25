"""Archives: events a bus received, kept in SQLite (a file, or in memory) for replays.

An archive behaves as AWS's managed rule: its own pattern (optional) plus
``{"replay-name": [{"exists": false}]}``, so replayed events are never archived
again. Events are kept for ``retention_days`` (forever when unset), and a replay
selects them by their ``time`` field.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import ResourceAlreadyExistsError, ResourceNotFoundError, ValidationError
from ..pattern.compile import Pattern


@dataclass(frozen=True)
class Archive:
    """One archive: its bus, the events it keeps (``pattern``; all when None) and for how long."""

    name: str
    bus: str
    arn: str
    pattern: Pattern | None
    retention_days: int | None
    description: str = ""
    created: datetime | None = None
    source_arn: str = ""


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: "not given" for UpdateArchive's fields (None is a value: no pattern, no retention)
UNSET = _Unset()


def _check_retention(days: Any) -> None:
    if days is not None and (type(days) is not int or days < 0):
        raise ValidationError("Parameter RetentionDays is not valid. Reason: must be a non-negative integer.")


def _check_description(text: Any) -> None:
    if not isinstance(text, str) or len(text) > 512:
        raise ValidationError("Parameter Description is not valid. Reason: longer than 512 characters.")


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


#: a table's name (made from an account and a region: letters, digits, underscores)
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ArchiveStore:
    """Archives and their events in one SQLite database: in the table ``table`` (each account and region of a
    server keeps its own, in the server's state file)."""

    def __init__(self, path: str = ":memory:", table: str = "events") -> None:
        if not _TABLE.match(table):
            raise ValueError(f"not a table name: {table!r}")
        #: the database's path, and the table of this store's events
        self.path, self.table = path, table
        self._db = sqlite3.connect(path, check_same_thread=False)
        index = "by_time" if table == "events" else f"{table}_by_time"
        self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} (archive TEXT, time TEXT, archived TEXT, event TEXT)")
        self._db.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {table} (archive, time)")
        self._archives: dict[str, Archive] = {}
        self._lock = threading.Lock()
        #: whether any archive exists (read on every routed event, so a plain attribute)
        self.active = False

    def create(
        self,
        name: str,
        bus: str,
        pattern: Pattern | None,
        retention_days: int | None,
        now: datetime,
        *,
        arn: str | None = None,
        description: str = "",
        source_arn: str = "",
    ) -> Archive:
        if name in self._archives:
            raise ResourceAlreadyExistsError(f"Archive {name} already exists.")
        _check_retention(retention_days)
        _check_description(description)
        archive = Archive(name, bus, arn or f"arn:aws:events:::archive/{name}", pattern, retention_days or None,
                          description, now, source_arn)
        self._archives[name] = archive
        self.active = True
        return archive

    def _known(self, name: str) -> Archive:
        archive = self._archives.get(name)
        if archive is None:
            raise ResourceNotFoundError(f"Archive {name} does not exist.")
        return archive

    def update(
        self,
        name: str,
        pattern: Pattern | _Unset | None = UNSET,
        retention_days: int | _Unset | None = UNSET,
        description: str | _Unset = UNSET,
    ) -> Archive:
        """UpdateArchive: change what is given (pass ``UNSET`` for what is not)."""
        if all(v is UNSET for v in (pattern, retention_days, description)):
            raise ValidationError("At least one of EventPattern, RetentionDays or Description must be provided.")
        archive = self._known(name)
        changes: dict[str, Any] = {}
        if pattern is not UNSET:
            changes["pattern"] = pattern
        if retention_days is not UNSET:
            _check_retention(retention_days)
            changes["retention_days"] = retention_days or None
        if description is not UNSET:
            _check_description(description)
            changes["description"] = description
        updated = replace(archive, **changes)
        self._archives[name] = updated
        return updated

    def delete(self, name: str) -> None:
        """DeleteArchive: the archive and the events it kept."""
        self._known(name)
        del self._archives[name]
        with self._lock:
            self._db.execute(f"DELETE FROM {self.table} WHERE archive = ?", (name,))
            self._db.commit()
        self.active = bool(self._archives)

    def describe(self, name: str) -> dict[str, Any]:
        """DescribeArchive's answer."""
        archive = self._known(name)
        count, size = self._stats(name)
        out: dict[str, Any] = {
            "ArchiveArn": archive.arn,
            "ArchiveName": archive.name,
            "EventSourceArn": archive.source_arn,
            "State": "ENABLED",
            "EventCount": count,
            "SizeBytes": size,
            "CreationTime": archive.created,
        }
        if archive.description:
            out["Description"] = archive.description
        if archive.pattern is not None:
            out["EventPattern"] = archive.pattern.text
        if archive.retention_days:
            out["RetentionDays"] = archive.retention_days
        return out

    def list_archives(
        self, prefix: str = "", source_arn: str | None = None, state: str | None = None
    ) -> list[dict[str, Any]]:
        """ListArchives' entries, by name."""
        out = []
        for name in sorted(self._archives):
            archive = self._archives[name]
            if not name.startswith(prefix) or (source_arn is not None and archive.source_arn != source_arn):
                continue
            if state is not None and state != "ENABLED":
                continue
            described = self.describe(name)
            out.append({k: v for k, v in described.items() if k not in ("ArchiveArn", "Description", "EventPattern")})
        return out

    def _stats(self, name: str) -> tuple[int, int]:
        with self._lock:
            count, size = self._db.execute(
                f"SELECT COUNT(*), COALESCE(SUM(LENGTH(event)), 0) FROM {self.table} WHERE archive = ?", (name,)
            ).fetchone()
        return int(count), int(size)

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
                self._db.executemany(f"INSERT INTO {self.table} VALUES (?, ?, ?, ?)", rows)
                self._db.commit()

    def events(self, name: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(f"SELECT time, event FROM {self.table} WHERE archive = ?", (name,)).fetchall()
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
            return int(self._db.execute(f"SELECT COUNT(*) FROM {self.table} WHERE archive = ?", (name,)).fetchone()[0])

    def expire(self, now: datetime) -> None:
        for archive in self._archives.values():
            if archive.retention_days:
                cutoff = (now - timedelta(days=archive.retention_days)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                with self._lock:
                    self._db.execute(f"DELETE FROM {self.table} WHERE archive = ? AND time < ?", (archive.name, cutoff))
                    self._db.commit()
