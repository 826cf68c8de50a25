"""One event bus carried by Redis Streams across processes and machines, at least once.

Producers call :meth:`RedisTransport.put_events` (AWS's PutEvents contract)
or :meth:`RedisTransport.publish`; each event is appended to its bus's stream
(``{namespace}:stream:{bus}``, or ``...:{bus}:{shard}`` with ``shards > 1``).
Workers (:meth:`RedisTransport.worker`) in any number of processes read the
streams through one consumer group, route each event through the shared
rules to their local target callables (handlers, by name), and acknowledge an
entry only when every delivery of its event is over: delivered, or
dead-lettered after its retries. An entry whose worker died stays pending and
is claimed by another worker (XAUTOCLAIM) once it has been idle for the
visibility timeout; a live worker keeps claiming its own in-flight entries,
so a long retry is not taken from it.

The rules live in Redis as one JSON document with a version number, written
in one transaction (:meth:`RedisTransport.put_rules`) after being validated
with the bus's own checks; every worker applies a new version between
batches, as a whole. The streams are the archive: :meth:`events` reads a time
range back, and :meth:`replay` re-appends it with ``replay-name`` set.

Delivery is at least once: an event can reach a target twice when a worker
dies after delivering it and before acknowledging it.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
import redis

from ..bus import EventBridge, PermanentDeliveryError, Ticket
from ..bus.entries import accept_entries
from ..errors import EventmatchError, InvalidEventError, ValidationError
from ..event import TOO_DEEP
from .rules import Handler, RulesDocument, build_bridge, validate_rules

#: Redis errors after which a worker reconnects and goes on (a restart, a failover, a network blip)
TRANSIENT = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, redis.exceptions.BusyLoadingError)

class RedisTransport:
    """Streams, the consumer group and the shared rules of one bus namespace in one Redis."""

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        namespace: str = "eventmatch",
        group: str = "workers",
        shards: int = 1,
        shard_key: Callable[[Mapping[str, Any]], str] | None = None,
        visibility_timeout: float = 30.0,
        retention_seconds: float | None = None,
        account: str = "123456789012",
        region: str = "us-east-1",
    ) -> None:
        if not isinstance(shards, int) or shards < 1:
            raise ValidationError("shards must be a positive integer.")
        if not visibility_timeout > 0:
            raise ValidationError("visibility_timeout must be positive (seconds).")
        self.url = url
        self.namespace = namespace
        self.group = group
        self.shards = shards
        self.shard_key = shard_key or (lambda event: str(event.get("id", "")))
        self.visibility_timeout = visibility_timeout
        self.retention_seconds = retention_seconds
        self.account = account
        self.region = region
        # redis-py's annotations disagree with what it returns (bytes or str per call); treat replies as data
        self.redis: Any = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)

    def __repr__(self) -> str:
        return f"<RedisTransport {self.url} namespace={self.namespace!r} group={self.group!r} shards={self.shards}>"

    # -- keys ----------------------------------------------------------------------------
    def streams(self, bus: str = "default") -> list[str]:
        base = f"{self.namespace}:stream:{bus}"
        return [base] if self.shards == 1 else [f"{base}:{i}" for i in range(self.shards)]

    def _stream_for(self, bus: str, event: Mapping[str, Any]) -> str:
        streams = self.streams(bus)
        if len(streams) == 1:
            return streams[0]
        return streams[zlib.crc32(self.shard_key(event).encode("utf-8")) % len(streams)]

    @property
    def rules_key(self) -> str:
        """The hash that holds the rules document and its version."""
        return f"{self.namespace}:rules"

    @property
    def counts_key(self) -> str:
        """The hash of counters (published, acknowledged, reclaimed, undeliverable)."""
        return f"{self.namespace}:counts"

    # -- rules -----------------------------------------------------------------------------
    def put_rules(self, document: Mapping[str, Any]) -> int:
        """Validate and store the rules document as the next version (one transaction); returns the version."""
        normalised = validate_rules(document)
        text = json.dumps(normalised)
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(self.rules_key, "version", 1)
            pipe.hset(self.rules_key, "document", text)
            version, _ = pipe.execute()
        for bus in normalised["buses"]:
            self.ensure_group(bus)
        return int(version)

    def rules(self) -> RulesDocument:
        """The current rules document (version 0 and no rules when none was stored)."""
        version, text = self.redis.hmget(self.rules_key, ["version", "document"])
        if text is None:
            return RulesDocument(0, {"buses": ["default"], "rules": []})
        return RulesDocument(int(version or 0), json.loads(text))

    def ensure_group(self, bus: str) -> None:
        """Create the consumer group on the bus's streams (and the streams), if not there yet."""
        for stream in self.streams(bus):
            try:
                self.redis.xgroup_create(stream, self.group, id="0", mkstream=True)
            except redis.exceptions.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    # -- producing -------------------------------------------------------------------------
    def put_events(self, entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """PutEvents: AWS's validation and response; valid entries are appended in one transaction."""
        response, accepted, _ = accept_entries(entries, self.account, self.region, datetime.now(UTC))
        if accepted:
            with self.redis.pipeline(transaction=True) as pipe:
                for bus, event in accepted:
                    self._append(pipe, bus, event)
                pipe.hincrby(self.counts_key, "published", len(accepted))
                pipe.execute()
        return response

    def publish(self, event: Mapping[str, Any], bus: str = "default") -> str:
        """Append an already-built event to ``bus``; returns its stream entry id."""
        if not isinstance(event, Mapping):
            raise ValidationError("An event must be a mapping (a JSON object).")
        with self.redis.pipeline(transaction=True) as pipe:
            self._append(pipe, bus, event)
            pipe.hincrby(self.counts_key, "published", 1)
            entry_id = pipe.execute()[0]
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    def publish_many(self, events: Iterable[Mapping[str, Any]], bus: str = "default", chunk: int = 1000) -> int:
        """Append many already-built events, ``chunk`` per round trip; returns how many.

        Every event is checked and encoded before any is appended, so a bad one (not a mapping, not JSON)
        raises with its position and appends nothing; the encoded events are held in memory meanwhile
        (for more than memory holds, call this once per batch)."""
        if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
            raise ValueError(f"chunk must be a whole number of events of at least 1, not {chunk!r}")
        prepared = []
        for i, event in enumerate(events):
            if not isinstance(event, Mapping):
                kind = type(event).__name__
                raise ValidationError(f"An event must be a mapping (a JSON object); event {i} is {kind}.")
            try:
                prepared.append(self._entry(bus, event))
            except InvalidEventError as error:
                error.add_note(f"event {i} of publish_many(); none was appended")
                raise
        pipe = self.redis.pipeline(transaction=True)  # each chunk and its count land together
        for start in range(0, len(prepared), chunk):
            part = prepared[start : start + chunk]
            for stream, fields, kwargs in part:
                pipe.xadd(stream, fields, **kwargs)
            pipe.hincrby(self.counts_key, "published", len(part))
            pipe.execute()
        return len(prepared)

    def _append(self, pipe: Any, bus: str, event: Mapping[str, Any], only: Sequence[str] | None = None) -> None:
        stream, fields, kwargs = self._entry(bus, event, only)
        pipe.xadd(stream, fields, **kwargs)

    def _entry(
        self, bus: str, event: Mapping[str, Any], only: Sequence[str] | None = None
    ) -> tuple[str, dict[str, str | bytes], dict[str, Any]]:
        """What XADD appends for an event: its stream, its fields and the trimming arguments."""
        try:
            encoded = _encode(event)
        except RecursionError:
            raise InvalidEventError(TOO_DEEP) from None
        except (TypeError, ValueError, OverflowError) as exc:
            raise InvalidEventError(f"the event is not JSON: {exc}") from None
        fields: dict[str, str | bytes] = {"b": bus, "e": encoded}
        if only is not None:
            fields["r"] = json.dumps(list(only))
        kwargs: dict[str, Any] = {}
        if self.retention_seconds is not None:
            kwargs["minid"] = f"{int((time.time() - self.retention_seconds) * 1000)}-0"
            kwargs["approximate"] = True
        return self._stream_for(bus, event), fields, kwargs

    # -- the archive: the streams themselves -----------------------------------------------
    def events(self, bus: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Events appended to ``bus`` in [start, end), read back from the streams (replays excluded)."""
        low, high = f"{int(start.timestamp() * 1000)}-0", f"({int(end.timestamp() * 1000)}-0"
        found: list[tuple[bytes, dict[str, Any]]] = []
        for stream in self.streams(bus):
            cursor = low
            while True:
                batch = self.redis.xrange(stream, min=cursor, max=high, count=1000)
                for entry_id, fields in batch:
                    event = _decode(fields[b"e"])
                    if "replay-name" not in event:
                        found.append((entry_id, event))
                if len(batch) < 1000:
                    break
                cursor = "(" + batch[-1][0].decode()
        found.sort(key=lambda item: tuple(int(p) for p in item[0].split(b"-")))
        return [event for _, event in found]

    def replay(
        self, name: str, bus: str, start: datetime, end: datetime, rules: Sequence[str] | None = None
    ) -> int:
        """Re-append the events of [start, end) with ``replay-name`` set (to ``rules`` only, when given)."""
        if not start < end:
            raise ValidationError(
                "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime."
            )
        events = self.events(bus, start, end)
        pipe = self.redis.pipeline(transaction=True)
        for event in events:
            self._append(pipe, bus, {**event, "replay-name": name}, only=rules)
        pipe.hincrby(self.counts_key, "published", len(events))
        pipe.execute()
        return len(events)

    # -- observing -------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Counters kept in Redis: published, acknowledged, deliveries, dead letters, reclaimed entries."""
        return {k.decode(): int(v) for k, v in self.redis.hgetall(self.counts_key).items()}

    def pending(self) -> int:
        """Entries read by some worker and not yet acknowledged, over every stream of the current rules' buses."""
        total = 0
        for bus in self.rules().buses:
            for stream in self.streams(bus):
                try:
                    total += int(self.redis.xpending(stream, self.group)["pending"])
                except redis.exceptions.ResponseError:
                    continue
        return total

    def backlog(self) -> int:
        """Entries not yet read by any worker (the group's lag), over every stream of the current rules' buses."""
        total = 0
        for bus in self.rules().buses:
            for stream in self.streams(bus):
                try:
                    groups = self.redis.xinfo_groups(stream)
                except redis.exceptions.ResponseError:
                    continue
                for g in groups:
                    if g["name"].decode() != self.group:
                        continue
                    lag = g.get("lag")
                    if lag is None:  # Redis cannot always tell (after a restart, a trim): count what is unread
                        last = g["last-delivered-id"].decode()
                        lag = len(self.redis.xrange(stream, min=f"({last}", max="+", count=100_000))
                    total += int(lag)
        return total

    def wait_idle(self, timeout: float = 30.0, poll: float = 0.05) -> bool:
        """Wait until every appended entry is acknowledged; True if that happened within ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.backlog() == 0 and self.pending() == 0:
                return True
            time.sleep(poll)
        return False

    def worker(self, handlers: Mapping[str, Handler], name: str | None = None, **options: Any) -> Worker:
        """A worker that delivers to ``handlers`` (the names the rules' targets give)."""
        return Worker(self, handlers, name, **options)


_encode = msgspec.json.Encoder().encode  # exact integers of any size, unlike orjson
_decode = msgspec.json.Decoder().decode
#: XAUTOCLAIM calls a stream per reclaim round, at most (each examines up to ten times the batch size)
RECLAIM_CALLS = 50


class Worker:
    """Reads the streams through the consumer group and delivers; run one per process (or thread)."""

    def __init__(
        self,
        transport: RedisTransport,
        handlers: Mapping[str, Handler],
        name: str | None = None,
        *,
        batch: int = 200,
        block_ms: int = 200,
        rules_check_interval: float = 0.1,
    ) -> None:
        for key, fn in handlers.items():
            if not callable(fn):
                raise ValidationError(f"Handler {key} must be callable.")
        self.transport = transport
        self.handlers = dict(handlers)
        self.name = name or f"{socket.gethostname()}-{os.getpid()}-{threading.get_ident()}"
        self.batch = batch
        self.block_ms = block_ms
        self.rules_check_interval = rules_check_interval
        self.redis: Any = redis.Redis.from_url(transport.url, socket_timeout=max(10, block_ms / 1000 + 5))
        self.bridge: EventBridge | None = None
        self.version = -1
        self._retiring: list[EventBridge] = []  # older rule versions still retrying deliveries
        self._acks: deque[tuple[str, bytes]] = deque()
        self._in_flight: dict[tuple[str, bytes], Ticket] = {}
        self._streams: list[str] = []
        self._last_rules_check = 0.0
        self._last_claim = 0.0
        self._last_heartbeat = 0.0
        self._reclaim_from: dict[str, str] = {}  # stream -> where the XAUTOCLAIM cursor stopped last round
        self.processed = 0

    def __repr__(self) -> str:
        return f"<Worker {self.name} rules v{self.version}, {len(self._in_flight)} in flight>"

    # -- rules -----------------------------------------------------------------------------
    def _handler(self, name: str) -> Handler:
        fn = self.handlers.get(name)
        if fn is not None:
            return fn

        def missing(payload: Any) -> None:
            raise PermanentDeliveryError(f"no handler named {name} on worker {self.name}", "NO_RESOURCE")

        return missing

    def refresh_rules(self, force: bool = False) -> bool:
        """Apply a newer rules version, as a whole; True if one was applied."""
        now = time.monotonic()
        if not force and now - self._last_rules_check < self.rules_check_interval:
            return False
        self._last_rules_check = now
        current = self.redis.hget(self.transport.rules_key, "version")
        version = int(current or 0)
        if version == self.version:
            return False
        text = self.redis.hget(self.transport.rules_key, "document")
        document = json.loads(text) if text else {"buses": ["default"], "rules": []}
        bridge = build_bridge(document, self._handler)  # validated when written; built whole, then swapped
        if self.bridge is not None and self.bridge.pending():
            self._retiring.append(self.bridge)
        self.bridge, self.version = bridge, version
        for bus in document["buses"]:
            self.transport.ensure_group(bus)
        self._streams = [s for bus in document["buses"] for s in self.transport.streams(bus)]
        return True

    # -- the loop --------------------------------------------------------------------------
    def run(self, stop: threading.Event | None = None, max_events: int | None = None) -> int:
        """Process batches until ``stop`` is set (or ``max_events`` were processed); survives Redis restarts."""
        stop = stop or threading.Event()
        backoff = 0.05
        while not stop.is_set() and (max_events is None or self.processed < max_events):
            try:
                self.run_once()
                backoff = 0.05
            except TRANSIENT:
                time.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
        self._drain(timeout=5.0)
        return self.processed

    def run_once(self) -> int:
        """One round: rules, reclaim, heartbeat, read a batch, deliver, acknowledge. Returns entries read."""
        self.refresh_rules()
        now = time.monotonic()
        entries: list[tuple[str, bytes, dict[bytes, bytes]]] = []
        if now - self._last_claim >= self.transport.visibility_timeout / 2:
            self._last_claim = now
            entries += self._reclaim()
        if self._in_flight and now - self._last_heartbeat >= self.transport.visibility_timeout / 3:
            self._heartbeat([])
        if not entries:
            block = self.block_ms if not self._in_flight and not self._acks else 10
            response = self.redis.xreadgroup(
                self.transport.group, self.name, dict.fromkeys(self._streams, ">"), count=self.batch, block=block
            )
            for stream, items in response or ():
                stream_name = stream.decode() if isinstance(stream, bytes) else stream
                entries += [(stream_name, entry_id, fields) for entry_id, fields in items]
        beat = self.transport.visibility_timeout / 3
        for i, (stream, entry_id, fields) in enumerate(entries):
            if time.monotonic() - self._last_heartbeat >= beat:  # a slow batch: keep the rest of it ours
                self._heartbeat([(s, e) for s, e, _ in entries[i:]])
            self._process(stream, entry_id, fields)
        self._run_retries()
        self._flush()
        return len(entries)

    def _process(self, stream: str, entry_id: bytes, fields: dict[bytes, bytes] | None) -> None:
        key = (stream, entry_id)
        if key in self._in_flight:  # already ours and still retrying
            return
        if not fields:  # trimmed away while pending: nothing left to deliver
            self._acks.append(key)
            return
        assert self.bridge is not None
        bus = fields[b"b"].decode()
        only = json.loads(fields[b"r"]) if b"r" in fields else None
        try:
            event = _decode(fields[b"e"])
        except (msgspec.DecodeError, RecursionError):  # not JSON, or too deep to read: nothing can be delivered;
            # counted and acknowledged
            self.redis.hincrby(self.transport.counts_key, "undeliverable", 1)
            self._acks.append(key)
            return
        ticket = Ticket(lambda: self._done(key))
        self._in_flight[key] = ticket
        try:  # route() seals the ticket whatever happens, so the entry is acknowledged when its deliveries end
            self.bridge.route(event, bus, ticket, only)
        except (EventmatchError, ValueError):  # not an object, or a bus this rules version lacks
            self.redis.hincrby(self.transport.counts_key, "undeliverable", 1)
        self.processed += 1

    def _done(self, key: tuple[str, bytes]) -> None:
        self._acks.append(key)

    def _run_retries(self) -> None:
        assert self.bridge is not None
        if self.bridge.pending():
            self.bridge.run_pending()
        for old in list(self._retiring):
            old.run_pending()
            if not old.pending():
                self._retiring.remove(old)

    def _flush(self) -> None:
        if not self._acks:
            return
        taken = [self._acks.popleft() for _ in range(len(self._acks))]
        by_stream: dict[str, list[bytes]] = {}
        for stream, entry_id in taken:
            by_stream.setdefault(stream, []).append(entry_id)
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                for stream, ids in by_stream.items():
                    pipe.xack(stream, self.transport.group, *ids)
                results = pipe.execute()
        except TRANSIENT:
            self._acks.extendleft(reversed(taken))  # acknowledged later, never dropped
            raise
        acked = sum(int(r) for r in results)
        for key in taken:
            self._in_flight.pop(key, None)
        if acked:
            self.redis.hincrby(self.transport.counts_key, "acknowledged", acked)

    def _reclaim(self) -> list[tuple[str, bytes, dict[bytes, bytes]]]:
        """Entries of dead (or stuck) workers, idle past the visibility timeout.

        XAUTOCLAIM examines at most ten times COUNT pending entries a call, and may claim none of them
        while live workers keep older entries fresh: so the cursor is followed to its end (0-0), not
        stopped at the first call that claims nothing. A round makes at most ``RECLAIM_CALLS`` calls a
        stream and the next round goes on from where it stopped, so a huge pending list costs each
        round a bounded time.
        """
        found = []
        idle_ms = int(self.transport.visibility_timeout * 1000)
        for stream in self._streams:
            start = self._reclaim_from.get(stream, "0-0")
            for _ in range(RECLAIM_CALLS):
                response = self.redis.xautoclaim(
                    stream, self.transport.group, self.name, idle_ms, start_id=start, count=self.batch
                )
                next_start, claimed = response[0], response[1]
                deleted = response[2] if len(response) > 2 else []
                found += [(stream, entry_id, fields) for entry_id, fields in claimed]
                found += [(stream, entry_id, {}) for entry_id in deleted]
                start = next_start.decode() if isinstance(next_start, bytes) else str(next_start)
                if start == "0-0" or len(found) >= self.batch * RECLAIM_CALLS:
                    break
            self._reclaim_from[stream] = start
        if found:
            self.redis.hincrby(self.transport.counts_key, "reclaimed", len(found))
        return found

    def _heartbeat(self, held: list[tuple[str, bytes]]) -> None:
        """Reset the idle time of our in-flight and ``held`` (read, not yet processed) entries, so a live
        worker's slow batch or long retries are not claimed by others."""
        self._last_heartbeat = time.monotonic()
        by_stream: dict[str, list[bytes]] = {}
        for stream, entry_id in [*self._in_flight, *held]:
            by_stream.setdefault(stream, []).append(entry_id)
        for stream, ids in by_stream.items():
            self.redis.xclaim(stream, self.transport.group, self.name, 0, ids, justid=True)

    def _drain(self, timeout: float) -> None:
        """On stop: finish due retries and acknowledge what is done; the rest stays pending for others."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self._run_retries()
                self._flush()
                return
            except TRANSIENT:
                time.sleep(0.1)

    def close(self) -> None:
        if self.bridge is not None:
            self.bridge.stop()
        self.redis.close()
