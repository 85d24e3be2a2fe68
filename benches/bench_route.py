"""Latency of `Router.route()` from Python, with CI gates far above the targets so a noisy
machine never flakes them. Targets (issue #2): 1 KB p50 <= 5 us, p99 <= 20 us; 64 KB <= 150 us;
flat in tenants and models. `make bench` prints the full table; the figures are in the README.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
from typing import Any

import pytest

import routecore
from routecore import Router

BASE = (
    "Please review the following paragraph and tell me whether the argument holds up, and why. "
    "The author claims that remote work raises productivity because commutes disappear. "
)


def unbudgeted() -> Router:
    return Router.from_toml(re.sub(r"\[tenants\.default\][^\[]*", "", routecore.default_config_toml()))


def messages(size: int) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "You are a concise voice assistant."},
        {"role": "user", "content": (BASE * (size // len(BASE) + 1))[:size]},
    ]


TWENTY_WORDS = [
    {
        "role": "user",
        "content": "what's the weather like in paris tomorrow afternoon "
        "and should i bring an umbrella with me today",
    }
]

# (label, messages, generous median gate in microseconds)
SIZES = [
    ("20 words", TWENTY_WORDS, 50.0),
    ("1 KB", messages(1024), 100.0),
    ("8 KB", messages(8 * 1024), 400.0),
    ("64 KB", messages(64 * 1024), 2000.0),
]


@pytest.mark.parametrize(("label", "msgs", "gate_us"), SIZES, ids=[s[0] for s in SIZES])
def test_route_latency(benchmark: Any, label: str, msgs: list[dict[str, str]], gate_us: float) -> None:
    router = unbudgeted()
    benchmark.group = "route by prompt size"
    d = benchmark(router.route, msgs)
    assert d.model in router.models
    assert benchmark.stats.stats.median * 1e6 < gate_us, f"{label}: median over {gate_us} us"


def test_json_dumps_reference(benchmark: Any) -> None:
    """The yardstick the issue names: route() on 1 KB should cost about one json.dumps."""
    benchmark.group = "route by prompt size"
    benchmark(json.dumps, messages(1024))


def _cold_and_hot_us(fn: Any, evict: Any, calls: int = 150) -> tuple[float, float]:
    """Median µs of `fn()` right after `evict()`, and in a tight loop."""
    cold = []
    for _ in range(calls):
        evict()
        t = time.perf_counter()
        fn()
        cold.append(time.perf_counter() - t)
    for _ in range(1000):
        fn()
    hot = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        hot.append(time.perf_counter() - t)
    return sorted(cold)[calls // 2] * 1e6, sorted(hot)[calls // 2] * 1e6


def test_route_with_cold_caches() -> None:
    """What a call costs when the CPU's caches hold other work, as in a server or an app between
    two requests, against the tight loop every other figure here uses. Measured in the gateway
    (`routecore serve`, one request at a time): route 12.6 µs and scan 8.2 µs per request, 7x
    and 10x their tight-loop figures. Callgrind with an L2-sized last-level cache
    (`--cache-sim=yes --LL=2097152,16,64`) puts it in the code: a cold route + scan of two
    words fetches ~1,030 instruction lines (66 KB, spread over some 40 functions of the
    pipeline) and ~370 data lines from beyond L2. Gated loosely; the table is the point."""
    import numpy as np

    router = unbudgeted()
    filler = np.zeros(64 << 20, dtype=np.uint8)  # beyond L2 and most of a VM's share of L3

    def evict() -> None:
        filler[::64] += 1

    rows = []
    for label, msgs in (("20 words", TWENTY_WORDS), ("1 KB", messages(1024))):
        calls = (("route", lambda m=msgs: router.route(m)), ("scan", lambda m=msgs: routecore.scan(m)))
        for what, fn in calls:
            cold, hot = _cold_and_hot_us(fn, evict)
            rows.append((f"{what} {label}", cold, hot))
    print("\ncaches    call           cold µs  hot µs  ratio")
    for name, cold, hot in rows:
        print(f"          {name:14s} {cold:7.1f} {hot:7.1f} {cold / hot:5.1f}x")
    for name, cold, hot in rows:
        assert cold < 500.0, f"{name}: {cold:.0f} us with cold caches"
        assert hot <= cold * 1.5, f"{name}: the tight loop ({hot:.1f} us) should not be slower than cold"


def _populate(router: Router, n: int) -> list[str]:
    names = [f"tenant-{i}" for i in range(n)]
    for name in names:
        router.route("hi", tenant=name)
    return names


@pytest.mark.parametrize("tenants", [1, 1_000_000])
def test_route_flat_in_tenants(benchmark: Any, tenants: int) -> None:
    router = Router()  # default budgets: every tenant gets its own buckets
    names = _populate(router, tenants)
    assert router.tenants_tracked == tenants
    rng = random.Random(1)
    picks = [rng.choice(names) for _ in range(4096)]
    msgs = messages(1024)
    i = iter(range(10**9))

    def one() -> None:
        # Refund at once so the long benchmark loop never exhausts a bucket.
        router.release(router.route(msgs, tenant=picks[next(i) % 4096]))

    benchmark.group = "route 1 KB by tenant count"
    benchmark(one)
    assert benchmark.stats.stats.median * 1e6 < 150.0


def _config_with_models(n: int) -> str:
    per_tier = n // 4
    lines = ["version = 1"]
    for i in range(n):
        lines += [
            f'[models."m{i}"]',
            'provider = "openai"',
            f"input_cost_per_1k = {0.0001 * (1 + i)}",
            f"output_cost_per_1k = {0.0004 * (1 + i)}",
            f"context_window = {32000 + 1000 * i}",
            f"ttft_ms = {20 + 5 * i}",
        ]
    budgets = [50, 250, 500, 1000]
    for t in range(4):
        members = ", ".join(f'"m{i}"' for i in range(t * per_tier, (t + 1) * per_tier))
        lines += [
            "[[tiers]]",
            f'name = "T{t}"',
            f"latency_budget_ms = {budgets[t]}",
            "success_target = 0.9",
            f"models = [{members}]",
        ]
    return "\n".join(lines)


@pytest.mark.parametrize("models", [4, 100])
def test_route_flat_in_models(benchmark: Any, models: int) -> None:
    router = Router.from_toml(_config_with_models(models))
    benchmark.group = "route 1 KB by model count"
    d = benchmark(router.route, messages(1024))
    assert len(d.fallbacks) <= 3
    assert benchmark.stats.stats.median * 1e6 < 150.0


def test_route_batch_throughput() -> None:
    """route_batch on ~20-word prompts across both cores (target >= 500,000 decisions/s)."""
    router = unbudgeted()
    batch = [TWENTY_WORDS] * 200_000
    router.route_batch(batch[:1000])
    best = 0.0
    for _ in range(3):
        t = time.perf_counter()
        out = router.route_batch(batch)
        best = max(best, len(out) / (time.perf_counter() - t))
    print(f"\nroute_batch: {best:,.0f} decisions/s")
    assert best > 100_000


def _child(code: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# Peak RSS from /proc: ru_maxrss survives exec on Linux and would report the parent's size.
HWM = """
def hwm_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""

