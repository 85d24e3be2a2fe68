"""The Redis (or Valkey) side of shared state: one small client with bounded timeouts and
retries, atomic Lua scripts, and a count of round trips (for the benchmark and `/metrics`).

Two connection pools: the *sync* one serves the rare synchronous lease fetch inside `route()`
(no retry: its worst case is one `timeout_ms`), the *background* one serves the sync thread
(one retry with jittered backoff; the next tick is the retry after that)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from typing import Any

import redis
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from . import scripts

__all__ = ["STATS_FRESH_MS", "Floats3", "HealthRow", "LeaseCall", "RedisStore"]

Floats3 = tuple[float, float, float]
#: (tenant or model, capacity, window_ms, want, need, give)
LeaseCall = tuple[str, Floats3, Floats3, Floats3, Floats3, Floats3]
#: Per model in `poll_health`: (remaining open ms, opener, fresh peers' stats blobs).
HealthRow = tuple[int, str, list[str]]

#: Peers' stats older than this (Redis time) are ignored: three missed refreshes.
STATS_FRESH_MS = 3_000
_STATS_TTL_MS = 30_000

_RETRYABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def _sha(src: str) -> str:
    return hashlib.sha1(src.encode()).hexdigest()


class RedisStore:
    """Typed operations on the key layout of `KEYS.md` under `prefix`."""

    def __init__(self, url: str, *, prefix: str, timeout_s: float, replica: str) -> None:
        self.prefix = prefix
        self.replica = replica
        self.round_trips = 0
        self._lock = threading.Lock()
        common: dict[str, Any] = {
            "socket_timeout": timeout_s,
            "socket_connect_timeout": timeout_s,
            "health_check_interval": 0,
        }
        self._sync = redis.Redis(
            connection_pool=redis.BlockingConnectionPool.from_url(
                url, max_connections=4, timeout=timeout_s, **common
            ),
            retry=Retry(NoBackoff(), 0),
        )
        self._bg = redis.Redis(
            connection_pool=redis.BlockingConnectionPool.from_url(
                url, max_connections=2, timeout=timeout_s, **common
            ),
            retry=Retry(ExponentialWithJitterBackoff(cap=0.05, base=0.005), 1, _RETRYABLE),
        )
        self._shas = {name: _sha(src) for name, src in _SCRIPTS.items()}
        # Lease buckets outlive their longest window so an idle tenant's debt is not forgotten.
        self.key_ttl_ms = 0

    # ----------------------------------------------------------------- keys

    def budget_key(self, tenant: str) -> str:
        return f"{self.prefix}:b:{{{tenant}}}"

    def quota_key(self, model: str) -> str:
        return f"{self.prefix}:q:{{{model}}}"

    def lease_key(self, name: str, quota: bool) -> str:
        return self.quota_key(name) if quota else self.budget_key(name)

    def health_key(self, model: str) -> str:
        return f"{self.prefix}:h:{{{model}}}"

    def stats_key(self, model: str) -> str:
        return f"{self.prefix}:h:{{{model}}}:stats"

    # ----------------------------------------------------------------- calls

    def _count(self, n: int = 1) -> None:
        with self._lock:
            self.round_trips += n

    def ping(self) -> bool:
        self._count()
        return bool(self._bg.ping())

    def lease_now(self, call: LeaseCall, *, quota: bool = False) -> tuple[Floats3, Floats3]:
        """One synchronous lease (inside `route()`) of a tenant's budget or (`quota`) a model's
        quota: raises `RedisError` when unreachable."""
        name, cap, win, want, need, give = call
        args = self._lease_args(cap, win, want, need, give)
        key = self.lease_key(name, quota)
        self._count()
        try:
            raw = self._sync.evalsha(self._shas["lease"], 1, key, *args)
        except NoScriptError:
            self._count()
            raw = self._sync.eval(scripts.LEASE, 1, key, *args)
        return _grant(raw)

    def lease_many(self, calls: Sequence[LeaseCall], *, quota: bool = False) -> list[tuple[Floats3, Floats3]]:
        """Many leases in one pipelined round trip (the background refills and returns)."""
        if not calls:
            return []
        results = self._pipeline(
            [("lease", [self.lease_key(c[0], quota)], self._lease_args(*c[1:])) for c in calls]
        )
        return [_grant(r) for r in results]

    def publish_open(self, model: str, open_for_ms: int) -> None:
        self._pipeline([("open", [self.health_key(model)], [open_for_ms, self.replica])])

    def poll_health(self, models: Sequence[str], stats: dict[str, str] | None) -> list[HealthRow]:
        """Per model: remaining open ms, opener, and (with `stats`: model → this replica's JSON,
        published in the same round trip) the other replicas' fresh statistics, else `[]`."""
        pipe = self._bg.pipeline(transaction=False)
        pipe.evalsha(self._shas["poll"], len(models), *[self.health_key(m) for m in models])
        if stats is not None:
            for m in models:
                pipe.evalsha(
                    self._shas["stats"],
                    1,
                    self.stats_key(m),
                    self.replica,
                    stats.get(m, ""),
                    STATS_FRESH_MS,
                    _STATS_TTL_MS,
                )
        self._count()
        try:
            out = pipe.execute()
        except NoScriptError:
            self._load()
            return self.poll_health(models, stats)
        raw = out[0]
        peers = [[_s(b) for b in r] for r in out[1:]] if stats is not None else [[] for _ in models]
        return [(int(float(raw[2 * i])), _s(raw[2 * i + 1]), peers[i]) for i in range(len(models))]

    def blob_key(self, name: str) -> str:
        return f"{self.prefix}:fb:{name}"

    def get_blob(self, name: str) -> str | None:
        self._count()
        v = self._bg.get(self.blob_key(name))
        return None if v is None else _s(v)

    def set_blob(self, name: str, text: str) -> None:
        self._count()
        self._bg.set(self.blob_key(name), text)

    def bucket(self, tenant: str) -> dict[str, float]:
        """The raw bucket hash (tests and `routecore` operators)."""
        self._count()
        h = self._bg.hgetall(self.budget_key(tenant))
        return {_s(k): float(v) for k, v in h.items()}

    def close(self) -> None:
        for c in (self._sync, self._bg):
            try:
                c.close()
                c.connection_pool.disconnect()
            except RedisError:
                pass

    # ----------------------------------------------------------------- helpers

    def _lease_args(
        self, cap: Floats3, win: Floats3, want: Floats3, need: Floats3, give: Floats3
    ) -> list[float | int]:
        ttl = int(max(self.key_ttl_ms, 2 * max(win) + 60_000))
        return [*cap, *win, *want, *need, *give, ttl]

    def _load(self) -> None:
        self._count(len(_SCRIPTS))
        for src in _SCRIPTS.values():
            self._bg.script_load(src)

    def _pipeline(self, ops: list[tuple[str, list[str], list[Any]]]) -> list[Any]:
        for attempt in range(2):
            pipe = self._bg.pipeline(transaction=False)
            for name, keys, args in ops:
                pipe.evalsha(self._shas[name], len(keys), *keys, *args)
            self._count()
            out = pipe.execute(raise_on_error=False)
            # A restarted Redis has forgotten the scripts: nothing ran, load and run again.
            if attempt == 0 and out and all(isinstance(r, NoScriptError) for r in out):
                self._load()
                continue
            for r in out:
                if isinstance(r, Exception):
                    raise r
            return list(out)
        raise RedisError("scripts could not be loaded")


_SCRIPTS = {"lease": scripts.LEASE, "open": scripts.OPEN, "poll": scripts.POLL, "stats": scripts.STATS}


def _s(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def _grant(raw: Any) -> tuple[Floats3, Floats3]:
    v = [float(_s(x)) for x in raw]
    return (v[0], v[1], v[2]), (v[3], v[4], v[5])
