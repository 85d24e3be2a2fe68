"""Feedback: the library API, persistence of what the bandit learned, and POST /v1/feedback."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai
import pytest

import routecore
from test_server_support import KEYS, Env, gw, mock

__all__ = ["gw", "mock"]


def _bandit_router(tmp_path: Path) -> routecore.Router:
    toml = routecore.default_config_toml().replace("[tenants.default]", "[tenants.unused]")
    toml += f'\n[bandit]\nenabled = true\ndecay = 1.0\nstate_file = "{tmp_path / "bandit.json"}"\n'
    path = tmp_path / "rc.toml"
    path.write_text(toml)
    return routecore.Router(path)


def test_feedback_kinds_and_validation(tmp_path: Path) -> None:
    r = _bandit_router(tmp_path)
    d = r.route("hi")
    assert r.feedback(d.request_id, score=True)
    assert not r.feedback(d.request_id, score=True), "counted once"
    assert r.feedback(r.route("hi").request_id, kind="retry")
    assert r.feedback(r.route("hi").request_id, kind="task_success", score=0.7)
    assert not r.feedback("00000000000000ff", score=1)
    with pytest.raises(routecore.InvalidRequestError, match="needs a score"):
        r.feedback(d.request_id)
    with pytest.raises(routecore.InvalidRequestError, match="unknown feedback kind"):
        r.feedback(d.request_id, kind="meh", score=1)
    with pytest.raises(routecore.InvalidRequestError, match="request id"):
        r.feedback("not-hex", score=1)


def test_bandit_shifts_traffic_and_state_survives_restart(tmp_path: Path) -> None:
    r = _bandit_router(tmp_path)
    good = "claude-3-5-haiku"
    late = []
    for i in range(1500):
        d = r.route("hello, how is it going?", min_tier=1, max_tier=1)
        r.feedback(d.request_id, score=d.model == good, latency_ms=200)
        if i >= 1000:
            late.append(d.model)
    assert late.count(good) / len(late) > 0.7
    r.close()
    assert (tmp_path / "bandit.json").exists()
    again = _bandit_router(tmp_path)  # loads the state file
    picks = [again.route("hello, how is it going?", min_tier=1, max_tier=1).model for _ in range(200)]
    assert picks.count(good) / len(picks) > 0.7


def test_gateway_feedback_endpoint(gw: Env) -> None:
    c = openai.OpenAI(base_url=gw.url + "/v1", api_key=KEYS["acme"], max_retries=0)
    resp = c.chat.completions.create(model="auto", messages=[{"role": "user", "content": "say hello"}])
    headers = {"authorization": f"Bearer {KEYS['acme']}"}
    body = {"request_id": resp.id, "kind": "thumbs", "score": 1}
    first = httpx.post(gw.url + "/v1/feedback", json=body, headers=headers)
    assert first.status_code == 200 and first.json() == {"accepted": True}
    again = httpx.post(gw.url + "/v1/feedback", json=body, headers=headers)
    assert again.json() == {"accepted": False}
    bad = httpx.post(gw.url + "/v1/feedback", json={"kind": "thumbs"}, headers=headers)
    assert bad.status_code == 400 and "request_id" in bad.json()["error"]["message"]
    anon = httpx.post(gw.url + "/v1/feedback", json=body)
    assert anon.status_code == 401
