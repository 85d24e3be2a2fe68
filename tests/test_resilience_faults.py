"""Fault matrix over the mock: each fault is survived through the right path within the deadline
when a healthy candidate exists, and fails with the right typed error (never a hang) otherwise."""

from __future__ import annotations

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
from routecore.provider_errors import (
    AllProvidersFailed,
    BadResponse,
    ConnectFailed,
    DeploymentMisconfigured,
    FirstTokenTimeout,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    ServerError,
    StreamBroken,
)
from routecore.providers import ChatRequest
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario

DEADLINE_S = 2.0  # the tier's total timeout in make_config
MARGIN_S = 0.25  # scheduling slack allowed on a loaded 2-core machine
FAULTS: list[tuple[str, Scenario, type[ProviderError]]] = [
    ("http500", Scenario(fault="http_error", status=500), ServerError),
    ("http503", Scenario(fault="http_error", status=503), ServerError),
    ("reset", Scenario(fault="reset"), ConnectFailed),
    ("cut_before_first_token", Scenario(fault="cut", cut_after=0), StreamBroken),
    ("keepalive_only", Scenario(fault="keepalive"), FirstTokenTimeout),
    ("slow_first_token", Scenario(ttft_ms=1500), FirstTokenTimeout),
    ("slow_headers", Scenario(latency_ms=1500), FirstTokenTimeout),
    ("malformed_json", Scenario(fault="malformed"), BadResponse),
    ("wrong_content_type", Scenario(fault="wrong_content_type"), BadResponse),
    ("429_retry_after_too_long", Scenario(fault="http_error", status=429, retry_after_s=30), RateLimited),
    ("429_insufficient_quota", Scenario(fault="http_error", status=429, error_code="insufficient_quota"),
     QuotaExhausted),
    ("401", Scenario(fault="http_error", status=401), DeploymentMisconfigured),
]
IDS = [f[0] for f in FAULTS]


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProvider]:
    with MockProvider() as m:
        yield m


@pytest.fixture
def fresh(mock: MockProvider) -> MockProvider:
    mock.reset()
    return mock


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize(("name", "scenario", "expected"), FAULTS, ids=IDS)
def test_fault_fails_over_to_healthy_fallback(fresh: MockProvider, provider: str, name: str,
                                              scenario: Scenario, expected: type[ProviderError]) -> None:
    fresh.program("p", scenario)
    router = router_for(make_config(fresh.url, {"p": {"provider": provider}, "f": {}}))
    if provider == "anthropic" and expected is QuotaExhausted:
        expected = RateLimited  # Anthropic has no quota code: a 429 is a 429

    async def go() -> None:
        d = dispatcher(router)
        try:
            t = time.perf_counter()
            first = pin(router, "p")
            c = await d.complete(first, REQ)
            assert time.perf_counter() - t < DEADLINE_S + MARGIN_S
            assert c.model == "f" and c.content == "tok0 tok1 tok2 tok3 "
            assert c.attempts[0].model == "p" and c.attempts[0].error_type == expected.__name__
            t = time.perf_counter()
            s = d.stream(pin(router, "p"), REQ)
            chunks = await collect(s)
            assert time.perf_counter() - t < DEADLINE_S + MARGIN_S
            assert text_of(chunks) == "tok0 tok1 tok2 tok3 "
            assert all(ch["model"] == "f" for ch in chunks)
            assert s.completion is not None and not s.completion.truncated
            assert first.state == s.decision.state == "settled"
            # Settled at the fallback's price for what it served; the failed primary cost nothing.
            billed = [x.usage for x in (c, s.completion)]
            want = sum(cost_usd(router, "f", u.input_tokens, u.output_tokens) for u in billed)
            assert spent_usd(router) == pytest.approx(want, abs=1e-12)
        finally:
            await d.aclose()

    run(go())


@pytest.mark.parametrize(("name", "scenario", "expected"), FAULTS, ids=IDS)
def test_fault_without_fallback_fails_typed_within_deadline(
        fresh: MockProvider, name: str, scenario: Scenario, expected: type[ProviderError]) -> None:
    fresh.program("p", scenario)
    router = router_for(make_config(fresh.url, ["p"]))

    async def go() -> None:
        d = dispatcher(router)
        try:
            t = time.perf_counter()
            dec = pin(router, "p")
            assert spent_usd(router) > 0  # reserved at decision time
            with pytest.raises(AllProvidersFailed) as info:
                await d.complete(dec, REQ)
            elapsed = time.perf_counter() - t
            assert elapsed < DEADLINE_S + MARGIN_S
            tried = [a for a in info.value.attempts if a.outcome != "skipped"]
            assert tried and all(a.error_type == expected.__name__ for a in tried)
            assert info.value.last_error is not None
            if not expected.retryable:
                assert len(tried) == 1  # nothing to gain from asking again
            if name == "429_retry_after_too_long":
                assert elapsed < 0.5  # moved on at once instead of sleeping 30 s
            assert dec.state == "released" and spent_usd(router) == pytest.approx(0, abs=1e-12)
            s = d.stream(pin(router, "p"), REQ)
            with pytest.raises(AllProvidersFailed):
                await collect(s)
            assert s.decision.state == "released" and spent_usd(router) == pytest.approx(0, abs=1e-12)
        finally:
            await d.aclose()

    run(go())


def test_retry_after_that_fits_is_honoured(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(fault="http_error", status=429, retry_after_s=0.15, fault_first_n=1))
    router = router_for(make_config(fresh.url, ["p"]))

    async def go() -> None:
        d = dispatcher(router)
        try:
            t = time.perf_counter()
            c = await d.complete(pin(router, "p"), REQ)
            assert time.perf_counter() - t >= 0.15
            assert [a.outcome for a in c.attempts] == ["error", "ok"] and c.model == "p"
        finally:
            await d.aclose()

    run(go())


