"""Prometheus metrics for library users and the gateway, fed by the observer hook: one
`DecisionRecord` per request in, a handful of counter/histogram updates out, so the dispatch
path itself never grows. Everything lives in a registry this object owns (or one you pass, e.g.
the gateway's): no process-global collectors.

Labels are bounded. Models and tiers come from the config; capabilities are a fixed set;
tenants, guard detectors and verification checks keep their first ``max_values`` distinct values
and fold the rest into ``_other``, so a caller inventing tenant names cannot grow memory or a
Prometheus server's series count without limit. Nothing from message text ever becomes a label.

    metrics = RouterMetrics()
    router.add_observer(metrics)
    metrics.track(router)                     # breaker-state gauges, read at scrape time
    body = metrics.render()                   # or serve metrics.registry your own way
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, Summary, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from routecore.observe.cells import CounterCell, HistogramCell
from routecore.observe.kpis import LiveKpis
from routecore.observe.records import DecisionRecord

__all__ = ["BREAKER_STATES", "HealthSource", "RouterMetrics"]

LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0)
TTFT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0)
ROUTE_BUCKETS = (1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 1e-2)
BREAKER_STATES = {"closed": 0.0, "half_open": 1.0, "open": 2.0}
OTHER = "_other"
_FEEDBACK_WINDOW = 500  # the accuracy estimate is the mean quality of the last N rated requests
_RECENT = 10_000  # request id → (tier, model) kept for late feedback


class HealthSource(Protocol):
    """What the breaker gauges read (a `Router` is one)."""

    @property
    def models(self) -> list[str]: ...
    def health(self, model: str) -> dict[str, Any]: ...


class _Bounded:
    """The first ``limit`` distinct values pass; later ones become ``_other``."""

    __slots__ = ("limit", "seen")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen: set[str] = set()

    def __call__(self, value: str) -> str:
        if value in self.seen:
            return value
        if len(self.seen) < self.limit:
            self.seen.add(value)
            return value
        return OTHER


class _Breakers:
    """A collector read at scrape time: no per-request cost for breaker state."""

    def __init__(self) -> None:
        self.source: Callable[[], HealthSource | None] = lambda: None

    def describe(self) -> Iterable[Metric]:
        return [self._family()]

    def _family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily("routecore_breaker_state",
                                 "Circuit breaker per model: 0 closed, 1 half-open, 2 open",
                                 labels=["model"])

    def collect(self) -> Iterable[Metric]:
        fam = self._family()
        src = self.source()
        if src is not None:
            for m in src.models:
                fam.add_metric([m], BREAKER_STATES.get(str(src.health(m).get("state")), 0.0))
        return [fam]


class RouterMetrics:
    """An observer (`Router.add_observer`) that keeps Prometheus metrics and live KPIs."""

    def __init__(self, registry: CollectorRegistry | None = None, *, max_values: int = 100) -> None:
        self.registry = r = registry if registry is not None else CollectorRegistry(auto_describe=False)
        self.kpis = LiveKpis()
        self._tenant = _Bounded(max_values)
        self._free = _Bounded(max_values)  # detector / action / check names from other code
        tm = ["tenant", "tier", "model"]
        self.requests = Counter("routecore_llm_requests", "Requests through complete()/stream() by outcome",
                                [*tm, "outcome"], registry=r)
        self.latency = Histogram("routecore_llm_latency_seconds", "Time to the last token",
                                 tm, buckets=LATENCY_BUCKETS, registry=r)
        self.ttft = Histogram("routecore_llm_ttft_seconds", "Time to the first token",
                              tm, buckets=TTFT_BUCKETS, registry=r)
        self.route_time = Histogram("routecore_route_seconds", "Time spent in route(): the router's overhead",
                                    ["tier"], buckets=ROUTE_BUCKETS, registry=r)
        self.decisions = Counter("routecore_decisions", "Routing decisions: the tier and capability mix",
                                 ["tier", "capability"], registry=r)
        self.cost = Counter("routecore_llm_cost_usd", "Actual spend (priced at the model that served)",
                            ["tenant", "model"], registry=r)
        self.tokens = Counter("routecore_llm_tokens", "Tokens used", ["tenant", "model", "direction"],
                              registry=r)
        self.hedges = Counter("routecore_hedges", "Hedged attempts: fired, and won (served the answer)",
                              ["model", "result"], registry=r)
        self.fallbacks = Counter("routecore_fallbacks", "Moves to the next candidate, by why",
                                 ["reason"], registry=r)
        self.guard_verdicts = Counter("routecore_guard_verdicts", "Guard policy verdicts",
                                      ["detector", "action"], registry=r)
        self.verification_failures = Counter("routecore_verification_failures",
                                             "Answers that failed output verification",
                                             ["model", "check"], registry=r)
        self.budget_refusals = Counter("routecore_budget_refusals", "Requests a tenant budget refused",
                                       ["tenant", "limit"], registry=r)
        self.feedback = Counter("routecore_feedback", "Feedback received", ["tier", "model", "kind"],
                                registry=r)
        self.quality = Summary("routecore_feedback_quality",
                               "Quality from feedback (0..1); sum/count is the routing-accuracy estimate",
                               ["tier"], registry=r)
        self._accuracy: dict[str, deque[float]] = {}
        self._breakers = _Breakers()
        r.register(self._breakers)
        r.register(_AccuracyGauge(self._accuracy))
        self._recent: OrderedDict[str, tuple[str, str]] = OrderedDict()
        # Children bound once per label tuple, as cells (cells.py): `labels()` and prometheus'
        # checked, locked updates cost microseconds per request, a dict lookup does not.
        self._per_model: dict[tuple[str, str, str], tuple[Any, ...]] = {}
        self._per_outcome: dict[tuple[str, str, str, str], CounterCell] = {}
        self._per_decision: dict[tuple[str, str], tuple[CounterCell, HistogramCell]] = {}

    # ------------------------------------------------------------------ the hook

    def observe(self, record: DecisionRecord) -> None:
        d = record.decision
        tenant = self._tenant(record.tenant or "default")
        if record.outcome == "refused":
            err = record.error or {}
            if err.get("type") == "BudgetExceeded":
                self.budget_refusals.labels(tenant, str(err.get("limit") or "unknown")).inc()
            self._outcome(tenant, "-", "-", "refused").inc()
            self.kpis.add("-", "refused", None, None)
            return
        usage = record.usage or {}
        attempts = [(a.get("hedge"), a.get("outcome"), a.get("model"), a.get("error_kind"))
                    for a in record.attempts]
        self._count(
            tenant, str(d.get("tier", "-")), str(d.get("capability")),
            record.served_by or str(d.get("model", "-")), record.outcome, record.request_id,
            record.route_ms, record.latency_ms, record.ttft_ms, record.cost_usd,
            usage.get("input_tokens", 0) if record.usage else None, usage.get("output_tokens", 0),
            attempts, record.served_by,
        )
        v = record.verification
        if v is not None and v.get("ok") is False:
            model = record.served_by or str(d.get("model", "-"))
            for check in v.get("failures") or ["unknown"]:
                self.verification_failed(model, str(check))

    def observe_completion(self, completion: Any, cost_usd: float, route_ms: float | None) -> None:
        """What `observe` counts for the record of a finished call, read straight off the
        `Completion` (the hook calls this instead of building a record when every observer has
        it): the record's `Decision.to_dict()` and attempt dicts are most of an observed request's
        cost, and counting needs none of them."""
        d = completion.decision
        u = completion.usage
        atts = completion.attempts
        # One attempt, not a hedge (nearly every request): no hedge and no fallback to count.
        attempts = ([] if len(atts) == 1 and not atts[0].hedge
                    else [(a.hedge, a.outcome, a.model, a.error_kind) for a in atts])
        self._count(
            self._tenant(d.tenant or "default"), str(d.tier), str(d.capability), completion.model,
            # completion.id is the decision's request id, already a string (the core formats
            # a new one on every Decision.request_id read).
            "truncated" if completion.truncated else "ok", completion.id, route_ms,
            completion.latency_ms, completion.ttft_ms, cost_usd, u.input_tokens, u.output_tokens,
            attempts, completion.model,
        )

    def _count(self, tenant: str, tier: str, capability: str, model: str, outcome: str,
               request_id: str, route_ms: float | None, latency_ms: float | None,
               ttft_ms: float | None, cost_usd: float | None, input_tokens: int | None,
               output_tokens: int, attempts: list[tuple[Any, Any, Any, Any]],
               served_by: str | None) -> None:
        """One answered (or failed) request; ``input_tokens`` None: no usage known."""
        self._outcome(tenant, tier, model, outcome).inc()
        dec = self._per_decision.get((tier, capability))
        if dec is None:
            dec = self._per_decision[(tier, capability)] = (
                CounterCell(self.decisions.labels(tier, capability)),
                HistogramCell(self.route_time.labels(tier)))
        dec[0].inc()
        if route_ms is not None:
            dec[1].observe(route_ms / 1000.0)
        pm = self._model(tenant, tier, model)
        if outcome in ("ok", "truncated"):
            if latency_ms is not None:
                pm[0].observe(latency_ms / 1000.0)
            if ttft_ms is not None:
                pm[1].observe(ttft_ms / 1000.0)
            if cost_usd:
                pm[2].inc(cost_usd)
            if input_tokens is not None:
                pm[3].inc(input_tokens)
                pm[4].inc(output_tokens)
        self._attempts(attempts, served_by)
        self.kpis.add(tier, outcome, latency_ms, cost_usd)
        self._recent[request_id] = (tier, model)
        if len(self._recent) > _RECENT:
            self._recent.popitem(last=False)

    def _outcome(self, tenant: str, tier: str, model: str, outcome: str) -> CounterCell:
        key = (tenant, tier, model, outcome)
        c = self._per_outcome.get(key)
        if c is None:
            c = self._per_outcome[key] = CounterCell(self.requests.labels(*key))
        return c

    def _model(self, tenant: str, tier: str, model: str) -> tuple[Any, ...]:
        key = (tenant, tier, model)
        pm = self._per_model.get(key)
        if pm is None:
            pm = self._per_model[key] = (
                HistogramCell(self.latency.labels(*key)), HistogramCell(self.ttft.labels(*key)),
                CounterCell(self.cost.labels(tenant, model)),
                CounterCell(self.tokens.labels(tenant, model, "input")),
                CounterCell(self.tokens.labels(tenant, model, "output")))
        return pm

    def _attempts(self, attempts: list[tuple[Any, Any, Any, Any]], served_by: str | None) -> None:
        """``attempts``: (hedge, outcome, model, error_kind) of each, in start order."""
        last = len(attempts) - 1
        for i, (hedge, outcome, model, error_kind) in enumerate(attempts):
            if hedge:
                self.hedges.labels(model, "fired").inc()
                if outcome == "ok" and model == served_by:
                    self.hedges.labels(model, "won").inc()
            # A failed or skipped attempt that another one followed is a fallback, by its reason.
            if i < last and outcome in ("error", "skipped"):
                reason = error_kind or ("breaker_open" if outcome == "skipped" else "error")
                self.fallbacks.labels(str(reason)).inc()

    # ------------------------------------------------------------------ other producers

    def on_feedback(self, request_id: str, quality: float, kind: str) -> None:
        tier, model = self._recent.get(request_id, ("unknown", "unknown"))
        self.feedback.labels(tier, model, self._free(kind)).inc()
        self.quality.labels(tier).observe(quality)
        window = self._accuracy.get(tier)
        if window is None:
            window = self._accuracy[tier] = deque(maxlen=_FEEDBACK_WINDOW)
        window.append(quality)

    def guard_verdict(self, detector: str, action: str, count: int = 1) -> None:
        """For the guard policies: one verdict (``action`` e.g. allow, redact, block, flag)."""
        self.guard_verdicts.labels(self._free(detector), self._free(action)).inc(count)
        if action != "allow":
            self.kpis.guard_failures += count

    def verification_failed(self, model: str, check: str) -> None:
        self.verification_failures.labels(model, self._free(check)).inc()
        self.kpis.verification_failures += 1

    def track(self, source: HealthSource | Callable[[], HealthSource | None]) -> None:
        """Report breaker states of ``source`` (a router, or a callable giving the current one —
        the gateway passes its serving generation's router, so a reload is followed)."""
        if callable(source):
            self._breakers.source = source
        else:
            self._breakers.source = lambda: source

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _AccuracyGauge:
    def __init__(self, windows: dict[str, deque[float]]) -> None:
        self.windows = windows

    def describe(self) -> Iterable[Metric]:
        return [self._family()]

    def _family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily("routecore_routing_accuracy",
                                 f"Mean feedback quality of the last {_FEEDBACK_WINDOW} rated requests",
                                 labels=["tier"])

    def collect(self) -> Iterable[Metric]:
        fam = self._family()
        for tier, w in list(self.windows.items()):
            if w:
                fam.add_metric([tier], sum(w) / len(w))
        return [fam]
