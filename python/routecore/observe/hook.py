"""The observer hook: every `Router.complete()` / `Router.stream()` (and so every gateway chat
request) ends in exactly one `DecisionRecord` handed to the router's observers — ``ok``,
``truncated``, ``failed``, ``cancelled`` (the caller went away) or ``refused`` (routing said no).

Observers run inline, on the event loop, once per request: they must be quick and must not
block (the JSONL sink only enqueues; metrics only count). One observer raising never fails the
request or starves the others; it is logged by type only, since a message could quote content.
Nothing is built when a router has no observers, so the hook costs nothing unless used.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from routecore.observe.records import DecisionRecord

__all__ = ["FeedbackObserver", "Observer", "cancelled", "completed", "failed", "notify", "refused"]

log = logging.getLogger("routecore.observe")


class Observer(Protocol):
    """Anything with ``observe(record)``: `JsonlSink`, `RouterMetrics`, `OtelObserver`, yours."""

    def observe(self, record: DecisionRecord) -> None: ...


@runtime_checkable
class FeedbackObserver(Protocol):
    """Observers that also want `Router.feedback` (e.g. the routing-accuracy metric)."""

    def on_feedback(self, request_id: str, quality: float, kind: str) -> None: ...


def notify(observers: Sequence[Observer], record: DecisionRecord) -> None:
    for o in observers:
        try:
            o.observe(record)
        except Exception as exc:  # an observer's bug must not become the caller's failure
            log.warning("observer %s failed: %s", type(o).__name__, type(exc).__name__)


def completed(observers: Sequence[Observer], completion: Any, cost_usd: float,
              route_ms: float | None) -> None:
    """Observers with ``observe_completion`` (`RouterMetrics`) count straight off the completion;
    the record — a `Decision.to_dict()` and a dict per attempt, the costly part — is built only
    if some observer takes records, and then once for all of them."""
    rec: DecisionRecord | None = None
    for o in observers:
        try:
            fast = getattr(o, "observe_completion", None)
            if fast is not None:
                fast(completion, cost_usd, route_ms)
                continue
            if rec is None:
                rec = DecisionRecord.from_completion(completion, cost_usd=cost_usd)
                rec.route_ms = route_ms
            o.observe(rec)
        except Exception as exc:  # an observer's bug must not become the caller's failure
            log.warning("observer %s failed: %s", type(o).__name__, type(exc).__name__)


def cancelled(exc: BaseException) -> bool:
    """The caller stopped waiting (task cancelled, stream closed early): not a provider failure."""
    from routecore.provider_errors import Cancelled

    return isinstance(exc, asyncio.CancelledError | GeneratorExit | Cancelled)


def failed(observers: Sequence[Observer], decision: Any, error: BaseException | None,
           attempts: Sequence[Any], started: float, route_ms: float | None) -> None:
    """``error`` None or a cancellation: the caller went away before the end."""
    if error is None or cancelled(error):
        rec = DecisionRecord.from_failure(decision, error or asyncio.CancelledError(), list(attempts))
        rec.outcome = "cancelled"
    else:
        rec = DecisionRecord.from_failure(decision, error, list(attempts))
    rec.latency_ms = (time.perf_counter() - started) * 1000.0
    rec.route_ms = route_ms
    notify(observers, rec)


def refused(observers: Sequence[Observer], tenant: str | None, error: BaseException) -> None:
    # No decision exists, so no request id was issued: make one so the record can be cited.
    notify(observers, DecisionRecord.from_refusal(secrets.token_hex(8), tenant, error))
