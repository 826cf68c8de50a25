"""Delivery: calling a target, retries with backoff on the bus's clock, timeouts, dead letters.

Delivery is at least once. A target is called with its payload (see
:meth:`eventmatch.bus.targets.Target.payload`). If it raises (or outlives its
``timeout``), the delivery is retried with exponential backoff and full jitter
on the clock until the target's RetryPolicy is exhausted; then it goes to the
target's dead-letter callable with AWS's attributes.
:class:`~eventmatch.bus.targets.PermanentDeliveryError` skips the retries.
Retries wait in a heap ordered by due time; the bridge runs them as the clock
reaches them.

One engine delivers for both services: a rule's event to a target (:class:`Delivery`) and an EventBridge
Scheduler invocation (``eventmatch.scheduler``'s ``Invocation``) are each a :class:`Job`, which says what
its payload is, where its metrics go, what its dead letter carries and where its retries are kept.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import heapq
import itertools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from .clock import Clock
from .entries import iso_seconds
from .metrics import Metrics
from .retry import retry_delay
from .targets import PermanentDeliveryError, RetriableDeliveryError
from .transform import NotDelivered

if TYPE_CHECKING:
    from .registry import Rule
    from .targets import Target
    from .tickets import Ticket

#: worker threads for synchronous targets that have a Timeout (see DeliveryEngine.run_with_timeout)
TARGET_WORKERS = 32


class Job:
    """One payload on its way to one target, as the engine sees it (``attempt`` 0 first, then each retry;
    ``ingested``: when its age starts, for MaximumEventAgeInSeconds)."""

    target: Target
    ingested: datetime
    attempt: int

    def payload(self) -> Any:
        """What the target is called with (NotDelivered when AWS would drop it)."""
        raise NotImplementedError

    def count(self, metrics: Metrics, metric: str) -> None:
        """Count one of EventBridge's delivery metrics (InvocationAttempts...) for this job."""

    def started(self, metrics: Metrics, milliseconds: float) -> None:
        """The first attempt started ``milliseconds`` after ingestion."""

    def dead_letter_attributes(self, code: str, message: str, retriable: bool) -> dict[str, Any]:
        """What the dead letter carries besides the payload, as the service's own attributes."""
        raise NotImplementedError

    def again(self) -> Job:
        """The next attempt."""
        raise NotImplementedError

    def waiting(self, journal: RetryJournal | None, due: datetime) -> None:
        """Its next attempt waits until ``due``: kept where a restart finds it."""

    def over(self, journal: RetryJournal | None) -> None:
        """It is final: delivered, dead-lettered, or dropped."""

    def attempted(self, error: str | None) -> None:
        """One attempt was made: None when it succeeded, else why it failed."""


@dataclass
class Delivery(Job):
    """One event on its way to one target of one rule."""

    rule: Rule
    target: Target
    event: dict[str, Any]
    ingested: datetime
    attempt: int = 0
    ticket: Ticket | None = None

    def payload(self) -> Any:
        rule = self.rule
        return self.target.payload(self.event, rule.name, rule.arn, iso_seconds(self.ingested))

    def count(self, metrics: Metrics, metric: str) -> None:
        metrics.count(self.rule.bus, self.rule.name, metric)

    def started(self, metrics: Metrics, milliseconds: float) -> None:
        metrics.observe(self.rule.bus, self.rule.name, "IngestionToInvocationStartLatency", milliseconds)

    def dead_letter_attributes(self, code: str, message: str, retriable: bool) -> dict[str, Any]:
        policy = self.target.retry
        attributes: dict[str, Any] = {"RULE_ARN": self.rule.arn, "TARGET_ARN": self.target.arn, "ERROR_CODE": code,
                                      "ERROR_MESSAGE": message, "RETRY_ATTEMPTS": self.attempt}
        if retriable:
            attributes["EXHAUSTED_RETRY_CONDITION"] = (
                "MaximumRetryAttempts" if self.attempt >= policy.maximum_retry_attempts else "MaximumEventAgeInSeconds")
        return attributes

    def again(self) -> Delivery:
        return Delivery(self.rule, self.target, self.event, self.ingested, self.attempt + 1, self.ticket)

    def waiting(self, journal: RetryJournal | None, due: datetime) -> None:
        ticket = self.ticket
        if ticket is not None and ticket.key is not None and journal is not None:
            journal.waiting(ticket.key, (self.rule.bus, self.rule.name), self.target.id, self.attempt, due,
                            self.ingested)

    def over(self, journal: RetryJournal | None) -> None:
        ticket = self.ticket
        if ticket is not None:
            if self.attempt and ticket.key is not None and journal is not None:
                journal.settled(ticket.key, (self.rule.bus, self.rule.name), self.target.id)
            ticket.release()


