"""The gateway through the official OpenAI SDK (sync, async, streaming, tools, response_format)
over loopback, upstream being the mock provider."""

from __future__ import annotations

import asyncio
import json

import httpx
import openai
import pytest

from routecore.testing.mock_scenario import Scenario
from test_server_support import KEYS, Env, gw, mock

__all__ = ["gw", "mock"]

USER = [{"role": "user", "content": "say hello"}]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "weather for a city",
                                           "parameters": {"type": "object",
                                                          "properties": {"city": {"type": "string"}}}}}]


def client(env: Env, tenant: str = "acme") -> openai.OpenAI:
    return openai.OpenAI(base_url=env.url + "/v1", api_key=KEYS[tenant], max_retries=0)


def test_sync_completion_with_decision_headers(gw: Env) -> None:
    raw = client(gw).chat.completions.with_raw_response.create(model="auto", messages=USER)
    r = raw.parse()
    assert r.choices[0].message.content
    assert r.model == raw.headers["x-routecore-model"] == "alpha"
    assert raw.headers["x-routecore-tier"] == "0"
    assert raw.headers["x-routecore-capability"]
    assert float(raw.headers["x-routecore-estimated-cost-usd"]) > 0
    assert int(raw.headers["x-routecore-overhead-us"]) >= 0
    assert r.usage is not None and r.usage.prompt_tokens > 0


def test_async_completion_and_stream_with_usage(gw: Env) -> None:
    async def go() -> tuple[str, str, object]:
        c = openai.AsyncOpenAI(base_url=gw.url + "/v1", api_key=KEYS["acme"], max_retries=0)
        whole = await c.chat.completions.create(model="auto", messages=USER)
        parts, usage = [], None
        stream = await c.chat.completions.create(model="auto", messages=USER, stream=True,
                                                 stream_options={"include_usage": True})
        async for ch in stream:
            if ch.choices:
                parts.append(ch.choices[0].delta.content or "")
            if ch.usage is not None:
                usage = ch.usage
        await c.close()
        return whole.choices[0].message.content or "", "".join(parts), usage

    whole, streamed, usage = asyncio.run(go())
    assert whole and streamed == whole
    assert usage is not None


def test_stream_without_include_usage_has_no_empty_choice_chunks(gw: Env) -> None:
    chunks = list(client(gw).chat.completions.create(model="auto", messages=USER, stream=True))
    assert chunks and all(ch.choices for ch in chunks)
    assert chunks[-1].choices[0].finish_reason in {"stop", "length"}


def test_tools_whole_and_streamed(gw: Env) -> None:
    gw.mock.program("alpha", Scenario(tool_call="get_weather"))
    r = client(gw).chat.completions.create(model="alpha", messages=USER, tools=TOOLS, tool_choice="auto")
    call = r.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert r.choices[0].finish_reason == "tool_calls" and call.function.name == "get_weather"
    json.loads(call.function.arguments)
    args, names = "", []
    for ch in client(gw).chat.completions.create(model="alpha", messages=USER, tools=TOOLS, stream=True):
        for t in (ch.choices[0].delta.tool_calls or []) if ch.choices else []:
            names += [t.function.name] if t.function and t.function.name else []
            args += t.function.arguments or "" if t.function else ""
    assert names == ["get_weather"]
    json.loads(args)


def test_response_format_is_accepted(gw: Env) -> None:
    # JSON mode answers are verified ([verification] checks = ["json"]): the upstream answers JSON.
    gw.mock.program(None, Scenario(text='{"ok": true}'))
    r = client(gw).chat.completions.create(model="auto", messages=USER,
                                           response_format={"type": "json_object"})
    assert json.loads(r.choices[0].message.content or "") == {"ok": True}


def test_tier_alias_and_pinned_model(gw: Env) -> None:
    raw = client(gw).chat.completions.with_raw_response.create(model="routecore/t1", messages=USER)
    assert raw.headers["x-routecore-tier"] == "1"
    raw = client(gw).chat.completions.with_raw_response.create(model="claude-x", messages=USER)
    assert raw.headers["x-routecore-model"] == "claude-x"  # anthropic upstream, OpenAI answer
    assert raw.parse().choices[0].message.content


def test_max_tier_header_caps_the_tier(gw: Env) -> None:
    raw = client(gw).chat.completions.with_raw_response.create(
        model="auto", messages=USER, tools=TOOLS, extra_headers={"x-routecore-max-tier": "0"})
    assert raw.headers["x-routecore-tier"] == "0"


def test_fallback_is_invisible_to_the_client(gw: Env) -> None:
    gw.mock.program("alpha", Scenario(fault="http_error", status=500))
    raw = client(gw).chat.completions.with_raw_response.create(model="auto", messages=USER)
    assert raw.headers["x-routecore-model"] == "beta"


def test_models_list(gw: Env) -> None:
    ids = [m.id for m in client(gw).models.list()]
    assert ids[:5] == ["auto", "routecore/t0", "routecore/t1", "routecore/t2", "routecore/t3"]
    assert {"alpha", "beta", "gamma", "claude-x"} <= set(ids)
    assert [m.id for m in client(gw, "narrow").models.list()][5:] == ["alpha"]


def test_route_endpoint_returns_the_decision_without_calling(gw: Env) -> None:
    r = httpx.post(gw.url + "/v1/route", json={"model": "auto", "messages": USER},
                   headers={"authorization": "Bearer " + KEYS["acme"]})
    assert r.status_code == 200
    d = r.json()
    assert d["model"] == "alpha" and d["tenant"] == "acme" and d["reasons"]
    assert gw.mock.stats("alpha").requests == 0


@pytest.mark.parametrize("path", ["/health", "/ready"])
def test_liveness_and_readiness(gw: Env, path: str) -> None:
    r = httpx.get(gw.url + path)
    assert r.status_code == 200
