"""Per-deployment health and circuit breaking, behind the same method names as the Rust core's
health API (``record_outcome`` / ``allow`` / ``health``), so the Router can replace this in-memory
sink without the dispatcher noticing. It only keeps statistics and breaker state; choosing models
stays with the core."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from routecore.resilience.config import ResiliencePolicy
from routecore.resilience.window import SlidingCounts

# Outcomes that say nothing about the deployment's health: the request or the content was the
# problem, or we stopped the attempt ourselves.
NOT_HEALTH = frozenset({"client", "context_window", "content_policy", "cancelled"})


@runtime_checkable
class HealthSink(Protocol):
    def record_outcome(self, model: str, *, ok: bool, ttft_ms: float | None, total_ms: float | None,
                       error: str | None, deadline_missed: bool = False) -> None: ...

    def allow(self, model: str) -> bool: ...

    def health(self, model: str) -> Mapping[str, Any]: ...


@dataclass(slots=True)
class _ModelHealth:
    outcomes: SlidingCounts
    misses: SlidingCounts
    state: str = "closed"
    opened_at: float = 0.0
    probe_at: float | None = None  # when the half-open probe was let through
    consecutive_failures: int = 0
    opens: int = 0
    ttft_ewma_ms: float | None = None
    ttft_samples: deque[float] = field(default_factory=lambda: deque(maxlen=256))
    ttft_p95_ms: float | None = None
    _since_p95: int = 0

    def add_ttft(self, ms: float) -> None:
        self.ttft_ewma_ms = ms if self.ttft_ewma_ms is None else 0.8 * self.ttft_ewma_ms + 0.2 * ms
        self.ttft_samples.append(ms)
        self._since_p95 += 1
        if self._since_p95 >= 16 or self.ttft_p95_ms is None:  # amortise the sort
            self._since_p95 = 0
            s = sorted(self.ttft_samples)
            self.ttft_p95_ms = s[min(len(s) - 1, int(len(s) * 0.95))]


class InMemoryHealth:
    """Breaker per deployment: opens on consecutive failures, on an error rate over a window (once
    enough requests were seen), or on repeated latency-budget misses; after ``breaker_open_ms`` one
    probe is let through (half-open) and its outcome closes or re-opens the breaker."""

    def __init__(self, policy: ResiliencePolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self._p = policy
        self._clock = clock
        self._models: dict[str, _ModelHealth] = {}

    def _get(self, model: str) -> _ModelHealth:
        h = self._models.get(model)
        if h is None:
            h = _ModelHealth(SlidingCounts(self._p.breaker_window_s),
                             SlidingCounts(self._p.latency_miss_window_s))
            self._models[model] = h
        return h

    def allow(self, model: str) -> bool:
        h = self._get(model)
        if h.state == "closed":
            return True
        now = self._clock()
        open_s = self._p.breaker_open_ms / 1000.0
        if h.state == "open":
            if now - h.opened_at < open_s:
                return False
            h.state = "half_open"
        # One probe at a time; a probe whose outcome never came back is replaced after open_s.
        if h.probe_at is None or now - h.probe_at >= open_s:
            h.probe_at = now
            return True
        return False

    def record_outcome(self, model: str, *, ok: bool, ttft_ms: float | None, total_ms: float | None,
                       error: str | None, deadline_missed: bool = False) -> None:
        h = self._get(model)
        now = self._clock()
        if ttft_ms is not None:
            h.add_ttft(ttft_ms)
        if deadline_missed:
            h.misses.add(now, False)
        if not ok and error in NOT_HEALTH:
            if h.state == "half_open":
                if deadline_missed:
                    self._open(h, now)
                else:
                    h.probe_at = None  # inconclusive probe: let the next request probe
            elif deadline_missed:
                self._maybe_open(h, now)
            return
        h.outcomes.add(now, ok)
        if ok:
            h.consecutive_failures = 0
            if h.state == "half_open":
                if deadline_missed:
                    self._open(h, now)
                else:
                    self._close(h)
            elif deadline_missed:
                self._maybe_open(h, now)
            return
        h.consecutive_failures += 1
        if h.state == "half_open":
            self._open(h, now)
        else:
            self._maybe_open(h, now)

    def _maybe_open(self, h: _ModelHealth, now: float) -> None:
        if h.state != "closed":
            return
        oks, errs = h.outcomes.totals(now)
        _, misses = h.misses.totals(now)
        if (
            h.consecutive_failures >= self._p.breaker_consecutive_failures
            or (oks + errs >= self._p.breaker_min_requests
                and errs >= self._p.breaker_error_rate * (oks + errs))
            or misses >= self._p.latency_miss_limit
        ):
            self._open(h, now)

    def _open(self, h: _ModelHealth, now: float) -> None:
        h.state = "open"
        h.opened_at = now
        h.probe_at = None
        h.opens += 1

    def _close(self, h: _ModelHealth) -> None:
        h.state = "closed"
        h.probe_at = None
        h.consecutive_failures = 0
        h.outcomes.clear()
        h.misses.clear()

    def health(self, model: str) -> dict[str, Any]:
        h = self._get(model)
        oks, errs = h.outcomes.totals(self._clock())
        return {
            "state": h.state,
            "ttft_ewma_ms": h.ttft_ewma_ms,
            "ttft_p95_ms": h.ttft_p95_ms,
            "ttft_samples": len(h.ttft_samples),
            "error_rate": errs / (oks + errs) if oks + errs else 0.0,
            "consecutive_failures": h.consecutive_failures,
            "opens": h.opens,
        }
