"""When to hedge and how much hedging we can afford. The race itself lives in race.py."""

from __future__ import annotations

import time
from collections.abc import Callable

from routecore.resilience.health import TtftView
from routecore.resilience.window import SlidingCounts

_MIN_SAMPLES = 20  # below this a p95 is noise; use the configured nominal TTFT instead
# A derived delay below this races the event loop, not the provider: uvloop's clock moves in
# whole milliseconds once per loop turn, so a 1 ms p95 (loopback, a local model) hedged ~10% of
# calls on scheduling jitter alone, each closing a pooled connection.
_MIN_DERIVED_MS = 10.0


class HedgeBudget:
    """Caps extra spend: at most ``max_share`` of the requests in the sliding window get a hedge
    (plus one, so that a cold process can hedge its very first slow request)."""

    def __init__(self, max_share: float, window_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._share = max_share
        self._win = SlidingCounts(window_s)  # "ok" counts requests, "errors" counts hedges
        self._clock = clock

    def note_request(self) -> None:
        self._win.add(self._clock(), True)

    def try_acquire(self) -> bool:
        now = self._clock()
        requests, hedges = self._win.totals(now)
        if hedges + 1 > self._share * requests + 1:
            return False
        self._win.add(now, False)
        return True

    def stats(self) -> tuple[int, int]:
        return self._win.totals(self._clock())


def hedge_delay_s(configured_ms: float | None, ttft: TtftView, nominal_ttft_ms: float,
                  first_token_timeout_ms: float) -> float:
    """Configured delay wins; else the model's observed TTFT p95 (so ~5% of requests hedge when the
    model behaves as usual), at least ``_MIN_DERIVED_MS``; else the other replicas' p95 (shared
    state); else 1.5x its nominal TTFT. Never at or past the first-token timeout, where the hedge
    would merely be a fallback. ``ttft`` is `Router.ttft_view(model)`."""
    _, p95, samples, fleet = ttft
    if configured_ms is not None:
        ms = configured_ms
    # Samples behind the p95, not requests: failed attempts add requests but no TTFT.
    elif p95 is not None and p95 > 0 and samples >= _MIN_SAMPLES:
        ms = max(p95, _MIN_DERIVED_MS)
    # Too few own samples: the other replicas' merged p95 (shared state) if there is one.
    elif fleet is not None and fleet > 0:
        ms = max(fleet, _MIN_DERIVED_MS)
    else:
        ms = 1.5 * nominal_ttft_ms
    return max(0.001, min(ms, 0.9 * first_token_timeout_ms)) / 1000.0
