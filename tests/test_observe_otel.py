"""OpenTelemetry traces (the ``otel`` extra) from real calls, captured with the SDK's in-memory
exporter; and `import routecore` never importing opentelemetry."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import routecore
from provider_support import make_config, run
from routecore.observe.otel import OtelObserver
from routecore.provider_errors import AllProvidersFailed
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario


@pytest.fixture()
def mock() -> Iterator[MockProvider]:
    os.environ.setdefault("MOCK_KEY", "sk-test-not-a-secret")
    with MockProvider().start() as m:
        yield m


def test_decision_span_with_one_child_per_attempt(mock: MockProvider) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    cfg: dict[str, Any] = make_config(mock.url, ["alpha", "beta"])
    cfg["scoring"] = {"thresholds": []}
    router = routecore.Router(cfg)
    router.add_observer(OtelObserver(provider))
    mock.program("alpha", Scenario(fault="http_error", status=500, fault_first_n=1, latency_ms=30))

    async def go() -> Any:
        try:
            c = await router.complete("hello there")
            mock.program("alpha", Scenario(fault="http_error", status=503))
            mock.program("beta", Scenario(fault="http_error", status=503))
            with pytest.raises(AllProvidersFailed):
                await router.complete("hello again")
            return c
        finally:
            await router.aclose()

    c = run(go())
    spans = exporter.get_finished_spans()
    roots = [s for s in spans if s.parent is None]
    assert len(roots) == 2
    root = next(s for s in roots if s.attributes["routecore.request_id"] == c.decision.request_id)
    a = root.attributes
    assert root.name == "chat alpha" and root.kind == SpanKind.INTERNAL
    assert a["gen_ai.operation.name"] == "chat" and a["gen_ai.request.model"] == "alpha"
    assert a["gen_ai.response.model"] == "beta"
    assert a["gen_ai.usage.input_tokens"] == c.usage.input_tokens
    assert a["gen_ai.usage.output_tokens"] == c.usage.output_tokens
    assert a["routecore.tier"] == c.decision.tier and a["routecore.route_ms"] > 0
    kids = sorted((s for s in spans if s.parent is not None and s.parent.span_id == root.context.span_id),
                  key=lambda s: s.start_time or 0)
    assert [k.name for k in kids] == ["chat alpha", "chat beta"]
    assert all(k.kind == SpanKind.CLIENT and k.context.trace_id == root.context.trace_id for k in kids)
    failed, served = kids
    assert failed.attributes["error.type"] == "server" and failed.status.status_code == StatusCode.ERROR
    assert failed.attributes["http.response.status_code"] == 500
    assert failed.attributes["gen_ai.system"] == "openai"
    assert served.attributes["gen_ai.response.model"] == "beta"
    assert served.attributes["gen_ai.usage.output_tokens"] == c.usage.output_tokens
    # Placed in time: inside the root, the fallback after the failed attempt (which took >= 30 ms).
    assert root.start_time <= failed.start_time < served.start_time <= root.end_time
    assert (failed.end_time - failed.start_time) >= 25_000_000
    bad = next(s for s in roots if s is not root)
    assert bad.status.status_code == StatusCode.ERROR and bad.attributes["error.type"] == "AllProvidersFailed"


def test_importing_routecore_does_not_import_opentelemetry() -> None:
    code = ("import sys, routecore, routecore.observe, routecore.dispatch, routecore.server.app\n"
            "loaded = sorted(m for m in sys.modules if m.startswith('opentelemetry'))\n"
            "assert not loaded, loaded\n"
            "import routecore.observe.otel\n"
            "assert 'opentelemetry.trace' in sys.modules\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
