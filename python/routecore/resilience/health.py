"""The health API the attempt loop reports to: the Router's own (Rust, rust/src/health.rs), which
keeps the TTFT statistics and the circuit breakers that selection reads. This layer keeps no health
state of its own, so what it reports is exactly what the next ``route()`` sees."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class HealthSink(Protocol):
    def record_outcome(self, model: str, *, ok: bool, ttft_ms: float | None = None,
                       total_ms: float | None = None, error: str | None = None,
                       deadline_missed: bool = False) -> None: ...

    def allow(self, model: str) -> bool: ...

    def health(self, model: str) -> Mapping[str, Any]: ...
