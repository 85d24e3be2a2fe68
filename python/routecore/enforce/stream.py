"""A `CompletionStream` with the parallel input guard in front and verification at the end.

Parallel guard: the upstream stream is opened at once, but its first chunk is held until the
verdict. A block cancels the upstream and raises `ContentBlockedError` from the first
``__anext__`` (before any byte, so the gateway still answers 400); an escalation cancels it and
streams from the escalated decision instead.

Verification of a stream happens at its end, when the client already has every chunk: a failing
answer cannot be taken back or re-asked. What the client sees is the answer as produced; the
failure is recorded against the model (so it counts towards rollback), emitted as an event,
written into ``decision.reasons``, and ``stream.verdict`` says what failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any

from ..dispatch import CompletionStream

if TYPE_CHECKING:
    from .._core import Decision
    from ..dispatch import Dispatcher
    from ..providers import ChatRequest
    from ..verify import Verdict
    from .runtime import Enforcement

Gate = Callable[["Decision", "ChatRequest"], "tuple[Decision, ChatRequest]"]

__all__ = ["GuardedStream"]


class GuardedStream(CompletionStream):
    def __init__(self, dispatcher: Dispatcher, decision: Decision, request: ChatRequest,
                 deadline_ms: float | None, route_ms: float | None = None, *, gate: Gate | None,
                 verify: Enforcement | None) -> None:
        self._gate = gate
        self._verify = verify
        self.verdict: Verdict | None = None
        super().__init__(dispatcher, decision, request, deadline_ms, route_ms)

    async def _run(self) -> AsyncGenerator[dict[str, Any], None]:
        inner = super()._run()
        if self._gate is not None:
            first = asyncio.ensure_future(inner.__anext__())
            await asyncio.sleep(0)  # let the upstream request go out while we judge
            try:
                nd, req = self._gate(self.decision, self._request)
            except BaseException:
                await _cancel(first, inner)
                raise
            if nd is not self.decision:
                await _cancel(first, inner)  # releases the old decision's reservation
                self.decision, self._request = nd, req
                inner = super()._run()
            else:
                try:
                    chunk = await first
                except StopAsyncIteration:
                    await self._end()
                    return
                yield chunk
        async for chunk in inner:
            yield chunk
        await self._end()

    async def _end(self) -> None:
        enf, c = self._verify, self.completion
        if enf is None or c is None or c.truncated:
            return
        self.verdict = v = enf.verify(c, self._request.response_format)
        enf.record(c, v, "stream_end")
        if not v.ok:
            names = ", ".join(f.split(":", 1)[0] for f in v.failures)
            self.decision._note(f"verification: streamed answer from {c.model} failed {names} "
                                "(already delivered; recorded)")


async def _cancel(first: asyncio.Future[Any], inner: AsyncGenerator[Any, None]) -> None:
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    await inner.aclose()
