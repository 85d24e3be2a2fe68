"""Every failure answers with the right status and an OpenAI-style error body that says what to
fix; overload is a quick 503 with Retry-After."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from routecore.testing.mock_scenario import Scenario
from test_server_support import KEYS, Env, gw, mock, start

__all__ = ["gw", "mock"]

USER = [{"role": "user", "content": "say hello"}]


def post(env: Env, body: Any, tenant: str | None = "acme", path: str = "/v1/chat/completions",
         headers: dict[str, str] | None = None, content: bytes | None = None) -> httpx.Response:
    h = {"authorization": "Bearer " + KEYS[tenant]} if tenant else {}
    h.update(headers or {})
    if content is not None:
        return httpx.post(env.url + path, content=content, headers=h, timeout=10)
    return httpx.post(env.url + path, json=body, headers=h, timeout=10)


def error_of(r: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    err: dict[str, Any] = r.json()["error"]
    assert set(err) >= {"message", "type", "code", "param"} and err["message"]
    if code is not None:
        assert err["code"] == code
    return err


def test_malformed_json_is_400(gw: Env) -> None:
    error_of(post(gw, None, content=b"{not json"), 400, "invalid_json")


def test_schema_errors_are_400_with_param(gw: Env) -> None:
    assert error_of(post(gw, {"model": "auto"}), 400)["param"] == "messages"
    assert error_of(post(gw, {"messages": USER, "stream": "yes"}), 400)["param"] == "stream"


def test_out_of_range_parameters_are_422(gw: Env) -> None:
    assert error_of(post(gw, {"messages": USER, "temperature": 7}), 422)["param"] == "temperature"
    err = error_of(post(gw, {"messages": USER}, headers={"x-routecore-max-tier": "nine"}), 422)
    assert err["param"] == "x-routecore-max-tier"


def test_missing_and_bad_keys_are_401(gw: Env) -> None:
    error_of(post(gw, {"messages": USER}, tenant=None), 401, "missing_api_key")
    r = httpx.post(gw.url + "/v1/chat/completions", json={"messages": USER},
                   headers={"authorization": "Bearer rk-wrong"})
    error_of(r, 401, "invalid_api_key")


def test_model_outside_tenant_allow_list_is_403(gw: Env) -> None:
    error_of(post(gw, {"model": "beta", "messages": USER}, tenant="narrow"), 403, "model_not_allowed")


def test_unknown_model_is_404(gw: Env) -> None:
    assert error_of(post(gw, {"model": "gpt-9", "messages": USER}), 404)["param"] == "model"


def test_body_over_the_limit_is_413(mock: Any) -> None:
    srv = start(mock, max_body_bytes=1000)
    try:
        r = httpx.post(srv.url + "/v1/chat/completions", headers={"authorization": "Bearer " + KEYS["acme"]},
                       json={"messages": [{"role": "user", "content": "x" * 5000}]})
        assert "max_body_bytes" in error_of(r, 413, "request_too_large")["message"]
    finally:
        srv.stop()


def test_budget_refusal_is_429_with_retry_after(gw: Env) -> None:
    assert post(gw, {"messages": USER}, tenant="tiny").status_code == 200
    r = post(gw, {"messages": USER}, tenant="tiny")
    error_of(r, 429, "budget_exceeded")
    assert int(r.headers["retry-after"]) >= 1
    assert post(gw, {"messages": USER}, tenant="acme").status_code == 200  # other tenants unaffected


def test_all_providers_failing_is_502_naming_each(gw: Env) -> None:
    for m in ("alpha", "beta", "gamma", "claude-x"):
        gw.mock.program(m, Scenario(fault="http_error", status=500))
    err = error_of(post(gw, {"messages": USER}), 502)
    assert "alpha" in err["message"] and "beta" in err["message"]
    r = post(gw, {"messages": USER, "stream": True})  # before the first token: a real status too
    error_of(r, 502)


def test_deadline_passing_is_504(gw: Env) -> None:
    for m in ("alpha", "beta", "gamma", "claude-x"):
        gw.mock.program(m, Scenario(latency_ms=2000))
    r = post(gw, {"messages": USER}, headers={"x-routecore-deadline-ms": "300"})
    assert r.status_code in (503, 504), r.text  # 503 when the router sees no model can make it
    if r.status_code == 504:
        error_of(r, 504, "deadline_exceeded")


def test_unknown_path_and_method(gw: Env) -> None:
    error_of(httpx.get(gw.url + "/v2/nothing"), 404)
    error_of(httpx.get(gw.url + "/v1/chat/completions"), 405)


def test_overload_is_a_quick_503_with_retry_after(mock: Any) -> None:
    """2 slots, 1 queue place: of 8 concurrent slow requests, the surplus is refused at once."""
    mock.reset()
    for m in ("alpha", "beta"):
        mock.program(m, Scenario(latency_ms=800))
    srv = start(mock, max_in_flight=2, max_queue=1, queue_timeout_ms=100)

    async def one(c: httpx.AsyncClient) -> tuple[int, float, str | None]:
        t0 = time.perf_counter()
        r = await c.post("/v1/chat/completions", json={"messages": USER})
        return r.status_code, time.perf_counter() - t0, r.headers.get("retry-after")

    async def go() -> list[tuple[int, float, str | None]]:
        async with httpx.AsyncClient(base_url=srv.url, timeout=20,
                                     headers={"authorization": "Bearer " + KEYS["acme"]}) as c:
            return await asyncio.gather(*(one(c) for _ in range(8)))

    try:
        results = asyncio.run(go())
    finally:
        srv.stop()
    ok = [r for r in results if r[0] == 200]
    refused = [r for r in results if r[0] == 503]
    assert len(ok) == 2 and len(refused) == 6
    assert all(r[2] == "1" for r in refused)
    # Refusals come long before the served requests finish (generous: half their time).
    assert max(r[1] for r in refused) < min(r[1] for r in ok) / 2


def test_overload_counts_in_metrics(gw: Env) -> None:
    r = httpx.get(gw.url + "/metrics", headers={"authorization": "Bearer adm-CANARY-admin-token-9999"})
    assert r.status_code == 200 and "routecore_overload_rejections_total" in r.text