class RetryJournal(Protocol):
    """Where the retries of deliveries kept durably (their ticket has a ``key``) are written, so that a
    restart resumes each at its attempt and due time instead of starting it again (the server's state)."""

    def waiting(self, key: int, rule: tuple[str, str], target_id: str, attempt: int, due: datetime,
                ingested: datetime) -> None:
        """A delivery of the event numbered ``key`` waits for its retry number ``attempt``, due at ``due``."""

    def settled(self, key: int, rule: tuple[str, str], target_id: str) -> None:
        """That delivery is final (delivered, dead-lettered or dropped)."""


#: a retry resumed after a restart, by (event's key, (bus, rule), target id): (attempt, due, ingested)
Resumed = dict[tuple[int, tuple[str, str], str], tuple[int, datetime, datetime]]


class DeliveryEngine:
    """Calls targets, schedules retries, sends dead letters, and keeps the metrics of all of it."""

    def __init__(self, clock: Clock, metrics: Metrics, seed: int | None = None) -> None:
        self.clock = clock
        self.metrics = metrics
        self._pending: list[tuple[datetime, int, Job]] = []
        self._seq = itertools.count()
        self._pending_lock = threading.Lock()
        self._random = random.Random(seed)
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._pool_hung = 0  # the current pool's workers held by calls past their timeout
        #: synchronous target calls still running past their Timeout when the bus gave up waiting
        self.hung_target_calls = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        #: the workers of targets with a lane (see Target.lane)
        self.lanes = Lanes()
        #: where the retries of durable deliveries are written (see RetryJournal), or None
        self.journal: RetryJournal | None = None
        #: the retries a restart resumes (see Resumed): a first delivery that has one waits for it instead
        self.resumed: Resumed = {}

    # -- one delivery ----------------------------------------------------------------------
    def _started(self, d: Job) -> Any:
        """Count the attempt and work out the payload; NotDelivered when AWS would drop it."""
        if d.attempt == 0:
            d.count(self.metrics, "InvocationsCreated")
        try:
            payload = d.payload()
        except NotDelivered:
            d.count(self.metrics, "FailedInvocations")
            raise
        if d.attempt == 0:
            d.started(self.metrics, (self.clock.now() - d.ingested).total_seconds() * 1000)
        d.count(self.metrics, "InvocationAttempts")
        return payload

    def _over(self, d: Job) -> None:
        """This delivery is over (delivered, dead-lettered, or dropped as AWS drops it)."""
        d.over(self.journal)

    def _delivered(self, d: Job) -> None:
        d.count(self.metrics, "Invocations")
        d.attempted(None)
        d.over(self.journal)

    def dispatch(self, d: Job) -> None:
        """Deliver: on the target's lane when it has one (a worker of its own), else now, on this thread; or
        wait for the retry it was waiting for before a restart (see ``resumed``)."""
        if self.resumed and isinstance(d, Delivery) and d.ticket is not None and d.ticket.key is not None:
            resumed = self.resumed.pop((d.ticket.key, (d.rule.bus, d.rule.name), d.target.id), None)
            if resumed is not None:
                attempt, due, ingested = resumed
                self.retry_at(Delivery(d.rule, d.target, d.event, ingested, attempt, d.ticket), due)
                return
        if d.target.lane is None:
            self.deliver(d)
        else:
            self.lanes.submit(d.target.lane, functools.partial(self.deliver, d))

    def retry_at(self, d: Job, due: datetime) -> None:
        """Queue ``d`` (an attempt after the first) to run when the clock reaches ``due``."""
        with self._pending_lock:
            heapq.heappush(self._pending, (due, next(self._seq), d))

    def deliver(self, d: Job) -> None:
        """Deliver now, on this thread (a coroutine target runs on the engine's event loop)."""
        try:
            payload = self._started(d)
        except NotDelivered:
            self._over(d)
            return
        target = d.target
        try:
            if target.is_async:
                self._run_coroutine(target.invoke_async(payload), target.timeout)
            elif target.timeout is not None:
                self.run_with_timeout(target.invoke, payload, target.timeout)
            else:
                target.invoke(payload)
        except Exception as exc:
            self.failed(d, payload, exc)
        else:
            self._delivered(d)

    async def deliver_async(self, d: Job) -> None:
        """Deliver from a coroutine: coroutine targets are awaited, timed ones run on a thread."""
        target = d.target
        if not target.is_async and target.timeout is None:
            self.deliver(d)
            return
        try:
            payload = self._started(d)
        except NotDelivered:
            self._over(d)
            return
        try:
            if target.is_async:
                await asyncio.wait_for(target.invoke_async(payload), target.timeout)
            else:
                await asyncio.wait_for(asyncio.to_thread(target.invoke, payload), target.timeout)
        except Exception as exc:
            self.failed(d, payload, exc)
        else:
            self._delivered(d)

    # -- failures ------------------------------------------------------------------------
    def failed(self, d: Job, payload: Any, exc: BaseException, *, inline: bool = False) -> None:
        """A call raised ``exc``: retry it later, or give up (dead letter) as the RetryPolicy says.

        ``inline``: the router called the target itself, with no timeout of the engine's, so a
        TimeoutError there is the target's own error, not a TIMEOUT."""
        if isinstance(exc, PermanentDeliveryError):
            self._failed(d, payload, exc.code, str(exc), retriable=False)
        elif isinstance(exc, RetriableDeliveryError):
            self._failed(d, payload, exc.code, str(exc), retriable=True)
        elif not inline and isinstance(exc, TimeoutError):  # concurrent.futures.TimeoutError is this one
            message = f"target {d.target.id} did not finish within {d.target.timeout} s"
            self._failed(d, payload, "TIMEOUT", message, retriable=True)
        else:
            self._failed(d, payload, "TARGET_ERROR", f"{type(exc).__name__}: {exc}", retriable=True)

    def _failed(self, d: Job, payload: Any, code: str, message: str, retriable: bool) -> None:
        d.attempted(message)
        policy = d.target.retry
        now = self.clock.now()
        age = (now - d.ingested).total_seconds()
        delay = retry_delay(d.attempt, policy.maximum_retry_attempts, age, policy.maximum_event_age_seconds,
                            self._random)
        if retriable and delay is not None:
            d.count(self.metrics, "RetryInvocationAttempts")
            retry = d.again()
            due = now + timedelta(seconds=delay)
            retry.waiting(self.journal, due)
            self.retry_at(retry, due)
            return
        try:
            self._give_up(d, payload, code, message, retriable)
        finally:
            d.over(self.journal)

    def _give_up(self, d: Job, payload: Any, code: str, message: str, retriable: bool) -> None:
        d.count(self.metrics, "Invocations")
        d.count(self.metrics, "FailedInvocations")
        if d.target.dead_letter is None:
            return
        try:
            d.target.dead_letter(payload, d.dead_letter_attributes(code, message, retriable))
        except Exception:
            d.count(self.metrics, "InvocationsFailedToBeSentToDlq")
        else:
            d.count(self.metrics, "DeadLetterInvocations")
            d.count(self.metrics, "InvocationsSentToDlq")

    # -- retries waiting on the clock ---------------------------------------------------------
    def pending(self) -> int:
        """Deliveries waiting for a retry."""
        return len(self._pending)

    def next_retry(self, now: datetime) -> tuple[datetime, Callable[[], None]] | None:
        """The earliest retry due by ``now``, as (due time, the action that runs it), or None."""
        with self._pending_lock:
            if self._pending and self._pending[0][0] <= now:
                when, _, d = self._pending[0]
                return when, lambda: self.dispatch(self._pop(d))
        return None

    def _pop(self, d: Job) -> Job:
        with self._pending_lock:
            heapq.heappop(self._pending)
        return d

    # -- how targets are run ----------------------------------------------------------------
    def run_with_timeout(self, fn: Callable[[Any], Any], payload: Any, timeout: float) -> None:
        """Call a synchronous target on a worker thread and wait up to ``timeout`` seconds.

        Past the timeout, a call still waiting for a worker is cancelled (it never runs, so a retry is
        not doubled by a late first attempt); one already running cannot be stopped (Python cannot kill
        a thread) and keeps its worker. So that hung targets do not take every worker, once half of a
        pool's workers are held by calls past their timeout the engine starts a new pool for the calls
        that follow, leaving the old one to its hung calls (``hung_target_calls`` counts them).
        """
        with self._pool_lock:  # (submitted under the lock: another thread may retire this pool next)
            pool = self._pool
            if pool is None:
                pool = self._pool = concurrent.futures.ThreadPoolExecutor(
                    max_workers=TARGET_WORKERS, thread_name_prefix="eventmatch-target"
                )
                self._pool_hung = 0
            future = pool.submit(fn, payload)
        try:
            future.result(timeout)
        except concurrent.futures.TimeoutError:
            if not future.cancel():  # running: it holds its worker until it returns
                with self._pool_lock:
                    self.hung_target_calls += 1
                    if self._pool is pool:
                        self._pool_hung += 1
                        if self._pool_hung >= TARGET_WORKERS // 2:
                            self._pool = None  # the next call starts a new pool
                            pool.shutdown(wait=False)  # its threads end as their calls return
            raise

    def _run_coroutine(self, coro: Any, timeout: float | None) -> None:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="eventmatch-async-targets", daemon=True).start()
            self._loop = loop
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def stop(self) -> None:
        """Stop the worker threads of timed targets and lanes, and the event loop of coroutine targets."""
        self.lanes.stop()
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop = None


