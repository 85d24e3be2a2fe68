"""Library-level Prometheus metrics, fed by real calls over loopback through the observer hook."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

import routecore
from provider_support import make_config, run
from routecore.errors import BudgetExceeded
from routecore.observe import DecisionRecord, RouterMetrics
from routecore.observe.metrics import OTHER
from routecore.provider_errors import AllProvidersFailed
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario


@pytest.fixture()
def mock() -> Iterator[MockProvider]:
    os.environ.setdefault("MOCK_KEY", "sk-test-not-a-secret")
    with MockProvider().start() as m:
        yield m


def _router(mock: MockProvider, models: list[str], **res: Any) -> tuple[routecore.Router, RouterMetrics]:
    cfg: dict[str, Any] = make_config(mock.url, models, **res)
    cfg["scoring"] = {"thresholds": []}
    cfg["tenants"] = {"default": {"requests_per_min": 100_000}, "tiny": {"requests_per_min": 1}}
    router = routecore.Router(cfg)
    m = RouterMetrics()
    router.add_observer(m)
    m.track(router)
    return router, m


def val(m: RouterMetrics, name: str, **labels: str) -> float:
    v = m.registry.get_sample_value(name, labels)
    return 0.0 if v is None else v


def test_requests_latency_cost_tokens_fallbacks_and_mix(mock: MockProvider) -> None:
    mock.program("alpha", Scenario(fault="http_error", status=500, fault_first_n=1))
    router, m = _router(mock, ["alpha", "beta"])

    async def go() -> list[Any]:
        try:
            out = [await router.complete("hello there", tenant="acme") for _ in range(3)]
            mock.program("alpha", Scenario(fault="http_error", status=503))
            mock.program("beta", Scenario(fault="http_error", status=503))
            with pytest.raises(AllProvidersFailed):
                await router.complete("hello there", tenant="acme")
            return out
        finally:
            await router.aclose()

    done = run(go())
    tier, cap = str(done[0].decision.tier), done[0].decision.capability
    ok = {"tenant": "acme", "tier": tier, "outcome": "ok"}
    assert val(m, "routecore_llm_requests_total", model="beta", **ok) == 1  # the fallback served
    assert val(m, "routecore_llm_requests_total", model="alpha", **ok) == 2
    assert val(m, "routecore_llm_requests_total", model="alpha", **{**ok, "outcome": "failed"}) == 1
    assert val(m, "routecore_fallbacks_total", reason="server") >= 2  # first call + the failed one
    assert val(m, "routecore_decisions_total", tier=tier, capability=cap) == 4
    assert val(m, "routecore_route_seconds_count", tier=tier) == 4
    assert 0 < val(m, "routecore_route_seconds_sum", tier=tier) < 0.1
    lat = {"tenant": "acme", "tier": tier, "model": "alpha"}
    assert val(m, "routecore_llm_latency_seconds_count", **lat) == 2
    assert val(m, "routecore_llm_ttft_seconds_count", **lat) == 2
    cost = sum(val(m, "routecore_llm_cost_usd_total", tenant="acme", model=n) for n in ("alpha", "beta"))
    assert 0 < cost < 1
    out_tokens = sum(c.usage.output_tokens for c in done)
    got = sum(val(m, "routecore_llm_tokens_total", tenant="acme", model=n, direction="output")
              for n in ("alpha", "beta"))
    assert got == out_tokens
    snap = m.kpis.snapshot({}, {})
    assert snap["requests"] == 4 and snap["tiers"][0]["requests"] == 4 and snap["tiers"][0]["failed"] == 1


def test_hedges_fired_and_won(mock: MockProvider) -> None:
    mock.program("p", Scenario(ttft_ms=600))
    router, m = _router(mock, ["p", "f"], hedge=True, hedge_delay_ms=60, max_hedge_share=1.0)

    async def go() -> Any:
        try:
            return await router.complete("hello there", model="p")
        finally:
            await router.aclose()

    c = run(go())
    assert c.model == "f"
    assert val(m, "routecore_hedges_total", model="f", result="fired") == 1
    assert val(m, "routecore_hedges_total", model="f", result="won") == 1


def test_budget_refusals_breakers_feedback_guards_verification(mock: MockProvider) -> None:
    router, m = _router(mock, ["alpha", "beta"], breaker_consecutive_failures=1, breaker_open_ms=60_000)
    mock.program("alpha", Scenario(fault="http_error", status=500))

    async def go() -> Any:
        try:
            first = await router.complete("hi", tenant="tiny")
            with pytest.raises(BudgetExceeded):
                await router.complete("hi", tenant="tiny")
            return first
        finally:
            await router.aclose()

    c = run(go())
    assert val(m, "routecore_budget_refusals_total", tenant="tiny", limit="requests_per_min") == 1
    assert val(m, "routecore_llm_requests_total", tenant="tiny", tier="-", model="-", outcome="refused") == 1
    assert val(m, "routecore_breaker_state", model="alpha") == 2  # opened by the one 500
    assert val(m, "routecore_breaker_state", model="beta") == 0
    assert router.feedback(c.decision.request_id, score=True)
    tier = str(c.decision.tier)
    assert val(m, "routecore_feedback_total", tier=tier, model="beta", kind="thumbs") == 1
    assert val(m, "routecore_routing_accuracy", tier=tier) == 1.0
    assert val(m, "routecore_feedback_quality_count", tier=tier) == 1
    m.guard_verdict("injection", "block")
    m.guard_verdict("pii", "allow", 3)
    assert val(m, "routecore_guard_verdicts_total", detector="injection", action="block") == 1
    assert val(m, "routecore_guard_verdicts_total", detector="pii", action="allow") == 3
    assert m.kpis.guard_failures == 1
    rec = DecisionRecord.from_completion(c, cost_usd=0.0)
    rec.verification = {"ok": False, "failures": ["json_schema"]}
    m.observe(rec)
    assert val(m, "routecore_verification_failures_total", model="beta", check="json_schema") == 1


def test_label_values_are_bounded(mock: MockProvider) -> None:
    router, _ = _router(mock, ["alpha"])
    m = RouterMetrics(max_values=2)
    router.add_observer(m)

    async def go() -> None:
        try:
            for t in ("a", "b", "c", "d"):
                await router.complete("hi", tenant=t)
        finally:
            await router.aclose()

    run(go())
    tenants = {s.labels["tenant"] for f in m.registry.collect() if f.name == "routecore_llm_requests"
               for s in f.samples}
    assert tenants == {"a", "b", OTHER}
    assert b'routecore_llm_requests_total{model="alpha",outcome="ok",tenant="_other"' in m.render()


def _samples(m: RouterMetrics) -> list[tuple[str, tuple[tuple[str, str], ...], float]]:
    return sorted((s.name, tuple(sorted(s.labels.items())), s.value)
                  for fam in m.registry.collect() for s in fam.samples if not s.name.endswith("_created"))


def test_counting_off_the_completion_equals_counting_its_record(mock: MockProvider) -> None:
    # A failed first attempt (a fallback) and a hedge that fires: every branch of the counting.
    mock.program("alpha", Scenario(fault="http_error", status=500, fault_first_n=1))
    mock.program("beta", Scenario(ttft_ms=300.0))
    router, via_hook = _router(mock, ["alpha", "beta", "gamma"], hedge=True, hedge_delay_ms=20.0,
                               max_hedge_share=1.0)

    async def go() -> list[Any]:
        try:
            return [await router.complete("hello there", tenant="acme") for _ in range(2)]
        finally:
            await router.aclose()

    done = run(go())
    assert any(a.hedge for c in done for a in c.attempts), "a hedge fired"
    assert any(a.outcome == "error" for c in done for a in c.attempts), "a fallback happened"
    via_record = RouterMetrics()
    for c in done:
        # What the hook's route_ms was is not kept on the completion: the same value both ways.
        rec = DecisionRecord.from_completion(c, cost_usd=0.25)
        rec.route_ms = 0.01
        via_record.observe(rec)
    fast = RouterMetrics()
    for c in done:
        fast.observe_completion(c, 0.25, 0.01)
    assert _samples(fast) == _samples(via_record)
    assert via_hook.kpis.requests == fast.kpis.requests == 2
