"""Mid-stream failures: transparent before the first useful token, explicit after it."""

from __future__ import annotations

import asyncio
import gc
import sys
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
        router = router_for(make_config(fresh.url, {"p": {"provider": provider}, "f": {}}))
        d = dispatcher(router)
        try:
            s = d.stream(pin(router, "p"), REQ)
            chunks = await collect(s)
            assert text_of(chunks) == "tok0 tok1 "
            last = chunks[-1]
            assert last["choices"][0]["finish_reason"] == "error"
            assert last["error"]["type"] == "stream_truncated"
            assert last["error"]["error_type"] == "StreamBroken"
            assert s.completion is not None and s.completion.truncated
            assert s.error is not None
            assert fresh.stats("f").requests == 0  # continuation is off by default
            # tokens were spent and delivered: settled, at p's price
            assert s.decision.state == "settled" and s.completion.model == "p"
            u = s.completion.usage
            assert spent_usd(router) == pytest.approx(cost_usd(router, "p", u.input_tokens, u.output_tokens),
                                                      abs=1e-12)
        finally:
            await d.aclose()

    run(go())


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_cut_after_tokens_continues_on_fallback_when_enabled(fresh: MockProvider, provider: str) -> None:
    fresh.program("p", Scenario(fault="cut", cut_after=2, tokens=6))
    fresh.program("f", Scenario(text="rest of answer"))
    cfg = make_config(fresh.url, {"p": {}, "f": {"provider": provider}}, continue_after_truncation=True)

    async def go() -> None:
        router = router_for(cfg)
        d = dispatcher(router)
        try:
            s = d.stream(pin(router, "p"), REQ)
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
        router = router_for(cfg)
        d = dispatcher(router)
        try:
            chunks = await collect(d.stream(pin(router, "p"), ChatRequest(REQ.messages, tools=tools)))
            assert chunks[-1]["choices"][0]["finish_reason"] == "error"
            assert fresh.stats("f").requests == 0
        finally:
            await d.aclose()

    run(go())


def test_complete_fails_over_transparently_mid_stream(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(fault="cut", cut_after=2, tokens=6))

    async def go() -> None:
        router = router_for(make_config(fresh.url, ["p", "f"]))
        d = dispatcher(router)
        try:
            dec = pin(router, "p")
            c = await d.complete(dec, REQ)
            assert c.content == "tok0 tok1 tok2 tok3 " and c.model == "f" and not c.truncated
            # The broken attempt's input (and the output it had sent) are billed too, at f's price.
            assert c.attempts[0].billed and c.attempts[0].outcome == "error"
            served = cost_usd(router, "f", c.usage.input_tokens, c.usage.output_tokens)
            broken_input = cost_usd(router, "f", dec.input_tokens, 0)
            assert spent_usd(router) > served + broken_input - 1e-12
        finally:
            await d.aclose()

    run(go())


def test_total_timeout_mid_stream_never_hangs(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(inter_token_ms=200, tokens=50))

    async def go() -> None:
        router = router_for(make_config(fresh.url, ["p"], tier={"total_timeout_ms": 700}))
        d = dispatcher(router)
        try:
            # The full answer takes 10 s; ending within 2 s of a 0.7 s deadline proves the cut
            # while leaving a loaded machine's scheduling delays room (0.5 s flaked once).
            t = time.perf_counter()
            chunks = await collect(d.stream(pin(router, "p"), REQ))
            assert time.perf_counter() - t < 0.7 + 1.3
            assert chunks[-1]["error"]["error_type"] == "TotalTimeout"
            t = time.perf_counter()
            with pytest.raises(AllProvidersFailed) as info:
                await d.complete(pin(router, "p"), REQ)
            assert time.perf_counter() - t < 0.7 + 1.3
            assert info.value.deadline_exceeded
        finally:
            await d.aclose()

    run(go())


def test_deadline_never_cancels_the_callers_own_work_between_chunks(fresh: MockProvider) -> None:
    # One timer bounds the whole stream; while the caller's code runs it may only mark the deadline.
    fresh.program("p", Scenario(inter_token_ms=20, tokens=40))

    async def go() -> None:
        router = router_for(make_config(fresh.url, ["p"], tier={"total_timeout_ms": 300}))
        d = dispatcher(router)
        try:
            chunks = []
            async for chunk in d.stream(pin(router, "p"), REQ):
                chunks.append(chunk)
                if len(chunks) == 3:  # role, tok0, then tok1: the first read after the head
                    await asyncio.sleep(0.4)  # past the deadline, in the caller's code: not cancelled
            assert chunks[-1]["error"]["error_type"] == "TotalTimeout"
            assert text_of(chunks) == "tok0 tok1 "  # the next read noticed the deadline had passed
            task = asyncio.current_task()
            assert task is not None
            if sys.version_info >= (3, 11):
                assert task.cancelling() == 0
            await asyncio.sleep(0.01)  # no stray cancellation left for the caller
        finally:
            await d.aclose()

    run(go())


def test_caller_leaving_early_closes_upstream(fresh: MockProvider) -> None:
    fresh.program("p", Scenario(inter_token_ms=20, tokens=50))

    async def go() -> None:
        router = router_for(make_config(fresh.url, ["p"]))
        d = dispatcher(router)
        try:
            s = d.stream(pin(router, "p"), REQ)
            async for chunk in s:
                if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                    break
            await s.aclose()
            assert s.decision.state == "released" and spent_usd(router) == pytest.approx(0, abs=1e-12)
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
        router = router_for(make_config(fresh.url, ["p", "f"], tier={"first_token_timeout_ms": 250}))
        d = dispatcher(router)
        try:
            c = await d.complete(pin(router, "p"), REQ)
            first = c.attempts[0]
            assert first.error_type == "FirstTokenTimeout"
            assert first.duration_ms is not None and 240 <= first.duration_ms < 250 + 200
        finally:
            await d.aclose()

    run(go())


def test_a_stream_closed_or_dropped_before_reading_gives_its_reservation_back(mock: MockProvider) -> None:
    router = router_for(make_config(mock.url, ["a"]))

    async def main() -> None:
        d = dispatcher(router)
        try:
            closed = pin(router, "a")
            assert spent_usd(router) > 0 and closed.state == "open"  # reserved at routing
            await d.stream(closed, REQ).aclose()  # closed without a single read
            assert closed.state == "released"
            dropped = pin(router, "a")
            s = d.stream(dropped, REQ)
            del s  # never read, never closed: collected
            gc.collect()
            assert dropped.state == "released"
            assert spent_usd(router) == pytest.approx(0.0, abs=1e-12)
            read = pin(router, "a")
            s = d.stream(read, REQ)
            assert [c async for c in s]
            await s.aclose()  # closing after reading changes nothing
            assert read.state == "settled" and spent_usd(router) > 0
        finally:
            await d.aclose()
    run(main())
