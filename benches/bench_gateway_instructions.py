"""Instructions per proxied request: `routecore serve` under callgrind, a load-independent
counterpart of bench_gateway.py's CPU µs/req (which on a shared 2-core box moves ±15% with the
neighbours' load, more than most single changes).

The server runs under ``valgrind --tool=callgrind --instr-atstart=no`` pinned to the server CPU,
the 0 ms mock on the other; after a warm-up, instrumentation is switched on and the counters
zeroed, N sequential keep-alive requests are sent (the same body as bench_gateway.py), and the
dump's total is divided by N. Repeated dumps in one process agree to ~0.05%; separate server
processes to ~1% (connection reuse and timer firings vary). User-space instructions only: a
change that saves syscalls (kernel time) does not show here, and one that saves cache misses
counts less than it is worth. Python functions are not broken out (callgrind sees the
interpreter); cProfile or a stubbed-router harness does that.

    ROUTECORE_BENCH_CALLGRIND=1 pytest benches/bench_gateway_instructions.py -s
    ROUTECORE_BENCH_CALLGRIND_N=300 (requests per dump), ROUTECORE_BENCH_CALLGRIND_REPS=2
    ROUTECORE_BENCH_CALLGRIND_KEEP=<dir> keeps the dumps there, for
    `callgrind_annotate --inclusive=yes <dir>/cg.<pid>.<n>` (by C function: uvloop, httptools,
    orjson, _core, the interpreter)
"""

from __future__ import annotations

import glob
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from bench_gateway import BODY, SERVER_CPU, _config, pinned_mock, wait_listening

N = int(os.environ.get("ROUTECORE_BENCH_CALLGRIND_N", "300"))
REPS = int(os.environ.get("ROUTECORE_BENCH_CALLGRIND_REPS", "2"))


def _total(path: str) -> int:
    with open(path) as f:
        for line in f:
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


@pytest.mark.skipif(os.environ.get("ROUTECORE_BENCH_CALLGRIND") != "1" or shutil.which("valgrind") is None,
                    reason="opt-in (ROUTECORE_BENCH_CALLGRIND=1) and needs valgrind")
def test_instructions_per_proxied_request() -> None:
    mock, _ = pinned_mock()
    keep = os.environ.get("ROUTECORE_BENCH_CALLGRIND_KEEP")
    out = keep or tempfile.mkdtemp(prefix="rc-callgrind-")
    os.makedirs(out, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(_config(mock.url), f)
    port = 20000 + os.getpid() % 20000
    env = {**os.environ, "ROUTECORE_SERVER_ALLOW_ANONYMOUS": "true", "ROUTECORE_SERVER_CONFIG_PATH": f.name}
    proc = subprocess.Popen(
        ["taskset", "-c", str(min(SERVER_CPU)), "valgrind", "--tool=callgrind", "--instr-atstart=no",
         f"--callgrind-out-file={out}/cg.%p", sys.executable, "-m", "routecore.cli", "serve", "--port",
         str(port)], env=env, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, proc, 300)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def run(n: int) -> None:
            for _ in range(n):
                conn.request("POST", "/v1/chat/completions", BODY, {"content-type": "application/json"})
                r = conn.getresponse()
                r.read()
                assert r.status == 200, r.status

        def ctl(*args: str) -> None:
            subprocess.run(["callgrind_control", *args, str(proc.pid)], check=True, capture_output=True)

        run(50)  # imports, pools, caches
        ctl("-i", "on")
        run(50)  # warm with instrumentation on (JIT-translated code)
        per: list[float] = []
        for _ in range(REPS):
            ctl("-z")
            run(N)
            ctl("-d")
            newest = max(glob.glob(f"{out}/cg.*"), key=os.path.getmtime)
            per.append(_total(newest) / N)
        print(f"\ninstructions per proxied request (callgrind, {N} sequential requests per dump): "
              + ", ".join(f"{x:,.0f}" for x in per))
        assert max(per) < 5_000_000  # a collapse, not a target: the figure is for SERVER.md
    finally:
        proc.terminate()
        proc.wait(120)
        mock.close()
        os.unlink(f.name)
        if not keep:
            shutil.rmtree(out, ignore_errors=True)
