"""The gateway's observability end to end, through the real OpenAI SDK over loopback: decision
records written per request (and explained by the CLI), library metrics on /metrics, both
surviving a hot reload."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import openai

from routecore.observe import iter_records
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario
from test_server_support import ADMIN, KEYS, config, mock, start

__all__ = ["mock"]

USER = [{"role": "user", "content": "say hello"}]
ADMIN_H = {"authorization": "Bearer " + ADMIN}


def test_records_metrics_and_explain_through_the_gateway(mock: MockProvider, tmp_path: Path) -> None:
    mock.reset()
    path = tmp_path / "records.jsonl"
    srv = start(mock, records_path=str(path))
    try:
        c = openai.OpenAI(base_url=srv.url + "/v1", api_key=KEYS["acme"], max_retries=0)
        mock.program("alpha", Scenario(fault="http_error", status=500, fault_first_n=1))
        whole = c.chat.completions.create(model="auto", messages=USER)  # alpha fails, beta serves
        chunks = list(c.chat.completions.create(model="auto", messages=USER, stream=True))
        streamed_id = chunks[0].id
        rel = httpx.post(srv.url + "/admin/reload", json={"config_json": config(mock.url)}, headers=ADMIN_H)
        assert rel.status_code == 200
        after = c.chat.completions.create(model="auto", messages=USER)  # on the new router
        metrics = httpx.get(srv.url + "/metrics", headers=ADMIN_H).text
    finally:
        srv.stop()  # lifespan shutdown closes the sink: everything is on disk
    recs = {r["request_id"]: r for r in iter_records(path)}
    assert set(recs) == {whole.id, streamed_id, after.id}
    assert recs[whole.id]["served_by"] == "beta" and recs[whole.id]["outcome"] == "ok"
    assert [a["outcome"] for a in recs[whole.id]["attempts"]] == ["error", "ok"]
    assert recs[streamed_id]["outcome"] == "ok" and recs[after.id]["tenant"] == "acme"
    assert "say hello" not in path.read_text()  # never message text
    # The library metrics share the gateway's registry; the gateway's own names still work.
    assert 'routecore_llm_requests_total{model="alpha",outcome="ok",tenant="acme",tier="0"} 2.0' in metrics
    assert 'routecore_llm_requests_total{model="beta",outcome="ok",tenant="acme",tier="0"} 1.0' in metrics
    assert 'routecore_fallbacks_total{reason="server"} 1.0' in metrics
    assert 'routecore_breaker_state{model="alpha"} 0.0' in metrics
    assert "routecore_requests_total{" in metrics and "routecore_route_seconds_bucket{" in metrics
    out = subprocess.run([sys.executable, "-m", "routecore", "explain", whole.id, "--records", str(path)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert f"request {whole.id} (tenant acme)" in out.stdout
    assert "1. alpha: error (server" in out.stdout and "served by beta" in out.stdout
    assert json.loads(path.read_text().splitlines()[0])["version"] == 1
