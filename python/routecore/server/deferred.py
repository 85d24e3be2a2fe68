"""The gateway's metrics observer, run after the answer is written.

`RouterMetrics` counts each finished request (~12 us of Prometheus updates) inside
`Router.complete`, i.e. before the gateway can write the answer. Here the counting is scheduled
with ``call_soon`` instead: it runs right after the handler's current step, which writes the
answer, so the client does not wait for it. Feedback passes straight through (it reads what the
counting recorded, long done by the time a client rates an answer)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from routecore.observe.metrics import RouterMetrics
from routecore.observe.records import DecisionRecord

log = logging.getLogger("routecore.observe")


class AfterResponse:
    __slots__ = ("inner",)

    def __init__(self, inner: RouterMetrics) -> None:
        self.inner = inner

    def observe(self, record: DecisionRecord) -> None:
        _later(self.inner.observe, record)

    def observe_completion(self, completion: Any, cost_usd: float, route_ms: float | None) -> None:
        _later(self.inner.observe_completion, completion, cost_usd, route_ms)

    def on_feedback(self, request_id: str, quality: float, kind: str) -> None:
        self.inner.on_feedback(request_id, quality, kind)


def _later(fn: Callable[..., None], *args: Any) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no loop (a synchronous caller): count now
        _guarded(fn, *args)
        return
    loop.call_soon(_guarded, fn, *args)


def _guarded(fn: Callable[..., None], *args: Any) -> None:
    try:
        fn(*args)
    except Exception as exc:  # as the hook does: an observer's bug is logged by type, never raised
        owner = getattr(fn, "__self__", fn)
        log.warning("observer %s failed: %s", type(owner).__name__, type(exc).__name__)
