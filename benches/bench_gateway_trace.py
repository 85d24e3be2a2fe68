"""Where a proxied request's time goes, request by request: client, loopback, gateway, mock.

bench_gateway.py's figures are end to end; its `own` column (the gateway's overhead histogram)
covers only the app. This run puts timestamps on one clock (CLOCK_MONOTONIC, ``perf_counter`` in
every process) at each hand-off and joins them per request (an ``x-bench-seq`` header):

    client write -> [in] gateway's data_received -> [loop] the app's task starts
    -> [pre] upstream write -> [mock] first upstream bytes -> [body] last upstream bytes
    -> [post] the answer written -> [back] the client has the whole answer

``in`` and ``back`` are loopback plus waking the receiving process (on this VM an idle vCPU's
wake-up goes through the host); ``mock`` is the mock's round trip (it shares CPU 1 with the
client). The gateway also records its cyclic-GC pauses (``gc.callbacks``). The gateway here is
`routecore serve` with that instrumentation patched in (this file run as a script: a few µs
a request), pinned as in bench_gateway.py.

    ROUTECORE_BENCH_TRACE=1 pytest benches/bench_gateway_trace.py -s
    ROUTECORE_BENCH_RATES=500,1000 ROUTECORE_BENCH_SECONDS=20 (as bench_gateway.py)
    ROUTECORE_BENCH_TRACE_GC_YOUNG=2000: another young-generation GC threshold (server: 10,000)
"""

from __future__ import annotations

import contextvars
import gc
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
import uvloop

from bench_gateway import CPUS, RATES, SECONDS, SERVER_CPU, _config, _load, pinned_mock, wait_listening

TRACE = os.environ.get("ROUTECORE_BENCH_TRACE") == "1"
# Server-side stamps per request: [seq, in, loop, pre, mock, body, post] (absolute perf_counter).
_FIELDS = ("in", "loop", "pre", "mock", "body", "post")


