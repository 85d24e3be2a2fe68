"""The routing API from Python: inputs, the decision's fields, overrides, budgets, health."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import routecore
from route_support import unbudgeted_toml
from routecore import Router

CAPABILITIES = {
    "chitchat",
    "factual",
    "extraction",
    "summarization",
    "classification",
    "creative",
    "reasoning",
    "math",
    "code",
    "translation",
}


def test_plain_string_is_one_user_message(router: Router) -> None:
    a = router.route("what is the capital of peru?")
    b = router.route([{"role": "user", "content": "what is the capital of peru?"}])
    assert (a.model, a.tier, a.capability, a.input_tokens) == (b.model, b.tier, b.capability, b.input_tokens)


def test_decision_fields(router: Router) -> None:
    d = router.route("Write a Python function that parses ISO dates", metadata={"trace": 7})
    assert 0 <= d.tier <= 3
    assert d.model in router.models
    assert d.model not in d.fallbacks and len(set(d.fallbacks)) == len(d.fallbacks)
    assert d.capability in CAPABILITIES and d.capability == "code"
    assert 0.0 < d.capability_confidence <= 1.0
    assert 0.0 <= d.complexity <= 100.0
    assert d.input_tokens > 0 and d.estimated_cost_usd > 0
    assert d.budget == "unlimited"
    assert d.reasons and all(isinstance(r, str) for r in d.reasons)
    assert d.metadata == {"trace": 7}
    data = d.to_dict()
    json.dumps(data)  # plain data
    for key in (
        "tier",
        "model",
        "fallbacks",
        "capability",
        "capability_confidence",
        "complexity",
        "input_tokens",
        "estimated_cost_usd",
        "budget",
        "reasons",
        "features",
        "request_id",
    ):
        assert key in data, key
    assert set(data["features"]) >= set(routecore.FEATURE_COLUMNS)
    assert abs(sum(data["capability_scores"].values()) - 1.0) < 1e-4


def test_content_parts_tools_and_response_format(router: Router) -> None:
    msgs = [
        {"role": "system", "content": "You extract data."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Pull the invoice number and total from this:"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                {"type": "text", "text": "Invoice 4411, total 93.10 EUR"},
            ],
        },
    ]
    tools = [
        {
            "type": "function",
            "function": {
                "name": "save",
                "parameters": {
                    "type": "object",
                    "properties": {"number": {"type": "string"}, "total": {"type": "number"}},
                },
            },
        }
    ]
    plain = router.route(msgs)
    d = router.route(msgs, tools=tools, response_format={"type": "json_object"})
    f = d.to_dict()["features"]
    assert f["tools"] == 1 and f["response_json"] == 1 and f["media_parts"] == 1
    assert d.input_tokens > plain.input_tokens  # tool schemas cost prompt tokens
    assert d.capability == "extraction"
    assert d.to_dict()["complexity_components"]["tool_usage"] > 0


def test_last_user_turn_weighs_most(router: Router) -> None:
    msgs = [
        {"role": "user", "content": "Write a Python script that renames files"},
        {"role": "assistant", "content": "import os\nfor f in os.listdir('.'):\n    os.rename(f, f.lower())"},
        {"role": "user", "content": "great, thanks a lot!"},
    ]
    assert router.route(msgs).capability == "chitchat"


def test_pinned_model_alias_and_auto(router: Router) -> None:
    assert router.route("hi", model="claude-opus-4").model == "claude-opus-4"
    assert router.route("hi", model="routecore/t3").tier == 3
    assert router.route("hi", model="auto").tier == 0
    with pytest.raises(routecore.UnknownModelError) as e:
        router.route("hi", model="gpt-17")
    assert e.value.model == "gpt-17" and e.value.status_code == 404


def test_tier_bounds_and_user_tier(router: Router) -> None:
    assert router.route("hello", min_tier=2).tier >= 2
    assert router.route("Prove the Riemann hypothesis step by step", max_tier=1).tier <= 1
    assert router.route("hello", user_tier="premium").tier >= 1
    with pytest.raises(routecore.InvalidRequestError, match="unknown user tier"):
        router.route("hello", user_tier="gold")


def test_long_context_goes_to_a_big_window(router: Router) -> None:
    text = "The committee reviewed the annual figures in detail. " * 16000  # ~150k tokens
    d = router.route(text + "\nSummarize the above.")
    windows = {m: router.config["models"][m]["context_window"] for m in router.models}
    assert all(windows[m] >= d.input_tokens for m in [d.model, *d.fallbacks])
    assert d.capability == "summarization"


def test_config_sources(tmp_path: Path) -> None:
    path = tmp_path / "rc.toml"
    path.write_text(unbudgeted_toml())
    a = Router(path)
    b = Router(str(path))
    c = Router(json.loads(json.dumps(a.config)))
    for r in (a, b, c):
        assert r.route("hi").tier == 0
    assert a.config["models"]["gpt-4o"]["api_base"] == "https://api.openai.com/v1"
    assert a.config["tiers"][0]["first_token_timeout_ms"] == 50.0


def test_config_errors_name_every_key() -> None:
    bad = (
        routecore.default_config_toml()
        .replace("ttft_ms = 25", "ttft_ms = 25\nttfb_ms = 3")
        .replace('models = ["o4-mini", "claude-sonnet-4"]', 'models = ["o4-mini", "gpt-9"]')
    )
    with pytest.raises(routecore.ConfigError) as e:
        Router.from_toml(bad)
    paths = [p for p, _ in e.value.errors]
    assert "models.qwen2.5-1.5b-local.ttfb_ms" in paths
    assert "capabilities.reasoning.models[1]" in paths
    assert routecore.check_config(bad) == e.value.errors
    assert routecore.check_config(routecore.default_config_toml()) == []


def test_budget_exceeded_is_typed_and_release_refunds() -> None:
    toml = routecore.default_config_toml().replace("requests_per_min = 600", "requests_per_min = 3")
    r = Router.from_toml(toml)
    ds = [r.route("hi", tenant="acme") for _ in range(3)]
    assert all(d.budget == "admitted" for d in ds)
    with pytest.raises(routecore.BudgetExceeded) as e:
        r.route("hi", tenant="acme")
    err = e.value
    assert (err.tenant, err.limit, err.limit_value, err.window_s) == ("acme", "requests_per_min", 3.0, 60.0)
    assert 0 < err.retry_after_s <= 20.0 + 1e-6
    assert err.status_code == 429 and err.retryable
    r.route("hi", tenant="other")  # tenants are isolated
    r.release(ds[0])
    r.route("hi", tenant="acme")


def test_reconcile_settles_once(fresh_router: Router) -> None:
    # A slow refill (1000 tokens/min) keeps the arithmetic exact to a fraction of a token.
    slow = Router.from_toml(
        routecore.default_config_toml().replace("tokens_per_min = 400000", "tokens_per_min = 1000")
    )
    d = slow.route("hi", tenant="t")
    before = slow.budget_levels("t")
    assert before is not None and before["tokens"] is not None
    assert before["tokens"] == pytest.approx(1000 - d.input_tokens - d.output_tokens, abs=1.0)
    cost = slow.reconcile(d, 100, 50)
    prices = slow.config["models"][d.model]
    assert cost == pytest.approx(
        100 * prices["input_cost_per_1k"] / 1000 + 50 * prices["output_cost_per_1k"] / 1000
    )
    after = slow.budget_levels("t")
    assert after is not None and after["tokens"] is not None
    assert after["tokens"] == pytest.approx(1000 - 150, abs=1.0)
    assert d.state == "settled"
    with pytest.raises(routecore.InvalidRequestError, match="already reconciled"):
        slow.reconcile(d, 1, 1)
    d = fresh_router.route("hi", tenant="t")
    fresh_router.reconcile(d, 1, 1)
    with pytest.raises(routecore.InvalidRequestError, match="already reconciled"):
        fresh_router.reconcile(d, 1, 1)
    with pytest.raises(routecore.InvalidRequestError):
        fresh_router.release(d)
    with pytest.raises(routecore.InvalidRequestError, match="different router"):
        Router().reconcile(fresh_router.route("x"), 1, 1)


def test_reconcile_with_fallback_model_prices_it(fresh_router: Router) -> None:
    d = fresh_router.route("hi")
    cost = fresh_router.reconcile(d, 1000, 1000, model="claude-opus-4")
    assert cost == pytest.approx(0.015 + 0.075)


def test_health_feeds_selection(fresh_router: Router) -> None:
    first = fresh_router.route("hey").model
    for _ in range(5):
        fresh_router.record_outcome(first, ok=False, error="server")
    h = fresh_router.health(first)
    assert h["state"] == "open" and h["consecutive_failures"] == 5
    assert not fresh_router.allow(first)
    d = fresh_router.route("hey")
    assert d.model != first and first not in d.fallbacks
    other = d.model
    fresh_router.record_outcome(other, ok=True, ttft_ms=30.0, total_ms=90.0)
    assert fresh_router.health(other)["ttft_ewma_ms"] == 30.0
    # The attempt loop's accessor reads the same statistics as the dict (no fleet view here).
    assert fresh_router.ttft_view(first) == (None, None, 0, None)
    for ms in (50.0, 70.0):
        fresh_router.record_outcome(other, ok=True, ttft_ms=ms, total_ms=90.0)
    h = fresh_router.health(other)
    assert fresh_router.ttft_view(other) == (h["ttft_ewma_ms"], h["ttft_p95_ms"], 3, None)
    assert h["ttft_ewma_ms"] > 30.0 and h["ttft_p95_ms"] >= 50.0
    with pytest.raises(routecore.UnknownModelError):
        fresh_router.ttft_view("nope")
    with pytest.raises(routecore.InvalidRequestError, match="unknown error kind"):
        fresh_router.record_outcome(other, ok=False, error="boom")
    with pytest.raises(routecore.UnknownModelError):
        fresh_router.allow("nope")


def test_deadline_and_cost_cap(router: Router) -> None:
    d = router.route("Solve this riddle step by step: what has keys but no locks?", deadline_ms=200)
    ttft = {m: router.config["models"][m]["ttft_ms"] for m in router.models}
    assert all(ttft[m] <= 200 for m in [d.model, *d.fallbacks])
    with pytest.raises(routecore.NoModelAvailableError):
        router.route("hi", model="routecore/t3", max_cost_usd=1e-9)


def test_batch_matches_single_and_features_shape(router: Router) -> None:
    prompts = ["hi", "Write a sonnet about rust", "Compute 17*23", "Translate 'cat' to French"] * 50
    batch = router.route_batch(prompts)
    single = [router.route(p) for p in prompts]
    assert [(d.model, d.tier, d.capability) for d in batch] == [
        (d.model, d.tier, d.capability) for d in single
    ]
    m = router.features(prompts)
    assert m.shape == (len(prompts), len(routecore.FEATURE_COLUMNS))
    assert str(m.dtype) == "float32"
    col = routecore.FEATURE_COLUMNS.index("input_tokens")
    assert list(m[:4, col]) == [float(d.input_tokens) for d in single[:4]]


def test_batch_error_names_the_item_and_reserves_nothing() -> None:
    toml = routecore.default_config_toml().replace("requests_per_min = 600", "requests_per_min = 5")
    r = Router.from_toml(toml)
    with pytest.raises(routecore.InvalidRequestError, match=r"batch\[2\]"):
        r.route_batch(["a", "b", [{"role": "wizard", "content": "x"}]], tenant="t")
    assert len(r.route_batch(["a"] * 5, tenant="t")) == 5


def test_route_is_thread_safe(router: Router) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for i in range(2000):
                router.route(f"question number {i}: what is {i} plus {i}?")
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_estimate_tokens() -> None:
    assert routecore.estimate_tokens("") == 0
    assert 4 <= routecore.estimate_tokens("The quick brown fox jumps.") <= 8
