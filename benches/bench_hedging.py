"""Hedging on a long-tailed primary: first-token p99 with and without hedging, and the extra
requests it cost. Also the breaker's reaction: requests a dead deployment receives before its
breaker opens, and how soon a recovered one is probed back in."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from provider_support import REQ, dispatcher, make_config, pin, router_for
from routecore.testing.mock_provider import spawn
from routecore.testing.mock_scenario import Scenario

N = 600
CONCURRENCY = 8
TAIL = Scenario(ttft_ms=5.0, slow_rate=0.05, slow_ms=400.0)  # 5% of first tokens take 400 ms


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    mock = spawn()
    url = mock.url
    with httpx.Client(base_url=url) as c:
        c.post("/_mock/program", json={"model": "p", "scenario": TAIL.to_json()}).raise_for_status()
        c.post("/_mock/program", json={"model": "f", "scenario": Scenario(ttft_ms=5.0).to_json()})
    yield url
    mock.close()


def stats(url: str) -> dict[str, Any]:
    return dict(httpx.get(url + "/_mock/stats").json())


def sent(st: dict[str, Any], *models: str) -> int:
    return sum(int(st.get(m, {}).get("requests", 0)) for m in models)


async def first_token_ms(cfg: dict[str, Any]) -> tuple[list[float], int]:
    router = router_for(cfg)
    d = dispatcher(router)
    ttfts: list[float] = []

    async def one() -> None:
        t = time.perf_counter()
        first: float | None = None
        async for chunk in d.stream(pin(router, "p"), REQ):  # read to the end
            if first is None and chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                first = (time.perf_counter() - t) * 1000.0
        assert first is not None
        ttfts.append(first)

    async def worker(k: int) -> None:
        for _ in range(k, N, CONCURRENCY):
            await one()

    await asyncio.gather(*(worker(k) for k in range(CONCURRENCY)))
    hedges = d.hedge_budget.stats()[1]
    await d.aclose()
    return sorted(ttfts), hedges


def test_hedging_cuts_the_first_token_tail(benchmark: Any, mock_url: str) -> None:
    tier = {"first_token_timeout_ms": 1000.0, "latency_budget_ms": 300.0}
    # Latency-miss breaking off, or the breaker (not hedging) would be what removes the tail.
    base = make_config(mock_url, ["p", "f"], tier=tier, hedge=False, latency_miss_limit=10**6)
    hedged = make_config(mock_url, ["p", "f"], tier=tier, hedge=True, hedge_delay_ms=40.0,
                         max_hedge_share=0.2, latency_miss_limit=10**6)
    out: dict[str, Any] = {}

    def measure() -> None:
        before = stats(mock_url)
        out["plain"], _ = uvloop.run(first_token_ms(base))
        mid = stats(mock_url)
        out["hedged"], out["hedges"] = uvloop.run(first_token_ms(hedged))
        after = stats(mock_url)
        out["extra_request_share"] = (sent(after, "p", "f") - sent(mid, "p", "f")) / N - 1.0
        out["plain_sent"] = sent(mid, "p", "f") - sent(before, "p", "f")

    benchmark.pedantic(measure, rounds=1, iterations=1)
    plain, hedged_t = out["plain"], out["hedged"]
    info = {
        "plain_ttft_p50_ms": plain[N // 2], "plain_ttft_p99_ms": plain[int(N * 0.99)],
        "hedged_ttft_p50_ms": hedged_t[N // 2], "hedged_ttft_p99_ms": hedged_t[int(N * 0.99)],
        "hedges": out["hedges"], "extra_request_share": out["extra_request_share"],
    }
    benchmark.extra_info.update({k: round(v, 3) for k, v in info.items()})
    print("\n" + json.dumps(benchmark.extra_info, indent=1))
    assert len(plain) == len(hedged_t) == N
    assert info["hedged_ttft_p99_ms"] < 0.5 * info["plain_ttft_p99_ms"]
    assert info["extra_request_share"] <= 0.2 + 0.01  # the cap holds


@pytest.mark.parametrize("threshold", [3, 5])
def test_breaker_reaction(benchmark: Any, mock_url: str, threshold: int) -> None:
    dead = f"dead{threshold}"
    httpx.post(mock_url + "/_mock/program",
               json={"model": dead, "scenario": {"fault": "reset"}}).raise_for_status()
    cfg = make_config(mock_url, [dead, "f"], breaker_consecutive_failures=threshold,
                      breaker_open_ms=200.0)
    out: dict[str, float] = {}

    async def main() -> None:
        router = router_for(cfg)
        d = dispatcher(router)
        for _ in range(50):
            await d.complete(pin(router, dead), REQ)
            if router.health(dead)["state"] == "open":
                break
        out["sent_before_open"] = sent(stats(mock_url), dead)
        httpx.post(mock_url + "/_mock/program", json={"model": dead, "scenario": {}})
        t = time.perf_counter()
        while router.health(dead)["state"] != "closed":
            await d.complete(pin(router, dead), REQ)
            await asyncio.sleep(0.005)
        out["recovered_after_ms"] = (time.perf_counter() - t) * 1000.0
        await d.aclose()

    benchmark.pedantic(lambda: uvloop.run(main()), rounds=1, iterations=1)
    benchmark.extra_info.update(out)
    print(f"\nthreshold {threshold}: {out}")
    assert out["sent_before_open"] == threshold
    assert out["recovered_after_ms"] < 200.0 + 1000.0
