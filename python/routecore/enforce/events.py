"""Typed events of the guard and verification layer, for metrics and alerting.

Subscribers (e.g. ``routecore.observe.metrics``) register a callback instead of this layer
importing them, so enforcement has no dependency on any exporter::

    from routecore.enforce import events
    unsubscribe = events.subscribe(lambda e: print(e))

Events carry names and numbers only (detector, action, PII types, model, check names), never
message text, so they are safe to use as metric labels and log fields. `counts()` is a built-in
subscriber: process-wide totals keyed by the event's label tuple.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Event",
    "GuardVerdict",
    "RollbackTransition",
    "VerificationResult",
    "counts",
    "emit",
    "subscribe",
]

log = logging.getLogger("routecore.enforce")


@dataclass(frozen=True, slots=True)
class GuardVerdict:
    """An input guard fired and its policy acted (`off` never emits)."""

    detector: Literal["injection", "pii"]
    action: Literal["flag", "redact", "block", "escalate"]
    mode: Literal["pre_call", "parallel"]
    tenant: str
    tier: int
    signals: tuple[str, ...]  # injection signal names or PII type names

    def labels(self) -> tuple[str, ...]:
        return ("guard", self.detector, self.action, self.mode)


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """One answer was verified. `next_step` is what the layer did about it."""

    model: str
    tier: int
    ok: bool
    failed_checks: tuple[str, ...]
    next_step: Literal["accept", "reask", "escalate", "give_up", "stream_end"]

    def labels(self) -> tuple[str, ...]:
        return ("verification", self.model, "ok" if self.ok else "failed")


@dataclass(frozen=True, slots=True)
class RollbackTransition:
    """A route rolled back from `model` to `target`, or returned to `model`."""

    route: str
    model: str
    rolled_back: bool
    target: str | None

    def labels(self) -> tuple[str, ...]:
        return ("rollback", self.route, self.model, "back" if self.rolled_back else "returned")


Event = GuardVerdict | VerificationResult | RollbackTransition
Subscriber = Callable[[Event], None]

_lock = threading.Lock()
_subscribers: tuple[Subscriber, ...] = ()
_counts: Counter[tuple[str, ...]] = Counter()


def subscribe(callback: Subscriber) -> Callable[[], None]:
    """Call `callback(event)` for every event (on the thread that produced it; keep it quick).
    Returns a function that unsubscribes."""
    global _subscribers
    with _lock:
        _subscribers = (*_subscribers, callback)

    def unsubscribe() -> None:
        global _subscribers
        with _lock:
            _subscribers = tuple(s for s in _subscribers if s is not callback)

    return unsubscribe


def emit(event: Event) -> None:
    with _lock:
        _counts[event.labels()] += 1
    for s in _subscribers:
        try:
            s(event)
        except Exception:  # a broken exporter must not fail the request it observes
            log.exception("enforcement event subscriber failed")


def counts() -> dict[tuple[str, ...], int]:
    """Totals since the process started, keyed by each event's `labels()`."""
    with _lock:
        return dict(_counts)
