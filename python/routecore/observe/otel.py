"""OpenTelemetry traces from decision records (``pip install routecore[otel]``), following the
GenAI semantic conventions: one span for the routed request and one child span per provider
attempt, placed in time from the record's own offsets and durations.

Spans are built after the fact, from the record, instead of being opened around each await: the
dispatch path stays exactly as fast with tracing on, and a hedge or fallback shows up as
overlapping or successive children, as it happened. This module is the only one that imports
opentelemetry; `import routecore` never does.

    from routecore.observe.otel import OtelObserver
    router.add_observer(OtelObserver())          # the global tracer provider, or pass your own
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode, TracerProvider

from routecore.observe.records import DecisionRecord

__all__ = ["OtelObserver"]

_MS = 1_000_000  # ns per ms


class OtelObserver:
    def __init__(self, tracer_provider: TracerProvider | None = None) -> None:
        self._tracer = trace.get_tracer("routecore", tracer_provider=tracer_provider)

    def observe(self, record: DecisionRecord) -> None:
        d = record.decision
        end = int(record.ts * 1e9)
        call_start = end - int((record.latency_ms or 0.0) * _MS)
        start = call_start - int((record.route_ms or 0.0) * _MS)
        requested = str(d.get("model") or "auto")
        attrs: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": requested,
            "routecore.request_id": record.request_id,
            "routecore.tenant": record.tenant,
            "routecore.outcome": record.outcome,
        }
        if d:
            attrs.update({"routecore.tier": int(d.get("tier", 0)),
                          "routecore.tier_name": str(d.get("tier_name")),
                          "routecore.capability": str(d.get("capability")),
                          "routecore.complexity": float(d.get("complexity", 0.0)),
                          "routecore.estimated_cost_usd": float(d.get("estimated_cost_usd", 0.0))})
        if record.route_ms is not None:
            attrs["routecore.route_ms"] = record.route_ms
        if record.served_by:
            attrs["gen_ai.response.model"] = record.served_by
        if record.usage:
            attrs["gen_ai.usage.input_tokens"] = record.usage.get("input_tokens", 0)
            attrs["gen_ai.usage.output_tokens"] = record.usage.get("output_tokens", 0)
        if record.cost_usd is not None:
            attrs["routecore.cost_usd"] = record.cost_usd
        if record.error:
            attrs["error.type"] = str(record.error.get("type"))
        span = self._tracer.start_span(f"chat {requested}", kind=SpanKind.INTERNAL, start_time=start,
                                       attributes=attrs)
        if record.outcome in ("failed", "refused"):
            span.set_status(Status(StatusCode.ERROR, str((record.error or {}).get("type", ""))))
        ctx = trace.set_span_in_context(span)
        for i, a in enumerate(record.attempts):
            self._attempt(a, i, record, ctx, call_start)
        span.end(end_time=end)

    def _attempt(self, a: dict[str, Any], i: int, record: DecisionRecord, ctx: Any, call_start: int) -> None:
        model = str(a.get("model"))
        a_start = call_start + int(float(a.get("started_ms") or 0.0) * _MS)
        served = a.get("outcome") == "ok" and model == record.served_by
        attrs: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.system": str(a.get("provider")),
            "gen_ai.provider.name": str(a.get("provider")),  # the newer name of gen_ai.system
            "gen_ai.request.model": model,
            "routecore.attempt": i,
            "routecore.attempt.outcome": str(a.get("outcome")),
            "routecore.attempt.hedge": bool(a.get("hedge")),
            "routecore.attempt.continuation": bool(a.get("continuation")),
        }
        if served:
            attrs["gen_ai.response.model"] = model
            if record.usage:
                attrs["gen_ai.usage.input_tokens"] = record.usage.get("input_tokens", 0)
                attrs["gen_ai.usage.output_tokens"] = record.usage.get("output_tokens", 0)
        if a.get("ttft_ms") is not None:
            attrs["routecore.ttft_ms"] = float(a["ttft_ms"])
        if a.get("status") is not None:
            attrs["http.response.status_code"] = int(a["status"])
        if a.get("error_kind") or a.get("outcome") == "error":
            attrs["error.type"] = str(a.get("error_kind") or a.get("error_type") or "error")
        s = self._tracer.start_span(f"chat {model}", context=ctx, kind=SpanKind.CLIENT, start_time=a_start,
                                    attributes=attrs)
        if a.get("outcome") == "error":
            s.set_status(Status(StatusCode.ERROR, str(a.get("error_kind") or "")))
        s.end(end_time=a_start + int(float(a.get("duration_ms") or 0.0) * _MS))
