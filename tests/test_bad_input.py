"""Bad input gets a typed error (or a correct decision), never a crash or a hang."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import routecore
from routecore import Router


@pytest.mark.parametrize(
    ("messages", "path"),
    [
        ([], "messages"),
        (42, "messages"),
        ([{"role": "wizard", "content": "hi"}], "messages[0].role"),
        ([{"content": "hi"}], "messages[0].role"),
        ([{"role": 3, "content": "hi"}], "messages[0].role"),
        ([{"role": "user", "content": 12}], "messages[0].content"),
        ([{"role": "user", "content": None}], "messages[0].content"),
        (["just a string in a list"], "messages[0]"),
        ([{"role": "user", "content": [{"type": "text", "text": 5}]}], "messages[0].content[0].text"),
        ([{"role": "user", "content": [{"type": "text"}]}], "messages[0].content[0].text"),
        ([{"role": "user", "content": [[{"type": "text", "text": "nested"}]]}], "messages[0].content[0]"),
        ([{"role": "user", "content": [{"text": "no type"}]}], "messages[0].content[0].type"),
        ([{"role": "user", "content": "\ud800 lone surrogate"}], "messages[0].content"),
        ([{"role": "user", "content": b"\xff\xfe invalid utf-8"}], "messages[0].content"),
        ([{"role": "assistant", "content": "x", "tool_calls": "nope"}], "messages[0].tool_calls"),
    ],
)
def test_malformed_messages_raise_invalid_request(router: Router, messages: Any, path: str) -> None:
    with pytest.raises(routecore.InvalidRequestError) as e:
        router.route(messages)
    assert e.value.path == path, str(e.value)
    assert e.value.status_code == 400


def test_valid_bytes_content_and_null_assistant_content(router: Router) -> None:
    d = router.route(
        [
            {"role": "user", "content": "héllo".encode()},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "1"}]},
            {"role": "tool", "content": "42"},
            {"role": "user", "content": "thanks"},
        ]
    )
    assert d.to_dict()["features"]["tool_calls"] == 1


def test_bad_options(router: Router) -> None:
    with pytest.raises(routecore.InvalidRequestError, match="max_tokens"):
        router.route("hi", max_tokens=0)
    with pytest.raises(OverflowError):
        router.route("hi", max_tokens=-1)
    with pytest.raises(routecore.InvalidRequestError, match="does not exist"):
        router.route("hi", min_tier=9)
    with pytest.raises(routecore.InvalidRequestError, match="deadline_ms"):
        router.route("hi", deadline_ms=float("nan"))
    with pytest.raises(routecore.InvalidRequestError, match="response_format"):
        router.route("hi", response_format={"type": "xml"})
    with pytest.raises(routecore.InvalidRequestError, match="tools"):
        router.route("hi", tools="not a list")  # type: ignore[arg-type]


def test_deeply_nested_tool_schema_is_refused(router: Router) -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(100):
        schema = {"type": "object", "properties": {"x": schema}}
    with pytest.raises(routecore.InvalidRequestError, match="nested deeper"):
        router.route("hi", tools=[{"type": "function", "function": {"name": "f", "parameters": schema}}])


def test_ten_megabyte_prompt_gets_a_typed_answer(router: Router) -> None:
    text = "all work and no play makes jack a dull boy " * 240_000  # ~10 MB, ~2.6M tokens
    with pytest.raises(routecore.NoModelAvailableError, match="largest context window"):
        router.route(text)


def test_size_limit_is_enforced() -> None:
    toml = routecore.default_config_toml().replace(
        "default_output_tokens = 300", "default_output_tokens = 300\nmax_input_bytes = 1000"
    )
    r = Router.from_toml(toml)
    with pytest.raises(routecore.RequestTooLargeError) as e:
        r.route("x" * 2000)
    assert e.value.size == 2000 and e.value.limit == 1000 and e.value.status_code == 413


def test_invalid_config_inputs(tmp_path: Any) -> None:
    with pytest.raises(routecore.ConfigError):
        Router.from_toml("this is = = not toml")
    with pytest.raises(routecore.ConfigError):
        Router({"models": {}, "tiers": []})
    with pytest.raises(FileNotFoundError):
        Router(tmp_path / "missing.toml")
    with pytest.raises(routecore.InvalidRequestError, match="format"):
        routecore._core.Router("x", "yaml")


# Arbitrary message lists: only documented outcomes (a decision or a RouteError) are allowed.
text = st.one_of(st.text(max_size=200), st.binary(max_size=50))
part = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": st.one_of(st.text(max_size=100), st.integers())}),
    st.fixed_dictionaries({"type": st.sampled_from(["image_url", "input_audio", "bogus"])}),
    st.text(max_size=20),
    st.integers(),
)
content = st.one_of(text, st.none(), st.integers(), st.lists(part, max_size=4))
role = st.one_of(
    st.sampled_from(["system", "developer", "user", "assistant", "tool", "function"]),
    st.text(max_size=8),
    st.none(),
)
message = st.one_of(
    st.fixed_dictionaries({"role": role, "content": content}),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
    st.text(max_size=10),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    msgs=st.one_of(st.lists(message, max_size=6), st.text(max_size=300)),
    max_tokens=st.one_of(st.none(), st.integers(1, 10**6)),
)
def test_random_message_lists_never_crash(router: Router, msgs: Any, max_tokens: int | None) -> None:
    try:
        d = router.route(msgs, max_tokens=max_tokens)
    except routecore.RouteError:
        return
    assert 0 <= d.tier <= 3
    assert d.model in router.models
    assert d.input_tokens >= 0
