"""Typed, immutable views of ``router.config`` for the async layer (built once per Dispatcher)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from routecore.providers.config import Deployment


@dataclass(frozen=True, slots=True)
class TierPolicy:
    name: str
    latency_budget_ms: float
    first_token_timeout_ms: float
    total_timeout_ms: float

    @classmethod
    def from_config(cls, raw: Mapping[str, Any]) -> TierPolicy:
        budget = float(raw.get("latency_budget_ms", 1000.0))
        # Defaults follow the tier's latency budget when the config leaves them out.
        return cls(
            name=str(raw.get("name", "")),
            latency_budget_ms=budget,
            first_token_timeout_ms=float(raw.get("first_token_timeout_ms") or budget),
            total_timeout_ms=float(raw.get("total_timeout_ms") or budget * 4),
        )


# Breaker settings of ``[resilience]``: the core's health API applies them, not this layer.
_CORE_ONLY = frozenset({
    "breaker_consecutive_failures", "breaker_error_rate", "breaker_window_s", "breaker_min_requests",
    "breaker_open_ms", "latency_miss_limit", "latency_miss_window_s",
})


@dataclass(frozen=True, slots=True)
class ResiliencePolicy:
    hedge: bool = True
    hedge_delay_ms: float | None = None  # None: derive from the model's observed TTFT p95
    max_hedge_share: float = 0.1
    hedge_window_s: float = 60.0
    max_attempts: int = 4
    backoff_base_ms: float = 25.0
    backoff_max_ms: float = 1000.0
    continue_after_truncation: bool = False
    refusal_fallback: str | None = None

    @classmethod
    def from_config(cls, raw: Mapping[str, Any]) -> ResiliencePolicy:
        base = cls()
        values: dict[str, Any] = {}
        optional: dict[str, type] = {"hedge_delay_ms": float, "refusal_fallback": str}
        for name in cls.__dataclass_fields__:
            if name in raw and raw[name] is not None:
                default = getattr(base, name)
                kind = optional[name] if default is None else type(default)
                values[name] = kind(raw[name])
        unknown = set(raw) - set(cls.__dataclass_fields__) - _CORE_ONLY
        if unknown:
            raise ValueError(f"unknown resilience settings: {sorted(unknown)}")
        return cls(**values)


@dataclass(frozen=True, slots=True)
class DispatchConfig:
    models: Mapping[str, Deployment]
    tiers: tuple[TierPolicy, ...]
    resilience: ResiliencePolicy

    @classmethod
    def from_router_config(cls, cfg: Mapping[str, Any],
                           env: Mapping[str, str] | None = None) -> DispatchConfig:
        models = {name: Deployment.from_config(name, raw, env)
                  for name, raw in (cfg.get("models") or {}).items()}
        tiers = tuple(TierPolicy.from_config(t) for t in cfg.get("tiers") or ())
        return cls(models, tiers, ResiliencePolicy.from_config(cfg.get("resilience") or {}))

    def tier(self, index: int) -> TierPolicy:
        if 0 <= index < len(self.tiers):
            return self.tiers[index]
        return TierPolicy("default", 1000.0, 1000.0, 4000.0)
