"""What observability adds per request: the hook with a real completion (one failed attempt, one
fallback that served). Gate: the metrics path under 30 us median (RouterMetrics counts off the
completion; no record is built for it); the JSONL sink adds building the decision record and its
serialisation on the caller's thread (the write itself is on a background thread), beside it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import routecore
from provider_support import make_config, run
from routecore.completion import Completion
from routecore.observe import JsonlSink, RouterMetrics
from routecore.observe.hook import Observer, completed
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario

GATE_US = 30.0


@pytest.fixture(scope="module")
def completion() -> Completion:
    os.environ.setdefault("MOCK_KEY", "sk-test-not-a-secret")
    with MockProvider().start() as mock:
        mock.program("alpha", Scenario(fault="http_error", status=500))
        cfg: dict[str, Any] = make_config(mock.url, ["alpha", "beta"])
        cfg["scoring"] = {"thresholds": []}
        router = routecore.Router(cfg)

        async def go() -> Completion:
            try:
                return await router.complete("summarise the call and list the action items")
            finally:
                await router.aclose()

        c = run(go())
    assert [a.model for a in c.attempts] == ["alpha", "beta"]
    return c


@pytest.mark.benchmark(min_rounds=2000)
@pytest.mark.parametrize("with_sink", [False, True], ids=["metrics", "metrics+jsonl"])
def test_observer_path_per_request(benchmark: Any, completion: Completion, with_sink: bool,
                                   tmp_path: Path) -> None:
    metrics = RouterMetrics()
    observers: list[Observer] = [metrics]
    sink = None
    if with_sink:
        sink = JsonlSink(tmp_path / "records.jsonl", max_queue=1_000_000)
        observers.append(sink)
    benchmark.group = "observer path per request"
    try:
        benchmark(completed, observers, completion, 0.0001, 0.05)
    finally:
        if sink is not None:
            sink.close()
    median_us = benchmark.stats.stats.median * 1e6
    count = metrics.registry.get_sample_value(
        "routecore_llm_requests_total",
        {"tenant": "default", "tier": "0", "model": "beta", "outcome": "ok"})
    assert count is not None and count >= benchmark.stats.stats.rounds  # it really counted
    if not with_sink:
        assert median_us < GATE_US, f"observer+metrics path: median {median_us:.1f} us > {GATE_US} us"
