"""The fallback layer: which candidate to try next after a failure, and when.

The core's decision fixes the order (model, then fallbacks). Failures only remove, delay or (for
a context-window overflow / a refusal) substitute candidates; retry delays come from backoff.py.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from routecore.provider_errors import (
    ContentPolicyRefusal,
    ContextWindowExceeded,
    ProviderError,
    RateLimited,
)
from routecore.providers.config import Deployment
from routecore.resilience.backoff import Backoff


@dataclass(slots=True)
class Candidate:
    model: str
    tries: int = 0
    not_before: float = 0.0


class FallbackChain:
    def __init__(self, order: Iterable[str], models: Mapping[str, Deployment], backoff: Backoff,
                 refusal_fallback: str | None = None) -> None:
        self._models = models
        self._backoff = backoff
        self._refusal_fallback = refusal_fallback
        seen: set[str] = set()
        self._fresh: deque[Candidate] = deque()
        for m in order:
            if m in models and m not in seen:
                seen.add(m)
                self._fresh.append(Candidate(m))
        self._tried = set(seen)
        self._retry: list[Candidate] = []

    def __bool__(self) -> bool:
        return bool(self._fresh or self._retry)

    def has_fresh(self) -> bool:
        return bool(self._fresh)

    def next(self, now: float, deadline: float) -> tuple[Candidate, float] | None:
        """The next candidate and how long to wait for it; None when nothing can still fit."""
        if self._fresh:
            return self._fresh.popleft(), 0.0
        if not self._retry:
            return None
        cand = min(self._retry, key=lambda c: c.not_before)
        if cand.not_before >= deadline:
            self._retry.clear()
            return None
        self._retry.remove(cand)
        return cand, max(0.0, cand.not_before - now)

    def take_fastest(self, expected_ttft_ms: Callable[[str], float]) -> Candidate | None:
        """For a hedge: the fresh candidate expected to answer first (hedges never wait)."""
        if not self._fresh:
            return None
        best = min(self._fresh, key=lambda c: expected_ttft_ms(c.model))
        self._fresh.remove(best)
        return best

    def push_front(self, cand: Candidate) -> None:
        self._fresh.appendleft(cand)

    def failed(self, cand: Candidate, err: ProviderError, now: float, deadline: float) -> None:
        if isinstance(err, ContextWindowExceeded):
            self._need_larger_window(cand.model)
        elif isinstance(err, ContentPolicyRefusal):
            self._to_refusal_fallback()
        elif not err.fallback:
            self.clear()
        elif err.retryable:
            retry_after = err.retry_after_s if isinstance(err, RateLimited) else None
            if retry_after is not None and now + retry_after >= deadline:
                return  # the server's wait does not fit the turn: move on, never come back
            cand.not_before = now + self._backoff.delay_s(cand.tries, retry_after)
            cand.tries += 1
            self._retry.append(cand)

    def clear(self) -> None:
        self._fresh.clear()
        self._retry.clear()

    def _need_larger_window(self, model: str) -> None:
        window = self._models[model].context_window

        def fits(c: Candidate) -> bool:
            return self._models[c.model].context_window > window

        self._fresh = deque(c for c in self._fresh if fits(c))
        self._retry = [c for c in self._retry if fits(c)]
        if self._fresh or self._retry:
            return
        # The chain has nothing larger: the smallest (then cheapest) larger-window model in config.
        larger = sorted(
            (d for d in self._models.values() if d.context_window > window and d.name not in self._tried),
            key=lambda d: (d.context_window, d.input_cost_per_1k),
        )
        if larger:
            self._tried.add(larger[0].name)
            self._fresh.append(Candidate(larger[0].name))

    def _to_refusal_fallback(self) -> None:
        self.clear()
        alt = self._refusal_fallback
        if alt is not None and alt in self._models:
            self._refusal_fallback = None  # one alternative, once
            self._fresh.append(Candidate(alt))
