"""Cells (observe/cells.py) update Prometheus children exactly as prometheus_client's own
``inc``/``observe`` do: the same exposition, value for value, after the same updates."""

from __future__ import annotations

import math

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from routecore.observe.cells import CounterCell, HistogramCell

BOUNDS = (0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005)
AMOUNTS = [0.0, 0.0001, 0.00010000001, 0.00025, 3e-4, 0.001, 0.0049, 0.005, 0.0051, 7.5, -1.0, 1e300]


def _pair() -> tuple[CollectorRegistry, Counter, Histogram]:
    r = CollectorRegistry(auto_describe=False)
    c = Counter("c", "a counter", ["k"], registry=r)
    h = Histogram("h", "a histogram", ["k"], buckets=BOUNDS, registry=r)
    return r, c, h


def _samples(r: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for m in r.collect() for s in m.samples if not s.name.endswith("_created")}


def test_cells_match_prometheus_client() -> None:
    r1, c1, h1 = _pair()
    r2, c2, h2 = _pair()
    cc, hc = CounterCell(c2.labels("x")), HistogramCell(h2.labels("x"))
    for a in AMOUNTS:
        h1.labels("x").observe(a)
        hc.observe(a)
        if a >= 0:
            c1.labels("x").inc(a)
            cc.inc(a)
    c1.labels("x").inc()
    cc.inc()
    assert _samples(r1) == _samples(r2)
    assert r2.get_sample_value("h_bucket", {"k": "x", "le": "0.00025"}) == 5  # -1 .. 2.5e-4
    assert r2.get_sample_value("h_bucket", {"k": "x", "le": "+Inf"}) == len(AMOUNTS)
    text = generate_latest(r2).decode()
    assert 'h_bucket{k="x",le="0.005"} 9.0' in text and 'c_total{k="x"}' in text


def test_nan_goes_to_the_sum_only_and_negative_counts_refuse() -> None:
    r1, _, h1 = _pair()
    r2, c2, h2 = _pair()
    h1.labels("x").observe(math.nan)
    HistogramCell(h2.labels("x")).observe(math.nan)
    assert r2.get_sample_value("h_count", {"k": "x"}) == r1.get_sample_value("h_count", {"k": "x"}) == 0
    assert math.isnan(r2.get_sample_value("h_sum", {"k": "x"}) or 0.0)
    with pytest.raises(ValueError):
        CounterCell(c2.labels("x")).inc(-1)


def test_a_parent_metric_is_refused_at_binding() -> None:
    _, c, h = _pair()
    with pytest.raises(ValueError):
        CounterCell(c)
    with pytest.raises(ValueError):
        HistogramCell(h)


def test_unlabelled_metrics_bind_too() -> None:
    r = CollectorRegistry(auto_describe=False)
    c = Counter("plain", "no labels", registry=r)
    CounterCell(c).inc(2)
    assert r.get_sample_value("plain_total") == 2


class _PublicOnly:
    """A child of a prometheus_client release without the internals cells read: only the
    public ``inc``/``observe``, recording what it was given."""

    def __init__(self) -> None:
        self.got: list[float] = []

    def inc(self, amount: float = 1) -> None:
        self.got.append(amount)

    def observe(self, amount: float) -> None:
        self.got.append(amount)


def test_cells_fall_back_to_public_methods_without_internals() -> None:
    c, h = _PublicOnly(), _PublicOnly()
    CounterCell(c).inc(2.5)
    HistogramCell(h).observe(0.003)
    assert c.got == [2.5]
    assert h.got == [0.003]
