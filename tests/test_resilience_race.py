"""The hedge race's less common endings (resilience/race.py): the primary read inline, the hedge in
its own task, whichever fails or wins, and a caller that cancels in the middle."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator

import pytest

from provider_support import REQ, dispatcher, make_config, pin, router_for, run, spent_usd
from routecore.resilience.race import Race
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario

HEDGED = {"hedge": True, "hedge_delay_ms": 30.0, "max_hedge_share": 1.0, "latency_miss_limit": 1000}
TIER = {"first_token_timeout_ms": 1000.0}


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProvider]:
    with MockProvider() as m:
        yield m


@pytest.fixture
def fresh(mock: MockProvider) -> MockProvider:
    mock.reset()
    return mock


def outcomes(attempts: list) -> list[tuple[str, bool, str]]:  # type: ignore[type-arg]
    return [(a.model, a.hedge, a.outcome) for a in attempts]


def test_hedge_win_takes_back_its_interrupt(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(ttft_ms=500))
    router = router_for(make_config(fresh.url, ["p", "f"], tier=TIER, **HEDGED))

    async def go() -> None:
        d = dispatcher(router)
        try:
            c = await d.complete(pin(router, "p"), REQ)
            assert outcomes(c.attempts) == [("p", False, "lost_race"), ("f", True, "ok")]
            task = asyncio.current_task()
            assert task is not None
            if sys.version_info >= (3, 11):
                assert task.cancelling() == 0  # the caller's task is not left half-cancelled
            await asyncio.sleep(0.01)  # and it can still wait: no stray cancellation pending
            assert (await d.complete(pin(router, "f"), REQ)).model == "f"
        finally:
            await d.aclose()

    run(go())


def test_primary_failing_after_the_hedge_started_leaves_the_hedge_to_finish(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(fault="http_error", status=500, latency_ms=100))
    fresh.program("f", Scenario(ttft_ms=250))
    router = router_for(make_config(fresh.url, ["p", "f"], tier=TIER, **HEDGED))

    async def go() -> None:
        d = dispatcher(router)
        try:
            t = time.perf_counter()
            c = await d.complete(pin(router, "p"), REQ)
            assert time.perf_counter() - t < 0.6  # the hedge's answer, not a fresh fallback's
            assert outcomes(c.attempts) == [("p", False, "error"), ("f", True, "ok")]
            assert fresh.stats("f").requests == 1
        finally:
            await d.aclose()

    run(go())


def test_failed_hedge_does_not_disturb_the_primary(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(ttft_ms=200))
    fresh.program("f", Scenario(fault="http_error", status=500))
    router = router_for(make_config(fresh.url, ["p", "f"], tier=TIER, **HEDGED))

    async def go() -> None:
        d = dispatcher(router)
        try:
            c = await d.complete(pin(router, "p"), REQ)
            assert c.model == "p" and c.content == "tok0 tok1 tok2 tok3 "
            assert outcomes(c.attempts) == [("p", False, "ok"), ("f", True, "error")]
            assert router.health("f")["consecutive_failures"] == 1  # evidence against f
        finally:
            await d.aclose()

    run(go())


def test_caller_cancelling_mid_race_closes_both_and_releases(fresh: MockProvider) -> None:
    fresh.program(None, Scenario(ttft_ms=800))
    router = router_for(make_config(fresh.url, ["p", "f"], tier=TIER, **HEDGED))

    async def go() -> None:
        d = dispatcher(router)
        try:
            dec = pin(router, "p")
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(d.complete(dec, REQ), 0.15)  # after the hedge started
            assert dec.state == "released" and spent_usd(router) == pytest.approx(0, abs=1e-12)
            for _ in range(100):
                if fresh.stats("p").client_aborts and fresh.stats("f").client_aborts:
                    break
                await asyncio.sleep(0.01)
            assert (fresh.stats("p").client_aborts, fresh.stats("f").client_aborts) == (1, 1)
        finally:
            await d.aclose()

    run(go())


@pytest.mark.parametrize("caller_too", [False, True])
def test_interrupt_is_withdrawn_only_when_it_was_the_sole_cancellation(caller_too: bool) -> None:
    async def won() -> list[object]:
        return []

    async def racer() -> bool:
        race = Race(lambda: None)
        hedge = asyncio.ensure_future(won())
        await hedge
        race._hedge_done(hedge)  # the hedge committed while the caller still read the primary
        me = asyncio.current_task()
        assert me is not None
        if caller_too:
            me.cancel()
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            return race.took_back()
        raise AssertionError("not interrupted")

    expected = not caller_too or sys.version_info < (3, 11)
    assert run(racer()) is expected
