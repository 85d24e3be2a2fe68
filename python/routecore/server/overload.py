"""Bounded work: at most ``max_in_flight`` requests run, at most ``max_queue`` wait (FIFO) for
a slot, and none waits longer than ``queue_timeout_ms`` or half its own deadline. Anything else
gets a 503 with Retry-After at once: a fast, honest refusal beats a silent queue whose p99 grows
to seconds (what LiteLLM's proxy does at 3× capacity)."""

from __future__ import annotations

import asyncio
from collections import deque

from routecore.server.errors import ApiError


class Admission:
    def __init__(self, max_in_flight: int, max_queue: int, queue_timeout_ms: float,
                 retry_after_s: float) -> None:
        self.max_in_flight = max_in_flight
        self.max_queue = max_queue
        self.queue_timeout_s = queue_timeout_ms / 1000.0
        self.retry_after_s = retry_after_s
        self.in_flight = 0
        self.rejected = 0
        self.draining = False
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @property
    def saturated(self) -> bool:
        return self.in_flight >= self.max_in_flight and len(self._waiters) >= self.max_queue

    def _refuse(self, why: str) -> ApiError:
        self.rejected += 1
        return ApiError(503, "overloaded", f"The gateway is {why}; retry after {self.retry_after_s:.0f} s "
                        "(or send to another replica).", retry_after_s=self.retry_after_s)

    async def acquire(self, deadline_ms: float | None) -> None:
        if self.draining:
            raise self._refuse("shutting down")
        if self.in_flight < self.max_in_flight and not self._waiters:
            self.in_flight += 1
            return
        if len(self._waiters) >= self.max_queue:
            raise self._refuse("at capacity")
        wait_s = self.queue_timeout_s
        if deadline_ms is not None:
            # Spend at most half the caller's deadline queueing: the rest is for the provider.
            wait_s = min(wait_s, deadline_ms / 2000.0)
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await asyncio.wait_for(fut, wait_s)
        except (asyncio.TimeoutError, asyncio.CancelledError) as exc:
            if fut.done() and not fut.cancelled():
                self.release()  # the slot was handed over just as we gave up: pass it on
            elif fut in self._waiters:
                self._waiters.remove(fut)
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise self._refuse("at capacity (no slot within the queue timeout)") from None
        # The releasing request handed its slot to us: in_flight was not decremented.

    def release(self) -> None:
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return
        self.in_flight -= 1
