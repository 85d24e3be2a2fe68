"""What the dispatch layer adds on top of a direct httpx call (same pooled client, same transport,
same mock in its own process): targets p50 <= 100 us and p99 <= 300 us added."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from provider_support import REQ, USER, dispatcher, make_config, pin, router_for
from routecore import Decision
from routecore.providers.transport import ClientPool
from routecore.testing.mock_provider import spawn

N = 2000
ADDED = {  # ours vs the direct call it is measured against
    "complete_vs_direct_sse": ("complete", "direct_sse"),
    "stream_vs_direct_sse": ("stream", "direct_sse"),
    "complete_whole_vs_direct_whole": ("complete_whole", "direct_whole"),
}
HEADERS = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    mock = spawn()
    url = mock.url
    yield url
    mock.close()


def pct(xs: list[float], q: float) -> float:
    return sorted(xs)[min(len(xs) - 1, int(len(xs) * q))] * 1e6


@pytest.mark.parametrize("hedge", [False, True], ids=["no-hedge", "hedge-armed"])
def test_dispatch_overhead(benchmark: Any, mock_url: str, hedge: bool) -> None:
    url = mock_url + "/v1/chat/completions"
    stream_body = json.dumps({"model": "p", "messages": USER, "stream": True,
                              "stream_options": {"include_usage": True}}).encode()
    whole_body = json.dumps({"model": "p", "messages": USER}).encode()
    results: dict[str, dict[str, float]] = {}
    paired: dict[str, list[float]] = {}

    async def main() -> None:
        router = router_for(make_config(mock_url, ["p", "f"], hedge=hedge, max_hedge_share=0.1))
        d = dispatcher(router)
        pool = ClientPool()
        client = pool.get(mock_url)

        async def direct_sse(_: Decision) -> None:  # what a hand-written client would do: parse every chunk
            async with client.stream("POST", url, content=stream_body, headers=HEADERS) as r:
                async for line in r.aiter_lines():
                    if line.startswith("data: {"):
                        json.loads(line[6:])

        async def direct_whole(_: Decision) -> None:
            (await client.post(url, content=whole_body, headers=HEADERS)).json()

        async def complete(dec: Decision) -> None:
            await d.complete(dec, REQ)

        async def complete_whole(dec: Decision) -> None:
            await d.complete(dec, REQ, stream_upstream=False)

        async def stream(dec: Decision) -> None:
            async for _ in d.stream(dec, REQ):
                pass

        # A fresh decision per call (each is settled once), routed outside the timed region:
        # this measures the dispatch layer, not route() (bench_route.py has that).
        fns: dict[str, Callable[[Decision], Awaitable[None]]] = {
            "direct_sse": direct_sse, "direct_whole": direct_whole, "complete": complete,
            "complete_whole": complete_whole, "stream": stream}
        for f in fns.values():
            for _ in range(200):
                await f(pin(router, "p"))
        lat: dict[str, list[float]] = {k: [] for k in fns}
        gc.collect()
        gc.disable()
        try:
            for _ in range(N):  # interleaved, so machine noise hits every variant alike
                for k, f in fns.items():
                    dec = pin(router, "p")
                    t = time.perf_counter()
                    await f(dec)
                    lat[k].append(time.perf_counter() - t)
        finally:
            gc.enable()
        for k, v in lat.items():
            results[k] = {"p50_us": pct(v, 0.5), "p99_us": pct(v, 0.99)}
        for ours, base in ADDED.values():
            # Pairs ran back to back, so a burst from a neighbour hits both; on a shared box
            # the difference of two p99s is mostly that noise, the paired differences less so.
            paired[ours] = [a - b for a, b in zip(lat[ours], lat[base], strict=True)]
        await d.aclose()
        await pool.aclose()

    benchmark.pedantic(lambda: uvloop.run(main()), rounds=1, iterations=1)
    for name, (ours, base) in ADDED.items():
        for q in ("p50_us", "p99_us"):
            benchmark.extra_info[f"{name}_added_{q}"] = round(results[ours][q] - results[base][q])
        for q, at in (("p50_us", 0.5), ("p90_us", 0.9)):
            benchmark.extra_info[f"{name}_paired_{q}"] = round(pct(paired[ours], at))
    benchmark.extra_info.update({f"{k}_{q}": round(v[q]) for k, v in results.items() for q in v})
    print("\n" + json.dumps(benchmark.extra_info, indent=1))
    # Flake guard for a noisy shared 2-core box; the measured numbers are in the extra_info.
    assert results["complete"]["p50_us"] - results["direct_sse"]["p50_us"] < 300
    assert results["complete"]["p50_us"] < 2.0 * results["direct_sse"]["p50_us"]


def test_asyncio_noop_reference(benchmark: Any) -> None:
    # The floor: one loop round trip, so overhead numbers can be read against the machine.
    loop = uvloop.new_event_loop()
    try:
        benchmark.pedantic(lambda: loop.run_until_complete(asyncio.sleep(0)), rounds=2000, iterations=1)
    finally:
        loop.close()
