"""Replay outcome records through a router and through the reference policies.

Every policy is scored on the same records: mean quality, total cost, latency and deadline
misses. References: always-cheapest, always-strongest (best mean quality), random-at-equal-cost
(the mix of cheapest and strongest that costs what the router cost; its expected quality) and
the oracle (per record, the cheapest model among those with the best quality).
"""

from __future__ import annotations

import copy
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..router import Router
from .records import Outcome, OutcomeRecord

__all__ = ["PolicyResult", "Replay", "replay"]

#: Output tokens assumed when a record does not say (a short assistant answer).
DEFAULT_OUTPUT_TOKENS = 300
#: Generation speed assumed for latency when a record gives only TTFT.
TOKENS_PER_S = 80.0


@dataclass
class PolicyResult:
    name: str
    n: int
    quality: float
    cost_usd: float
    latency_p50_ms: float
    latency_p95_ms: float
    deadline_misses: int
    model_mix: dict[str, float] = field(default_factory=dict)
    tier_mix: dict[int, float] = field(default_factory=dict)

    @property
    def cost_per_1k(self) -> float:
        return 1000.0 * self.cost_usd / max(self.n, 1)


@dataclass
class Replay:
    router: PolicyResult
    cheapest: PolicyResult
    strongest: PolicyResult
    random_equal_cost: PolicyResult
    oracle: PolicyResult
    per_model: list[PolicyResult]
    skipped: int  # records whose routed model (and fallbacks) had no outcome
    curve: list[tuple[float, float, float]]  # (threshold shift, cost_usd, quality)

    @property
    def gap_recovered(self) -> float:
        """Share of the cheapest→strongest quality gap the router recovers (RouteLLM's PGR)."""
        gap = self.strongest.quality - self.cheapest.quality
        return (self.router.quality - self.cheapest.quality) / gap if gap > 0 else 1.0

    @property
    def saving_vs_strongest(self) -> float:
        return 1.0 - self.router.cost_usd / self.strongest.cost_usd if self.strongest.cost_usd > 0 else 0.0


@dataclass(frozen=True, slots=True)
class _Price:
    per_in: float
    per_out: float
    ttft_ms: float


class _Costing:
    def __init__(self, config: dict[str, Any], deadline_ms: float | None) -> None:
        self.prices = {
            name: _Price(m["input_cost_per_1k"] / 1000, m["output_cost_per_1k"] / 1000, m["ttft_ms"])
            for name, m in config["models"].items()
        }
        self.deadline_ms = deadline_ms

    def score(
        self, model: str, o: Outcome, input_tokens: int, deadline: float | None
    ) -> tuple[float, float, bool]:
        """(cost, latency, deadline missed) of serving a record with `model`."""
        p = self.prices.get(model, _Price(0.0, 0.0, 0.0))
        out = o.output_tokens if o.output_tokens is not None else DEFAULT_OUTPUT_TOKENS
        cost = o.cost_usd if o.cost_usd is not None else input_tokens * p.per_in + out * p.per_out
        ttft = o.ttft_ms if o.ttft_ms is not None else p.ttft_ms
        latency = o.latency_ms if o.latency_ms is not None else ttft + 1000.0 * out / TOKENS_PER_S
        limit = deadline if deadline is not None else self.deadline_ms
        return cost, latency, limit is not None and ttft > limit


def _summarise(name: str, rows: Sequence[tuple[str, int, float, float, float, bool]]) -> PolicyResult:
    """rows: (model, tier, quality, cost, latency, missed)."""
    n = len(rows)
    lat = sorted(r[4] for r in rows) or [0.0]
    models = Counter(r[0] for r in rows)
    tiers = Counter(r[1] for r in rows if r[1] >= 0)
    return PolicyResult(
        name=name,
        n=n,
        quality=sum(r[2] for r in rows) / max(n, 1),
        cost_usd=sum(r[3] for r in rows),
        latency_p50_ms=statistics.median(lat),
        latency_p95_ms=lat[min(len(lat) - 1, int(0.95 * len(lat)))],
        deadline_misses=sum(1 for r in rows if r[5]),
        model_mix={m: c / n for m, c in models.most_common()},
        tier_mix={t: c / n for t, c in sorted(tiers.items())} if tiers else {},
    )


def _route_all(
    router: Router, records: Sequence[OutcomeRecord], progress: Callable[[int, int], None] | None
) -> list[tuple[str, list[str], int, int]]:
    """(model, fallbacks, tier, input_tokens) per record, in chunks so progress can be shown."""
    out: list[tuple[str, list[str], int, int]] = []
    chunk = 20_000
    for i in range(0, len(records), chunk):
        batch = [r.messages for r in records[i : i + chunk]]
        out += [(d.model, d.fallbacks, d.tier, d.input_tokens) for d in router.route_batch(batch)]
        if progress is not None:
            progress(min(i + chunk, len(records)), len(records))
    return out


def _unbudgeted(router: Router) -> Router:
    """The same policy without tenant budgets: a replay measures routing, not rate limits."""
    cfg = copy.deepcopy(router.config)
    cfg["tenants"] = {}
    return Router(cfg)


