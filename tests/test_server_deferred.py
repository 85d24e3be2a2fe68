"""The gateway's metrics observer counts after the handler's current step (the one that writes
the answer), at once without a loop, and never raises into a request."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

import routecore
from provider_support import run
from routecore.completion import Attempt, Completion, Usage
from routecore.observe import RouterMetrics
from routecore.server.deferred import AfterResponse


def _completion() -> Completion:
    router = routecore.Router()
    d = router.route("say hello")
    router.release(d)
    return Completion(id=d.request_id, model=d.model, content="hi", tool_calls=[], finish_reason="stop",
                      usage=Usage(3, 1), decision=d, attempts=[Attempt(d.model, "openai", outcome="ok")],
                      ttft_ms=1.0, latency_ms=2.0)


def test_counting_runs_after_the_current_step() -> None:
    m = RouterMetrics()
    wrapped = AfterResponse(m)
    c = _completion()

    async def go() -> tuple[int, int]:
        wrapped.observe_completion(c, 0.001, 0.01)
        before = m.kpis.requests  # the handler is still in its step: nothing counted yet
        await asyncio.sleep(0)
        return before, m.kpis.requests

    assert run(go()) == (0, 1)
    wrapped.observe_completion(c, 0.001, 0.01)  # no running loop: counted at once
    assert m.kpis.requests == 2
    wrapped.on_feedback(c.decision.request_id, 1.0, "thumbs")  # passes straight through
    labels = {"tier": str(c.decision.tier), "model": c.model, "kind": "thumbs"}
    assert m.registry.get_sample_value("routecore_feedback_total", labels) == 1


def test_a_failing_count_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    wrapped = AfterResponse(RouterMetrics())
    bad: Any = object()  # not a record: observe() fails inside

    async def go() -> None:
        wrapped.observe(bad)
        await asyncio.sleep(0)

    with caplog.at_level(logging.WARNING, logger="routecore.observe"):
        run(go())
    assert "observer RouterMetrics failed: AttributeError" in caplog.text
