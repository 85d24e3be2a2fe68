"""`route()` latency with Redis-shared budgets vs the in-process store, and the Redis round
trips per 1,000 decisions (counted by the client and cross-checked with `INFO commandstats`).
Target (issue #7): p99 with Redis within 2x of in-process. The gate adds `SLACK_US` for a noisy
shared machine: a p99 of ~2 µs calls moves by 10+ µs when the box is busy (CI saw 5 vs 17 µs once),
while a Redis round trip on the hot path would add 50+ µs to every call it touched; the round-trip
count is asserted directly as well. `make bench` prints the table."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import routecore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from redis_support import RedisServer, redis_server, state_toml

__all__ = ["redis_server"]

SLACK_US = 25.0

PROMPT = [
    {"role": "system", "content": "You are a concise voice assistant."},
    {"role": "user", "content": "my card was charged twice for the same order, can you refund one of them?"},
]
N = 20_000
LIMITS: dict[str, dict[str, object]] = {
    "acme": {"requests_per_min": 1e6, "tokens_per_min": 1e9, "usd_per_window": 1e6}
}


def _latencies(router: routecore.Router, tenants: list[str], n: int) -> list[float]:
    route = router.route
    out = []
    for i in range(n):
        t = tenants[i % len(tenants)]
        t0 = time.perf_counter_ns()
        route(PROMPT, tenant=t)
        out.append((time.perf_counter_ns() - t0) / 1000)
    return out


def _pct(v: list[float], q: float) -> float:
    s = sorted(v)
    return s[min(len(s) - 1, int(q * len(s)))]


def _redis_calls(srv: RedisServer) -> int:
    stats = srv.client().info("commandstats")
    return sum(int(v["calls"]) for k, v in stats.items() if k != "cmdstat_info")


def test_route_latency_and_round_trips(redis_server: RedisServer) -> None:
    mem = routecore.Router.from_toml(
        state_toml(redis_server.url, LIMITS).replace('backend = "redis"', 'backend = "memory"')
    )
    red = routecore.Router.from_toml(state_toml(redis_server.url, LIMITS))
    try:
        for r in (mem, red):
            _latencies(r, ["acme"], 2000)  # warm up (and take the first lease)
        time.sleep(0.1)
        rt0, calls0 = red.state.stats()["round_trips"], _redis_calls(redis_server)
        t_start = time.monotonic()
        # Interleave so both see the same machine noise.
        lm: list[float] = []
        lr: list[float] = []
        for _ in range(10):
            lm += _latencies(mem, ["acme"], N // 10)
            lr += _latencies(red, ["acme"], N // 10)
        elapsed = time.monotonic() - t_start
        rts = red.state.stats()["round_trips"] - rt0
        calls = _redis_calls(redis_server) - calls0
        cold = _latencies(red, [f"cold-{i}" for i in range(200)], 200)
        p50m, p99m, p50r, p99r = _pct(lm, 0.5), _pct(lm, 0.99), _pct(lr, 0.5), _pct(lr, 0.99)
        print(
            f"\nroute() in-process p50 {p50m:.2f} us p99 {p99m:.2f} us | redis p50 {p50r:.2f} us "
            f"p99 {p99r:.2f} us ({p99r / p99m:.2f}x)\n"
            f"redis round trips per 1,000 decisions: {1000 * rts / N:.2f} by the client, "
            f"{1000 * calls / N:.2f} commands by INFO (incl. background health polls over {elapsed:.1f} s)\n"
            f"cold tenant (one synchronous lease): p50 {_pct(cold, 0.5):.0f} us p99 {_pct(cold, 0.99):.0f} us"
        )
        assert p99r <= 2.0 * p99m + SLACK_US, (p99m, p99r)
        assert rts / N <= 0.05
    finally:
        mem.close()
        red.close()


def _with_model_quotas(text: str) -> str:
    """Every deployment gets a (never binding) provider quota, so each decision takes one."""
    out = []
    for line in text.splitlines(keepends=True):
        out.append(line)
        if line.startswith("[models."):
            out.append("requests_per_min = 1e7\ntokens_per_min = 1e10\n")
    return "".join(out)


def test_route_latency_with_model_quotas(redis_server: RedisServer) -> None:
    """The same comparison with every deployment's quota taken per decision: in-process buckets
    vs allowances leased from `rc:q:{model}`."""
    text = _with_model_quotas(state_toml(redis_server.url, LIMITS))
    mem = routecore.Router.from_toml(text.replace('backend = "redis"', 'backend = "memory"'))
    red = routecore.Router.from_toml(text)
    try:
        for r in (mem, red):
            _latencies(r, ["acme"], 2000)
        time.sleep(0.1)
        rt0 = red.state.stats()["round_trips"]
        lm: list[float] = []
        lr: list[float] = []
        for _ in range(10):
            lm += _latencies(mem, ["acme"], N // 10)
            lr += _latencies(red, ["acme"], N // 10)
        rts = red.state.stats()["round_trips"] - rt0
        p99m, p99r = _pct(lm, 0.99), _pct(lr, 0.99)
        print(
            f"\nwith model quotas: route() in-process p50 {_pct(lm, 0.5):.2f} us p99 {p99m:.2f} us | "
            f"redis p50 {_pct(lr, 0.5):.2f} us p99 {p99r:.2f} us ({p99r / p99m:.2f}x); "
            f"{1000 * rts / N:.2f} round trips per 1,000 decisions"
        )
        assert red.state.stats()["leased_models"] > 0, "quotas were leased"
        assert p99r <= 2.0 * p99m + SLACK_US, (p99m, p99r)
        assert rts / N <= 0.05
    finally:
        mem.close()
        red.close()