def _policy_rows(
    router: Router,
    records: Sequence[OutcomeRecord],
    costing: _Costing,
    progress: Callable[[int, int], None] | None,
) -> tuple[list[tuple[str, int, float, float, float, bool]], list[int], int]:
    rows, kept, skipped = [], [], 0
    for i, (model, fallbacks, tier, tokens) in enumerate(_route_all(router, records, progress)):
        rec = records[i]
        served = next((m for m in [model, *fallbacks] if m in rec.outcomes), None)
        if served is None:
            skipped += 1
            continue
        o = rec.outcomes[served]
        cost, lat, miss = costing.score(served, o, tokens, rec.deadline_ms)
        rows.append((served, tier, o.quality, cost, lat, miss))
        kept.append(i)
    return rows, kept, skipped


def replay(
    records: Sequence[OutcomeRecord],
    router: Router,
    *,
    deadline_ms: float | None = None,
    curve_points: int = 21,
    progress: Callable[[int, int], None] | None = None,
) -> Replay:
    """Score `router` and the reference policies on `records`."""
    if not records:
        raise ValueError("no records to replay")
    base = _unbudgeted(router)
    costing = _Costing(base.config, deadline_ms)
    rows, kept, skipped = _policy_rows(base, records, costing, progress)
    recs = [records[i] for i in kept]
    tokens = [t for _, _, _, t in _route_all(base, recs, None)]
    common = sorted(set.intersection(*(set(r.outcomes) for r in recs))) if recs else []
    per_model = []
    for m in common:
        m_rows = []
        for r, t in zip(recs, tokens, strict=True):
            cost, lat, miss = costing.score(m, r.outcomes[m], t, r.deadline_ms)
            m_rows.append((m, -1, r.outcomes[m].quality, cost, lat, miss))
        per_model.append(_summarise(m, m_rows))
    if not per_model:
        raise ValueError("no model has outcomes on every replayed record; cannot build the references")
    cheapest = min(per_model, key=lambda p: (p.cost_usd, -p.quality))
    strongest = max(per_model, key=lambda p: (p.quality, -p.cost_usd))
    oracle_rows = []
    for r, t in zip(recs, tokens, strict=True):
        best_q = max(r.outcomes[m].quality for m in common)
        scored = [
            (costing.score(m, r.outcomes[m], t, r.deadline_ms), m)
            for m in common
            if r.outcomes[m].quality == best_q
        ]
        (cost, lat, miss), m = min(scored, key=lambda x: x[0][0])
        oracle_rows.append((m, -1, best_q, cost, lat, miss))
    routed = _summarise("routecore", rows)
    span = strongest.cost_usd - cheapest.cost_usd
    p = min(1.0, max(0.0, (routed.cost_usd - cheapest.cost_usd) / span)) if span > 0 else 0.0
    random_eq = PolicyResult(
        name=f"random at equal cost ({p:.0%} {strongest.name})",
        n=routed.n,
        quality=(1 - p) * cheapest.quality + p * strongest.quality,
        cost_usd=(1 - p) * cheapest.cost_usd + p * strongest.cost_usd,
        latency_p50_ms=(1 - p) * cheapest.latency_p50_ms + p * strongest.latency_p50_ms,
        latency_p95_ms=max(cheapest.latency_p95_ms, strongest.latency_p95_ms)
        if p > 0
        else cheapest.latency_p95_ms,
        deadline_misses=round((1 - p) * cheapest.deadline_misses + p * strongest.deadline_misses),
    )
    curve = []
    thresholds = list(base.config["scoring"]["thresholds"])
    for shift in _sweep(base, recs, thresholds, curve_points):
        cfg = copy.deepcopy(base.config)
        cfg["scoring"]["thresholds"] = _shifted(thresholds, shift)
        r_rows, _, _ = _policy_rows(Router(cfg), recs, costing, None)
        s = _summarise("curve", r_rows)
        curve.append((float(shift), s.cost_usd, s.quality))
    return Replay(
        router=routed,
        cheapest=cheapest,
        strongest=strongest,
        random_equal_cost=random_eq,
        oracle=_summarise("oracle", oracle_rows),
        per_model=per_model,
        skipped=skipped,
        curve=curve,
    )


def _sweep(
    router: Router, recs: Sequence[OutcomeRecord], thresholds: list[float], points: int
) -> list[float]:
    """Threshold shifts that walk the records' own complexity quantiles across the middle
    boundary, so the curve spans all-cheap to all-strong in even steps of traffic."""
    if not thresholds or points < 2:
        return [0.0]
    scores = sorted(d.complexity for d in router.route_batch([r.messages for r in recs]))
    mid = thresholds[len(thresholds) // 2]
    shifts = {0.0}
    for k in range(points):
        q = scores[min(len(scores) - 1, round(k / (points - 1) * (len(scores) - 1)))]
        shifts.add(round(q - mid, 3))
    shifts.add(round(scores[-1] + 0.01 - mid, 3))  # everything below the boundary
    shifts.add(round(scores[0] - mid, 3))  # everything above it
    return sorted(shifts)


def _shifted(thresholds: list[float], shift: float) -> list[float]:
    """Thresholds moved by `shift`, kept strictly ascending inside [0, 100] (the config's rule)."""
    step = 1e-4
    out: list[float] = []
    for i, t in enumerate(thresholds):
        v = min(100.0 - (len(thresholds) - 1 - i) * step, max(i * step, t + shift))
        if out and v <= out[-1]:
            v = out[-1] + step
        out.append(round(v, 6))
    return out