def _instrument(out_path: str) -> None:
    """In the gateway process: patch the stamps in, dump them (and GC pauses) at shutdown."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from routecore.providers import h1
    from routecore.server import app as app_module
    from routecore.server.app import Gateway

    now = time.perf_counter
    arrived: contextvars.ContextVar[float] = contextvars.ContextVar("arrived", default=0.0)
    current: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("current", default=None)
    records: list[list[float]] = []
    gc_pauses: list[tuple[float, float, int]] = []  # (start, seconds, generation)
    gc_start = [0.0]

    data_received = HttpToolsProtocol.data_received

    def traced_data_received(self: Any, data: bytes) -> None:
        arrived.set(now())  # the ASGI task created inside copies this context
        data_received(self, data)

    app_call = Gateway.__call__

    async def traced_call(self: Any, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app_call(self, scope, receive, send)
            if scope["type"] == "lifespan":  # shut down (uvicorn re-raises SIGTERM after: no atexit)
                dump()
            return
        seq = next((int(v) for k, v in scope["headers"] if k == b"x-bench-seq"), -1)
        rec = [float(seq), arrived.get(), now(), 0.0, 0.0, 0.0, 0.0]
        current.set(rec)

        async def traced_send(msg: Any) -> None:
            await send(msg)
            if msg["type"] == "http.response.body" and not msg.get("more_body"):
                rec[6] = now()

        await app_call(self, scope, receive, traced_send)
        if seq >= 0:
            records.append(rec)

    conn_send = h1._Conn.send

    def traced_conn_send(self: Any, head: bytes, content: bytes) -> Any:
        rec = current.get()
        self.trace = rec
        if rec is not None:
            rec[3] = now()
        return conn_send(self, head, content)

    conn_data = h1._Conn.data_received

    def traced_conn_data(self: Any, data: bytes) -> None:
        rec = getattr(self, "trace", None)
        if rec is not None:
            t = now()
            if not rec[4]:
                rec[4] = t
            rec[5] = t
        conn_data(self, data)

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_start[0] = now()
        else:
            gc_pauses.append((gc_start[0], now() - gc_start[0], info["generation"]))

    def dump() -> None:
        Path(out_path).write_text(json.dumps({"records": records, "gc": gc_pauses}))

    young = os.environ.get("ROUTECORE_BENCH_TRACE_GC_YOUNG")
    if young:  # the GC experiment: another young-generation threshold than the server's own
        app_module.GC_YOUNG_THRESHOLD = int(young)
    HttpToolsProtocol.data_received = traced_data_received  # type: ignore[method-assign]
    Gateway.__call__ = traced_call  # type: ignore[method-assign]
    h1._Conn.send = traced_conn_send  # type: ignore[method-assign]
    h1._Conn.data_received = traced_conn_data  # type: ignore[method-assign]
    gc.callbacks.append(on_gc)


def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(len(s) * q))] * 1000 if s else float("nan")


def _report(rate: int, client: list[tuple[int, float, float, float]], server: dict[str, Any]) -> str:
    by_seq = {int(r[0]): r for r in server["records"]}
    rows: list[dict[str, float]] = []
    for seq, _scheduled, written, done in client:
        r = by_seq.get(seq)
        if r is None or not all(r[1:]):
            continue
        _, t_in, t_loop, t_pre, t_mock, t_body, t_post = r
        rows.append({"total": done - written, "in": t_in - written, "loop": t_loop - t_in,
                     "pre": t_pre - t_loop, "mock": t_mock - t_pre, "body": t_body - t_mock,
                     "post": t_post - t_body, "back": done - t_post, "t": written})
    if not rows:
        return f"{rate} req/s: no joined requests"
    names = ("total", "in", "loop", "pre", "mock", "body", "post", "back")
    out = [f"{rate} req/s, {len(rows)} requests joined (ms)",
           f"{'':>12}" + "".join(f"{n:>8}" for n in names)]
    for label, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99.9", 0.999)):
        out.append(f"{label:>12}" + "".join(f"{_pct([r[n] for r in rows], q):>8.3f}" for n in names))
    cut = _pct([r["total"] for r in rows], 0.99) / 1000
    slow = [r for r in rows if r["total"] >= cut]
    # For the requests at or over the p99: the mean of each segment, and which one was largest.
    out.append(f"{'slowest 1%':>12}" + "".join(
        f"{1000 * sum(r[n] for r in slow) / len(slow):>8.3f}" for n in names))
    worst: dict[str, int] = {}
    for r in slow:
        k = max(names[1:], key=lambda n: r[n])
        worst[k] = worst.get(k, 0) + 1
    out.append("  largest segment of the slowest 1%: "
               + ", ".join(f"{k} {v}" for k, v in sorted(worst.items(), key=lambda kv: -kv[1])))
    t0, t1 = rows[0]["t"], rows[-1]["t"] + 0.05
    pauses = [(s, d, g) for s, d, g in server["gc"] if t0 <= s <= t1]
    if pauses:
        durs = sorted(d for _, d, _ in pauses)
        hit = sum(1 for r in slow if any(s - 0.005 <= r["t"] <= s + d for s, d, _ in pauses))
        out.append(f"  GC during the level: {len(pauses)} collections (gen "
                   + "/".join(str(sum(1 for p in pauses if p[2] == g)) for g in range(3))
                   + f"), pause p50 {1000 * durs[len(durs) // 2]:.2f} ms, max {1000 * durs[-1]:.2f} ms, "
                   f"total {1000 * sum(durs):.1f} ms; slowest-1% requests sent within 5 ms before "
                   f"or during one: {hit} of {len(slow)}")
    else:
        out.append("  GC during the level: none")
    return "\n".join(out)


@pytest.mark.skipif(not TRACE, reason="opt-in: ROUTECORE_BENCH_TRACE=1")
def test_where_the_time_goes() -> None:
    mock, mock_port = pinned_mock()
    out = tempfile.mkdtemp(prefix="rc-trace-")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(_config(mock.url), f)
    port = 20000 + os.getpid() % 20000
    env = {**os.environ, "ROUTECORE_SERVER_ALLOW_ANONYMOUS": "true", "ROUTECORE_SERVER_CONFIG_PATH": f.name,
           "ROUTECORE_SERVER_MAX_IN_FLIGHT": "4096", "ROUTECORE_SERVER_MAX_QUEUE": "4096"}
    reports = []
    try:
        for rate in RATES:  # a fresh server per level: its dump is that level's
            dump = f"{out}/server-{rate}.json"
            proc = subprocess.Popen(["taskset", "-c", str(min(SERVER_CPU)), sys.executable, __file__,
                                     dump, "--port", str(port)], env=env)
            try:
                wait_listening(port, proc, 30)
                uvloop.run(_load(port, "/v1/chat/completions", 500, 1.0))  # warm up
                direct = uvloop.run(_load(mock_port, "/v1/chat/completions", rate, SECONDS))
                client: list[tuple[int, float, float, float]] = []
                load0 = os.getloadavg()[0]
                via = uvloop.run(_load(port, "/v1/chat/completions", rate, SECONDS, trace=client))
                load1 = os.getloadavg()[0]
            finally:
                proc.terminate()
                proc.wait(30)
            server = json.loads(Path(dump).read_text())
            reports.append(f"\n{SECONDS:g} s, load {load0:.1f} -> {load1:.1f}; direct-to-mock p50/p99 "
                           f"{direct.p50_ms:.3f}/{direct.p99_ms:.3f} ms, via p50/p99 {via.p50_ms:.3f}/"
                           f"{via.p99_ms:.3f} ms, answered {via.ok}/{via.sent}\n"
                           + _report(rate, client, server))
    finally:
        mock.close()
        os.unlink(f.name)
        os.sched_setaffinity(0, set(CPUS))
    print("\n".join(reports))


def _ping_pong(same_cpu: bool, n: int = 5000, gap_s: float = 0.002) -> list[float]:
    """Round trips of one byte over a socketpair to a child process, both idle in between (as
    at 500 req/s): on this CPU, or on the other one. Microseconds at p50/p90/p99/p99.9."""
    a, b = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the echo
        os.sched_setaffinity(0, {CPUS[0] if same_cpu else CPUS[-1]})
        a.close()
        while data := b.recv(64):
            b.send(data)
        os._exit(0)
    b.close()
    mask = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {CPUS[0]})
    rtt = []
    try:
        for _ in range(n):
            time.sleep(gap_s)
            t = time.perf_counter()
            a.send(b"x")
            a.recv(64)
            rtt.append(time.perf_counter() - t)
    finally:
        a.close()
        os.waitpid(pid, 0)
        os.sched_setaffinity(0, mask)
    rtt.sort()
    return [rtt[int(len(rtt) * q)] * 1e6 for q in (0.5, 0.9, 0.99, 0.999)]


@pytest.mark.skipif(not TRACE or len(CPUS) < 2, reason="opt-in: ROUTECORE_BENCH_TRACE=1, 2 CPUs")
def test_cross_cpu_wakeup() -> None:
    """What one hand-off between the two CPUs costs when the receiver's CPU is idle: the
    gateway path has four of them (client -> gateway -> mock -> gateway -> client), the direct
    path none (client and mock share a CPU)."""
    same, across = _ping_pong(True), _ping_pong(False)
    print("\nping-pong round trip, µs p50/p90/p99/p99.9: same CPU "
          + "/".join(f"{x:.0f}" for x in same) + ", across CPUs " + "/".join(f"{x:.0f}" for x in across))


if __name__ == "__main__":  # the instrumented gateway: bench_gateway_trace.py DUMP --port N
    _instrument(sys.argv[1])
    from routecore.cli import main

    sys.exit(main(["serve", *sys.argv[2:]]))