def test_client_error_does_not_fall_back(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(fault="http_error", status=400))
    router = router_for(make_config(fresh.url, ["p", "f"]))

    async def go() -> None:
        d = dispatcher(router)
        try:
            with pytest.raises(AllProvidersFailed) as info:
                await d.complete(pin(router, "p"), REQ)
            assert [a.error_type for a in info.value.attempts] == ["ClientError"]
            assert fresh.stats("f").requests == 0
        finally:
            await d.aclose()

    run(go())


def test_context_window_goes_to_a_larger_model(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(fault="http_error", status=400, error_code="context_length_exceeded"))
    router = router_for(make_config(fresh.url, {"p": {}, "same": {}, "big": {"context_window": 400_000}}))

    async def go() -> None:
        d = dispatcher(router)
        try:
            dec = pin(router, "p")
            assert dec.fallbacks == ["same", "big"]
            c = await d.complete(dec, REQ)
            assert c.model == "big"
            assert [a.model for a in c.attempts] == ["p", "big"]
            assert c.attempts[0].error_kind == "context_window"
            assert fresh.stats("same").requests == 0
        finally:
            await d.aclose()

    run(go())


def test_context_window_checked_before_sending(fresh: MockProvider) -> None:
    # Anthropic reports overflow without a structured code, so the window is checked up front.
    # The core sized the prompt alone; the request's max_tokens is what overflows p's window.
    cfg = make_config(fresh.url, {"p": {"provider": "anthropic"}, "big": {"context_window": 400_000}})
    router = router_for(cfg, chains={"p_only": ["p"]})

    async def go() -> None:
        d = dispatcher(router)
        try:
            dec = pin(router, "p", chain="p_only")
            assert dec.fallbacks == []
            c = await d.complete(dec, ChatRequest(REQ.messages, max_tokens=99_995))
            assert c.model == "big"  # not in the chain: the smallest larger window from config
            assert c.attempts[0].outcome == "skipped" and c.attempts[0].error_kind == "context_window"
            assert fresh.stats("p").requests == 0
        finally:
            await d.aclose()

    run(go())


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("in_band", [True, False])
def test_refusal_goes_to_the_configured_alternative(fresh: MockProvider, provider: str,
                                                   in_band: bool) -> None:
    refusal = (Scenario(fault="refusal") if in_band else
               Scenario(fault="http_error", status=400, error_code="content_policy_violation"))
    if not in_band and provider == "anthropic":
        pytest.skip("Anthropic has no structured policy error code; it refuses in-band")
    fresh.program("p", refusal)
    models = {"p": {"provider": provider}, "f": {}, "safe": {}}
    chains = {"pf": ["p", "f"]}  # "safe" is no fallback of theirs: only the refusal leads there

    async def go() -> None:
        router = router_for(make_config(fresh.url, models, refusal_fallback="safe"), chains)
        d = dispatcher(router)
        try:
            c = await d.complete(pin(router, "p", chain="pf"), REQ)
            assert c.model == "safe" and c.attempts[0].error_kind == "content_policy"
            assert fresh.stats("f").requests == 0
        finally:
            await d.aclose()
        router = router_for(make_config(fresh.url, models), chains)
        d = dispatcher(router)
        try:
            with pytest.raises(AllProvidersFailed) as info:
                await d.complete(pin(router, "p", chain="pf"), REQ)
            assert [a.error_type for a in info.value.attempts] == ["ContentPolicyRefusal"]
        finally:
            await d.aclose()

    run(go())


def test_everything_failing_reports_every_attempt_in_order(fresh: MockProvider) -> None:
    fresh.program("a", Scenario(fault="http_error", status=500))
    fresh.program("b", Scenario(fault="reset"))
    fresh.program("c", Scenario(fault="keepalive"))

    async def go() -> None:
        router = router_for(make_config(fresh.url, ["a", "b", "c"], max_attempts=3))
        d = dispatcher(router)
        try:
            with pytest.raises(AllProvidersFailed) as info:
                await d.complete(pin(router, "a"), REQ)
            assert [(a.model, a.error_type) for a in info.value.attempts] == [
                ("a", "ServerError"), ("b", "ConnectFailed"), ("c", "FirstTokenTimeout")]
            assert "a:server" in str(info.value)
        finally:
            await d.aclose()

    run(go())


def test_caller_deadline_caps_the_call(fresh: MockProvider) -> None:
    fresh.program(None, Scenario(fault="keepalive"))

    async def go() -> None:
        router = router_for(make_config(fresh.url, ["p", "f"]))
        d = dispatcher(router)
        try:
            t = time.perf_counter()
            with pytest.raises(AllProvidersFailed) as info:
                await d.complete(pin(router, "p"), REQ, deadline_ms=400)
            assert time.perf_counter() - t < 0.4 + MARGIN_S
            assert info.value.deadline_exceeded or len(info.value.attempts) >= 1
        finally:
            await d.aclose()

    run(go())


def test_api_key_absent_from_traces_and_errors(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(fault="http_error", status=401))

    async def go() -> None:
        router = router_for(make_config(fresh.url, ["p", "f"]))
        d = dispatcher(router)
        try:
            c = await d.complete(pin(router, "p"), REQ)
            assert c.model == "f" and c.attempts[0].error_kind == "auth"
            text = repr(c) + repr(c.attempts) + str([a.to_dict() for a in c.attempts]) + repr(d.config)
            assert "SECRET" not in text
        finally:
            await d.aclose()

    run(go())
