"""The timeout layer: first *useful* token, then the total deadline, on loop time.

Timeouts cancel the reading task at the deadline rather than spawning a task per read: a timed-out
read cancels the adapter's generator, which closes its connection. Each function arms one timer
for all its reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

from routecore.completion import Delta
from routecore.provider_errors import ContentPolicyRefusal, FirstTokenTimeout, TotalTimeout
from routecore.resilience.attempt_timer import AttemptTimer, withdraw_ours


async def until_useful(gen: AsyncGenerator[Delta, None], first_token_at: float,
                       model: str, timer: AttemptTimer | None = None) -> list[Delta]:
    """Read until the first content/tool-call delta and return everything read so far (ending
    with it). A stream that ends without one is returned whole (an empty answer), unless it ended
    as a refusal, which is a failure the fallback layer can route around.

    ``timer``: armed by the caller at ``first_token_at``, for ``drain`` to reuse: it stays armed
    when the head is returned and is closed on any failure. Without one (a hedge race reads its
    heads in their own tasks), the read gets a timer of its own, closed on return."""
    if timer is not None:
        return await _read_head(gen, timer, model)
    own = AttemptTimer(asyncio.get_running_loop(), first_token_at)
    try:
        return await _read_head(gen, own, model)
    finally:
        own.close()


async def _read_head(gen: AsyncGenerator[Delta, None], timer: AttemptTimer,
                     model: str) -> list[Delta]:
    head: list[Delta] = []
    ok = False
    try:
        timer.start_read()
        try:
            async for d in gen:
                head.append(d)
                if d.useful:
                    break
        except asyncio.CancelledError:
            if timer.end_read():
                raise FirstTokenTimeout("no useful token before the first-token timeout",
                                        model=model) from None
            raise
        finally:
            timer.end_read()  # no-op after the line above
        if any(d.finish_reason == "content_filter" for d in head):
            raise ContentPolicyRefusal("refused by the provider's content filter", model=model)
        ok = True
        return head
    finally:
        if not ok:
            timer.close()


class _StreamDeadline:
    """One timer for a whole stream instead of one per read (a uvloop timer costs ~4-6 µs to arm
    and disarm, and a stream has a read per delta). The caller's code runs between our reads, so
    the timer may only cancel the task while a read is in progress; otherwise it marks the
    deadline passed and the next read fails at once."""

    __slots__ = ("_handle", "cancelling", "expired", "reading")

    def __init__(self, deadline_at: float) -> None:
        self.expired = False
        self.reading: asyncio.Task[Any] | None = None
        self.cancelling = 0
        self._handle = asyncio.get_running_loop().call_at(deadline_at, self._fire)

    def _fire(self) -> None:
        self.expired = True
        if self.reading is not None:
            self.reading.cancel()

    def start_read(self) -> None:
        task = asyncio.current_task()
        self.reading = task
        # Cancellations already pending at the read (3.11+ counts them; 3.10 does not).
        self.cancelling = getattr(task, "cancelling", lambda: 0)()

    def took_back(self) -> bool:
        """With a CancelledError in hand: True if it was only ours (withdrawn), as asyncio.timeout."""
        if not self.expired or self.reading is None:
            return False
        return withdraw_ours(self.reading, self.cancelling)

    def close(self) -> None:
        self._handle.cancel()


async def follow(gen: AsyncGenerator[Delta, None], deadline_at: float,
                 model: str) -> AsyncIterator[Delta]:
    """Continue a committed stream, bounding every read by the call's deadline."""
    deadline = _StreamDeadline(deadline_at)
    try:
        while True:
            if deadline.expired:
                raise TotalTimeout("deadline passed while streaming", model=model)
            deadline.start_read()
            try:
                d = await anext(gen)
            except StopAsyncIteration:
                return
            except asyncio.CancelledError:
                if deadline.took_back():
                    raise TotalTimeout("deadline passed while streaming", model=model) from None
                raise
            finally:
                deadline.reading = None
            yield d
    finally:
        deadline.close()


async def drain(gen: AsyncGenerator[Delta, None], deadline_at: float, model: str,
                sink: Callable[[Delta], None], timer: AttemptTimer | None = None) -> None:
    """Read a committed stream to its end in this task under one timer (``follow`` needs a timer
    per read because its caller runs between reads; here nobody does, so one suffices).
    ``timer``: the one ``until_useful`` read the head under, now for ``deadline_at``; else a new
    one. Closed here."""
    if timer is None:
        timer = AttemptTimer(asyncio.get_running_loop(), deadline_at)
    else:
        timer.then(deadline_at)
    try:
        timer.start_read()
        try:
            async for d in gen:
                sink(d)
        except asyncio.CancelledError:
            if timer.end_read():
                raise TotalTimeout("deadline passed while streaming", model=model) from None
            raise
        finally:
            timer.end_read()
    finally:
        timer.close()
