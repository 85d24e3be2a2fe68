"""Drift detection: a golden-prompt set is run against each model (by command or on a
schedule), answers are checked, and a significant drop in a model's pass rate against its
baseline raises a metric and a log event and calls the demotion hook.

Golden file, one JSON object per line::

    {"id": "fr", "prompt": "Capital of France? One word.", "check": {"type": "exact", "value": "Paris"}}
    {"id": "j1", "messages": [...], "check": {"type": "json_schema", "value": {...}}, "models": ["gpt-4o"]}

"Significant" means a one-sided two-proportion z-test at `alpha` *and* a drop of at least
`min_drop` in pass rate, so one unlucky answer on a small set does not demote a model.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..checks import Check, CheckResult, check_from_spec
from ..errors import InvalidRequestError, RouteError

__all__ = [
    "DriftFinding",
    "DriftMonitor",
    "GoldenPrompt",
    "ModelScore",
    "compare",
    "load_golden",
    "run_golden",
]

log = logging.getLogger("routecore.drift")


@dataclass(frozen=True)
class GoldenPrompt:
    id: str
    messages: list[dict[str, Any]]
    check: Check
    models: tuple[str, ...] | None = None
    max_tokens: int | None = None


@dataclass
class ModelScore:
    model: str
    n: int = 0
    passed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.n if self.n else 0.0

    def to_json(self) -> dict[str, int]:
        return {"n": self.n, "passed": self.passed}


@dataclass(frozen=True)
class DriftFinding:
    model: str
    baseline_rate: float
    current_rate: float
    p_value: float
    significant: bool


def load_golden(path: str | Path) -> list[GoldenPrompt]:
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            obj = json.loads(line)
            msgs = obj["messages"] if "messages" in obj else [{"role": "user", "content": obj["prompt"]}]
            check = check_from_spec(obj["check"])
        except (json.JSONDecodeError, KeyError, ValueError, TypeError) as e:
            raise InvalidRequestError(f"{where}: invalid golden prompt ({e})", path=where) from None
        models = tuple(obj["models"]) if obj.get("models") else None
        out.append(GoldenPrompt(str(obj.get("id", n)), list(msgs), check, models, obj.get("max_tokens")))
    return out


async def run_golden(
    router: Any,
    prompts: Sequence[GoldenPrompt],
    models: Sequence[str] | None = None,
    *,
    concurrency: int = 4,
    tenant: str | None = None,
) -> dict[str, ModelScore]:
    """Ask every model (pinned) every golden prompt; a provider failure counts as a failed check."""
    names = list(models) if models is not None else list(router.models)
    scores = {m: ModelScore(m) for m in names}
    sem = asyncio.Semaphore(max(1, concurrency))

    async def one(model: str, p: GoldenPrompt) -> None:
        async with sem:
            try:
                c = await router.complete(p.messages, model=model, max_tokens=p.max_tokens, tenant=tenant)
                # A fallback's answer says nothing about this model: it counts as a failure.
                if c.model != model:
                    result = CheckResult(False, f"served by fallback {c.model}")
                else:
                    result = p.check(c.content or "")
            except RouteError as e:
                result = CheckResult(False, f"{type(e).__name__}")
        s = scores[model]
        s.n += 1
        if result.ok:
            s.passed += 1
        else:
            s.failures.append((p.id, result.reason))

    await asyncio.gather(*(one(m, p) for m in names for p in prompts if p.models is None or m in p.models))
    return scores


def _p_drop(n0: int, k0: int, n1: int, k1: int) -> float:
    """One-sided p-value that the current rate k1/n1 is below the baseline k0/n0."""
    if n0 == 0 or n1 == 0:
        return 1.0
    pooled = (k0 + k1) / (n0 + n1)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
    if se == 0:
        return 1.0 if k1 / n1 >= k0 / n0 else 0.0
    z = (k0 / n0 - k1 / n1) / se
    return 0.5 * math.erfc(z / math.sqrt(2))


def compare(
    baseline: Mapping[str, Mapping[str, int]],
    current: Mapping[str, ModelScore],
    *,
    alpha: float = 0.05,
    min_drop: float = 0.1,
    on_drift: Callable[[DriftFinding], None] | None = None,
    metrics: Any = None,
) -> list[DriftFinding]:
    """Findings for every model in both runs; significant drops are logged, counted in
    `metrics` (an object with `drift_pass_rate` gauge and `drift_alerts` counter) and passed
    to `on_drift` (e.g. to demote the model)."""
    out = []
    for model, s in current.items():
        base = baseline.get(model)
        if base is None or not base.get("n"):
            continue
        b_rate = base["passed"] / base["n"]
        p = _p_drop(base["n"], base["passed"], s.n, s.passed)
        sig = p < alpha and b_rate - s.pass_rate >= min_drop
        f = DriftFinding(model, b_rate, s.pass_rate, p, sig)
        out.append(f)
        if metrics is not None:
            metrics.drift_pass_rate.labels(model=model).set(s.pass_rate)
        if sig:
            log.warning(
                "drift: %s pass rate fell from %.2f to %.2f (p=%.4f)",
                model,
                b_rate,
                s.pass_rate,
                p,
                extra={
                    "event": "routecore.drift",
                    "model": model,
                    "baseline": b_rate,
                    "current": s.pass_rate,
                },
            )
            if metrics is not None:
                metrics.drift_alerts.labels(model=model).inc()
            if on_drift is not None:
                on_drift(f)
    return out


class DriftMonitor:
    """Runs the golden set every `interval_s` seconds; the first run (or a saved baseline file)
    is the baseline. Each run's scores are compared to it; significant drops call `on_drift`."""

    def __init__(
        self,
        router: Any,
        prompts: Sequence[GoldenPrompt],
        *,
        interval_s: float = 3600.0,
        baseline_path: str | Path | None = None,
        models: Sequence[str] | None = None,
        on_drift: Callable[[DriftFinding], None] | None = None,
        metrics: Any = None,
    ) -> None:
        self.router = router
        self.prompts = list(prompts)
        self.interval_s = interval_s
        self.baseline_path = Path(baseline_path) if baseline_path is not None else None
        self.models = models
        self.on_drift = on_drift
        self.metrics = metrics
        self.baseline: dict[str, dict[str, int]] | None = None
        if self.baseline_path is not None and self.baseline_path.exists():
            self.baseline = json.loads(self.baseline_path.read_text())

    async def run_once(self) -> list[DriftFinding]:
        scores = await run_golden(self.router, self.prompts, self.models)
        if self.baseline is None:
            self.baseline = {m: s.to_json() for m, s in scores.items()}
            if self.baseline_path is not None:
                self.baseline_path.write_text(json.dumps(self.baseline, indent=2))
            return []
        return compare(self.baseline, scores, on_drift=self.on_drift, metrics=self.metrics)

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # a failed run must not end the schedule
                log.exception("drift: golden run failed")
            await asyncio.sleep(self.interval_s)
