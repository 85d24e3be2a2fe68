"""The dispatcher against the real compiled Router: its decision, budgets and health API."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

import routecore
from provider_support import USER, run
from routecore.dispatch import Dispatcher
from routecore.provider_errors import AllProvidersFailed
from routecore.providers import ChatRequest
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProvider]:
    with MockProvider() as m:
        yield m


def router_for(mock: MockProvider, **resilience: Any) -> routecore.Router:
    cfg = copy.deepcopy(routecore.Router().config)
    for m in cfg["models"].values():
        m["api_base"] = mock.url + "/v1"
    for t in cfg["tiers"]:  # loopback answers in well under a millisecond; keep CI slack
        t["first_token_timeout_ms"] = max(t["first_token_timeout_ms"], 300.0)
    cfg["resilience"].update(resilience)
    return routecore.Router(cfg)


def test_route_then_complete_with_the_real_router(mock: MockProvider) -> None:
    mock.reset()
    router = router_for(mock)
    d = router.route(USER)

    async def go() -> None:
        disp = Dispatcher(router, env={})
        try:
            c = await disp.complete(d, ChatRequest(USER))
            assert c.model == d.model and c.decision is d
            assert router.health(d.model)["requests_in_window"] == 1
            chunks = [ch async for ch in disp.stream(router.route(USER), ChatRequest(USER))]
            assert chunks[-1]["usage"]["total_tokens"] > 0
        finally:
            await disp.aclose()

    run(go())


def test_dead_primary_falls_back_and_opens_the_cores_breaker(mock: MockProvider) -> None:
    mock.reset()
    router = router_for(mock, hedge=False, breaker_consecutive_failures=3)
    d0 = router.route(USER)
    mock.program(router.config["models"][d0.model]["upstream_model"], Scenario(fault="reset"))

    async def go() -> None:
        disp = Dispatcher(router, env={})
        try:
            for _ in range(6):
                c = await disp.complete(router.route(USER), ChatRequest(USER))
                assert c.model != d0.model
            assert router.health(d0.model)["state"] == "open"
            assert mock.stats(router.config["models"][d0.model]["upstream_model"]).requests == 3
        finally:
            await disp.aclose()

    run(go())


def test_total_failure_releases_the_reservation(mock: MockProvider) -> None:
    mock.reset()
    router = router_for(mock)
    mock.program(None, Scenario(fault="http_error", status=400))

    async def go() -> None:
        disp = Dispatcher(router, env={})
        try:
            dec = router.route(USER)
            with pytest.raises(AllProvidersFailed):
                await disp.complete(dec, ChatRequest(USER))
            assert dec.state == "released"
            levels = router.budget_levels(dec.tenant)
            full = router.config["tenants"]["default"]["requests_per_min"]
            assert levels is not None and levels["requests"] == pytest.approx(full, abs=0.5)
        finally:
            await disp.aclose()

    run(go())
