"""A real `redis-server` for tests and benchmarks: on 127.0.0.1, a free port, no persistence,
stopped afterwards. `RedisServer.stop()`/`start()` (same port) simulate an outage."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import pytest

__all__ = ["RedisServer", "redis_server", "run_workers", "state_toml", "wait_for_start"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RedisServer:
    def __init__(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.skip("redis-server is not installed (apt-get install -y redis-server)")
        self.exe = exe
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="rc-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.exe,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def client(self):  # type: ignore[no-untyped-def]
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=2)


def run_workers(
    config_path: str, n: int, duration_s: float, *, delay_s: float = 0.5, script: str = __file__
) -> list[subprocess.Popen[str]]:
    """Start `n` replica processes (`script`'s `worker`, by default this file's) and release
    them together `delay_s` after the last one is ready (see `wait_for_start`). A start time
    fixed before launch is not enough: on a loaded 2-core CI box, starting Python and compiling
    the router took longer than the whole run, and the replicas then did nothing at all."""
    procs = [
        subprocess.Popen(
            [sys.executable, script, config_path, str(duration_s), str(seed)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(n)
    ]
    for p in procs:
        assert p.stdout is not None
        line = p.stdout.readline()  # "" if the replica died first: EOF, so this cannot hang
        if line.strip() != "ready":
            for q in procs:
                q.kill()
            raise AssertionError(f"a replica did not start: {line!r}\n{p.communicate()[1]}")
    start_at = time.time() + delay_s
    for p in procs:
        assert p.stdin is not None
        p.stdin.write(f"{start_at!r}\n")
        p.stdin.flush()  # left open: communicate() closes it
    return procs


def wait_for_start() -> float:
    """A replica's half of `run_workers`' barrier: say it is ready (router built), then wait for
    the common start time (wall clock)."""
    print("ready", flush=True)
    return float(sys.stdin.readline())


@pytest.fixture()
def redis_server() -> Iterator[RedisServer]:
    srv = RedisServer()
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
        shutil.rmtree(srv.dir, ignore_errors=True)


def state_toml(url: str, tenants: dict[str, dict[str, object]] | None = None, **state: object) -> str:
    """The embedded default config plus `tenants` (name → limits) and a Redis `[state]` section."""
    import routecore

    out = [routecore.default_config_toml()]
    for name, limits in (tenants or {"acme": {"requests_per_min": 1e9}}).items():
        out.append(f"\n[tenants.{name}]")
        out += [f"{k} = {json.dumps(v)}" for k, v in limits.items()]
    out += ["\n[state]", 'backend = "redis"', f'url = "{url}"']
    out += [f"{k} = {json.dumps(v)}" for k, v in state.items()]
    return "\n".join(out) + "\n"


def worker(config_path: str, duration_s: float, seed: int) -> None:
    """One replica hammering every named tenant round-robin, at full speed, for `duration_s`
    from the common start (`wait_for_start`; wall clock). Each admitted request is settled with
    a random actual usage (overrunning its estimate up to 2x) or, one in ten, released. Prints
    one JSON line: per tenant what was admitted and consumed, plus the backend's stats."""
    import random

    import routecore
    from routecore.errors import BudgetExceeded, StateUnavailableError

    rnd = random.Random(seed)
    router = routecore.Router(config_path)
    names = [t for t in router.config["tenants"] if t != "default"]
    acc = {
        t: dict.fromkeys(
            [
                "admitted",
                "released",
                "tokens",
                "tokens_over",
                "usd",
                "usd_over",
                "refused",
                "unavailable",
                "late_admitted",
            ],
            0.0,
        )
        for t in names
    }
    modes: set[str] = set()
    start_at = wait_for_start()
    while time.time() < start_at:
        time.sleep(0.001)
    end = start_at + duration_s
    i = 0
    while (now := time.time()) < end:
        t = names[i % len(names)]
        i += 1
        a = acc[t]
        try:
            d = router.route("hello, how are you today?", tenant=t, max_tokens=50)
        except BudgetExceeded:
            a["refused"] += 1
            continue
        except StateUnavailableError:
            a["unavailable"] += 1
            continue
        a["admitted"] += 1
        if now > end - 1.0:
            a["late_admitted"] += 1
        if rnd.random() < 0.1:
            router.release(d)
            a["released"] += 1
            continue
        out = rnd.randint(0, 100)
        cost = router.reconcile(d, d.input_tokens, out)
        a["tokens"] += d.input_tokens + out
        a["tokens_over"] += max(0, d.input_tokens + out - (d.input_tokens + d.output_tokens))
        a["usd"] += cost
        a["usd_over"] += max(0.0, cost - d.estimated_cost_usd)
        if i % 256 == 0:
            modes.add(router.state.stats().get("mode", "local"))
    stats = router.state.stats()
    router.close()
    print(json.dumps({"tenants": acc, "stats": stats, "modes": sorted(modes)}), flush=True)


if __name__ == "__main__":
    worker(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]))