class Lanes:
    """One worker thread per lane, running that lane's deliveries in order, one at a time: a target that is
    slow, never answers or waits for its rate limit delays only its own lane. A worker ends after
    ``LANE_IDLE`` seconds without work (and starts again with the next delivery)."""

    def __init__(self) -> None:
        self._queues: dict[str, list[Callable[[], None]]] = {}
        self._ready = threading.Condition()
        self._running = 0  # deliveries taken by a worker and not finished
        self._stopped = False

    def submit(self, lane: str, job: Callable[[], None]) -> None:
        """Run ``job`` (a delivery, with its own handling of failure) on ``lane``'s worker, after the lane's
        earlier jobs."""
        with self._ready:
            queued = self._queues.get(lane)
            if queued is None:
                self._queues[lane] = [job]
                threading.Thread(target=self._work, args=(lane,), name=f"eventmatch-lane-{lane[:40]}",
                                 daemon=True).start()
            else:
                queued.append(job)
                self._ready.notify_all()

    def _work(self, lane: str) -> None:
        while True:
            with self._ready:
                queued = self._queues.get(lane)
                deadline = time.monotonic() + LANE_IDLE
                while queued is not None and not queued and not self._stopped:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        del self._queues[lane]  # idle: the next delivery starts a new worker
                        return
                    self._ready.wait(left)
                if queued is None or self._stopped:
                    return
                job = queued.pop(0)
                self._running += 1
            try:
                job()
            finally:
                with self._ready:
                    self._running -= 1
                    self._ready.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no lane has work (True), or ``timeout`` seconds (False)."""
        deadline = time.monotonic() + timeout
        with self._ready:
            while self._running or any(self._queues.values()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._ready.wait(min(left, 0.05))
        return True

    def stop(self) -> None:
        with self._ready:
            self._stopped = True
            self._ready.notify_all()


#: seconds a lane's worker waits for more work before it ends
LANE_IDLE = 30.0

__all__ = ["LANE_IDLE", "TARGET_WORKERS", "Delivery", "DeliveryEngine", "Job", "Lanes", "Resumed", "RetryJournal"]
