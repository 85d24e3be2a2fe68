"""Per-router enforcement state: the guard policies by (tenant, tier), the output verifier and
one rollback tracker per tier, built from the compiled config once and kept on the Router
(it is immutable, so the cache never goes stale; a reload builds a new Router)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..checks import Check, check_from_spec
from ..errors import RouteError
from ..verify import OutputVerifier, RollbackTracker, Verdict
from .callables import load_callable
from .escalation import HumanEscalation
from .events import RollbackTransition, VerificationResult, emit
from .inputs import GuardPolicy

if TYPE_CHECKING:
    from .._core import Decision
    from ..completion import Completion
    from ..router import Router

__all__ = ["Enforcement", "enforcement"]

log = logging.getLogger("routecore.enforce")


def enforcement(router: Router) -> Enforcement:
    e: Enforcement | None = router.__dict__.get("_enforcement")
    if e is None:
        e = router.__dict__["_enforcement"] = Enforcement(router)
    return e


def _load_check(spec: str) -> Check:
    return check_from_spec(load_callable(spec))


class Enforcement:
    def __init__(self, router: Router) -> None:
        self.router = router
        self.max_tier = len(router.config["tiers"]) - 1
        self._guards: dict[tuple[str | None, int], GuardPolicy] = {}
        v = router.verification_policy()
        self.on_failure: str = v["on_failure"]
        self.json_checks = "json" in v["checks"]
        self.verifier = OutputVerifier(detect_refusals="refusal" in v["checks"],
                                       custom=[_load_check(s) for s in v["custom"]])
        self.human = HumanEscalation(v)
        self._rollback_model: dict[str, str] = v["rollback_model"]
        self._rollback_tier: list[str | None] = v["rollback_tier"]
        self.trackers = [
            RollbackTracker(threshold=t, window_s=v["window_s"], min_requests=v["min_samples"],
                            probe_every=v["probe_every"], on_change=self._changed(tier))
            for tier, t in enumerate(v["thresholds"])
        ]

    # ------------------------------------------------------------------ input guards

    def guards(self, tenant: str | None, tier: int) -> GuardPolicy:
        key = (tenant, tier)
        g = self._guards.get(key)
        if g is None:
            g = self._guards[key] = GuardPolicy.from_core(self.router.guard_policy(tenant, tier))
        return g

    # ------------------------------------------------------------------ verification

    def add_check(self, check: Callable[[str], Any]) -> None:
        """Add a custom output check (`(text) -> bool | CheckResult`); it then runs on every answer."""
        self.verifier.custom = (*self.verifier.custom, check_from_spec(check))

    def applies(self, response_format: Mapping[str, Any] | None) -> bool:
        return bool(self.verifier.checks_for(self._rf(response_format)))

    def _rf(self, response_format: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        return response_format if self.json_checks else None

    def verify(self, c: Completion, response_format: Mapping[str, Any] | None) -> Verdict:
        return self.verifier.verify(c.content, self._rf(response_format), has_tool_calls=bool(c.tool_calls))

    def record(self, c: Completion, verdict: Verdict, next_step: str) -> None:
        """Count the answer against the model that produced it, on its route (tier × capability)."""
        d = c.decision
        tier = min(int(d.tier), len(self.trackers) - 1)
        self.trackers[tier].record(_route(d), c.model, not verdict.ok)
        names = tuple(f.split(":", 1)[0] for f in verdict.failures)
        emit(VerificationResult(c.model, int(d.tier), verdict.ok, names, next_step))  # type: ignore[arg-type]
        if not verdict.ok:
            # Check names only: the failure details quote the answer, which may echo the prompt.
            log.info("verification failed: %s (T%d) %s; next: %s", c.model, d.tier, ", ".join(names),
                     next_step, extra={"event": "routecore.verification", "model": c.model})

    # ------------------------------------------------------------------ rollback

    def safer(self, model: str, tier: int) -> str | None:
        """Where a rolled-back model's traffic goes: configured per model, per tier, else a tier up."""
        if model in self._rollback_model:
            return self._rollback_model[model]
        if tier < len(self._rollback_tier) and self._rollback_tier[tier]:
            return self._rollback_tier[tier]
        return f"routecore/t{tier + 1}" if tier < self.max_tier else None

    def rollback(self, d: Decision, messages: Sequence[Mapping[str, Any]],
                 route_kw: Mapping[str, Any]) -> Decision:
        """The decision to serve: `d`, or a re-route to the safer choice while `d`'s model is
        rolled back on its route (except the periodic probe that checks for recovery)."""
        tier = min(int(d.tier), len(self.trackers) - 1)
        tr, route = self.trackers[tier], _route(d)
        if route not in tr.rolled_back:
            return d
        target = self.safer(d.model, tier)
        if target is None:
            return d
        tr.safer[route] = target
        chosen = tr.model_for(route, d.model)
        if chosen == d.model:
            return d
        nd = self.reroute(d, messages, route_kw, model=chosen)
        if nd is None:
            return d
        nd._note(f"rollback: {d.model} is rolled back on {route} (verified failure rate "
                 f"{100 * tr.failure_rate(route, d.model):.1f}% > {100 * tr.threshold:.1f}%) -> {chosen}")
        return nd

    def _changed(self, tier: int) -> Callable[[str, str, bool], None]:
        def on_change(route: str, model: str, back: bool) -> None:
            target = self.trackers[tier].safer.get(route) or self.safer(model, tier)
            emit(RollbackTransition(route, model, back, target))
        return on_change

    # ------------------------------------------------------------------ re-routing

    def reroute(self, d: Decision, messages: Sequence[Mapping[str, Any]], route_kw: Mapping[str, Any], *,
                model: str | None = None, min_tier: int | None = None,
                release: bool = True) -> Decision | None:
        """A new decision (pinned to `model`, or at `min_tier` or above); `d`'s reservation is
        given back first. None when routing refuses (tenant bounds, budget): the caller decides."""
        kw = dict(route_kw)
        kw["model"] = model
        if min_tier is not None:
            kw["min_tier"] = max(min_tier, kw.get("min_tier") or 0)
        if model is not None:
            kw.pop("min_tier", None)
        try:
            nd = self.router.route(list(messages), **kw)
        except RouteError as exc:
            log.info("re-route refused: %s", exc.code)
            return None
        if release and d.state == "open":
            self.router.release(d)
        return nd


def _route(d: Decision) -> str:
    return f"T{d.tier}/{d.capability}"
