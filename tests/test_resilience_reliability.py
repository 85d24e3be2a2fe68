"""Reliability run: 10,000 requests at high concurrency, 20% of primary attempts faulty (a mix of
faults across five primaries), one healthy fallback. Nothing may be lost or hang, and every request
must end within its deadline plus a stated margin."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from provider_support import REQ, dispatcher, make_config, pin, router_for, run, spent_usd, text_of
from routecore.testing.mock_provider import spawn
from routecore.testing.mock_scenario import Scenario

ANSWER = "tok0 tok1 tok2 tok3 "
N = 10_000
CONCURRENCY = 32
DEADLINE_MS = 2000.0
MARGIN_MS = 250.0  # event-loop scheduling slack on a loaded 2-core machine
PRIMARIES = {
    "p_500": Scenario(fault="http_error", status=500, fault_rate=0.2),
    "p_reset": Scenario(fault="reset", fault_rate=0.2),
    "p_cut": Scenario(fault="cut", cut_after=1, fault_rate=0.2),
    "p_malformed": Scenario(fault="malformed", fault_rate=0.2),
    "p_silent": Scenario(fault="keepalive", keepalive_ms=10, fault_rate=0.2),
}


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    mock = spawn()
    url = mock.url  # its own process: the client's event loop keeps one core to itself
    try:
        with httpx.Client(base_url=url) as c:
            for model, sc in PRIMARIES.items():
                c.post("/_mock/program", json={"model": model, "scenario": sc.to_json()}).raise_for_status()
        yield url
    finally:
        mock.close()


def test_ten_thousand_requests_none_lost_none_late(mock_url: str) -> None:
    models = {**{m: {} for m in PRIMARIES}, "f": {}}
    # First-token timeout well above the loaded loop's queueing delay (the mock answers in ~0 ms).
    cfg = make_config(mock_url, models, tier={"first_token_timeout_ms": 400.0,
                                              "total_timeout_ms": DEADLINE_MS},
                      breaker_consecutive_failures=1000, breaker_error_rate=1.0,
                      latency_miss_limit=100_000, continue_after_truncation=True)
    # One tenant per primary, allowed only it and "f": each decision's chain is primary -> f.
    router = router_for(cfg, chains={m: [m, "f"] for m in PRIMARIES})
    names = list(PRIMARIES)
    latencies: list[float] = []
    served: Counter[str] = Counter()
    failures: list[BaseException] = []
    settled: list[bool] = []

    async def one(i: int) -> None:
        name = names[i % len(names)]
        dec = pin(router, name, chain=name)
        assert dec.fallbacks == ["f"]
        t = time.perf_counter()
        try:
            if i % 4 == 0:
                s = d.stream(dec, REQ)
                chunks = [c async for c in s]
                # Cut after a token: continued from the partial output. Under load a continuation
                # can itself time out and the chain come back to the cutting primary, so each
                # attempt that broke after its first token left exactly one "tok0 " before ANSWER.
                assert s.completion is not None
                broke = [a for a in s.completion.attempts
                         if a.outcome == "error" and a.ttft_ms is not None]
                assert text_of(chunks) == "tok0 " * len(broke) + ANSWER, (
                    text_of(chunks), [a.to_dict() for a in s.completion.attempts])
                assert [c for c in chunks if c["choices"]][-1]["choices"][0]["finish_reason"] == "stop"
                assert s.completion is not None
                served[s.completion.model] += 1
            else:
                c = await d.complete(dec, REQ)
                assert c.content == ANSWER
                served[c.model] += 1
            settled.append(dec.state == "settled")
        except BaseException as exc:  # counted, so one failure does not hide the others
            failures.append(exc)
        latencies.append((time.perf_counter() - t) * 1000.0)

    async def worker(start: int) -> None:
        for i in range(start, N, CONCURRENCY):
            await one(i)

    async def main() -> None:
        nonlocal d
        d = dispatcher(router)
        try:
            # A hang would show up here, not as a stuck CI job.
            await asyncio.wait_for(asyncio.gather(*(worker(k) for k in range(CONCURRENCY))), 120)
            assert not failures, (len(failures), failures[:3])
            assert len(settled) == N and all(settled)
            assert all(spent_usd(router, m) > 0 for m in PRIMARIES)
        finally:
            await d.aclose()

    d = None  # type: ignore[assignment]
    t0 = time.perf_counter()
    run(main())
    wall = time.perf_counter() - t0
    latencies.sort()
    print(f"\n{N} requests in {wall:.1f}s ({N / wall:.0f}/s), p50 {latencies[N // 2]:.1f} ms, "
          f"p99 {latencies[int(N * 0.99)]:.1f} ms, max {latencies[-1]:.1f} ms, served {dict(served)}")
    assert not failures, failures[:3]
    assert len(latencies) == N
    assert latencies[-1] < DEADLINE_MS + MARGIN_MS
    assert served["f"] > 0.1 * N  # the faults really happened and were absorbed by the fallback
