"""Circuit breaking per deployment: the in-memory sink's rules, and its effect on dispatch."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from provider_support import REQ, FakeDecision, dispatcher, make_config, run
from routecore.resilience.config import ResiliencePolicy
from routecore.resilience.health import InMemoryHealth
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def sink(**kw: float) -> tuple[InMemoryHealth, Clock]:
    clock = Clock()
    return InMemoryHealth(ResiliencePolicy(**kw), clock), clock  # type: ignore[arg-type]


def fail(h: InMemoryHealth, n: int = 1, kind: str = "server") -> None:
    for _ in range(n):
        h.record_outcome("m", ok=False, ttft_ms=None, total_ms=5.0, error=kind)


def test_consecutive_failures_open_then_half_open_probe_closes() -> None:
    h, clock = sink(breaker_consecutive_failures=3, breaker_open_ms=1000)
    fail(h, 2)
    assert h.allow("m")
    fail(h)
    assert h.health("m")["state"] == "open" and not h.allow("m")
    clock.t += 1.0
    assert h.allow("m")  # the probe
    assert not h.allow("m")  # only one probe at a time
    h.record_outcome("m", ok=True, ttft_ms=20.0, total_ms=30.0, error=None)
    assert h.health("m")["state"] == "closed" and h.allow("m")


def test_failed_probe_reopens() -> None:
    h, clock = sink(breaker_consecutive_failures=1, breaker_open_ms=500)
    fail(h)
    clock.t += 0.5
    assert h.allow("m")
    fail(h)
    assert h.health("m")["state"] == "open" and not h.allow("m")
    assert h.health("m")["opens"] == 2


def test_error_rate_over_window_opens() -> None:
    h, _ = sink(breaker_consecutive_failures=100, breaker_error_rate=0.5, breaker_min_requests=10)
    for i in range(10):
        ok = i % 2 == 0
        h.record_outcome("m", ok=ok, ttft_ms=10.0, total_ms=10.0, error=None if ok else "server")
    assert h.health("m")["state"] == "open"


def test_old_errors_slide_out_of_the_window() -> None:
    h, clock = sink(breaker_consecutive_failures=100, breaker_min_requests=4, breaker_window_s=10)
    fail(h, 3)
    clock.t += 20
    for _ in range(3):
        h.record_outcome("m", ok=True, ttft_ms=10.0, total_ms=10.0, error=None)
    fail(h)
    assert h.health("m")["state"] == "closed"


def test_repeated_latency_misses_open() -> None:
    h, _ = sink(latency_miss_limit=3)
    for _ in range(3):
        h.record_outcome("m", ok=True, ttft_ms=900.0, total_ms=950.0, error=None, deadline_missed=True)
    assert h.health("m")["state"] == "open"


@pytest.mark.parametrize("kind", ["client", "context_window", "content_policy", "cancelled"])
def test_request_side_errors_do_not_count(kind: str) -> None:
    h, _ = sink(breaker_consecutive_failures=2)
    fail(h, 10, kind)
    assert h.health("m")["state"] == "closed"


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProvider]:
    with MockProvider() as m:
        yield m


def test_dead_deployment_reaction_and_recovery(mock: MockProvider) -> None:
    """Requests that reach a dead deployment before its breaker opens, and recovery by probe."""
    mock.reset()
    mock.program("p", Scenario(fault="reset"))
    cfg = make_config(mock.url, ["p", "f"], breaker_consecutive_failures=3, breaker_open_ms=300,
                      max_attempts=2)

    async def go() -> None:
        d, _ = dispatcher(cfg)
        try:
            for _ in range(10):
                c = await d.complete(FakeDecision("p", ["f"]), REQ)
                assert c.model == "f"
            assert mock.stats("p").requests == 3  # then the breaker kept traffic away
            assert d.health.health("p")["state"] == "open"
            assert c.attempts[0].outcome == "skipped" and c.attempts[0].detail == "circuit breaker open"
            mock.program("p", Scenario())  # it comes back
            time.sleep(0.35)
            c = await d.complete(FakeDecision("p", ["f"]), REQ)
            assert c.model == "p"  # the half-open probe succeeded
            assert d.health.health("p")["state"] == "closed"
        finally:
            await d.aclose()

    run(go())
