"""What the bandit learned survives restarts and reaches other replicas through Redis
(`rc:fb:bandit`, KEYS.md) when no `bandit.state_file` is configured; a damaged shared state is
ignored with a warning, and a Redis that is down costs only the learning, never the start."""

from __future__ import annotations

import json
import logging

import pytest
import redis

import routecore
from redis_support import RedisServer, redis_server, state_toml

__all__ = ["redis_server"]

BANDIT = ("\n[bandit]\nenabled = true\nmin_share = 0.05\ndecay = 1.0\ncost_weight = 0.0\n"
          "latency_weight = 0.0\n")
REQ = [{"role": "user", "content": "hello there, how are you today?"}]


def _router(url: str) -> routecore.Router:
    return routecore.Router.from_toml(state_toml(url) + BANDIT)


def _arms(r: routecore.Router) -> dict[tuple[str, int, str], dict[str, float]]:
    return {(c, t, m): arm for c, t, m, arm in json.loads(r.bandit_state())["arms"]}


def _teach(r: routecore.Router, good: str, n: int = 300) -> None:
    for _ in range(n):
        d = r.route(REQ, tenant="acme", min_tier=1, max_tier=1)
        assert r.feedback(d.request_id, score=0.95 if d.model == good else 0.2)


def test_learned_state_is_shared_through_redis(redis_server: RedisServer) -> None:
    url = redis_server.url
    a = _router(url)
    _teach(a, "claude-3-5-haiku")
    learned = _arms(a)
    assert learned[("chitchat", 1, "claude-3-5-haiku")]["pulls"] > 0
    a.close()  # saves to rc:fb:bandit
    raw = redis.Redis.from_url(url).get("rc:fb:bandit")
    assert raw is not None and b"claude-3-5-haiku" in raw
    b = _router(url)  # a new replica (or a restart) starts from what the fleet learned
    try:
        assert _arms(b) == learned
    finally:
        b.close()


def test_damaged_shared_state_is_ignored(redis_server: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    redis.Redis.from_url(redis_server.url).set("rc:fb:bandit", "{not json")
    r = _router(redis_server.url)
    try:
        assert _arms(r) == {}
        assert "shared bandit state not loaded" in caplog.text
    finally:
        r.close()


def test_redis_down_at_start_and_close_costs_only_the_learning(
        redis_server: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    url = redis_server.url
    redis_server.stop()
    caplog.set_level(logging.WARNING)
    r = _router(url)  # fail_open by default: starts, routes
    assert r.route(REQ, tenant="acme").model
    r.close()
    assert "shared bandit state not" in caplog.text
