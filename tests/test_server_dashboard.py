"""The gateway's /dashboard: its data endpoint behind the admin token, and the page itself loaded
in headless Chromium, whose DOM after the page's script ran must show the traffic we generated."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest
from PIL import Image

from routecore.testing.mock_scenario import Scenario
from test_server_support import ADMIN, KEYS, Env, gw, mock

__all__ = ["gw", "mock"]

USER = [{"role": "user", "content": "say hello"}]
N = 7


def _chat(env: Env) -> None:
    r = httpx.post(env.url + "/v1/chat/completions", json={"messages": USER},
                   headers={"authorization": "Bearer " + KEYS["acme"]}, timeout=20)
    assert r.status_code == 200


def _traffic(env: Env) -> None:
    env.mock.program("gamma", Scenario(fault="http_error", status=500))  # a T1 model, never chosen
    for _ in range(N):
        _chat(env)
    env.app.router_metrics.guard_verdict("injection", "block")  # as the guard policy reports it


def test_dashboard_data_needs_the_admin_token(gw: Env) -> None:
    _traffic(gw)
    assert httpx.get(gw.url + "/dashboard/data").status_code == 401
    wrong = httpx.get(gw.url + "/dashboard/data", headers={"authorization": "Bearer " + KEYS["acme"]})
    assert wrong.status_code == 401  # a tenant key sees no fleet-wide data
    d = httpx.get(gw.url + "/dashboard/data", headers={"authorization": "Bearer " + ADMIN}).json()
    k = d["kpis"]
    assert k["requests"] == N and k["guard_failures"] == 1 and k["cost_per_interaction_usd"] > 0
    (t0,) = k["tiers"]
    assert t0["name"] == "T0" and t0["requests"] == N and t0["share"] == 1.0 and t0["target_ms"] == 400.0
    assert t0["p95_ms"] is not None and t0["p99_ms"] >= t0["p95_ms"]
    assert d["breakers"] == {"alpha": "closed", "beta": "closed", "claude-x": "closed", "gamma": "closed"}
    page = httpx.get(gw.url + "/dashboard")  # the page holds no data: always served
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script" in page.text and "http://" not in page.text and "https://" not in page.text  # no CDN


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium is not installed (make install: apt-get install -y chromium)")
    return exe


def test_dashboard_renders_live_kpis_in_headless_chromium(gw: Env) -> None:
    exe = _chromium()
    _traffic(gw)
    with tempfile.TemporaryDirectory(prefix="rc-chromium-") as profile:
        out = subprocess.run(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom",
             f"{gw.url}/dashboard#token={ADMIN}"],
            capture_output=True, text=True, timeout=120)
    dom = out.stdout
    assert out.returncode == 0 and "</html>" in dom, out.stderr[-2000:]
    # Values only the script can have put there, from /dashboard/data.
    assert f'<div class="value" id="kpi-requests">{N}</div>' in dom
    assert '<div class="value" id="kpi-guard-failures">1</div>' in dom
    assert re.search(r'id="kpi-cost-per-interaction">\$0\.0\d+<', dom)
    row = re.search(r'<tr data-tier="0">(.*?)</tr>', dom)
    assert row is not None, dom[-3000:]
    assert "<td>T0</td>" in row.group(1) and f"<td>{N}</td>" in row.group(1)
    assert re.search(r'<td class="(within|over)" data-kpi="p95">\d+ ms</td>', row.group(1))
    assert re.search(r'<td class="(within|over)" data-kpi="p99">\d+ ms</td>', row.group(1))
    assert '<tr data-model="gamma"><td>gamma</td><td class="breaker-closed">closed</td></tr>' in dom
    assert "config generation 1" in dom


def test_dashboard_screenshot_is_a_rendered_page(gw: Env, tmp_path: Path) -> None:
    """The screenshot a person would see: the requested size, and drawn (not one flat colour:
    a blank or crashed page is)."""
    exe = _chromium()
    _traffic(gw)
    shot = tmp_path / "dashboard.png"
    with tempfile.TemporaryDirectory(prefix="rc-chromium-") as profile:
        out = subprocess.run(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--window-size=1280,900",
             "--hide-scrollbars", f"--screenshot={shot}", f"{gw.url}/dashboard#token={ADMIN}"],
            capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and shot.exists(), out.stderr[-2000:]
    with Image.open(shot) as img:
        assert img.size == (1280, 900)
        colours = img.convert("RGB").getcolors(maxcolors=1 << 16)
    # Text and tables anti-alias into many colours; an empty page has one or two.
    assert colours is None or len(colours) > 50, f"{len(colours or [])} colours"