IMPORT_PROBE = (
    HWM
    + """
import json, time
t = time.perf_counter()
import routecore
dt = time.perf_counter() - t
print(json.dumps({"import_ms": dt * 1000, "rss_mb": hwm_mb()}))
"""
)


def test_import_time_and_memory() -> None:
    """Target: import <= 100 ms and <= 30 MB RSS (gate: 3x, for noisy machines)."""
    best = min((_child(IMPORT_PROBE) for _ in range(3)), key=lambda r: r["import_ms"])
    print(f"\nimport routecore: {best['import_ms']:.1f} ms, RSS {best['rss_mb']:.1f} MB")
    assert best["import_ms"] < 300
    assert best["rss_mb"] < 90


TENANT_PROBE = (
    HWM
    + """
import json
import routecore
r = routecore.Router()
r.route("warm up", tenant="warm")
before = hwm_mb()
for i in range(1_000_000):
    r.release(r.route("hi", tenant=f"t{i}"))
print(json.dumps({"tenants": r.tenants_tracked, "mb": hwm_mb() - before}))
"""
)


def test_million_tenant_buckets_memory() -> None:
    """Target: 1,000,000 tenant buckets in <= 150 MB."""
    r = _child(TENANT_PROBE)
    print(f"\n1M tenants: {r['mb']:.1f} MB")
    assert r["tenants"] == 1_000_001
    assert r["mb"] <= 150
