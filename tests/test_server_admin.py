"""Tenancy and operations: hot reload (atomic, validated, in-flight requests keep their config),
per-tenant metrics behind the admin token, and canaries proving that provider keys, tenant keys
and message contents never reach logs or metrics."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from routecore.testing.mock_scenario import Scenario
from test_server_support import ADMIN, KEYS, PROVIDER_KEY, Env, config, gw, mock, model

__all__ = ["gw", "mock"]

USER = [{"role": "user", "content": "say hello"}]


def auth(key: str) -> dict[str, str]:
    return {"authorization": "Bearer " + key}


def chat(env: Env, tenant: str = "acme", **body: Any) -> httpx.Response:
    return httpx.post(env.url + "/v1/chat/completions", json={"messages": USER, **body},
                      headers=auth(KEYS[tenant]), timeout=20)


def new_config(url: str) -> dict[str, Any]:
    cfg = config(url)
    cfg["models"] = {"delta": model(url, "delta"), "gamma": model(url, "gamma")}
    cfg["tiers"] = [{**cfg["tiers"][0], "models": ["delta"]}, {**cfg["tiers"][1], "models": ["gamma"]}]
    cfg["tenants"]["narrow"]["allowed_models"] = ["delta"]
    return cfg


def test_reload_needs_the_admin_token(gw: Env) -> None:
    r = httpx.post(gw.url + "/admin/reload", json={}, headers=auth(KEYS["acme"]))
    assert r.status_code == 401


def test_invalid_config_is_rejected_with_its_errors_and_old_keeps_serving(gw: Env) -> None:
    bad = new_config(gw.mock.url)
    bad["tiers"][0]["models"] = ["nope"]
    bad["models"]["delta"]["bogus_key"] = 1
    r = httpx.post(gw.url + "/admin/reload", json={"config_json": bad}, headers=auth(ADMIN))
    assert r.status_code == 400
    errors = r.json()["error"]["errors"]
    assert len(errors) >= 2 and all(e["path"] for e in errors)
    assert chat(gw).headers["x-routecore-model"] == "alpha"


def test_reload_swaps_atomically_and_in_flight_finishes_on_its_config(gw: Env) -> None:
    gw.mock.program("alpha", Scenario(tokens=8, inter_token_ms=100))

    async def go() -> tuple[str, str, httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(base_url=gw.url, timeout=20) as c:
            req = c.build_request("POST", "/v1/chat/completions", json={"messages": USER, "stream": True},
                                  headers=auth(KEYS["acme"]))
            slow = await c.send(req, stream=True)
            lines = slow.aiter_lines()
            first = await anext(lines)  # the stream is now in flight on the old config
            rel = await c.post("/admin/reload", json={"config_json": new_config(gw.mock.url)},
                               headers=auth(ADMIN))
            rest = "\n".join([line async for line in lines])
            after = await c.post("/v1/chat/completions", json={"messages": USER}, headers=auth(KEYS["acme"]))
            return slow.headers["x-routecore-model"], first + rest, rel, after

    model_before, text, rel, after = asyncio.run(go())
    assert rel.status_code == 200 and rel.json()["config_generation"] == 2
    assert model_before == "alpha" and "tok7" in text and text.rstrip().endswith("[DONE]")
    assert after.status_code == 200 and after.headers["x-routecore-model"] == "delta"


def test_tenants_are_isolated_in_budgets_and_metrics(gw: Env) -> None:
    assert chat(gw, "tiny").status_code == 200
    assert chat(gw, "tiny").status_code == 429
    assert chat(gw, "globex").status_code == 200  # tiny's exhausted budget is tiny's alone
    r = httpx.post(gw.url + "/v1/route", json={"messages": USER}, headers=auth(KEYS["globex"]))
    assert r.json()["tenant"] == "globex"  # the tenant comes from the key, never from the body
    assert httpx.get(gw.url + "/metrics").status_code == 401  # per-tenant series: operators only
    text = httpx.get(gw.url + "/metrics", headers=auth(ADMIN)).text
    assert 'tenant="tiny"' in text and 'tenant="globex"' in text
    series = 'endpoint="chat_completions",model="-",status="429",tenant="tiny",tier="-"'
    assert "routecore_requests_total{" + series + "}" in text


def test_no_secret_or_content_in_logs_or_metrics(gw: Env, caplog: pytest.LogCaptureFixture) -> None:
    canary_text = "CANARY-message-content-7f3a"
    caplog.set_level(logging.DEBUG)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "routecore", "httpx"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    body = {"messages": [{"role": "user", "content": canary_text}]}
    h = auth(KEYS["acme"])
    assert httpx.post(gw.url + "/v1/chat/completions", json=body, headers=h).status_code == 200
    streamed = httpx.post(gw.url + "/v1/chat/completions", json={**body, "stream": True}, headers=h)
    assert streamed.status_code == 200
    httpx.post(gw.url + "/v1/chat/completions", json=body, headers=auth("rk-CANARY-wrong-key"))
    httpx.post(gw.url + "/v1/chat/completions", json={**body, "temperature": 9}, headers=h)
    gw.mock.program("alpha", Scenario(fault="http_error", status=500))
    gw.mock.program("beta", Scenario(fault="http_error", status=401))
    httpx.post(gw.url + "/v1/chat/completions", json=body, headers=h)
    metrics = httpx.get(gw.url + "/metrics", headers=auth(ADMIN)).text
    logs = caplog.text
    for secret in (canary_text, PROVIDER_KEY, KEYS["acme"], "rk-CANARY-wrong-key", ADMIN, "CANARY"):
        assert secret not in logs, secret
        assert secret not in metrics, secret
