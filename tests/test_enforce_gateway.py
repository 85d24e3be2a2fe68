"""Guard policies through the gateway, driven by the official OpenAI and Anthropic SDKs over
loopback: a blocked prompt is an OpenAI-style 400 `content_blocked` naming the detector (whole
and streamed), a redacted one reaches the provider redacted, and nothing of it is logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import anthropic
import openai
import pytest

import routecore
from routecore.server.app import Gateway
from routecore.server.harness import ServerThread
from routecore.testing.mock_provider import MockProvider
from test_enforce_guards import CANARY, EMAIL, INJECTION, WITH_PII, config, sent
from test_server_support import KEYS, mock, settings

__all__ = ["mock"]


@pytest.fixture()
def server(mock: MockProvider) -> Iterator[ServerThread]:
    mock.reset()
    guards = {"injection": {"action": "block"}, "pii": {"action": "redact"}}
    cfg = config(mock.url, guards)
    for m in cfg["models"].values():
        m["api_key_env"] = "GW_TEST_PROVIDER_KEY"
    with ServerThread(Gateway(settings(), routecore.Router(cfg), "test")) as srv:
        yield srv


def client(srv: ServerThread) -> openai.OpenAI:
    return openai.OpenAI(base_url=srv.url + "/v1", api_key=KEYS["acme"], max_retries=0)


@pytest.mark.parametrize("stream", [False, True])
def test_blocked_prompt_is_a_400_content_blocked(server: ServerThread, mock: MockProvider, stream: bool,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(openai.BadRequestError) as e:
        client(server).chat.completions.create(model="auto", stream=stream,
                                               messages=[{"role": "user", "content": INJECTION}])
    err = e.value
    assert err.status_code == 400 and err.code == "content_blocked"
    body = err.body if isinstance(err.body, dict) else {}
    assert "injection" in str(body.get("message")) and CANARY not in str(body)
    assert mock.stats("alpha").requests == 0
    assert CANARY not in caplog.text and "Ignore all previous" not in caplog.text


def test_anthropic_dialect_gets_its_own_400(server: ServerThread) -> None:
    c = anthropic.Anthropic(base_url=server.url, api_key=KEYS["acme"], max_retries=0)
    with pytest.raises(anthropic.BadRequestError) as e:
        c.messages.create(model="auto", max_tokens=50, messages=[{"role": "user", "content": INJECTION}])
    assert e.value.status_code == 400 and "injection guard" in str(e.value)


def test_redacted_prompt_reaches_the_provider_redacted(server: ServerThread, mock: MockProvider) -> None:
    r = client(server).chat.completions.create(model="auto", messages=[{"role": "user", "content": WITH_PII}])
    assert r.choices[0].message.content
    got = sent(mock, "alpha")
    assert "[EMAIL]" in got and EMAIL not in got
