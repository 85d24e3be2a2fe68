"""Shared helpers for the routing tests and benchmarks."""

from __future__ import annotations

import re
from pathlib import Path

import routecore

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def unbudgeted_toml() -> str:
    """The embedded default config without tenant budgets (for tests that route a lot)."""
    return re.sub(r"\[tenants\.default\][^\[]*", "", routecore.default_config_toml())
