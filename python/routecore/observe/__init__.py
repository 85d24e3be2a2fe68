"""Observability: decision records (JSON Lines, redacted), their explanation, the observer hook
(`Router.add_observer`), Prometheus metrics (`RouterMetrics`) and, with the ``otel`` extra,
OpenTelemetry traces (`routecore.observe.otel.OtelObserver`, imported only when asked for)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .explain import explain
from .hook import FeedbackObserver, Observer
from .records import DecisionRecord, JsonlSink, RecordSink, find_record, iter_records

if TYPE_CHECKING:
    from .metrics import RouterMetrics

__all__ = ["DecisionRecord", "FeedbackObserver", "JsonlSink", "Observer", "RecordSink", "RouterMetrics",
           "explain", "find_record", "iter_records"]


def __getattr__(name: str) -> Any:
    # Metrics pull in prometheus_client: only for those who use them, not for every import.
    if name == "RouterMetrics":
        from .metrics import RouterMetrics

        return RouterMetrics
    raise AttributeError(name)
