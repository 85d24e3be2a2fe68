"""Mid-stream failures: transparent before the first useful token, explicit after it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from provider_support import REQ, FakeDecision, collect, dispatcher, make_config, run, text_of
from routecore.provider_errors import AllProvidersFailed
from routecore.providers import ChatRequest
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


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_cut_after_tokens_ends_with_explicit_error(fresh: MockProvider, provider: str) -> None:
    fresh.program("p", Scenario(fault="cut", cut_after=2, tokens=6))

    async def go() -> None:
        d, router = dispatcher(make_config(fresh.url, {"p": {"provider": provider}, "f": {}}))
        try:
            s = d.stream(FakeDecision("p", ["f"]), REQ)
            chunks = await collect(s)
            assert text_of(chunks) == "tok0 tok1 "
            last = chunks[-1]
            assert last["choices"][0]["finish_reason"] == "error"
            assert last["error"]["type"] == "stream_truncated"
            assert last["error"]["error_type"] == "StreamBroken"
            assert s.completion is not None and s.completion.truncated
            assert s.error is not None
            assert fresh.stats("f").requests == 0  # continuation is off by default
            assert router.reconciled and not router.released  # tokens were spent and delivered
        finally:
            await d.aclose()

    run(go())


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_cut_after_tokens_continues_on_fallback_when_enabled(fresh: MockProvider, provider: str) -> None:
    fresh.program("p", Scenario(fault="cut", cut_after=2, tokens=6))
    fresh.program("f", Scenario(text="rest of answer"))
    cfg = make_config(fresh.url, {"p": {}, "f": {"provider": provider}}, continue_after_truncation=True)

    async def go() -> None:
        d, _ = dispatcher(cfg)
        try:
            s = d.stream(FakeDecision("p", ["f"]), REQ)
            chunks = await collect(s)
            assert text_of(chunks) == "tok0 tok1 rest of answer"
            assert all(c["choices"][0]["finish_reason"] != "error" for c in chunks if c["choices"])
            roles = [c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("role")]
            assert len(roles) == 1  # the continuation does not restart the message
            assert [a.continuation for a in s.attempts] == [False, True]
            assert s.completion is not None and s.completion.model == "f"
        finally:
            await d.aclose()

    run(go())


def test_cut_inside_a_tool_call_is_not_continued(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(fault="cut", cut_after=1, tool_call="*"))
    cfg = make_config(fresh.url, ["p", "f"], continue_after_truncation=True)
    tools = [{"type": "function", "function": {"name": "weather", "parameters": {}}}]

    async def go() -> None:
        d, _ = dispatcher(cfg)
        try:
            chunks = await collect(d.stream(FakeDecision("p", ["f"]), ChatRequest(REQ.messages, tools=tools)))
            assert chunks[-1]["choices"][0]["finish_reason"] == "error"
            assert fresh.stats("f").requests == 0
        finally:
            await d.aclose()

    run(go())


def test_complete_fails_over_transparently_mid_stream(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(fault="cut", cut_after=2, tokens=6))

    async def go() -> None:
        d, router = dispatcher(make_config(fresh.url, ["p", "f"]))
        try:
            c = await d.complete(FakeDecision("p", ["f"]), REQ)
            assert c.content == "tok0 tok1 tok2 tok3 " and c.model == "f" and not c.truncated
            # the broken attempt's tokens were billed too
            assert router.reconciled[0][1] > c.usage.input_tokens
        finally:
            await d.aclose()

    run(go())


def test_total_timeout_mid_stream_never_hangs(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(inter_token_ms=200, tokens=50))

    async def go() -> None:
        d, _ = dispatcher(make_config(fresh.url, ["p"], tier={"total_timeout_ms": 700}))
        try:
            t = time.perf_counter()
            chunks = await collect(d.stream(FakeDecision("p"), REQ))
            assert time.perf_counter() - t < 0.7 + 0.5
            assert chunks[-1]["error"]["error_type"] == "TotalTimeout"
            t = time.perf_counter()
            with pytest.raises(AllProvidersFailed) as info:
                await d.complete(FakeDecision("p"), REQ)
            assert time.perf_counter() - t < 0.7 + 0.5
            assert info.value.deadline_exceeded
        finally:
            await d.aclose()

    run(go())


def test_caller_leaving_early_closes_upstream(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(inter_token_ms=20, tokens=50))

    async def go() -> None:
        d, router = dispatcher(make_config(fresh.url, ["p"]))
        try:
            s = d.stream(FakeDecision("p"), REQ)
            async for chunk in s:
                if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                    break
            await s.aclose()
            assert router.released == ["req-1"]
            for _ in range(100):
                if fresh.stats("p").client_aborts:
                    break
                await asyncio.sleep(0.01)
            assert fresh.stats("p").client_aborts == 1
        finally:
            await d.aclose()

    run(go())


def test_role_only_and_empty_deltas_are_not_progress(fresh: MockProvider) -> None:
    # keep-alive fault sends a role delta, empty content deltas and comments every 20 ms
    fresh.program("p", Scenario(fault="keepalive", keepalive_ms=20))

    async def go() -> None:
        d, _ = dispatcher(make_config(fresh.url, ["p", "f"], tier={"first_token_timeout_ms": 250}))
        try:
            c = await d.complete(FakeDecision("p", ["f"]), REQ)
            first = c.attempts[0]
            assert first.error_type == "FirstTokenTimeout"
            assert first.duration_ms is not None and 240 <= first.duration_ms < 250 + 200
        finally:
            await d.aclose()

    run(go())
