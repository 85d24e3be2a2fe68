"""``/v1/messages`` through the official Anthropic SDK: whole, streamed, tools, errors in
Anthropic's shape; upstreams of either wire format behind it."""

from __future__ import annotations

import asyncio

import anthropic
import pytest

from routecore.testing.mock_scenario import Scenario
from test_server_support import KEYS, Env, gw, mock

__all__ = ["gw", "mock"]

USER: list[anthropic.types.MessageParam] = [{"role": "user", "content": "say hello"}]
TOOLS: list[anthropic.types.ToolParam] = [{"name": "get_weather", "description": "weather for a city",
                                           "input_schema": {"type": "object",
                                                            "properties": {"city": {"type": "string"}}}}]


def client(env: Env, key: str = KEYS["acme"]) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=env.url, api_key=key, max_retries=0)


@pytest.mark.parametrize("model", ["auto", "claude-x"])
def test_whole_message(gw: Env, model: str) -> None:
    raw = client(gw).messages.with_raw_response.create(model=model, max_tokens=64, messages=USER,
                                                       system="be brief")
    m = raw.parse()
    assert m.type == "message" and m.role == "assistant" and m.stop_reason == "end_turn"
    assert m.content[0].type == "text" and m.content[0].text
    assert m.usage.input_tokens > 0
    assert raw.headers["x-routecore-model"] == m.model


def test_stream_text_and_final_message(gw: Env) -> None:
    with client(gw).messages.stream(model="auto", max_tokens=64, messages=USER) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text and final.content[0].type == "text" and final.content[0].text == text
    assert final.stop_reason == "end_turn"


def test_async_whole_and_stream(gw: Env) -> None:
    async def go() -> tuple[str, str]:
        c = anthropic.AsyncAnthropic(base_url=gw.url, api_key=KEYS["acme"], max_retries=0)
        m = await c.messages.create(model="auto", max_tokens=64, messages=USER)
        async with c.messages.stream(model="auto", max_tokens=64, messages=USER) as s:
            streamed = "".join([t async for t in s.text_stream])
        await c.close()
        block = m.content[0]
        return (block.text if block.type == "text" else ""), streamed

    whole, streamed = asyncio.run(go())
    assert whole and whole == streamed


def test_tool_use_whole_and_streamed(gw: Env) -> None:
    gw.mock.program("alpha", Scenario(tool_call="get_weather"))
    m = client(gw).messages.create(model="alpha", max_tokens=64, messages=USER, tools=TOOLS)
    assert m.stop_reason == "tool_use"
    use = next(b for b in m.content if b.type == "tool_use")
    assert use.name == "get_weather" and isinstance(use.input, dict)
    with client(gw).messages.stream(model="alpha", max_tokens=64, messages=USER, tools=TOOLS) as s:
        final = s.get_final_message()
    use = next(b for b in final.content if b.type == "tool_use")
    assert use.name == "get_weather" and isinstance(use.input, dict) and final.stop_reason == "tool_use"


def test_tool_result_round_trip(gw: Env) -> None:
    msgs: list[anthropic.types.MessageParam] = [
        *USER,
        {"role": "assistant", "content": [{"type": "tool_use", "id": "tu_1", "name": "get_weather",
                                           "input": {"city": "Oslo"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": "4 °C"}]},
    ]
    m = client(gw).messages.create(model="auto", max_tokens=64, messages=msgs, tools=TOOLS)
    assert m.content


def test_errors_in_anthropic_shape(gw: Env) -> None:
    with pytest.raises(anthropic.AuthenticationError) as auth:
        client(gw, "wrong").messages.create(model="auto", max_tokens=8, messages=USER)
    assert auth.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]
    with pytest.raises(anthropic.NotFoundError) as nf:
        client(gw).messages.create(model="gpt-9", max_tokens=8, messages=USER)
    assert nf.value.body["type"] == "error"  # type: ignore[index]
    with pytest.raises(anthropic.PermissionDeniedError):
        client(gw, KEYS["narrow"]).messages.create(model="beta", max_tokens=8, messages=USER)
    with pytest.raises(anthropic.BadRequestError):
        client(gw).post("/v1/messages", body={"model": "auto", "messages": USER}, cast_to=object)
