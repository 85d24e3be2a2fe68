"""The shipped Grafana dashboard uses exactly the metric names the gateway's /metrics exports:
every series a PromQL expression names exists, and every exported family appears on a panel."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from routecore.observe.metrics import RouterMetrics
from routecore.server.metrics import Metrics

SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"),
            "summary": ("_sum", "_count"), "gauge": ("",)}


def _exported() -> dict[str, str]:
    """Series name → family name, for everything the gateway's registry exposes."""
    m = Metrics()
    RouterMetrics(m.registry)
    return {f.name + s: f.name for f in m.registry.collect() for s in SUFFIXES[f.type]}


def _exprs(dash: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]


def test_every_expr_names_exported_series_and_every_family_is_shown() -> None:
    text = resources.files("routecore.observe").joinpath("grafana/routecore.json").read_text()
    dash = json.loads(text)
    exported = _exported()
    exprs = _exprs(dash)
    assert len(exprs) >= 20
    used: set[str] = set()
    for e in exprs:
        names = re.findall(r"\broutecore_[a-z0-9_]+\b", e)
        assert names, e
        for n in names:
            assert n in exported, f"{n} (in {e!r}) is not exported"
            used.add(exported[n])
        assert e.count("(") == e.count(")"), e
    missing = set(exported.values()) - used
    assert not missing, f"exported but not on the dashboard: {missing}"
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    assert all(p["datasource"]["uid"] == "${datasource}" for p in dash["panels"])
