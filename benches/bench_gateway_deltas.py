"""Server CPU per upstream delta: what a long answer costs the gateway, beyond its fixed cost.

bench_gateway.py's answers have 4 deltas, so its CPU µs/req is almost all fixed cost. A real
answer has hundreds, and each passes the SSE decoder, the provider's parser, the timeout layer
and (streamed to the client) a JSON encoding and a socket write. Here the same server answers
the same prompt with the mock programmed for 4 and for 404 content deltas (sent back to back),
non-streamed and streamed to the client; the slope is the cost of one delta. Server CPU is
user + system time from /proc, so the kernel's share of receiving and sending counts too.

    pytest benches/bench_gateway_deltas.py -s

Two pacings: a burst (the deltas back to back, so they arrive together) and deltas 1 ms apart, as
a provider streams them (each is then read, parsed and passed on by itself).

Measured (2026-12-07, quiet box), µs of server CPU per delta:

| pacing | whole answer | streamed to the client |
|---|---|---|
| burst | 9.0 | 12.9 (17.3 before stream chunks skipped `_json.dumps`' NaN walk) |
| 1 ms apart | 30–37 | 57–62 |

A no-op uvloop protocol receiving one packet a millisecond costs 14.3 µs of CPU per packet on
this VM (the wake-up, `epoll_wait`, `recv`, the ACK): the floor under the spaced figures. The
rest is the wake of the reading task through the async generators (drain -> `Provider.deltas`
-> `H1Reply.chunks` -> a future) on every delta, and, streamed, a write to the client.
"""

from __future__ import annotations

import http.client
import json
import subprocess

import pytest

# `stack`: the pinned mock and `routecore serve`, as bench_gateway.py runs them.
from bench_gateway import _cpu_s, stack  # noqa: F401

REQUESTS = 200  # per measured run; each 404-delta answer is ~70 KB of SSE


def _program(mock_port: int, tokens: int, inter_token_ms: float) -> None:
    c = http.client.HTTPConnection("127.0.0.1", mock_port)
    scenario = {"tokens": tokens, "inter_token_ms": inter_token_ms}
    c.request("POST", "/_mock/program", json.dumps({"scenario": scenario}).encode())
    r = c.getresponse()
    assert r.status == 200, r.read()
    c.close()


def _run(port: int, stream: bool, n: int) -> int:
    """n sequential requests on one keep-alive connection; the content deltas seen in the last."""
    body = json.dumps({"model": "auto", "stream": stream,
                       "messages": [{"role": "user", "content": "say hello"}]}).encode()
    c = http.client.HTTPConnection("127.0.0.1", port)
    raw = b""
    for _ in range(n):
        c.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
        r = c.getresponse()
        raw = r.read()
        assert r.status == 200, raw[:200]
    c.close()
    if stream:
        return sum(1 for line in raw.split(b"\n\n") if b'"content":"tok' in line)
    return len(json.loads(raw)["choices"][0]["message"]["content"].split())


# (label, deltas in the long answer, ms between deltas, measured requests)
PACING = [("burst", 404, 0.0, REQUESTS), ("spaced", 104, 1.0, 40)]


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize(("pacing", "tokens", "gap_ms", "n"), PACING, ids=[p[0] for p in PACING])
def test_server_cpu_per_delta(stack: tuple[int, int, subprocess.Popen[bytes]], stream: bool,  # noqa: F811
                              pacing: str, tokens: int, gap_ms: float, n: int) -> None:
    port, mock_port, proc = stack
    pid = proc.pid
    per_req: dict[int, list[float]] = {}
    for count in (4, tokens, 4, tokens):
        _program(mock_port, count, gap_ms)
        assert _run(port, stream, 5) == count  # warm, and the answer really has them all
        t = _cpu_s(pid)
        _run(port, stream, n)
        per_req.setdefault(count, []).append((_cpu_s(pid) - t) / n * 1e6)
    short, long = min(per_req[4]), min(per_req[tokens])
    per_delta = (long - short) / (tokens - 4)
    print(f"\n{pacing} ({gap_ms:g} ms apart), {'streamed' if stream else 'whole'}: server CPU "
          f"{short:.0f} us/request at 4 deltas, {long:.0f} at {tokens}: {per_delta:.2f} us per delta")
    # Generous: catches a per-delta cost that has gone quadratic or grown several-fold.
    assert 0 < per_delta < (60.0 if gap_ms == 0 else 200.0)
