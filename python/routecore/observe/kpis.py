"""Live KPIs for the gateway's `/dashboard`: exact recent percentiles rather than histogram
estimates. Prometheus histograms answer "p99 over 5 minutes" in Grafana; a page that polls the
process needs the same answer without a Prometheus, so each tier keeps its last latencies.

Plain counters and bounded deques: one `add` is a few appends, no locks (it runs on the event
loop, like every observer); `snapshot` sorts at most a few thousand floats, once per poll.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LiveKpis"]

WINDOW = 2048  # latencies kept per tier: enough for a stable p99 (the top ~20 samples)


def _quantile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[i]


@dataclass
class _Tier:
    requests: int = 0
    failed: int = 0
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW))


@dataclass
class LiveKpis:
    requests: int = 0
    refused: int = 0
    cost_usd: float = 0.0
    guard_failures: int = 0  # guard verdicts whose action was not "allow"
    verification_failures: int = 0
    tiers: dict[str, _Tier] = field(default_factory=dict)

    def add(self, tier: str, outcome: str, latency_ms: float | None, cost_usd: float | None) -> None:
        self.requests += 1
        if outcome == "refused":
            self.refused += 1
            return
        t = self.tiers.get(tier)
        if t is None:
            t = self.tiers[tier] = _Tier()
        t.requests += 1
        if outcome in ("failed", "truncated"):
            t.failed += 1
        if latency_ms is not None and outcome != "cancelled":
            t.latencies_ms.append(latency_ms)
        if cost_usd is not None:
            self.cost_usd += cost_usd

    def snapshot(self, targets_ms: dict[str, float], tier_names: dict[str, str]) -> dict[str, Any]:
        """Plain data for the dashboard; ``targets_ms`` is each tier's latency budget."""
        answered = self.requests - self.refused
        tiers = []
        for key in sorted(self.tiers, key=lambda k: (len(k), k)):
            t = self.tiers[key]
            lat = sorted(t.latencies_ms)
            tiers.append({
                "tier": key, "name": tier_names.get(key, key), "requests": t.requests,
                "share": t.requests / answered if answered else 0.0,
                "failed": t.failed, "target_ms": targets_ms.get(key),
                "p50_ms": _quantile(lat, 0.50), "p95_ms": _quantile(lat, 0.95),
                "p99_ms": _quantile(lat, 0.99),
            })
        return {
            "requests": self.requests, "refused": self.refused,
            "cost_usd": self.cost_usd,
            "cost_per_interaction_usd": self.cost_usd / answered if answered else 0.0,
            "guard_failures": self.guard_failures,
            "verification_failures": self.verification_failures,
            "tiers": tiers,
        }
