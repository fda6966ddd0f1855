"""Tail-tolerant calls: attempt deadlines that follow the server's latency, and hedged re-sends.

Why: a server that stops answering without closing the socket (an overloaded vLLM, a load
balancer that dropped the backend) gives the client no error; with only a fixed timeout each
such call holds a slot for the whole `--timeout`, and a retried call can hang again. A healthy
server's latency is known from the calls it just answered, so an attempt far slower than that
is almost surely lost:

- after `hedge_multiplier` x the recent p95 latency (at least `min_hedge_s`), a second copy of
  the call is sent while the first keeps running, and another if that copy is slow too (at
  most three copies in flight); whichever answers first is used and the others are cancelled,
  so a late answer can never be counted twice;
- after `deadline_multiplier` x p95 (never less than `min_deadline_s`, never more than the
  hard `--timeout`) an attempt is abandoned and counts as a transient failure.

Until `min_samples` calls have answered, the only deadline is `--timeout`; the wait is
re-evaluated as answers arrive, so a call that hung before the server's latency was known is
still cut once it is. A call makes at most `--max-retries` attempts (the first send and its
retries after failures) and at most as many hedges, so it never sends more than twice that.
Hedges do not use up attempts: a hedge that races a hung attempt is the cure, and charging it
would make a call give up sooner the more its server hangs.
Concurrency bounds first attempts and retries; a hedge does not wait for a free slot (a slot
held by a hung attempt is exactly what it routes around), and hedges are rare by construction:
only calls slower than twice the recent p95 get one. `--no-hedge` turns them off (each hedge
of a paid API call may be billed even when its answer is dropped).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..records import CallCounts
from ._retry import BackoffPolicy, Retry

logger = logging.getLogger(__name__)

T = TypeVar("T")
RECHECK_S = 0.25  # how often a wait is re-evaluated while the latency estimate is still forming
MAX_IN_FLIGHT_PER_CALL = 3  # the first attempt and up to two hedges
STALL_S = 0.05  # a wake-up this late means our own event loop was busy


@dataclass(frozen=True)
class TailPolicy:
    hedge: bool = True
    quantile: float = 0.95
    hedge_multiplier: float = 2.0
    min_hedge_s: float = 0.5  # below this a hedge only races scheduling jitter
    deadline_multiplier: float = 6.0
    min_deadline_s: float = 1.0
    min_samples: int = 8
    window: int = 256


class LatencyTracker:
    """Recent latencies of answered attempts; the basis of hedge and deadline times."""

    def __init__(self, policy: TailPolicy):
        self.policy = policy
        self._recent: deque[float] = deque(maxlen=policy.window)

    def observe(self, seconds: float) -> None:
        self._recent.append(seconds)

    def quantile(self) -> float | None:
        if len(self._recent) < self.policy.min_samples:
            return None
        ordered = sorted(self._recent)
        return ordered[min(len(ordered) - 1, int(self.policy.quantile * len(ordered)))]

    def deadline_s(self, cap_s: float) -> float:
        p = self.quantile()
        if p is None:
            return cap_s
        return min(cap_s, max(self.policy.min_deadline_s, self.policy.deadline_multiplier * p))

    def hedge_after_s(self, cap_s: float) -> float | None:
        p = self.quantile()
        if p is None or not self.policy.hedge:
            return None
        return min(cap_s, max(self.policy.min_hedge_s, self.policy.hedge_multiplier * p))


class PrioritySlots:
    """A semaphore whose waiters are served by priority, then in arrival order.

    Why: a call that is already under way (a transport retry, a judge's parse retry) should not
    queue behind every first ask still waiting; served first, it finishes while the rest of the
    run is still in flight instead of forming a tail of its own."""

    def __init__(self, size: int):
        self._free = size
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    async def acquire(self, priority: int = 0) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (-priority, next(self._arrivals), granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self.release()  # granted just as the waiter was cancelled: pass the slot on
            raise

    def release(self) -> None:
        while self._waiters:
            _, _, granted = heapq.heappop(self._waiters)
            if not granted.done():  # a cancelled waiter's future is done; skip it
                granted.set_result(None)
                return
        self._free += 1


class NotAdmitted(Exception):
    """The admission check (a spend cap) refused the call's first attempt."""


@dataclass
class _Attempt(Generic[T]):
    task: asyncio.Task[T]
    started: float


class TailCaller:
    """Runs calls for one backend: shared slots, latency estimate, backoff and counters."""

    def __init__(
        self,
        concurrency: int,
        timeout_s: float,
        backoff: BackoffPolicy,
        classify: Callable[[BaseException], Retry | None],
        give_up: Callable[[BaseException, int], BaseException],
        counts: CallCounts,
        policy: TailPolicy | None = None,
    ):
        self.policy = policy or TailPolicy()
        self.tracker = LatencyTracker(self.policy)
        self.timeout_s = timeout_s
        self.backoff = backoff
        self.classify = classify
        self.give_up = give_up
        self.counts = counts
        self.concurrency = max(1, concurrency)
        self._slots: PrioritySlots | None = None
        self._rng = random.Random()

    def _slot(self) -> PrioritySlots:
        if self._slots is None:
            self._slots = PrioritySlots(self.concurrency)
        return self._slots

    def _start(self, send: Callable[[], Awaitable[T]], holds_slot: bool) -> _Attempt[T]:
        """Send now. The slot (if held) is released when the attempt ends in any way, including
        a cancel before it ever ran, hence a done-callback rather than try/finally."""
        self.counts.sent += 1
        task = asyncio.ensure_future(send())
        task.add_done_callback(_retrieve)
        if holds_slot:
            task.add_done_callback(lambda _: self._slot().release())
        return _Attempt(task, asyncio.get_running_loop().time())

    async def _start_in_slot(
        self, send: Callable[[], Awaitable[T]], admit: Callable[[], Awaitable[bool]] | None, priority: int
    ) -> _Attempt[T]:
        """Wait for a free slot, then send; every running attempt has therefore been sent, so
        its deadline is always known to the call that owns it."""
        await self._slot().acquire(priority)
        try:
            if admit is not None and not await admit():
                raise NotAdmitted()
        except BaseException:
            self._slot().release()
            raise
        return self._start(send, holds_slot=True)

    def _hedge_at(self, running: list[_Attempt[T]], hedges: int) -> float | None:
        """When to send the next hedge: the newest attempt is slow too, fewer than
        `MAX_IN_FLIGHT_PER_CALL` copies are out, the call has sent fewer hedges than its attempt
        budget and the latency is known."""
        after = self.tracker.hedge_after_s(self.timeout_s)
        if after is None or not running or len(running) >= MAX_IN_FLIGHT_PER_CALL:
            return None
        return running[-1].started + after if hedges < self.backoff.max_attempts else None

    async def call(
        self,
        send: Callable[[], Awaitable[T]],
        admit: Callable[[], Awaitable[bool]] | None = None,
        priority: int = 0,
    ) -> T:
        """One logical call: the first answer from its attempts, or the give-up error. Its
        retries wait for a slot ahead of every first attempt (`priority` + 1)."""
        loop = asyncio.get_running_loop()
        running: list[_Attempt[T]] = [await self._start_in_slot(send, admit, priority)]
        attempts, hedges, failures = 1, 0, 0
        last: tuple[BaseException, Retry] | None = None
        try:
            while True:
                if not running:
                    assert last is not None
                    if attempts >= self.backoff.max_attempts:
                        raise self.give_up(last[0], attempts + hedges)
                    await asyncio.sleep(self.backoff.delay(failures - 1, last[1], self._rng))
                    running.append(await self._start_in_slot(send, None, priority + 1))
                    self.counts.retries += 1
                    attempts += 1
                now = loop.time()
                deadline = self.tracker.deadline_s(self.timeout_s)
                wake = [a.started + deadline for a in running]
                hedge_at = self._hedge_at(running, hedges)
                if hedge_at is not None:
                    wake.append(hedge_at)
                timeout = max(0.0, min(wake) - now)
                if self.tracker.quantile() is None:
                    timeout = min(timeout, RECHECK_S)
                done, _ = await asyncio.wait(
                    [a.task for a in running], timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                if not done and loop.time() - (now + timeout) > STALL_S:
                    # this process, not the server, was late (a busy loop or CPU): answers may be
                    # sitting unread, so let them be read before blaming the server
                    done, _ = await asyncio.wait(
                        [a.task for a in running], timeout=STALL_S, return_when=asyncio.FIRST_COMPLETED
                    )
                for attempt in [a for a in running if a.task in done]:
                    running.remove(attempt)
                    error = attempt.task.exception()
                    if error is None:
                        self.tracker.observe(loop.time() - attempt.started)
                        return attempt.task.result()
                    retry = self.classify(error)
                    if retry is None:
                        raise error
                    failures, last = failures + 1, (error, retry)
                    logger.info("transient failure (%s) on attempt %d", retry.reason, attempts)
                now = loop.time()
                deadline = self.tracker.deadline_s(self.timeout_s)
                for attempt in [a for a in running if now - a.started >= deadline]:
                    running.remove(attempt)
                    attempt.task.cancel()
                    self.counts.abandoned += 1
                    lost = TimeoutError(f"no answer in {deadline:.2f} s")
                    failures, last = failures + 1, (lost, Retry("deadline"))
                    logger.info("attempt abandoned after %.2fs (deadline from recent latency)", deadline)
                hedge_at = self._hedge_at(running, hedges)
                if hedge_at is not None and now >= hedge_at:
                    running.append(self._start(send, holds_slot=False))
                    self.counts.hedges += 1
                    hedges += 1
        finally:
            for attempt in running:
                attempt.task.cancel()


def _retrieve(task: asyncio.Task[object]) -> None:
    """Mark a finished attempt's error as seen (a losing or cancelled attempt is not a failure)."""
    if not task.cancelled():
        task.exception()
