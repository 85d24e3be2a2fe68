"""Shared breakers: a replica that opens a deployment's breaker publishes it; every replica
polls the shared openings and force-opens its own breaker for the remaining time. A failure
one replica sees reaches the others within one publish period plus one poll period (both the
health period, `max(sync_interval_ms, 100 ms)`), plus two round trips."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .. import _core

if TYPE_CHECKING:
    from .redis import RedisStore

__all__ = ["HealthSync"]


class HealthSync:
    def __init__(self, router: _core.Router, store: RedisStore) -> None:
        self._router = router
        self._store = store
        self._seen: dict[str, int] = {}
        self.published = 0
        self.forced = 0

    def tick(self, with_stats: bool) -> None:
        """Publish new local openings, apply shared ones (raises `RedisError` when down)."""
        rows = _core._health_sync(self._router)
        stats: dict[str, str] = {}
        for model, state, open_ms, opened, ewma, err, n in rows:
            if opened > self._seen.get(model, 0) and state == "open" and open_ms > 0:
                self._store.publish_open(model, open_ms)
                self.published += 1
            self._seen[model] = opened
            if with_stats:
                stats[model] = json.dumps({"state": state, "ttft_ewma_ms": ewma, "error_rate": err, "n": n})
        models = [r[0] for r in rows]
        for (model, _state, open_ms, *_), (left, by) in zip(
            rows, self._store.poll_health(models, stats), strict=True
        ):
            if left > open_ms + 50 and by != self._store.replica:
                _core._force_open(self._router, model, left)
                self.forced += 1
