"""One loop timer for an attempt read to its end in one task: the first-token deadline, then
the call's total deadline.

``Dispatcher.complete`` reads an attempt's head (``until_useful``) and then the rest (``drain``)
in the same task. Two ``asyncio.timeout_at`` cost two timers, two ``current_task()`` lookups
and four coroutine steps per request (~5 µs under uvloop). This timer is armed once, at the
first-token deadline; if it fires after the attempt committed, it re-arms itself at the total
deadline (an answer that streams past the first-token timeout: rare), otherwise it ends there.
It is also the one timer of every other head read (a hedge race's, in its own task) and drain,
so `timeouts.py` has one timeout mechanism, not this one beside ``asyncio.timeout_at``.

It cancels the task only while a read is in progress (``reading``), as ``asyncio.timeout_at``
would; fired between reads it only marks itself expired, so a timer the caller forgot to close
is harmless. A cancellation it caused is withdrawn (``uncancel``) when the read ends, and only
then reported as the timeout, exactly as ``asyncio.Timeout`` decides it.
"""

from __future__ import annotations

import asyncio
from typing import Any


def withdraw_ours(task: asyncio.Task[Any], cancelling_before: int) -> bool:
    """Withdraw the cancellation our timer sent ``task`` (3.11+ counts them); True if no other
    cancellation is left pending, so the CancelledError in hand is the timeout, as
    ``asyncio.Timeout`` decides it. ``cancelling_before``: the count when the read started."""
    uncancel = getattr(task, "uncancel", None)
    return uncancel is None or uncancel() <= cancelling_before


class AttemptTimer:
    __slots__ = ("_at", "_cancelling", "_fired", "_handle", "_loop", "_task", "_then", "expired",
                 "reading")

    def __init__(self, loop: asyncio.AbstractEventLoop, first_token_at: float) -> None:
        task = asyncio.current_task(loop)
        if task is None:
            raise RuntimeError("AttemptTimer needs a running task")
        self._loop = loop
        self._task: asyncio.Task[Any] = task
        self._at = first_token_at
        self._then: float | None = None  # the total deadline, once the attempt committed
        self._cancelling = 0
        self._fired = False  # we cancelled the task during the current read
        self.expired = False
        self.reading = False
        self._handle: asyncio.TimerHandle | None = loop.call_at(first_token_at, self._fire)

    def then(self, deadline_at: float) -> None:
        """The attempt committed: from here on the timer stands for the total deadline."""
        if self.expired:
            # It fired during the head's read and the read got its token all the same: the
            # total deadline gets a timer of its own, as a fresh ``timeout_at`` would.
            self.expired = False
            self._at = deadline_at
            self._handle = self._loop.call_at(deadline_at, self._fire)
        else:
            self._then = deadline_at

    def _fire(self) -> None:
        self._handle = None
        then = self._then
        if then is not None and then > self._at:
            self._at, self._then = then, None
            self._handle = self._loop.call_at(then, self._fire)
            return
        self.expired = True
        if self.reading:
            self._fired = True
            self._task.cancel()

    def start_read(self) -> None:
        self.reading = True
        # Cancellations already pending at the read (3.11+ counts them; 3.10 does not).
        self._cancelling = getattr(self._task, "cancelling", lambda: 0)()

    def end_read(self) -> bool:
        """The read ended (any way). True if our expiry cancelled it: with a CancelledError in
        hand, that error is the timeout, unless someone else cancelled the task too."""
        self.reading = False
        if not self._fired:
            return False
        self._fired = False
        return withdraw_ours(self._task, self._cancelling)

    def close(self) -> None:
        self.reading = False
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


__all__ = ["AttemptTimer", "withdraw_ours"]
