"""The observer hook: every complete()/stream() over real loopback calls ends in exactly one
decision record delivered to the router's observers, whatever the outcome."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import routecore
from provider_support import make_config, run
from routecore.errors import BudgetExceeded
from routecore.observe import DecisionRecord, explain, find_record, iter_records
from routecore.provider_errors import AllProvidersFailed
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario


class Collect:
    """A test observer: keeps what it is given (and feedback, for the FeedbackObserver path)."""

    def __init__(self) -> None:
        self.records: list[DecisionRecord] = []
        self.feedback: list[tuple[str, float, str]] = []

    def observe(self, record: DecisionRecord) -> None:
        self.records.append(record)

    def on_feedback(self, request_id: str, quality: float, kind: str) -> None:
        self.feedback.append((request_id, quality, kind))


class Broken:
    def observe(self, record: DecisionRecord) -> None:
        raise RuntimeError("observer bug")


@pytest.fixture()
def mock() -> Iterator[MockProvider]:
    os.environ.setdefault("MOCK_KEY", "sk-test-not-a-secret")
    with MockProvider().start() as m:
        yield m


def _router(mock: MockProvider, **cfg_over: Any) -> tuple[routecore.Router, Collect]:
    cfg: dict[str, Any] = make_config(mock.url, ["alpha", "beta"])
    cfg["scoring"] = {"thresholds": []}
    cfg.update(cfg_over)
    router = routecore.Router(cfg)
    seen = Collect()
    router.add_observer(Broken())  # first in line: its failure must not reach the others
    router.add_observer(seen)
    return router, seen


def test_complete_with_fallback_gives_one_ok_record(mock: MockProvider) -> None:
    mock.program("alpha", Scenario(fault="http_error", status=500))
    router, seen = _router(mock)

    async def go() -> Any:
        try:
            return await router.complete("hello there")
        finally:
            await router.aclose()

    c = run(go())
    (rec,) = seen.records
    assert rec.request_id == c.decision.request_id and rec.outcome == "ok"
    assert rec.served_by == "beta" and [a["model"] for a in rec.attempts] == ["alpha", "beta"]
    assert rec.attempts[0]["error_kind"] == "server"
    assert rec.route_ms is not None and 0 < rec.route_ms < 1000
    assert rec.cost_usd is not None and rec.cost_usd > 0
    assert rec.latency_ms == c.latency_ms and rec.usage is not None and rec.usage["output_tokens"] > 0


def test_stream_ok_truncated_failed_and_cancelled(mock: MockProvider) -> None:
    router, seen = _router(mock)

    async def drain(**kw: Any) -> list[dict[str, Any]]:
        return [chunk async for chunk in router.stream("tell me", **kw)]

    async def go() -> None:
        try:
            await drain()
            mock.program("alpha", Scenario(fault="cut", cut_after=2, tokens=6))
            await drain(model="alpha")  # pinned, no continuation: ends with finish_reason error
            mock.program("alpha", Scenario(fault="http_error", status=500))
            mock.program("beta", Scenario(fault="http_error", status=500))
            with pytest.raises(AllProvidersFailed):
                await drain()
            mock.program("alpha", Scenario(inter_token_ms=20, tokens=50))
            s = router.stream("go on", model="alpha")
            await s.__anext__()
            await s.__anext__()
            await s.aclose()  # the caller leaves early
        finally:
            await router.aclose()

    run(go())
    assert [r.outcome for r in seen.records] == ["ok", "truncated", "failed", "cancelled"]
    ok, truncated, failed, cancelled = seen.records
    assert ok.served_by == "alpha" and ok.ttft_ms is not None
    assert truncated.served_by == "alpha" and truncated.usage is not None
    assert failed.error is not None and failed.error["type"] == "AllProvidersFailed"
    assert len(failed.attempts) >= 2 and {a["outcome"] for a in failed.attempts} == {"error"}
    assert failed.latency_ms is not None and failed.latency_ms > 0
    assert cancelled.attempts[0]["model"] == "alpha" and cancelled.served_by is None
    assert len({r.request_id for r in seen.records}) == 4


def test_budget_refusal_is_recorded_with_its_limit(mock: MockProvider) -> None:
    router, seen = _router(mock, tenants={"default": {"requests_per_min": 1}})

    async def go() -> None:
        try:
            await router.complete("one")
            with pytest.raises(BudgetExceeded):
                await router.complete("two", tenant="default")
        finally:
            await router.aclose()

    run(go())
    assert [r.outcome for r in seen.records] == ["ok", "refused"]
    refused = seen.records[1]
    assert refused.error is not None and refused.error["type"] == "BudgetExceeded"
    assert refused.error["limit"] and refused.tenant == "default" and len(refused.request_id) == 16


def test_write_records_then_explain(mock: MockProvider, tmp_path: Path) -> None:
    router, seen = _router(mock)
    path = tmp_path / "records.jsonl"
    router.write_records(path)

    async def go() -> Any:
        try:
            return await router.complete("what is two plus two")
        finally:
            await router.aclose()

    c = run(go())
    router.close()  # flushes and closes the sink it opened
    assert router.observers[-1] is seen and len(router.observers) == 2
    (line,) = list(iter_records(path))
    assert line["request_id"] == c.decision.request_id and line["outcome"] == "ok"
    rec = find_record(path, c.decision.request_id)
    assert rec is not None and "served by alpha" in explain(rec)


def test_feedback_reaches_feedback_observers_and_nothing_without_observers(mock: MockProvider) -> None:
    router, seen = _router(mock)
    bare = routecore.Router({**make_config(mock.url, ["alpha"]), "scoring": {"thresholds": []}})

    async def go() -> tuple[Any, Any]:
        try:
            return await router.complete("hi"), await bare.complete("hi")
        finally:
            await router.aclose()
            await bare.aclose()

    c, _ = run(go())
    assert bare.observers == ()
    assert router.feedback(c.decision.request_id, score=True) is True
    assert router.feedback("00000000000000ff", score=True) is False  # unknown: no event
    assert seen.feedback == [(c.decision.request_id, 1.0, "thumbs")]
    router.remove_observer(seen)
    assert seen not in router.observers
