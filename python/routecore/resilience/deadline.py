"""``timeout_at`` on loop time for every supported Python (asyncio has it only from 3.11)."""

from __future__ import annotations

import asyncio
import sys
from types import TracebackType

if sys.version_info >= (3, 11):
    from asyncio import timeout_at
else:  # pragma: no cover - exercised on 3.10 only

    class timeout_at:
        """Cancel the current task at ``when``; surface it as TimeoutError."""

        __slots__ = ("_expired", "_handle", "_task", "_when")

        def __init__(self, when: float) -> None:
            self._when = when
            self._expired = False
            self._handle: asyncio.TimerHandle | None = None
            self._task: asyncio.Task[object] | None = None

        async def __aenter__(self) -> timeout_at:
            self._task = asyncio.current_task()
            self._handle = asyncio.get_running_loop().call_at(self._when, self._fire)
            return self

        def _fire(self) -> None:
            self._expired = True
            if self._task is not None:
                self._task.cancel()

        async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                            tb: TracebackType | None) -> None:
            if self._handle is not None:
                self._handle.cancel()
            if self._expired and et is asyncio.CancelledError:
                raise TimeoutError from e


__all__ = ["timeout_at"]
