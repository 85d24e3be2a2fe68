"""Redis killed (or hung) and brought back while three replicas route at full speed: no
process crashes or hangs, the budgets follow the configured mode during the outage, and the
replicas return to leasing by themselves with Redis's buckets consistent."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from redis_support import RedisServer, redis_server, run_workers, state_toml

__all__ = ["redis_server"]

DURATION_S = 5.0
DELAY_S = 1.5


@pytest.mark.parametrize(
    ("mode", "fault"), [("fail_open", "kill"), ("fail_closed", "kill"), ("fail_open", "hang")]
)
def test_outage_follows_the_mode_and_recovers(
    redis_server: RedisServer, tmp_path: Path, mode: str, fault: str
) -> None:
    cfg = tmp_path / "routecore.toml"
    limits: dict[str, dict[str, object]] = {"acme": {"requests_per_min": 1e7, "tokens_per_min": 1e9}}
    cfg.write_text(state_toml(redis_server.url, limits, mode=mode, expected_replicas=3, timeout_ms=50.0))
    procs = run_workers(str(cfg), 3, DURATION_S, delay_s=DELAY_S)
    time.sleep(DELAY_S + 1.0)
    assert redis_server.proc is not None
    if fault == "kill":
        redis_server.stop()
        time.sleep(1.5)
        redis_server.start()
    else:
        os.kill(redis_server.proc.pid, signal.SIGSTOP)
        time.sleep(1.5)
        os.kill(redis_server.proc.pid, signal.SIGCONT)
    results = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    for r in results:
        s, acme = r["stats"], r["tenants"]["acme"]
        assert s["outages"] >= 1, s
        assert s["mode"] == "leased" and s["up"], "recovered by itself"
        assert acme["late_admitted"] > 0, "admitting again after the outage"
        if mode == "fail_open":
            assert "fallback" in r["modes"] or s["outages"] >= 1
            assert acme["unavailable"] == 0
        else:
            assert acme["unavailable"] > 0, "fail_closed refuses during the outage"
    # Consistent after recovery: levels within ±capacity, ledger counters sane.
    h = {k.decode(): float(v) for k, v in redis_server.client().hgetall("rc:b:{acme}").items()}
    assert -1e7 <= h["l0"] <= 1e7 and -1e9 <= h["l1"] <= 1e9, h
    assert h.get("g0", 0.0) >= 0.0
