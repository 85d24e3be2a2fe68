"""The Redis state backend at the API: config, modes when Redis is absent, shared breakers."""

from __future__ import annotations

import time

import pytest

import routecore
from redis_support import RedisServer, _free_port, redis_server, state_toml
from routecore.errors import StateUnavailableError

__all__ = ["redis_server"]


def test_state_section_is_validated() -> None:
    bad = (
        routecore.default_config_toml()
        + '\n[state]\nbackend = "etcd"\nmode = "maybe"\nlease_fraction = 2.0\n'
    )
    with pytest.raises(routecore.ConfigError) as e:
        routecore.Router.from_toml(bad)
    assert {p for p, _ in e.value.errors} >= {"state.backend", "state.mode", "state.lease_fraction"}
    assert routecore.Router().state.name == "memory"


def test_redis_down_at_start_fail_closed_refuses_with_503() -> None:
    url = f"redis://127.0.0.1:{_free_port()}/0"
    toml = state_toml(url, {"acme": {"requests_per_min": 100.0}}, mode="fail_closed")
    r = routecore.Router.from_toml(toml)
    try:
        with pytest.raises(StateUnavailableError) as e:
            r.route("hi", tenant="acme")
        assert e.value.status_code == 503 and e.value.retryable
        assert r.state.stats()["mode"] == "closed"
    finally:
        r.close()


def test_redis_down_at_start_fail_open_enforces_its_share() -> None:
    url = f"redis://127.0.0.1:{_free_port()}/0"
    toml = state_toml(url, {"acme": {"requests_per_min": 30.0}}, expected_replicas=3)
    r = routecore.Router.from_toml(toml)
    try:
        admitted = 0
        for _ in range(50):
            try:
                r.route("hi", tenant="acme")
                admitted += 1
            except routecore.BudgetExceeded:
                pass
        assert admitted == 10, "30 per minute shared by 3 expected replicas"
        assert r.state.stats()["mode"] == "fallback"
    finally:
        r.close()


def test_leases_and_ledger(redis_server: RedisServer) -> None:
    r = routecore.Router.from_toml(state_toml(redis_server.url, {"acme": {"requests_per_min": 100.0}}))
    try:
        ds = []
        for _ in range(100):
            ds.append(r.route("hi", tenant="acme"))
        with pytest.raises(routecore.BudgetExceeded) as e:
            r.route("hi", tenant="acme")
        assert e.value.limit == "requests_per_min" and e.value.retry_after_s > 0
        for d in ds[:40]:
            r.release(d)
        stats = r.state.stats()
        assert stats["mode"] == "leased" and stats["sync_fetches"] >= 1
    finally:
        r.close()
    h = {k.decode(): float(v) for k, v in redis_server.client().hgetall("rc:b:{acme}").items()}
    assert h["g0"] - h["r0"] == pytest.approx(60.0)


def test_a_breaker_opened_on_one_replica_opens_on_the_others(redis_server: RedisServer) -> None:
    toml = state_toml(redis_server.url)
    a, b = routecore.Router.from_toml(toml), routecore.Router.from_toml(toml)
    try:
        model = a.models[0]
        for _ in range(10):
            a.record_outcome(model, ok=False, error="server")
        assert a.health(model)["state"] == "open"
        t0 = time.monotonic()
        while b.health(model)["state"] != "open":
            assert time.monotonic() - t0 < 2.0, "not propagated"
            time.sleep(0.01)
        took = time.monotonic() - t0
        assert not b.allow(model)
        assert b.health(model)["opened_total"] == 0, "forced, not re-announced"
        print(f"\nbreaker propagated in {took * 1000:.0f} ms")
    finally:
        a.close()
        b.close()
