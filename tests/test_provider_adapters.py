"""Both adapters against the mock over real sockets: shapes, tools, and error typing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from provider_support import model_cfg, run
from routecore.completion import Accumulator, Delta
from routecore.provider_errors import (
    BadResponse,
    ClientError,
    ConnectFailed,
    ContentPolicyRefusal,
    ContextWindowExceeded,
    DeploymentMisconfigured,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    ServerError,
    StreamBroken,
)
from routecore.providers import ADAPTERS, ChatRequest, ClientPool, Deployment
from routecore.providers.anthropic import convert_messages
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario

SECRET = "sk-test-SECRET-1234"
TOOLS = [{"type": "function", "function": {"name": "weather", "description": "w",
                                           "parameters": {"type": "object"}}}]


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProvider]:
    with MockProvider() as m:
        yield m


def deltas(mock: MockProvider, provider: str, req: ChatRequest, *, stream: bool = True,
           model: str = "m") -> list[Delta]:
    dep = Deployment.from_config(model, model_cfg(mock.url, model, provider), {"MOCK_KEY": SECRET})

    async def go() -> list[Delta]:
        pool = ClientPool()
        try:
            p = ADAPTERS[provider](dep, pool.get(dep.api_base))
            return [d async for d in p.deltas(req, stream=stream)]
        finally:
            await pool.aclose()

    return run(go())


def fold(ds: list[Delta]) -> Accumulator:
    acc = Accumulator()
    for d in ds:
        acc.add(d)
    return acc


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [True, False])
def test_text_answer(mock: MockProvider, provider: str, stream: bool) -> None:
    mock.reset()
    acc = fold(deltas(mock, provider, ChatRequest([{"role": "user", "content": "hi"}]), stream=stream))
    assert acc.text == "tok0 tok1 tok2 tok3 "
    assert acc.finish_reason == "stop"
    assert acc.usage is not None and acc.usage.output_tokens == 4 and acc.usage.input_tokens > 0


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [True, False])
def test_tool_call_normalised(mock: MockProvider, provider: str, stream: bool) -> None:
    mock.reset()
    req = ChatRequest([{"role": "user", "content": "weather?"}], tools=TOOLS, tool_choice="required")
    acc = fold(deltas(mock, provider, req, stream=stream))
    [call] = acc.tool_calls()
    assert call["function"]["name"] == "weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert call["id"]
    assert acc.finish_reason == "tool_calls"


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_refusal_is_content_filter(mock: MockProvider, provider: str) -> None:
    mock.reset()
    mock.program("m", Scenario(fault="refusal"))
    ds = deltas(mock, provider, ChatRequest([{"role": "user", "content": "x"}]))
    assert not any(d.useful for d in ds)
    assert fold(ds).finish_reason == "content_filter"


CASES: list[tuple[str, dict[str, Any], type[ProviderError]]] = [
    ("openai", {"status": 500}, ServerError),
    ("openai", {"status": 503}, ServerError),
    ("openai", {"status": 429, "retry_after_s": 0.25}, RateLimited),
    ("openai", {"status": 429, "error_code": "insufficient_quota"}, QuotaExhausted),
    ("openai", {"status": 400, "error_code": "context_length_exceeded"}, ContextWindowExceeded),
    ("openai", {"status": 400, "error_code": "content_policy_violation"}, ContentPolicyRefusal),
    ("openai", {"status": 400}, ClientError),
    ("openai", {"status": 401}, DeploymentMisconfigured),
    ("anthropic", {"status": 529}, ServerError),
    ("anthropic", {"status": 429, "retry_after_s": 0.25}, RateLimited),
    ("anthropic", {"status": 400}, ClientError),
    ("anthropic", {"status": 403}, DeploymentMisconfigured),
]


@pytest.mark.parametrize(("provider", "fields", "expected"), CASES)
def test_http_errors_are_typed(mock: MockProvider, provider: str, fields: dict[str, Any],
                               expected: type[ProviderError]) -> None:
    mock.reset()
    mock.program("m", Scenario(fault="http_error", **fields))
    with pytest.raises(ProviderError) as info:
        deltas(mock, provider, ChatRequest([{"role": "user", "content": "hi"}]))
    assert type(info.value) is expected
    assert info.value.status == fields["status"]
    if "retry_after_s" in fields:
        assert isinstance(info.value, RateLimited) and info.value.retry_after_s == 0.25


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize(("fault", "expected"), [
    ("reset", ConnectFailed), ("cut", StreamBroken), ("malformed", BadResponse),
    ("wrong_content_type", BadResponse),
])
@pytest.mark.parametrize("stream", [True, False])
def test_transport_faults_are_typed(mock: MockProvider, provider: str, fault: str,
                                    expected: type[ProviderError], stream: bool) -> None:
    mock.reset()
    mock.program("m", Scenario(fault=fault))  # type: ignore[arg-type]
    with pytest.raises(expected):
        deltas(mock, provider, ChatRequest([{"role": "user", "content": "hi"}]), stream=stream)


def test_api_key_never_leaks(mock: MockProvider) -> None:
    mock.reset()
    mock.program("m", Scenario(fault="http_error", status=401))
    dep = Deployment.from_config("m", model_cfg(mock.url, "m"), {"MOCK_KEY": SECRET})
    assert SECRET not in repr(dep) and SECRET not in str(dep.api_key)
    with pytest.raises(ProviderError) as info:
        deltas(mock, "openai", ChatRequest([{"role": "user", "content": "hi"}]))
    assert SECRET not in repr(info.value) and SECRET not in str(info.value)
    assert info.value.__cause__ is None  # transport objects (with headers) are not chained


def test_anthropic_message_conversion() -> None:
    msgs = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [
            {"type": "text", "text": "hi"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA"}},
        ]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "w", "arguments": '{"a": 1}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        {"role": "assistant", "content": "It is sunny "},
    ]
    system, out = convert_messages(msgs)
    assert system == "be brief"
    assert [m["role"] for m in out] == ["user", "assistant", "user", "assistant"]
    assert out[0]["content"][1]["source"] == {"type": "base64", "media_type": "image/png", "data": "AAA"}
    assert out[1]["content"][0] == {"type": "tool_use", "id": "c1", "name": "w", "input": {"a": 1}}
    assert out[2]["content"][0]["type"] == "tool_result"
    assert out[3]["content"][0]["text"] == "It is sunny"  # prefill may not end in whitespace
