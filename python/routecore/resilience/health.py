"""The health API the attempt loop reports to: the Router's own (Rust, rust/src/health.rs), which
keeps the TTFT statistics and the circuit breakers that selection reads. This layer keeps no health
state of its own, so what it reports is exactly what the next ``route()`` sees."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

# `Router.ttft_view(model)`: (expected_ms, p95_ms, samples, fleet_p95_ms). A plain tuple from the
# core, because the attempt loop reads it on every attempt and `health()`'s dict cost 1.7 % of a
# proxied request. `expected_ms` is the fleet blend with a fleet view, else the own EWMA (None
# before any sample); `fleet_p95_ms` is None without a fleet view.
TtftView = tuple[float | None, float | None, int, float | None]


class HealthSink(Protocol):
    def record_outcome(self, model: str, *, ok: bool, ttft_ms: float | None = None,
                       total_ms: float | None = None, error: str | None = None,
                       deadline_missed: bool = False) -> None: ...

    def allow(self, model: str) -> bool: ...

    def health(self, model: str) -> Mapping[str, Any]: ...

    def ttft_view(self, model: str) -> TtftView: ...
