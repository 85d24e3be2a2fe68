"""Eight router processes share one tenant's limits through a real Redis and hammer them at
full speed: the fleet stays within each limit plus the stated bound (KEYS.md: zero from
leasing, plus settle overruns), and Redis's ledger accounts for every admitted request."""

from __future__ import annotations

import json
import math
from pathlib import Path

import routecore
from redis_support import RedisServer, redis_server, run_workers, state_toml

__all__ = ["redis_server"]

PROMPT = "hello, how are you today?"
REPLICAS = 8
DURATION_S = 3.0


def _est_cost() -> float:
    d = routecore.Router().route(PROMPT, max_tokens=50, min_tier=1)
    return float(d.estimated_cost_usd)


def test_eight_replicas_stay_within_limits_and_the_ledger_balances(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    usd_cap = 300 * _est_cost()
    limits = {
        "rq": {"requests_per_min": 600.0},
        "tk": {"tokens_per_min": 30_000.0},
        "us": {"usd_per_window": usd_cap, "usd_window_s": 3600.0, "min_tier": 1},
    }
    cfg = tmp_path / "routecore.toml"
    cfg.write_text(state_toml(redis_server.url, limits, expected_replicas=REPLICAS))
    procs = run_workers(str(cfg), REPLICAS, DURATION_S)
    results = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    total = {
        t: {k: sum(r["tenants"][t][k] for r in results) for k in results[0]["tenants"][t]} for t in limits
    }
    for r in results:
        assert r["stats"]["unreachable"] == 0 and r["stats"]["outages"] == 0, r["stats"]
    # Refill over the run (with generous slack for process start and close).
    span_s = DURATION_S + 3.0
    redis = redis_server.client()

    rq = total["rq"]
    net = rq["admitted"] - rq["released"]
    assert 600 * 0.8 <= net <= 600 + 600 * span_s / 60, rq
    assert rq["refused"] > 0, "the limit was reached"

    tk = total["tk"]
    assert tk["tokens"] <= 30_000 + 30_000 * span_s / 60 + tk["tokens_over"], tk
    assert tk["tokens"] >= 30_000 * 0.5, tk

    us = total["us"]
    assert us["usd"] <= usd_cap * (1 + span_s / 3600) + us["usd_over"] + 1e-12, us
    assert us["refused"] > 0

    # The ledger: every replica closed (returned its allowance), so granted − returned is
    # exactly what was consumed.
    def consumed(tenant: str, i: int) -> float:
        h = {k.decode(): float(v) for k, v in redis.hgetall(f"rc:b:{{{tenant}}}").items()}
        return h.get(f"g{i}", 0.0) - h.get(f"r{i}", 0.0)

    assert math.isclose(consumed("rq", 0), net, abs_tol=1e-6)
    assert math.isclose(consumed("tk", 1), tk["tokens"], rel_tol=1e-9, abs_tol=1e-3)
    assert math.isclose(consumed("us", 2), us["usd"], rel_tol=1e-6, abs_tol=1e-9)
    print(
        f"\nfleet of {REPLICAS}: rq net {net:.0f}/600, "
        f"tk {tk['tokens']:.0f}/30000 (+{tk['tokens_over']:.0f} overrun), "
        f"usd {us['usd']:.6f}/{usd_cap:.6f}; round trips {sum(r['stats']['round_trips'] for r in results)}, "
        f"decisions {sum(total[t]['admitted'] + total[t]['refused'] for t in limits):.0f}"
    )
