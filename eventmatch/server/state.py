"""The server's state in SQLite: what survives a restart, and what PutEvents accepted.

* **Commands.** Every API call that changed something (creating a bus, a rule, targets, an archive, a
  connection, tags...) is appended to a log once it succeeded, before the answer; on start the log is
  played again against a new bridge, in order, so buses, rules, targets and the rest come back as they
  were. Replays are not logged: a replay is work, not state.
* **The inbox.** The events PutEvents accepted are written (and committed) before PutEvents answers,
  one row a request (table ``accepted``: the number of its first event, how many, and a JSON array of
  ``[bus, event]``); a worker routes them afterwards, so PutEvents never waits for targets. A request's
  row leaves the inbox once all its events are routed; those still there on start (the process was
  killed) are routed then: at least once.
* **Deliveries.** What targets addressed by ARN received, kept for inspection.

``State(":memory:")`` is the same without the file (``eventmatch serve`` without ``--state``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec

#: the log entry of a snapshot (see :mod:`.commands`)
SNAPSHOT = "eventmatch:Snapshot"
#: a logged change: its number, action, parameters, facts (None for none), and (account, region) (None: default)
LogEntry = tuple[int, str, dict[str, Any], list[str] | None, tuple[str, str] | None]

#: how many attempts a State remembers
ATTEMPTS = 10_000
#: how many deliveries a State keeps (the oldest are forgotten past it: a server under load wrote about
#: 4 MB of them a second, without end); each routed batch may go past it by a little
DELIVERIES = 200_000
#: the deliveries past DELIVERIES are forgotten every this many routed batches
PRUNE_EVERY = 50

_encoder = msgspec.json.Encoder()


def _encode(value: object) -> str:
    """JSON text of an event or a payload (msgspec: fast, and exact for integers of any size)."""
    try:
        return _encoder.encode(value).decode()
    except (TypeError, msgspec.EncodeError):
        return json.dumps(value, default=_json_default)


def _iso(when: float | str) -> str:
    """A delivery's time as ISO 8601 (stored as epoch seconds)."""
    return when if isinstance(when, str) else datetime.fromtimestamp(when, UTC).isoformat()


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


