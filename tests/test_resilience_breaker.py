"""Circuit breaking per deployment through the real Router's health API (rust/src/health.rs):
the contract the dispatcher relies on, and its effect on dispatch."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from provider_support import REQ, dispatcher, make_config, pin, router_for, run
from routecore import Router
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario


def health_router(**resilience: Any) -> Router:
    # One model, no I/O: these tests only talk to the health API.
    return router_for(make_config("http://127.0.0.1:9", ["m"], **resilience))


def fail(r: Router, n: int = 1, kind: str = "server") -> None:
    for _ in range(n):
        r.record_outcome("m", ok=False, ttft_ms=None, total_ms=5.0, error=kind)


def test_consecutive_failures_open_then_half_open_probe_closes() -> None:
    r = health_router(breaker_consecutive_failures=3, breaker_open_ms=50)
    fail(r, 2)
    assert r.allow("m")
    fail(r)
    assert r.health("m")["state"] == "open" and not r.allow("m")
    time.sleep(0.06)
    assert r.allow("m")  # the probe
    assert not r.allow("m")  # only one probe at a time
    r.record_outcome("m", ok=True, ttft_ms=20.0, total_ms=30.0)
    assert r.health("m")["state"] == "closed" and r.allow("m")


def test_failed_probe_reopens() -> None:
    r = health_router(breaker_consecutive_failures=1, breaker_open_ms=50)
    fail(r)
    time.sleep(0.06)
    assert r.allow("m")
    fail(r)
    assert r.health("m")["state"] == "open" and not r.allow("m")
    assert r.health("m")["opened_total"] == 2


def test_error_rate_over_window_opens() -> None:
    r = health_router(breaker_consecutive_failures=100, breaker_error_rate=0.5, breaker_min_requests=10)
    for i in range(9):
        ok = i % 2 == 0
        r.record_outcome("m", ok=ok, ttft_ms=10.0, total_ms=10.0, error=None if ok else "server")
    assert r.health("m")["state"] == "closed"  # 4 of 9: below the minimum request count
    fail(r)
    assert r.health("m")["state"] == "open"


def test_old_errors_slide_out_of_the_window() -> None:
    r = health_router(breaker_consecutive_failures=100, breaker_min_requests=4, breaker_window_s=0.1)
    fail(r, 3)
    time.sleep(0.15)
    for _ in range(3):
        r.record_outcome("m", ok=True, ttft_ms=10.0, total_ms=10.0)
    fail(r)
    assert r.health("m")["state"] == "closed"
    assert r.health("m")["requests_in_window"] == 4


def test_first_tokens_over_the_tier_budget_open() -> None:
    # The core counts a TTFT over the tier's latency budget (300 ms here) as a miss by itself.
    r = health_router(latency_miss_limit=3)
    for _ in range(2):
        r.record_outcome("m", ok=True, ttft_ms=900.0, total_ms=950.0)
    assert r.health("m")["state"] == "closed" and r.health("m")["latency_misses"] == 2
    r.record_outcome("m", ok=True, ttft_ms=900.0, total_ms=950.0)
    assert r.health("m")["state"] == "open"


@pytest.mark.parametrize("kind", ["client", "context_window", "content_policy", "cancelled"])
def test_request_side_errors_do_not_count(kind: str) -> None:
    r = health_router(breaker_consecutive_failures=2)
    fail(r, 10, kind)
    assert r.health("m")["state"] == "closed" and r.health("m")["consecutive_failures"] == 0


@pytest.mark.parametrize("kind", ["timeout", "connect", "server", "rate_limited", "bad_response", "auth"])
def test_deployment_errors_count(kind: str) -> None:
    r = health_router(breaker_consecutive_failures=2)
    fail(r, 2, kind)
    assert r.health("m")["state"] == "open"


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProvider]:
    with MockProvider() as m:
        yield m


def test_dead_deployment_reaction_and_recovery(mock: MockProvider) -> None:
    """Requests that reach a dead deployment before its breaker opens, and recovery by probe."""
    mock.reset()
    mock.program("p", Scenario(fault="reset"))
    router = router_for(
        make_config(mock.url, ["p", "f"], breaker_consecutive_failures=3, breaker_open_ms=300, max_attempts=2)
    )

    async def go() -> None:
        d = dispatcher(router)
        try:
            for _ in range(10):
                c = await d.complete(pin(router, "p"), REQ)
                assert c.model == "f"
            assert mock.stats("p").requests == 3  # then the breaker kept traffic away
            assert router.health("p")["state"] == "open"
            assert c.attempts[0].outcome == "skipped" and c.attempts[0].detail == "circuit breaker open"
            assert router.route(REQ.messages).model == "f"  # selection reads the same breaker
            mock.program("p", Scenario())  # it comes back
            time.sleep(0.35)
            c = await d.complete(pin(router, "p"), REQ)
            assert c.model == "p"  # the half-open probe succeeded
            assert router.health("p")["state"] == "closed"
        finally:
            await d.aclose()

    run(go())


def test_slow_answers_move_traffic_away_after_the_miss_limit(mock: MockProvider) -> None:
    """Each slow first token is one miss (not two): the breaker opens at exactly the limit."""
    mock.reset()
    mock.program("p", Scenario(ttft_ms=60))
    cfg = make_config(mock.url, ["p", "f"], tier={"latency_budget_ms": 30.0}, latency_miss_limit=3)
    router = router_for(cfg)

    async def go() -> None:
        d = dispatcher(router)
        try:
            for _ in range(2):
                assert (await d.complete(pin(router, "p"), REQ)).model == "p"
            assert router.health("p")["state"] == "closed"
            assert router.health("p")["latency_misses"] == 2
            await d.complete(pin(router, "p"), REQ)
            assert router.health("p")["state"] == "open"
        finally:
            await d.aclose()

    run(go())
