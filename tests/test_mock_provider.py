"""The mock provider is a real HTTP server; these tests talk to it over sockets with httpx."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from routecore.testing.mock_provider import MockProvider, spawn
from routecore.testing.mock_scenario import Scenario

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProvider]:
    with MockProvider() as m:
        yield m


@pytest.fixture
def client(mock: MockProvider) -> Iterator[httpx.Client]:
    mock.reset()
    with httpx.Client(base_url=mock.url) as c:
        yield c


def sse_data(text: str) -> list[str]:
    return [line[6:] for line in text.split("\n") if line.startswith("data: ")]


def test_openai_whole_and_stream(client: httpx.Client) -> None:
    r = client.post("/v1/chat/completions", json=BODY)
    assert r.status_code == 200
    body = r.json()
    assert body["choices"][0]["message"]["content"] == "tok0 tok1 tok2 tok3 "
    assert body["usage"]["completion_tokens"] == 4
    r = client.post("/v1/chat/completions",
                    json=BODY | {"stream": True, "stream_options": {"include_usage": True}})
    assert r.headers["content-type"] == "text/event-stream"
    data = sse_data(r.text)
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-1]["usage"]["total_tokens"] > 0 and chunks[-1]["choices"] == []


def test_openai_tool_call_stream(client: httpx.Client) -> None:
    tools = [{"type": "function", "function": {"name": "weather", "parameters": {}}}]
    r = client.post("/v1/chat/completions",
                    json=BODY | {"stream": True, "tools": tools, "tool_choice": "required"})
    chunks = [json.loads(d) for d in sse_data(r.text)[:-1]]
    calls = [c["choices"][0]["delta"]["tool_calls"][0] for c in chunks
             if c["choices"][0]["delta"].get("tool_calls")]
    assert calls[0]["function"]["name"] == "weather" and calls[0]["id"].startswith("call_")
    assert json.loads("".join(c["function"]["arguments"] for c in calls)) == {"city": "Paris"}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_anthropic_whole_and_stream(client: httpx.Client) -> None:
    body = BODY | {"max_tokens": 50}
    r = client.post("/v1/messages", json=body)
    assert r.json()["content"][0]["text"] == "tok0 tok1 tok2 tok3 "
    assert r.json()["stop_reason"] == "end_turn"
    r = client.post("/v1/messages", json=body | {"stream": True})
    events = [line[7:] for line in r.text.split("\n") if line.startswith("event: ")]
    assert events[0] == "message_start" and events[-1] == "message_stop"
    assert "content_block_delta" in events and "ping" in events


def test_programmed_errors_and_retry_after(mock: MockProvider, client: httpx.Client) -> None:
    mock.program("m", Scenario(fault="http_error", status=429, retry_after_s=1.5))
    r = client.post("/v1/chat/completions", json=BODY)
    assert r.status_code == 429 and r.headers["retry-after"] == "2"
    assert r.headers["retry-after-ms"] == "1500"
    r = client.post("/v1/messages", json=BODY | {"max_tokens": 5})
    assert r.json()["error"]["type"] == "rate_limit_error"
    assert mock.stats("m").faults == 2


def test_fault_first_n_and_header_override(mock: MockProvider, client: httpx.Client) -> None:
    mock.program("m", Scenario(fault="http_error", status=503, fault_first_n=1))
    assert client.post("/v1/chat/completions", json=BODY).status_code == 503
    assert client.post("/v1/chat/completions", json=BODY).status_code == 200
    hdr = {"x-mock-scenario": json.dumps({"fault": "http_error", "status": 502})}
    assert client.post("/v1/chat/completions", json=BODY, headers=hdr).status_code == 502


@pytest.mark.parametrize("fault", ["reset", "cut"])
def test_connection_faults(mock: MockProvider, client: httpx.Client, fault: str) -> None:
    mock.program("m", Scenario(fault=fault))  # type: ignore[arg-type]
    with pytest.raises(httpx.TransportError):
        client.post("/v1/chat/completions", json=BODY | {"stream": True})


def test_malformed_and_wrong_content_type(mock: MockProvider, client: httpx.Client) -> None:
    mock.program("m", Scenario(fault="malformed"))
    with pytest.raises(json.JSONDecodeError):
        client.post("/v1/chat/completions", json=BODY).json()
    mock.program("m", Scenario(fault="wrong_content_type"))
    assert client.post("/v1/chat/completions", json=BODY).headers["content-type"] == "text/html"


def test_keepalive_stream_sends_nothing_useful_and_counts_client_abort(
        mock: MockProvider, client: httpx.Client) -> None:
    mock.program("m", Scenario(fault="keepalive", keepalive_ms=5))
    seen = b""
    with client.stream("POST", "/v1/chat/completions", json=BODY | {"stream": True}) as r:
        for chunk in r.iter_bytes():
            seen += chunk
            if seen.count(b"\n\n") >= 6:
                break
    assert b": keep-alive" in seen and b"tok" not in seen
    deadline = time.monotonic() + 2
    while mock.stats("m").client_aborts == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert mock.stats("m").client_aborts == 1


def test_latency_and_ttft(mock: MockProvider, client: httpx.Client) -> None:
    mock.program("m", Scenario(latency_ms=60))
    t = time.perf_counter()
    client.post("/v1/chat/completions", json=BODY)
    assert time.perf_counter() - t >= 0.055


def test_context_window_is_structured(mock: MockProvider, client: httpx.Client) -> None:
    mock.program("m", Scenario(context_window=5))
    long = {"messages": [{"role": "user", "content": "x" * 200}]}
    r = client.post("/v1/chat/completions", json=BODY | long)
    assert r.status_code == 400 and r.json()["error"]["code"] == "context_length_exceeded"


def test_out_of_process_and_control_endpoint() -> None:
    mock = spawn()
    url = mock.url
    try:
        with httpx.Client(base_url=url) as c:
            c.post("/_mock/program", json={"model": "x", "scenario": {"fault": "http_error", "status": 500}})
            assert c.post("/v1/chat/completions", json=BODY | {"model": "x"}).status_code == 500
            assert c.post("/v1/chat/completions", json=BODY).status_code == 200
            assert c.get("/_mock/stats").json()["x"]["requests"] == 1
    finally:
        mock.close()


def test_throughput_is_in_the_thousands(mock: MockProvider, client: httpx.Client) -> None:
    # A sanity floor, far below what it does (see benches), so a loaded CI box does not flake.
    n = 400
    t = time.perf_counter()
    for _ in range(n):
        client.post("/v1/chat/completions", json=BODY)
    assert n / (time.perf_counter() - t) > 300
