"""`Router.complete` / `Router.stream` end to end: the real Router, the real dispatcher, the
mock provider over loopback sockets."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

import routecore
from provider_support import make_config, run
from routecore.provider_errors import AllProvidersFailed
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario


@pytest.fixture()
def mock() -> Iterator[MockProvider]:
    os.environ.setdefault("MOCK_KEY", "sk-test-not-a-secret")
    with MockProvider().start() as m:
        yield m


def router_for(mock: MockProvider, models: list[str]) -> routecore.Router:
    cfg: dict[str, Any] = make_config(mock.url, models)
    cfg["scoring"] = {"thresholds": []}
    cfg["tenants"] = {"default": {"tokens_per_min": 100_000, "requests_per_min": 1000}}
    return routecore.Router(cfg)


def test_complete_returns_answer_decision_and_settles_budget(mock: MockProvider) -> None:
    router = router_for(mock, ["alpha", "beta"])

    async def go() -> Any:
        try:
            return await router.complete("say hello", tenant="acme")
        finally:
            await router.aclose()

    c = run(go())
    assert c.content
    assert c.model == "alpha"
    assert c.decision.model == "alpha" and c.decision.state == "settled"
    assert [a.model for a in c.attempts] == ["alpha"]
    assert c.usage.input_tokens > 0
    assert mock.stats("alpha").completed == 1
    assert router.health("alpha")["requests_in_window"] == 1


def test_complete_fails_over_to_fallback_and_reports_health(mock: MockProvider) -> None:
    mock.program("alpha", Scenario(fault="http_error", status=500))
    router = router_for(mock, ["alpha", "beta"])

    async def go() -> Any:
        try:
            return await router.complete("say hello")
        finally:
            await router.aclose()

    c = run(go())
    assert c.model == "beta"
    assert [a.model for a in c.attempts] == ["alpha", "beta"]
    assert router.health("alpha")["consecutive_failures"] == 1


def test_all_failing_raises_typed_error_and_releases(mock: MockProvider) -> None:
    mock.program("alpha", Scenario(fault="http_error", status=503))
    mock.program("beta", Scenario(fault="http_error", status=502))
    router = router_for(mock, ["alpha", "beta"])

    async def go() -> None:
        try:
            await router.complete("say hello", tenant="t")
        finally:
            await router.aclose()

    with pytest.raises(AllProvidersFailed) as e:
        run(go())
    assert [a.model for a in e.value.attempts][:2] == ["alpha", "beta"]
    assert isinstance(e.value, routecore.RouteError)
    levels = router.budget_levels("t")
    assert levels is not None and levels["requests"] == pytest.approx(1000, abs=0.5)  # released


def test_stream_yields_chunks_and_completion(mock: MockProvider) -> None:
    router = router_for(mock, ["alpha"])

    async def go() -> tuple[list[dict[str, Any]], Any]:
        try:
            s = router.stream([{"role": "user", "content": "count to five"}])
            chunks = [c async for c in s]
            return chunks, s
        finally:
            await router.aclose()

    chunks, s = run(go())
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices"))
    assert text
    assert s.completion is not None and s.completion.content == text
    finishes = [c["choices"][0].get("finish_reason") for c in chunks if c.get("choices")]
    assert finishes[-1] in {"stop", "length"}


def test_routing_errors_raise_before_any_io(mock: MockProvider) -> None:
    router = router_for(mock, ["alpha"])
    with pytest.raises(routecore.UnknownModelError):
        router.stream("hi", model="nope")
    assert mock.stats("alpha").requests == 0
