"""The Redis backend: lease budgets from Redis, share breakers, survive Redis going away.

One daemon thread per router does all the network work:

* every `sync_interval_ms`: refill the tenants and deployments (provider quotas, `rc:q:`) the
  core queued below their low-water mark (one pipelined round trip per kind) and install the
  grants;
* every 250 ms: hand back idle tenants' and deployments' allowance and busy ones' surplus (and
  debts);
* every health period: publish breaker openings and own statistics, force-open what other
  replicas opened, merge the fleet's statistics into the core's health tracker.

`route()` only meets the network for a tenant (or a quota-limited deployment) this replica holds
no lease for (one synchronous fetch, at most `timeout_ms`). When Redis is unreachable the core switches to
`fallback` (fail-open: local limits ÷ `expected_replicas`) or `closed` (fail-closed:
`StateUnavailableError`); the thread probes with backoff and switches back by itself.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from typing import Any

from redis.exceptions import RedisError

from .. import _core
from .health_sync import STATS_EVERY_S, HealthSync
from .redis import Floats3, LeaseCall, RedisStore

__all__ = ["RedisBackend"]

log = logging.getLogger("routecore.state")

_ZERO: Floats3 = (0.0, 0.0, 0.0)
_RETURN_EVERY_S = 0.25


class RedisBackend:
    name = "redis"

    def __init__(self, router: _core.Router, cfg: dict[str, Any]) -> None:
        self._router = router
        self._fail_open = cfg["mode"] == "fail_open"
        self._replicas = max(1, int(cfg["expected_replicas"]))
        self._fraction = float(cfg["lease_fraction"])
        self._idle_ms = int(float(cfg["lease_idle_s"]) * 1000)
        self._interval = float(cfg["sync_interval_ms"]) / 1000
        self._health_every = max(self._interval, 0.1)
        self.replica = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.store = RedisStore(
            cfg["url"],
            prefix=cfg["key_prefix"],
            timeout_s=float(cfg["timeout_ms"]) / 1000,
            replica=self.replica,
        )
        self.health = HealthSync(router, self.store)
        self.up = False
        self.outages = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._down_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        _core._state_attach(
            self._router,
            self._fetch,
            fail_open=self._fail_open,
            fallback_scale=1.0 / self._replicas,
            lease_fraction=self._fraction,
            quota_fetch=self._fetch_quota,
        )
        try:
            self.store.ping()
            self._set_up()
        except (RedisError, OSError) as e:
            self._set_down(e)
        self._thread = threading.Thread(target=self._run, name="routecore-state", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread and hand every lease back (best effort, bounded by the timeout)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.up:
            try:
                self._flush_returns(all_=True)
            except (RedisError, OSError) as e:
                log.warning("routecore: leases not returned at close (%s); they expire in Redis", e)
        _core._state_attach(
            self._router, None, fail_open=self._fail_open, fallback_scale=1.0, lease_fraction=self._fraction
        )
        self.store.close()

    def load_blob(self, name: str) -> str | None:
        try:
            return self.store.get_blob(name)
        except (RedisError, OSError) as e:
            log.warning("routecore: shared %s state not loaded (%s); starting from scratch", name, e)
            return None

    def save_blob(self, name: str, text: str) -> None:
        try:
            self.store.set_blob(name, text)
        except (RedisError, OSError) as e:
            log.warning("routecore: shared %s state not saved (%s)", name, e)

    def stats(self) -> dict[str, Any]:
        c = dict(_core._state_counters(self._router))
        c.update(
            backend=self.name,
            up=self.up,
            outages=self.outages,
            errors=self.errors,
            round_trips=self.store.round_trips,
            health_published=self.health.published,
            health_forced=self.health.forced,
            health_ingested=self.health.ingested,
        )
        return c

    # ------------------------------------------------------------------ up / down

    def _set_up(self) -> None:
        self.up = True
        _core._state_set_mode(self._router, "leased")

    def _set_down(self, e: BaseException) -> None:
        with self._down_lock:
            if not self.up and self.outages:
                return
            self.up = False
            self.outages += 1
            mode = "fallback" if self._fail_open else "closed"
            _core._state_set_mode(self._router, mode)
        log.warning(
            "routecore: Redis unreachable (%s); budgets now %s",
            e,
            f"local at 1/{self._replicas} of each limit (fail_open)"
            if self._fail_open
            else "refused (fail_closed)",
        )

    # ------------------------------------------------------------------ the sync path

    def _fetch(
        self, tenant: str, cap: Floats3, win: Floats3, want: Floats3, need: Floats3, *, quota: bool = False
    ) -> tuple[Floats3, Floats3] | None:
        """Called by the core inside `route()` for a tenant with no usable lease."""
        if not self.up:
            return None
        try:
            return self.store.lease_now((tenant, cap, win, want, need, _ZERO), quota=quota)
        except (RedisError, OSError) as e:
            self.errors += 1
            self._set_down(e)
            return None

    def _fetch_quota(
        self, model: str, cap: Floats3, win: Floats3, want: Floats3, need: Floats3
    ) -> tuple[Floats3, Floats3] | None:
        """As `_fetch`, for a deployment's provider quota (`rc:q:{model}`)."""
        return self._fetch(model, cap, win, want, need, quota=True)

    # ------------------------------------------------------------------ the thread

    def _run(self) -> None:
        last_return = last_health = last_stats = 0.0
        backoff = self._interval
        while not self._stop.wait(self._interval if self.up else backoff):
            now = time.monotonic()
            try:
                if not self.up:
                    self.store.ping()
                    self._flush_returns(all_=False)  # what settled during the outage
                    self._set_up()
                    log.warning("routecore: Redis is back; budgets leased again")
                    backoff = self._interval
                self._refill()
                if now - last_return >= _RETURN_EVERY_S:
                    last_return = now
                    self._flush_returns(all_=False)
                if now - last_health >= self._health_every:
                    last_health = now
                    with_stats = now - last_stats >= STATS_EVERY_S
                    if with_stats:
                        last_stats = now
                    self.health.tick(with_stats)
            except (RedisError, OSError) as e:
                self.errors += 1
                if self.up:
                    self._set_down(e)
                # Here, on this thread only (the fleet view is this thread's state): a view
                # that can no longer be refreshed would only grow stale.
                self.health.clear()
                backoff = min(1.0, backoff * 2) * random.uniform(0.8, 1.2)
            except Exception:  # a bug here must not kill the thread (budgets would freeze)
                self.errors += 1
                log.exception("routecore: state sync failed")

    def _refill(self) -> None:
        # Tenants' budgets, then deployments' quotas: the same script on different keys.
        for quota in (False, True):
            wants = _core._lease_wants(self._router, quota=quota)
            if not wants:
                continue
            calls: list[LeaseCall] = [(t, cap, win, want, _ZERO, _ZERO) for t, cap, win, want, _give in wants]
            for (name, cap, win, _w, _n, _g), (granted, wait) in zip(
                calls, self.store.lease_many(calls, quota=quota), strict=True
            ):
                _core._lease_install(self._router, name, cap, win, _ZERO, granted, wait, quota=quota)

    def _flush_returns(self, *, all_: bool) -> None:
        for quota in (False, True):
            rows = _core._lease_returns(self._router, self._idle_ms, all_, quota=quota)
            if not rows:
                continue
            calls: list[LeaseCall] = [(t, cap, win, _ZERO, _ZERO, give) for t, cap, win, _want, give in rows]
            try:
                self.store.lease_many(calls, quota=quota)
            except (RedisError, OSError):
                # Not handed back: keep it locally (and in the ledger) for the next attempt.
                for t, cap, win, _want, give in rows:
                    _core._lease_restore(self._router, t, cap, win, give, quota=quota)
                raise
