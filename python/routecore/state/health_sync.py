"""Shared health: breakers and statistics.

* Breakers: a replica that opens a deployment's breaker publishes it; every replica polls the
  shared openings and force-opens its own breaker for the remaining time. A failure one replica
  sees reaches the others within two health periods (`max(sync_interval_ms, 100 ms)`) plus two
  round trips.
* Statistics: every `STATS_EVERY_S` each replica publishes its *own* TTFT EWMA/p95, error rate
  and request count per deployment and, in the same round trip, merges the other replicas'
  fresh entries, weighted by their request counts, into its tracker as a fleet prior
  (`_core._health_ingest`). Own samples are never mixed into what is published, so nothing
  echoes between replicas. Propagation: at most two exchange periods plus round trips
  (≈ 1 s; measured in `tests/test_state_health_stats.py`)."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from .. import _core

if TYPE_CHECKING:
    from .redis import RedisStore

__all__ = ["STATS_EVERY_S", "HealthSync", "merge_peers"]

#: Statistics exchange period. Each exchange runs one small script per deployment (an HGETALL
#: over the replicas' fields), so it is kept slower than the breaker poll.
STATS_EVERY_S = 0.5

#: (ttft_ms, ttft_p95_ms, error_rate, n): the fleet prior handed to the core.
Prior = tuple[float | None, float | None, float, int]
_NONE: Prior = (None, None, 0.0, 0)


def merge_peers(blobs: list[str]) -> Prior:
    """The other replicas' entries merged, each weighted by its recent request count `n` (an
    idle replica's stale EWMA weighs nothing); unreadable entries are skipped."""
    n_tot = 0
    err = 0.0
    sums = {"ttft_ewma_ms": [0.0, 0], "ttft_p95_ms": [0.0, 0]}
    for b in blobs:
        try:
            e: dict[str, Any] = json.loads(b)
            n = int(e.get("n") or 0)
            rate = float(e.get("error_rate") or 0.0)
        except (ValueError, TypeError, AttributeError):
            continue
        if n <= 0 or not math.isfinite(rate):
            continue
        n_tot += n
        err += rate * n
        for k, acc in sums.items():
            v = e.get(k)
            if isinstance(v, (int, float)) and math.isfinite(v) and v >= 0:
                acc[0] += float(v) * n
                acc[1] += n
    if n_tot == 0:
        return _NONE

    def avg(k: str) -> float | None:
        s, w = sums[k]
        return s / w if w else None

    return avg("ttft_ewma_ms"), avg("ttft_p95_ms"), err / n_tot, n_tot


class HealthSync:
    def __init__(self, router: _core.Router, store: RedisStore) -> None:
        self._router = router
        self._store = store
        self._seen: dict[str, int] = {}
        self._priors: dict[str, Prior] = {}
        self.published = 0
        self.forced = 0
        self.ingested = 0

    def tick(self, with_stats: bool) -> None:
        """Publish new local openings and apply shared ones; `with_stats`: also exchange
        statistics (publish own, merge the others'). Raises `RedisError` when down."""
        rows = _core._health_sync(self._router)
        stats: dict[str, str] | None = {} if with_stats else None
        for model, state, open_ms, opened, ewma, p95, err, n in rows:
            if opened > self._seen.get(model, 0) and state == "open" and open_ms > 0:
                self._store.publish_open(model, open_ms)
                self.published += 1
            self._seen[model] = opened
            if stats is not None:
                stats[model] = json.dumps(
                    {"state": state, "ttft_ewma_ms": ewma, "ttft_p95_ms": p95, "error_rate": err, "n": n}
                )
        models = [r[0] for r in rows]
        for (model, _state, open_ms, *_), (left, by, peers) in zip(
            rows, self._store.poll_health(models, stats), strict=True
        ):
            if left > open_ms + 50 and by != self._store.replica:
                _core._force_open(self._router, model, left)
                self.forced += 1
            if stats is not None:
                self._apply(model, merge_peers(peers))

    def clear(self) -> None:
        """Forget the fleet's view (the store is unreachable: it would only grow stale)."""
        for model in list(self._priors):
            self._apply(model, _NONE)

    def _apply(self, model: str, prior: Prior) -> None:
        if self._priors.get(model, _NONE) == prior:
            return
        _core._health_ingest(self._router, model, *prior)
        if prior == _NONE:
            self._priors.pop(model, None)
        else:
            self._priors[model] = prior
        self.ingested += 1
