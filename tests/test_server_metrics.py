"""The gateway's own series: what `Metrics.answered` / `Metrics.served` record per request."""

from __future__ import annotations

from routecore.server.metrics import Metrics


def test_answered_counts_and_times_routed_requests_only() -> None:
    m = Metrics()
    m.answered("chat_completions", "acme", "m0", "1", 200, 0.25)
    m.answered("chat_completions", "acme", "m0", "1", 200, 0.75)
    m.answered("models", "acme", "-", "-", 200, 0.001)
    m.answered("chat_completions", "acme", "-", "-", 401, 0.001)
    get = m.registry.get_sample_value
    ok = {"endpoint": "chat_completions", "tenant": "acme", "model": "m0", "tier": "1", "status": "200"}
    assert get("routecore_requests_total", ok) == 2
    assert get("routecore_requests_total", {**ok, "model": "-", "tier": "-", "status": "401"}) == 1
    dur = {"endpoint": "chat_completions", "tier": "1"}
    assert get("routecore_request_duration_seconds_count", dur) == 2
    assert get("routecore_request_duration_seconds_sum", dur) == 1.0
    assert get("routecore_request_duration_seconds_bucket", {**dur, "le": "0.25"}) == 1
    assert get("routecore_request_duration_seconds_count", {"endpoint": "models", "tier": "-"}) is None


def test_served_records_overhead_tokens_and_cost() -> None:
    m = Metrics()
    for _ in range(3):
        m.served("chat_completions", "acme", "m0", 0.0003, 9, 4, 0.5)
    get = m.registry.get_sample_value
    assert get("routecore_overhead_seconds_count", {"endpoint": "chat_completions"}) == 3
    assert get("routecore_overhead_seconds_bucket", {"endpoint": "chat_completions", "le": "0.0005"}) == 3
    assert get("routecore_overhead_seconds_bucket", {"endpoint": "chat_completions", "le": "0.00025"}) == 0
    tok = {"tenant": "acme", "model": "m0"}
    assert get("routecore_tokens_total", {**tok, "direction": "input"}) == 27
    assert get("routecore_tokens_total", {**tok, "direction": "output"}) == 12
    assert get("routecore_estimated_cost_usd_total", tok) == 1.5
    assert b'routecore_tokens_total{direction="input",model="m0",tenant="acme"} 27.0' in m.render()