class State:
    """One SQLite database (a file, or in memory) holding the command log, the inbox and the deliveries."""

    def __init__(self, path: str = ":memory:", keep_deliveries: int = DELIVERIES) -> None:
        if type(keep_deliveries) is not int or keep_deliveries < 1:
            raise ValueError(f"keep_deliveries must be a positive integer, not {keep_deliveries!r}")
        self.path = path
        #: the time deliveries and attempts are stamped with (epoch seconds): the system's, or the bridge's
        #: clock where that is virtual (see create_app)
        self.now: Callable[[], float] = time.time
        #: how many deliveries are kept, the latest (see DELIVERIES)
        self.keep_deliveries = keep_deliveries
        self._batches = 0  # routed batches since the deliveries were last pruned
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._closed = False
        # deliveries not written yet: appended without a lock (deque's append and popleft are atomic)
        self._pending: deque[tuple[str, str, str, float]] = deque()
        # the latest attempts to reach targets, successful or not (see ``attempt`` and ``attempts``)
        self._attempts: deque[tuple[str, str, float, float, str | None]] = deque(maxlen=ATTEMPTS)
        # changes to the pending table not written yet, in order: (key, seq, record), record None to delete
        self._pending_changes: deque[tuple[str, int | None, str | None]] = deque()
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            # a commit is in the log file before it returns: it survives the process being killed (SIGKILL);
            # a power cut may lose the last commits (FULL would fsync every one: slower by the disk's latency)
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS commands (seq INTEGER PRIMARY KEY, action TEXT, params TEXT, facts TEXT,
                                                 pair TEXT);
            CREATE TABLE IF NOT EXISTS accepted (seq INTEGER PRIMARY KEY, count INTEGER, events TEXT);
            CREATE TABLE IF NOT EXISTS deliveries (seq INTEGER PRIMARY KEY, target_id TEXT, arn TEXT,
                                                   payload TEXT, time REAL);
            -- deliveries waiting for a retry (a rule target's, under the number of its accepted event) and
            -- Scheduler's invocations not final yet (seq NULL): a restart resumes each where it was
            CREATE TABLE IF NOT EXISTS pending (key TEXT PRIMARY KEY, seq INTEGER, record TEXT);
            -- no index by ARN: with a hundred targets each batch of deliveries dirtied a page of it per
            -- row, and writing them cost 12.9 us a row against 2.3 us without it (60 rows a commit, this
            -- machine); reading one target's deliveries scans newest first instead (3.5 ms for 30,000)
            DROP INDEX IF EXISTS deliveries_by_arn;
            """
        )
        self._migrate()
        #: entries logged since the last snapshot, and how many commands that snapshot rebuilds (see
        #: :mod:`.commands`: the log is compacted as it grows)
        self.log_size = 0
        self.snapshot_size = 0
        self._count_log()
        self._next_seq = int(self._db.execute(
            "SELECT COALESCE(MAX(seq + count), 1) FROM accepted").fetchone()[0])

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One transaction on the database: committed at the end of the block, rolled back if it raises."""
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        """A state file of an earlier eventmatch 0.x: the command log gains its ``facts`` column, and the
        table ``inbox`` of the inbox before one row a request (a row an event) moves into ``accepted``."""
        columns = [row[1] for row in self._db.execute("PRAGMA table_info(commands)")]
        if "facts" not in columns:
            self._db.execute("ALTER TABLE commands ADD COLUMN facts TEXT")
        if "pair" not in columns:  # the account and region of a change (before: the default pair)
            self._db.execute("ALTER TABLE commands ADD COLUMN pair TEXT")
        if not self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inbox'").fetchone():
            return
        with self._transaction():
            rows = self._db.execute("SELECT seq, bus, event FROM inbox").fetchall()
            self._db.executemany("INSERT INTO accepted (seq, count, events) VALUES (?, 1, ?)",
                                 [(seq, f"[[{json.dumps(bus)},{event}]]") for seq, bus, event in rows])
            self._db.execute("DROP TABLE inbox")

    # -- commands --------------------------------------------------------------------------
    def log_command(self, action: str, params: object, facts: list[str] | None = None,
                    pair: tuple[str, str] | None = None) -> None:
        """Append a change to the log (which changes are logged: :mod:`.commands`); ``facts``: the times and
        ids it made up (see ``Facts``), given back when the log is played again; ``pair``: the account and
        region it was made in (None: the default pair of the server that plays it)."""
        text = json.dumps(params, default=_json_default)
        with self._lock:
            if self._closed:  # a replay that ended after the server stopped: the next start shows it FAILED
                return
            self._db.execute("INSERT INTO commands (action, params, facts, pair) VALUES (?, ?, ?, ?)",
                             (action, text, json.dumps(facts) if facts else None, "/".join(pair) if pair else None))
            self.log_size += 1

    def replace_log(self, last: int, action: str, params: object) -> None:
        """Replace the log's entries up to number ``last`` with one (a snapshot of what they made), in one
        transaction; the entries after ``last`` stay after it."""
        text = json.dumps(params, default=_json_default)
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM commands WHERE seq <= ?", (last,))
            self._db.execute("INSERT INTO commands (seq, action, params, facts) VALUES (?, ?, ?, NULL)",
                             (last, action, text))
            self._count_log()

    def _count_log(self) -> None:
        """How many entries follow the log's last snapshot (``log_size``), and how many commands that
        snapshot rebuilds (``snapshot_size``)."""
        row = self._db.execute("SELECT seq, params FROM commands WHERE action = ? ORDER BY seq DESC LIMIT 1",
                               (SNAPSHOT,)).fetchone()
        after = row[0] if row else 0
        snapshot = json.loads(row[1]) if row else {}
        self.snapshot_size = sum(len(one.get("commands", [])) for one in snapshot.get("services", [snapshot]))
        self.log_size = int(self._db.execute("SELECT COUNT(*) FROM commands WHERE seq > ?", (after,)).fetchone()[0])

    def commands(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for _, action, params, _, _ in self.log_entries():
            yield action, params

    def commands_with_facts(self) -> Iterator[tuple[str, dict[str, Any], list[str] | None]]:
        """The logged changes in order, each with the facts it made up (None for none)."""
        for _, action, params, facts, _ in self.log_entries():
            yield action, params, facts

    def log_entries(self) -> Iterator[LogEntry]:
        """The logged changes in order, each with its number in the log, its facts (None for none) and the
        (account, region) it was made in (None: the default pair)."""
        with self._lock:
            rows = self._db.execute("SELECT seq, action, params, facts, pair FROM commands ORDER BY seq").fetchall()
        for seq, action, text, facts, pair in rows:
            account, _, region = (pair or "").partition("/")
            yield seq, action, json.loads(text), json.loads(facts) if facts else None, (
                (account, region) if pair else None)

    def keep_facts(self, seq: int, facts: list[str]) -> None:
        """Give a logged change the facts it made up when it was played again (a change logged by an
        eventmatch that kept none: from then on it is played again the same way)."""
        with self._lock:
            self._db.execute("UPDATE commands SET facts = ? WHERE seq = ? AND facts IS NULL", (json.dumps(facts), seq))

    # -- the inbox ---------------------------------------------------------------------------
    def accept(self, events: list[tuple[str, dict[str, Any]]]) -> list[int]:
        """Store a request's accepted events (one row, committed before this returns); their numbers.

        (One row a request rather than one an event: the commit PutEvents waits for cost 38 µs for ten
        rows on this machine, 22 µs for one.)"""
        text = _encode([[bus, event] for bus, event in events])
        with self._lock:
            first = self._next_seq
            self._next_seq += len(events)
            # one statement outside a transaction is committed on its own (autocommit): no BEGIN and COMMIT
            # round trips (33.5 µs for a request of ten, against 41.9 µs in a transaction, this machine)
            self._db.execute("INSERT INTO accepted (seq, count, events) VALUES (?, ?, ?)", (first, len(events), text))
        return list(range(first, first + len(events)))

    def routed(self, seqs: list[int]) -> None:
        """These events are routed: one transaction writes the deliveries they made and forgets the requests
        whose events are all routed (so a crash either keeps both or neither: an event whose record was lost
        is routed again, and so are the others of a request one of whose events was not routed)."""
        runs: list[tuple[int, int]] = []  # runs of consecutive numbers, usually one
        for seq in sorted(seqs):
            if runs and seq == runs[-1][1] + 1:
                runs[-1] = (runs[-1][0], seq)
            else:
                runs.append((seq, seq))
        with self._lock, self._transaction():
            self._flush()
            self._batches += 1
            if self._batches >= PRUNE_EVERY:
                self._batches = 0
                self._db.execute("DELETE FROM deliveries WHERE seq <= (SELECT MAX(seq) FROM deliveries) - ?",
                                 (self.keep_deliveries,))
            self._db.executemany("DELETE FROM accepted WHERE seq BETWEEN ?1 AND ?2 AND seq + count - 1 <= ?2",
                                 runs)
            self._db.executemany("DELETE FROM pending WHERE seq BETWEEN ?1 AND ?2", runs)

    def waiting(self) -> list[tuple[int, str, dict[str, Any]]]:
        """The events accepted and not routed yet, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT seq, events FROM accepted ORDER BY seq").fetchall()
        return [(seq + i, bus, event) for seq, text in rows for i, (bus, event) in enumerate(json.loads(text))]

    # -- deliveries -------------------------------------------------------------------------
    def record(self, target_id: str, arn: str, payload: object) -> None:
        """Keep a delivery; written with the next routed batch (or the next read, or ``flush``)."""
        self._pending.append((target_id, arn, _encode(payload), self.now()))  # (formatted when read)

    def attempt(self, target_id: str, arn: str, milliseconds: float, error: str | None) -> None:
        """Keep one attempt to reach a target (in memory, the latest ATTEMPTS): its outcome and latency."""
        self._attempts.append((target_id, arn, self.now(), milliseconds, error))

    def delivered(self, target_id: str, arn: str, payload: object, milliseconds: float) -> None:
        """``record`` and a successful ``attempt`` in one (the routing's common case: one clock reading, and
        tuples, not dicts, kept per delivery)."""
        now = self.now()
        self._pending.append((target_id, arn, _encode(payload), now))
        self._attempts.append((target_id, arn, now, milliseconds, None))

    @property
    def attempts(self) -> list[dict[str, Any]]:
        """The latest attempts to reach targets, oldest first: ``targetId``, ``arn``, ``time`` (epoch seconds),
        ``ms``, ``outcome`` (SUCCEEDED or FAILED) and ``error``."""
        return [{"targetId": target_id, "arn": arn, "time": when, "ms": round(ms, 3),
                 "outcome": "FAILED" if error else "SUCCEEDED", "error": error}
                for target_id, arn, when, ms, error in list(self._attempts)]

    # -- what waits for a retry ----------------------------------------------------------------
    def pend(self, key: str, record: dict[str, Any], seq: int | None = None) -> None:
        """Keep ``record`` under ``key`` until ``settle(key)`` (or, with ``seq``, until the accepted event of
        that number is forgotten); written with the next routed batch (or ``flush``)."""
        self._pending_changes.append((key, seq, json.dumps(record, default=_json_default)))

    def settle(self, key: str) -> None:
        """Forget what ``pend`` kept under ``key``."""
        self._pending_changes.append((key, None, None))

    def pending(self) -> list[tuple[str, int | None, dict[str, Any]]]:
        """What ``pend`` kept, as (key, seq, record)."""
        with self._lock:
            self._flush()
            rows = self._db.execute("SELECT key, seq, record FROM pending ORDER BY rowid").fetchall()
        return [(key, seq, json.loads(record)) for key, seq, record in rows]

    def _flush(self) -> None:
        changes = self._pending_changes
        if changes:
            for key, seq, record in [changes.popleft() for _ in range(len(changes))]:
                if record is None:
                    self._db.execute("DELETE FROM pending WHERE key = ?", (key,))
                else:
                    self._db.execute("INSERT OR REPLACE INTO pending (key, seq, record) VALUES (?, ?, ?)",
                                     (key, seq, record))
        if self._pending:
            pending = self._pending
            taken = [pending.popleft() for _ in range(len(pending))]  # one made meanwhile waits for the next
            self._db.executemany("INSERT INTO deliveries (target_id, arn, payload, time) VALUES (?, ?, ?, ?)",
                                 taken)

    def flush(self) -> None:
        """Write the deliveries and pending retries kept so far."""
        with self._lock, self._transaction():
            self._flush()

    @property
    def unwritten(self) -> bool:
        """Whether changes to the pending retries wait to be written (the inbox writes them soon)."""
        return bool(self._pending_changes)

    def deliveries(self, arn: str | None = None, limit: int = 10_000) -> list[dict[str, Any]]:
        query = "SELECT target_id, arn, payload, time FROM deliveries"
        args: tuple[object, ...] = ()
        if arn is not None:
            query += " WHERE arn = ?"
            args = (arn,)
        query += " ORDER BY seq DESC LIMIT ?"
        with self._lock:
            self._flush()
            rows = self._db.execute(query, (*args, limit)).fetchall()
        return [{"targetId": t, "arn": a, "payload": json.loads(p), "time": _iso(w)} for t, a, p, w in reversed(rows)]

    def dead_letters(self, limit: int = 100, seq: int | None = None) -> list[dict[str, Any]]:
        """The latest dead letters (deliveries to a target's dead-letter queue), newest last, each with its
        ``seq``; only the one numbered ``seq`` when given."""
        query = "SELECT seq, target_id, arn, payload, time FROM deliveries WHERE target_id LIKE '%:dead-letter'"
        args: tuple[object, ...] = ()
        if seq is not None:
            query += " AND seq = ?"
            args = (seq,)
        with self._lock:
            self._flush()
            rows = self._db.execute(query + " ORDER BY seq DESC LIMIT ?", (*args, limit)).fetchall()
        return [{"seq": s, "targetId": t, "arn": a, "payload": json.loads(p), "time": _iso(w)}
                for s, t, a, p, w in reversed(rows)]

    def close(self) -> None:
        with self._lock:
            self._flush()
            self._db.close()
            self._closed = True


__all__ = ["SNAPSHOT", "LogEntry", "State"]
