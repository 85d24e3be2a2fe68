"""The one place that decides how long to wait before asking a deployment again."""

from __future__ import annotations

import random


class Backoff:
    """Exponential backoff with full jitter; a server's Retry-After is a floor, not a suggestion."""

    def __init__(self, base_ms: float, max_ms: float, rng: random.Random) -> None:
        self._base = base_ms / 1000.0
        self._max = max_ms / 1000.0
        self._rng = rng

    def delay_s(self, retry: int, retry_after_s: float | None = None) -> float:
        cap = min(self._max, self._base * (2 ** min(retry, 16)))
        jittered = self._rng.uniform(0.0, cap)  # full jitter de-synchronises retry storms
        if retry_after_s is not None:
            return max(retry_after_s, jittered)
        return jittered
