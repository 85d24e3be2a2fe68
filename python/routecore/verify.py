"""Output verification and automatic rollback.

`OutputVerifier` decides whether an answer is acceptable: JSON / JSON-schema adherence when
the request's `response_format` asks for it, refusal detection, and any custom checks.
`RollbackTracker` keeps each model's verified failure rate over a sliding window per route
(capability × tier); when it exceeds the threshold (default 5%) the route rolls back to its
configured safer model, and returns once the rate recovers. Both transitions are logged and
counted.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .checks import Check, CheckResult, check_from_spec, is_refusal, json_schema, json_valid

__all__ = ["OutputVerifier", "RollbackTracker", "Verdict"]

log = logging.getLogger("routecore.verify")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    failures: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "failures": list(self.failures)}


@dataclass
class OutputVerifier:
    """Checks for one request: derived from its `response_format`, plus `custom` checks."""

    detect_refusals: bool = True
    custom: Sequence[Check] = ()

    def checks_for(self, response_format: Mapping[str, Any] | None) -> list[tuple[str, Check]]:
        out: list[tuple[str, Check]] = []
        kind = (response_format or {}).get("type")
        if kind == "json_object":
            out.append(("json", json_valid()))
        elif kind == "json_schema":
            spec = (response_format or {}).get("json_schema") or {}
            schema = spec.get("schema") if isinstance(spec, Mapping) else None
            out.append(("json_schema", json_schema(schema) if isinstance(schema, Mapping) else json_valid()))
        if self.detect_refusals:
            out.append(("refusal", lambda t: CheckResult(not is_refusal(t), "the model refused")))
        out += [(f"custom[{i}]", c) for i, c in enumerate(self.custom)]
        return out

    def verify(
        self,
        text: str | None,
        response_format: Mapping[str, Any] | None = None,
        *,
        has_tool_calls: bool = False,
    ) -> Verdict:
        if has_tool_calls and not text:
            return Verdict(
                True
            )  # a tool call is an answer of its own; its arguments are the caller's to check
        fails = []
        for name, check in self.checks_for(response_format):
            r = check(text or "")
            if not r.ok:
                fails.append(f"{name}: {r.reason}")
        return Verdict(not fails, tuple(fails))

    @classmethod
    def from_specs(
        cls, specs: Sequence[Mapping[str, Any] | Callable[[str], Any]], *, detect_refusals: bool = True
    ) -> OutputVerifier:
        return cls(detect_refusals, tuple(check_from_spec(s) for s in specs))


@dataclass
class _Window:
    events: deque[tuple[float, bool]] = field(default_factory=deque)

    def add(self, now: float, failed: bool, span_s: float) -> None:
        self.events.append((now, failed))
        while self.events and now - self.events[0][0] > span_s:
            self.events.popleft()

    def rate(self) -> tuple[int, float]:
        n = len(self.events)
        return n, (sum(1 for _, f in self.events if f) / n if n else 0.0)


class RollbackTracker:
    """Sliding-window verified failure rate per (route, model) and the rollback state per route.

    A route is rolled back when its primary model's failure rate exceeds `threshold` with at
    least `min_requests` in the window, and rolled forward when it falls below `threshold / 2`
    (hysteresis, so it does not flap). While rolled back, one request in `probe_every` still goes
    to the original model, so its recovery is seen; old failures also age out of the window."""

    def __init__(
        self,
        *,
        threshold: float = 0.05,
        window_s: float = 300.0,
        min_requests: int = 20,
        safer: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[str, str, bool], None] | None = None,
        probe_every: int = 20,
    ) -> None:
        self.threshold = threshold
        self.window_s = window_s
        self.min_requests = min_requests
        self.safer = dict(safer or {})
        self._clock = clock
        self._on_change = on_change
        self._windows: dict[tuple[str, str], _Window] = {}
        self.rolled_back: dict[str, str] = {}  # route -> model it rolled back from
        self.transitions = 0
        self.probe_every = max(1, probe_every)
        self._since_probe: dict[str, int] = {}

    def record(self, route: str, model: str, failed: bool) -> None:
        now = self._clock()
        w = self._windows.setdefault((route, model), _Window())
        w.add(now, failed, self.window_s)
        n, rate = w.rate()
        if route not in self.rolled_back and n >= self.min_requests and rate > self.threshold:
            self.rolled_back[route] = model
            self._transition(route, model, True, rate)
        elif self.rolled_back.get(route) == model and rate < self.threshold / 2:
            del self.rolled_back[route]
            self._transition(route, model, False, rate)

    def _transition(self, route: str, model: str, back: bool, rate: float) -> None:
        self.transitions += 1
        log.warning(
            "rollback: route %s %s %s (verified failure rate %.1f%%)",
            route,
            "rolled back from" if back else "returned to",
            model,
            100 * rate,
            extra={"event": "routecore.rollback", "route": route, "model": model, "rolled_back": back},
        )
        if self._on_change is not None:
            self._on_change(route, model, back)

    def model_for(self, route: str, model: str) -> str:
        """The model to use on `route` instead of `model` (itself unless rolled back)."""
        if self.rolled_back.get(route) != model:
            return model
        w = self._windows.get((route, model))
        if w is not None:
            while w.events and self._clock() - w.events[0][0] > self.window_s:
                w.events.popleft()
            if not w.events:
                # Every failure aged out without new evidence: return to the model.
                del self.rolled_back[route]
                self._transition(route, model, False, 0.0)
                return model
        k = self._since_probe.get(route, 0) + 1
        self._since_probe[route] = k
        if k % self.probe_every == 0:
            return model  # a probe, to see whether it recovered
        return self.safer.get(route, self.safer.get("*", model))

    def failure_rate(self, route: str, model: str) -> float:
        w = self._windows.get((route, model))
        return w.rate()[1] if w else 0.0
