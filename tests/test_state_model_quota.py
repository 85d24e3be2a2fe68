"""Provider quotas are fleet-wide with the Redis backend: several router processes hammer one
deployment's requests/min at full speed. The fleet admits to it at most the limit plus refill
over the run (KEYS.md: leasing adds nothing; requests/min has no settle overrun), the overflow
goes to the tier's next model (never refused), and `rc:q:{model}`'s ledger accounts for every
admitted request and token."""

from __future__ import annotations

import json
import math
import random
import sys
import time
from pathlib import Path

import routecore
from redis_support import RedisServer, redis_server, run_workers, state_toml, wait_for_start

__all__ = ["redis_server"]

MODEL = "gpt-4o-mini"  # T1's first model
RPM = 300.0
TPM = 1e7  # tracked (ledger) but never the binding limit here
REPLICAS = 6
DURATION_S = 3.0
PROMPT = "hello, how are you today?"


def quota_config(url: str) -> str:
    text = state_toml(url, expected_replicas=REPLICAS)
    head = f'[models."{MODEL}"]\n'
    assert head in text
    return text.replace(head, f"{head}requests_per_min = {RPM}\ntokens_per_min = {TPM}\n", 1)


def test_replicas_share_a_deployment_quota_and_overflow_to_the_next_model(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    cfg = tmp_path / "routecore.toml"
    cfg.write_text(quota_config(redis_server.url))
    procs = run_workers(str(cfg), REPLICAS, DURATION_S, script=__file__)
    results = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    tot = {k: sum(r[k] for r in results) for k in results[0] if k != "stats"}
    for r in results:
        assert r["stats"]["outages"] == 0 and r["stats"]["unreachable"] == 0, r["stats"]
    assert tot["errors"] == 0, "an exhausted quota never refuses the request"

    # Fleet-wide admissions to MODEL: at most the limit plus refill over the run (with slack
    # for process start and close), and the limit was actually reached.
    span_s = DURATION_S + 3.0
    net = tot["primary"] - tot["released"]
    assert RPM * 0.8 <= net <= RPM + RPM * span_s / 60, tot
    # The overflow went elsewhere, with the quota named as the reason.
    assert tot["overflow"] > net, tot
    assert tot["overflow_quota_reason"] == tot["overflow"], tot

    # The ledger: every replica closed (handed its allowance back), so granted - returned in
    # `rc:q:{MODEL}` is exactly what was consumed: requests kept, tokens as settled.
    h = {k.decode(): float(v) for k, v in redis_server.client().hgetall(f"rc:q:{{{MODEL}}}").items()}
    assert math.isclose(h["g0"] - h.get("r0", 0.0), net, abs_tol=1e-6), (h, net)
    assert math.isclose(h["g1"] - h.get("r1", 0.0), tot["tokens"], rel_tol=1e-9, abs_tol=1e-3), h
    print(
        f"\n{REPLICAS} replicas, {MODEL} at {RPM:.0f} rpm: admitted {net:.0f} "
        f"(bound {RPM + RPM * span_s / 60:.0f}), overflow to the next model {tot['overflow']:.0f}, "
        f"round trips {sum(r['stats']['round_trips'] for r in results)}, "
        f"quota sync fetches {sum(r['stats']['quota_sync_fetches'] for r in results)}"
    )


def _to_model(router: routecore.Router, n: int) -> int:
    """Route `n` T1 requests; how many got MODEL as primary (the rest must have overflowed)."""
    got = 0
    for _ in range(n):
        d = router.route(PROMPT, tenant="acme", model="routecore/t1", max_tokens=50)
        got += d.model == MODEL
    return got


def _wait_mode(router: routecore.Router, mode: str) -> None:
    deadline = time.monotonic() + 10
    while router.state.stats()["mode"] != mode:
        assert time.monotonic() < deadline, router.state.stats()
        time.sleep(0.02)


def test_quota_outage_falls_back_to_a_local_share_and_recovers(redis_server: RedisServer) -> None:
    # 40 rpm fleet-wide; with Redis gone a replica keeps 40 / 4 of it on its own buckets.
    text = quota_config(redis_server.url).replace(f"requests_per_min = {RPM}", "requests_per_min = 40.0")
    router = routecore.Router.from_toml(
        text.replace(f"expected_replicas = {REPLICAS}", "expected_replicas = 4")
    )
    try:
        assert 40 <= _to_model(router, 60) <= 41, "Redis's bucket, plus at most a second's refill"
        redis_server.stop()
        _to_model(router, 1)  # the synchronous lease notices at once (else the thread does)
        _wait_mode(router, "fallback")
        assert _to_model(router, 30) == 10, "limit / expected_replicas while Redis is down"
        redis_server.start()  # restarted empty: every bucket is full again
        _wait_mode(router, "leased")
        # What Redis said before the outage (dry for 1.5 s: one request's refill) still holds
        # locally; after that the fresh bucket serves again.
        time.sleep(1.6)
        assert 40 <= _to_model(router, 60) <= 41
    finally:
        router.close()


def worker(config_path: str, duration_s: float, seed: int) -> None:
    """One replica routing T1 requests at full speed; settles what MODEL served with a random
    actual usage (one in ten released). Prints one JSON line of counts and the backend's stats."""
    from routecore.errors import RouteError

    rnd = random.Random(seed)
    router = routecore.Router(config_path)
    acc = dict.fromkeys(["primary", "released", "tokens", "overflow", "overflow_quota_reason", "errors"], 0.0)
    skipped = f"skipped {MODEL}: provider quota exhausted"
    start_at = wait_for_start()
    while time.time() < start_at:
        time.sleep(0.001)
    end = start_at + duration_s
    while time.time() < end:
        try:
            d = router.route(PROMPT, tenant="acme", model="routecore/t1", max_tokens=50)
        except RouteError:
            acc["errors"] += 1
            continue
        if d.model != MODEL:
            acc["overflow"] += 1
            acc["overflow_quota_reason"] += skipped in d.reasons
            router.release(d)
            continue
        acc["primary"] += 1
        if rnd.random() < 0.1:
            router.release(d)
            acc["released"] += 1
            continue
        out = rnd.randint(0, 100)
        router.reconcile(d, d.input_tokens, out)
        acc["tokens"] += d.input_tokens + out
    stats = router.state.stats()
    router.close()
    print(json.dumps({**acc, "stats": stats}), flush=True)


if __name__ == "__main__":
    worker(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]))
