"""Delayed hedging: a silent primary gets a hedge at the delay; first useful token wins; the
loser's connection is closed; a budget caps how many requests may hedge."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from provider_support import (
    REQ,
    collect,
    cost_usd,
    dispatcher,
    make_config,
    pin,
    router_for,
    run,
    spent_usd,
    text_of,
)
from routecore.resilience.hedge import HedgeBudget, hedge_delay_s
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProvider]:
    with MockProvider() as m:
        yield m


@pytest.fixture
def fresh(mock: MockProvider) -> MockProvider:
    mock.reset()
    return mock


async def wait_for(cond: object, timeout: float = 2.0) -> None:
    end = time.monotonic() + timeout
    while not cond() and time.monotonic() < end:  # type: ignore[operator]
        await asyncio.sleep(0.01)


def test_slow_primary_is_hedged_and_loser_closed(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(ttft_ms=600))
    cfg = make_config(fresh.url, ["p", "f"], tier={"first_token_timeout_ms": 1000},
                      hedge=True, hedge_delay_ms=60, max_hedge_share=1.0)
    router = router_for(cfg)

    async def go() -> None:
        d = dispatcher(router)
        try:
            t = time.perf_counter()
            dec = pin(router, "p")
            c = await d.complete(dec, REQ)
            assert time.perf_counter() - t < 0.4  # hedge at 60 ms, not the primary's 600 ms
            assert c.model == "f"
            assert [(a.model, a.hedge, a.outcome) for a in c.attempts] == [
                ("p", False, "lost_race"), ("f", True, "ok")]
            await wait_for(lambda: fresh.stats("p").client_aborts == 1)
            assert fresh.stats("p").client_aborts == 1  # the loser's connection was closed
            # The loser's input was billed too (the provider had started work), at f's price.
            want = cost_usd(router, "f", c.usage.input_tokens + dec.input_tokens, c.usage.output_tokens)
            assert dec.state == "settled" and spent_usd(router) == pytest.approx(want, abs=1e-12)
            assert router.health("p")["consecutive_failures"] == 0  # losing a race is no failure
            s = d.stream(pin(router, "p"), REQ)
            assert text_of(await collect(s)) == "tok0 tok1 tok2 tok3 "
            assert [a.hedge for a in s.attempts] == [False, True]
        finally:
            await d.aclose()

    run(go())


def test_fast_primary_is_not_hedged(fresh: MockProvider) -> None:
    router = router_for(make_config(fresh.url, ["p", "f"], hedge=True, hedge_delay_ms=100,
                                    max_hedge_share=1.0))

    async def go() -> None:
        d = dispatcher(router)
        try:
            for _ in range(20):
                c = await d.complete(pin(router, "p"), REQ)
                assert c.model == "p" and len(c.attempts) == 1
            assert fresh.stats("f").requests == 0
        finally:
            await d.aclose()

    run(go())


def test_hedge_prefers_the_faster_candidate(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(ttft_ms=500))
    models = {"p": {}, "slow": {"ttft_ms": 400.0}, "quick": {"ttft_ms": 15.0}}
    cfg = make_config(fresh.url, models, tier={"first_token_timeout_ms": 1000},
                      hedge=True, hedge_delay_ms=50, max_hedge_share=1.0)
    router = router_for(cfg)

    async def go() -> None:
        d = dispatcher(router)
        try:
            dec = pin(router, "p")
            assert dec.fallbacks == ["slow", "quick"]  # the chain's order is not the hedge's
            c = await d.complete(dec, REQ)
            assert c.model == "quick" and c.attempts[1].hedge
        finally:
            await d.aclose()

    run(go())


def test_hedge_budget_caps_extra_requests(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(ttft_ms=150))
    cfg = make_config(fresh.url, ["p", "f"], tier={"first_token_timeout_ms": 1000},
                      hedge=True, hedge_delay_ms=20, max_hedge_share=0.25)
    router = router_for(cfg)

    async def go() -> None:
        d = dispatcher(router)
        try:
            results = [await d.complete(pin(router, "p"), REQ) for _ in range(20)]
            hedged = sum(any(a.hedge for a in c.attempts) for c in results)
            # share 0.25 of 20 requests, plus the one-hedge allowance of a cold window
            assert 1 <= hedged <= 0.25 * 20 + 1
            assert d.hedge_budget.stats() == (20, hedged)
        finally:
            await d.aclose()

    run(go())


def test_primary_failing_before_the_delay_is_a_plain_fallback(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(fault="http_error", status=500))
    router = router_for(make_config(fresh.url, ["p", "f"], hedge=True, hedge_delay_ms=200,
                                    max_hedge_share=1.0))

    async def go() -> None:
        d = dispatcher(router)
        try:
            c = await d.complete(pin(router, "p"), REQ)
            assert [(a.model, a.hedge) for a in c.attempts] == [("p", False), ("f", False)]
            assert d.hedge_budget.stats()[1] == 0
        finally:
            await d.aclose()

    run(go())


def test_delay_follows_the_observed_p95_once_there_are_samples(fresh: MockProvider) -> None:
    # Nominal TTFT 400 ms: without samples the hedge would wait 600 ms (1.5x nominal).
    cfg = make_config(fresh.url, {"p": {"ttft_ms": 400.0}, "f": {}}, tier={"first_token_timeout_ms": 1000},
                      hedge=True, max_hedge_share=1.0, latency_miss_limit=1000)
    router = router_for(cfg)

    async def go() -> None:
        d = dispatcher(router)
        try:
            for _ in range(20):  # loopback first tokens: a p95 of a few milliseconds
                assert (await d.complete(pin(router, "p"), REQ)).model == "p"
            assert router.health("p")["ttft_samples"] == 20
            fresh.program("p", Scenario(ttft_ms=700))
            t = time.perf_counter()
            c = await d.complete(pin(router, "p"), REQ)
            assert time.perf_counter() - t < 0.4 and c.model == "f" and c.attempts[1].hedge
        finally:
            await d.aclose()

    run(go())


def test_budget_window_and_delay_rules() -> None:
    now = [0.0]
    b = HedgeBudget(0.1, 10.0, clock=lambda: now[0])
    for _ in range(10):
        b.note_request()
    assert b.try_acquire() and b.try_acquire()  # 0.1 * 10 + 1 allowance
    assert not b.try_acquire()
    now[0] = 25.0  # the window slid past everything
    assert b.stats() == (0, 0)
    none_seen = (None, None, 0, None)  # Router.ttft_view before any sample, no fleet view
    assert hedge_delay_s(80.0, none_seen, 300.0, 1000.0) == pytest.approx(0.08)
    seen = (100.0, 120.0, 50, None)
    assert hedge_delay_s(None, seen, 300.0, 1000.0) == pytest.approx(0.12)
    loopback = (0.5, 0.8, 50, None)  # scheduling jitter, not a slow provider
    assert hedge_delay_s(None, loopback, 300.0, 1000.0) == pytest.approx(0.01)
    few = (100.0, 120.0, 3, None)
    assert hedge_delay_s(None, few, 300.0, 1000.0) == pytest.approx(0.45)
    fleet = (100.0, 120.0, 3, 700.0)  # too few own samples: the other replicas' p95
    assert hedge_delay_s(None, fleet, 300.0, 1000.0) == pytest.approx(0.7)
    assert hedge_delay_s(None, none_seen, 300.0, 200.0) == pytest.approx(0.18)  # below first-token timeout
