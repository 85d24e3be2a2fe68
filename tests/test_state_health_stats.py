"""Shared latency/error statistics are consumed, not only published: two routers share a real
Redis; what router A observes reaches router B (which sent no traffic of its own) as a fleet
prior within the stated time, and B's selection, deadline admission and hedge delay use it.
Neither router ever reads back its own entry, so nothing echoes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

import routecore
from redis_support import RedisServer, redis_server, state_toml
from routecore.dispatch import Dispatcher
from routecore.resilience.hedge import hedge_delay_s
from routecore.state.health_sync import merge_peers
from routecore.state.redis import STATS_FRESH_MS

__all__ = ["redis_server"]

SLOW = "gpt-4o-mini"  # T1, configured TTFT 220 ms
ERRING = "llama-3.1-8b-instant"
PROMPT = "hello, how are you today?"
#: The propagation this file holds the Redis backend to (README, KEYS.md).
PROPAGATION_S = 2.0


def _config(url: str) -> str:
    # T1's latency budget up to 5 s: A's slow samples must not open its breaker (the shared
    # breaker would then hide the statistics path this file is about).
    text = state_toml(url)
    for old, new in (("1000", "7000"), ("500", "6000"), ("250", "5000")):
        assert f"latency_budget_ms = {old}\n" in text
        text = text.replace(f"latency_budget_ms = {old}\n", f"latency_budget_ms = {new}\n")
    return text


@pytest.fixture()
def pair(redis_server: RedisServer) -> Iterator[tuple[routecore.Router, routecore.Router]]:
    text = _config(redis_server.url)
    a, b = routecore.Router.from_toml(text), routecore.Router.from_toml(text)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def _wait(cond: Callable[[], bool], limit_s: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        if cond():
            return time.monotonic() - t0
        time.sleep(0.01)
    raise AssertionError(f"not within {limit_s} s")


def test_slow_ttft_seen_by_one_replica_reaches_the_other(
    pair: tuple[routecore.Router, routecore.Router],
) -> None:
    a, b = pair
    before = b.health(SLOW)
    assert before["fleet_n"] == 0 and before["expected_ttft_ms"] == pytest.approx(220.0)
    assert b.route(PROMPT, model="routecore/t1", deadline_ms=1000).model == SLOW
    assert b.ttft_view(SLOW) == (None, None, 0, None)  # no own sample, no fleet view yet
    nominal_delay = hedge_delay_s(None, b.ttft_view(SLOW), 220.0, 4000.0)
    # The attempt loop's deadline admission (`call.py`) reads the same expected TTFT.
    shared = Dispatcher(b)._shared
    assert shared.expected_ttft_ms(SLOW) == pytest.approx(220.0)

    for _ in range(12):
        a.record_outcome(SLOW, ok=True, ttft_ms=1500.0, total_ms=1800.0)
    t = _wait(lambda: (b.health(SLOW)["fleet_n"] or 0) >= 12, PROPAGATION_S)
    print(f"\nTTFT propagation A -> B: {t * 1000:.0f} ms")

    h = b.health(SLOW)
    assert h["ttft_ewma_ms"] is None and h["ttft_samples"] == 0, "B's own statistics stay its own"
    assert h["fleet_ttft_ms"] == pytest.approx(1500.0)
    assert h["expected_ttft_ms"] == pytest.approx(1500.0)
    # Deadline admission now skips the slow deployment for a 1 s deadline ...
    d = b.route(PROMPT, model="routecore/t1", deadline_ms=1000)
    assert d.model != SLOW
    assert any("does not fit the deadline" in r and SLOW in r for r in d.reasons), d.reasons
    assert shared.expected_ttft_ms(SLOW) == pytest.approx(1500.0)
    # ... and the hedge waits for the fleet's p95 instead of 1.5x the nominal TTFT.
    assert nominal_delay == pytest.approx(0.33)
    # The per-attempt accessor agrees with the dict: fleet blend as expected, fleet p95.
    view = b.ttft_view(SLOW)
    assert view == (h["expected_ttft_ms"], None, 0, h["fleet_ttft_p95_ms"]), view
    assert hedge_delay_s(None, view, 220.0, 4000.0) == pytest.approx(1.5)
    # A's own view is untouched by B's (empty) entry: no echo.
    assert a.health(SLOW)["fleet_n"] == 0


def test_fleet_error_rate_demotes_and_goes_stale(
    pair: tuple[routecore.Router, routecore.Router],
) -> None:
    a, b = pair
    assert not any("demoted" in r for r in b.route(PROMPT, model="routecore/t1").reasons)
    # 3 failures in 10, never consecutive: degraded (> 25%), not tripped (< 50%).
    for i in range(10):
        if i % 3 == 2:
            a.record_outcome(ERRING, ok=False, error="server")
        else:
            a.record_outcome(ERRING, ok=True, ttft_ms=30.0, total_ms=60.0)
    assert a.health(ERRING)["state"] == "closed"
    _wait(lambda: (b.health(ERRING)["fleet_n"] or 0) >= 10, PROPAGATION_S)
    assert b.health(ERRING)["fleet_error_rate"] == pytest.approx(0.3)
    d = b.route(PROMPT, model="routecore/t1")
    assert f"{ERRING} demoted: degraded health" in d.reasons, d.reasons
    assert d.model != ERRING

    # A goes away: its entry stops being refreshed and B drops the prior once it is stale
    # (B keeps publishing its own entry all along and never reads it back).
    a.close()
    t = _wait(lambda: b.health(ERRING)["fleet_n"] == 0, STATS_FRESH_MS / 1000 + 1.5)
    print(f"\nstale prior dropped {t * 1000:.0f} ms after the peer closed")
    assert not any("demoted" in r for r in b.route(PROMPT, model="routecore/t1").reasons)


def test_propagation_time_over_several_updates(pair: tuple[routecore.Router, routecore.Router]) -> None:
    a, b = pair
    model = "claude-3-5-haiku"
    times = []
    for k in range(1, 7):
        time.sleep(0.09 * k)  # sample different phases of the two replicas' exchange periods
        a.record_outcome(model, ok=True, ttft_ms=100.0, total_ms=200.0)
        times.append(_wait(lambda k=k: b.health(model)["fleet_n"] == k, PROPAGATION_S))
    times.sort()
    median, worst = times[len(times) // 2] * 1000, times[-1] * 1000
    print(f"\npropagation over {len(times)} updates: median {median:.0f} ms, max {worst:.0f} ms")
    assert b.health(model)["fleet_ttft_ms"] == pytest.approx(100.0)


def test_merge_is_weighted_by_recent_requests_and_skips_junk() -> None:
    blobs = [
        '{"ttft_ewma_ms": 100.0, "ttft_p95_ms": 150.0, "error_rate": 0.0, "n": 30}',
        '{"ttft_ewma_ms": 500.0, "ttft_p95_ms": 900.0, "error_rate": 0.5, "n": 10}',
        '{"ttft_ewma_ms": 9999.0, "error_rate": 1.0, "n": 0}',  # idle: weighs nothing
        '{"ttft_ewma_ms": null, "ttft_p95_ms": null, "error_rate": 1.0, "n": 10}',  # failures only
        "not json",
    ]
    ttft, p95, err, n = merge_peers(blobs)
    assert n == 50
    assert ttft == pytest.approx((30 * 100 + 10 * 500) / 40)
    assert p95 == pytest.approx((30 * 150 + 10 * 900) / 40)
    assert err == pytest.approx((0 + 5 + 10) / 50)
    assert merge_peers([]) == (None, None, 0.0, 0)
