"""Chat parameter parsing: values, defaults, override headers and which error a body with several
problems gets (the first in a fixed order: messages, n, stream, tools, tool_choice,
response_format, max tokens, model, temperature, top_p, stop)."""

from __future__ import annotations

from typing import Any

import pytest

from routecore.server.errors import ApiError
from routecore.server.params import NO_OVERRIDES, ChatParams, openai_chat, overrides

MSGS = [{"role": "user", "content": "hi"}]


def test_minimal_body_gets_the_defaults() -> None:
    p = openai_chat({"model": "auto", "messages": MSGS})
    assert p == ChatParams(messages=MSGS)
    assert (p.model, p.stream, p.include_usage, p.tools, p.max_tokens, p.stop) == ("auto", False, False,
                                                                                   None, None, None)
    assert openai_chat({"messages": MSGS}).model == "auto"


def test_every_parameter_is_carried() -> None:
    tools = [{"type": "function", "function": {"name": "f"}}]
    p = openai_chat({"model": "m1", "messages": MSGS, "stream": True,
                     "stream_options": {"include_usage": True}, "tools": tools, "tool_choice": "auto",
                     "response_format": {"type": "json_object"},
                     "max_tokens": 5, "temperature": 0.5, "top_p": 1, "stop": "x", "n": 1})
    assert p == ChatParams(MSGS, "m1", True, True, tools, "auto", {"type": "json_object"}, 5, 0.5, 1, ["x"])
    assert openai_chat({"messages": MSGS, "max_completion_tokens": 7, "max_tokens": 9}).max_tokens == 7
    assert openai_chat({"messages": MSGS, "max_completion_tokens": None, "max_tokens": 9}).max_tokens == 9
    assert openai_chat({"messages": MSGS, "tools": []}).tools is None


@pytest.mark.parametrize(("body", "param", "status"), [
    ({"messages": []}, "messages", 400),
    ({"messages": [1], "model": 3}, "messages", 400),
    ({"messages": MSGS, "n": 2, "model": 3}, "n", 422),
    ({"messages": MSGS, "stream": "yes", "model": 3}, "stream", 400),
    ({"messages": MSGS, "tools": {}, "model": 3}, "tools", 400),
    ({"messages": MSGS, "tool_choice": 1, "model": 3}, "tool_choice", 400),
    ({"messages": MSGS, "response_format": {"type": "xml"}, "model": 3}, "response_format", 422),
    ({"messages": MSGS, "max_tokens": 0, "model": 3}, "max_tokens", 422),
    ({"messages": MSGS, "model": 3, "temperature": 9}, "model", 400),
    ({"messages": MSGS, "model": "", "temperature": 9}, "model", 400),
    ({"messages": MSGS, "temperature": 9, "top_p": 2}, "temperature", 422),
    ({"messages": MSGS, "temperature": True}, "temperature", 400),
    ({"messages": MSGS, "top_p": 2, "stop": 1}, "top_p", 422),
    ({"messages": MSGS, "stop": [1]}, "stop", 400),
])
def test_the_first_problem_is_reported(body: dict[str, Any], param: str, status: int) -> None:
    with pytest.raises(ApiError) as e:
        openai_chat(body)
    assert (e.value.param, e.value.status) == (param, status)


def test_override_headers() -> None:
    assert overrides({"content-length": "3"}) is NO_OVERRIDES
    ov = overrides({"x-routecore-max-tier": "2", "x-routecore-deadline-ms": "1500"})
    assert (ov.max_tier, ov.max_cost_usd, ov.deadline_ms) == (2, None, 1500.0)
    with pytest.raises(ApiError) as e:
        overrides({"x-routecore-max-cost-usd": "nan"})
    assert e.value.status == 422
