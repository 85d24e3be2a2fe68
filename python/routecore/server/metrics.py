"""Prometheus metrics, in a registry owned by the app (no process-global collectors). Labels are
bounded: tenants come from configured keys, models and tiers from the config, endpoints from the
route table. Nothing from request bodies or credentials ever becomes a label."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from routecore.observe.cells import CounterCell, HistogramCell

M = TypeVar("M", Counter, Histogram)
C = TypeVar("C", CounterCell, HistogramCell)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_OVERHEAD_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05)


class Family(Generic[M, C]):
    """A labelled metric whose children are looked up once per label set, as cells
    (observe/cells.py): prometheus_client's ``labels()`` validates and locks on every call
    (~2.5 us; a chat request makes six) and so does each update. The label sets are bounded (see
    above), so the cache is too."""

    __slots__ = ("_cell", "_children", "metric")

    def __init__(self, metric: M, cell: Callable[[M], C]) -> None:
        self.metric: M = metric
        self._cell: Callable[[M], C] = cell
        self._children: dict[tuple[str, ...], C] = {}

    def labels(self, *values: str) -> C:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self._cell(self.metric.labels(*values))
        return child


class Metrics:
    content_type = CONTENT_TYPE_LATEST.encode()

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry(auto_describe=False)
        self.requests = Family(Counter(
            "routecore_requests", "Requests answered, by outcome",
            ["endpoint", "tenant", "model", "tier", "status"], registry=r), CounterCell)
        self.errors = Family(Counter(
            "routecore_errors", "Error responses by status and code",
            ["endpoint", "tenant", "status", "code"], registry=r), CounterCell)
        self.latency = Family(Histogram(
            "routecore_request_duration_seconds", "Time to the last byte",
            ["endpoint", "tier"], buckets=_LATENCY_BUCKETS, registry=r), HistogramCell)
        self.overhead = Family(Histogram(
            "routecore_overhead_seconds", "The gateway's own time (not the provider's)",
            ["endpoint"], buckets=_OVERHEAD_BUCKETS, registry=r), HistogramCell)
        self.tokens = Family(Counter(
            "routecore_tokens", "Tokens billed", ["tenant", "model", "direction"], registry=r), CounterCell)
        self.cost = Family(Counter(
            "routecore_estimated_cost_usd", "Estimated spend at routing time", ["tenant", "model"],
            registry=r), CounterCell)
        self.in_flight = Gauge("routecore_in_flight", "Requests holding a work slot", registry=r)
        self.rejected = Counter("routecore_overload_rejections", "503s for overload", registry=r)
        self.reloads = Counter("routecore_config_reloads", "Config reloads by result", ["result"], registry=r)
        # Bounded as the label sets are (status: the few the gateway answers with).
        self._answered: dict[tuple[str, str, str, str, int],
                             tuple[CounterCell, HistogramCell | None]] = {}
        self._served: dict[tuple[str, str, str],
                           tuple[HistogramCell, CounterCell, CounterCell, CounterCell]] = {}

    def answered(self, endpoint: str, tenant: str, model: str, tier: str, status: int,
                 seconds: float) -> None:
        """One request done: its count and, if it was routed (``tier`` not "-"), its duration.
        Both cells come from one lookup."""
        key = (endpoint, tenant, model, tier, status)
        cells = self._answered.get(key)
        if cells is None:
            cells = self._answered[key] = (
                self.requests.labels(endpoint, tenant, model, tier, str(status)),
                self.latency.labels(endpoint, tier) if tier != "-" else None)
        cells[0].inc()
        if cells[1] is not None:
            cells[1].observe(seconds)

    def served(self, endpoint: str, tenant: str, model: str, overhead_s: float, input_tokens: int,
               output_tokens: int, cost_usd: float) -> None:
        """A whole (not streamed) chat answer: the gateway's overhead, tokens and estimated cost."""
        key = (endpoint, tenant, model)
        cells = self._served.get(key)
        if cells is None:
            cells = self._served[key] = (
                self.overhead.labels(endpoint), self.tokens.labels(tenant, model, "input"),
                self.tokens.labels(tenant, model, "output"), self.cost.labels(tenant, model))
        cells[0].observe(overhead_s)
        cells[1].inc(input_tokens)
        cells[2].inc(output_tokens)
        cells[3].inc(cost_usd)

    def render(self) -> bytes:
        return generate_latest(self.registry)
