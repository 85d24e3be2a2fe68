"""Server CPU per upstream delta: what a long answer costs the gateway, beyond its fixed cost.

bench_gateway.py's answers have 4 deltas, so its CPU µs/req is almost all fixed cost. A real
answer has hundreds, and each passes the SSE decoder, the provider's parser, the timeout layer
and (streamed to the client) a JSON encoding and a socket write. Here the same server answers
the same prompt with the mock programmed for 4 and for 404 content deltas (sent back to back),
non-streamed and streamed to the client; the slope is the cost of one delta. Server CPU is
user + system time from /proc, so the kernel's share of receiving and sending counts too.

    pytest benches/bench_gateway_deltas.py -s

Measured (2026-12-07, quiet box): non-streamed 9.1 µs a delta; streamed 12.8 µs (17.3 before the
stream chunks skipped `_json.dumps`' NaN walk).
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench_gateway import SERVER_CPU, _config, _server_cmd, pinned_mock, wait_listening

REQUESTS = 200  # per measured run; each 404-delta answer is ~70 KB of SSE


def _program(mock_port: int, tokens: int) -> None:
    c = http.client.HTTPConnection("127.0.0.1", mock_port)
    c.request("POST", "/_mock/program", json.dumps({"scenario": {"tokens": tokens}}).encode())
    r = c.getresponse()
    assert r.status == 200, r.read()
    c.close()


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, int, int]]:
    mock, mock_port = pinned_mock()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(_config(mock.url), f)
    port = 20000 + (os.getpid() + 7) % 20000
    env = {**os.environ, "ROUTECORE_SERVER_ALLOW_ANONYMOUS": "true", "ROUTECORE_SERVER_CONFIG_PATH": f.name}
    proc = subprocess.Popen(["taskset", "-c", str(min(SERVER_CPU)), *_server_cmd(port)], env=env,
                            stderr=subprocess.DEVNULL)
    wait_listening(port, proc, 30)
    yield port, mock_port, proc.pid
    proc.terminate()
    proc.wait(30)
    mock.close()
    os.unlink(f.name)


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


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_server_cpu_per_delta(server: tuple[int, int, int], stream: bool) -> None:
    port, mock_port, pid = server
    per_req: dict[int, list[float]] = {}
    for tokens in (4, 404, 4, 404):
        _program(mock_port, tokens)
        assert _run(port, stream, 20) == tokens  # warm, and the answer really has them all
        t = _cpu_s(pid)
        _run(port, stream, REQUESTS)
        per_req.setdefault(tokens, []).append((_cpu_s(pid) - t) / REQUESTS * 1e6)
    short, long = min(per_req[4]), min(per_req[404])
    per_delta = (long - short) / 400
    print(f"\n{'streamed' if stream else 'whole'}: server CPU {short:.0f} us/request at 4 deltas, "
          f"{long:.0f} at 404: {per_delta:.2f} us per delta")
    # Generous: catches a per-delta cost that has gone quadratic or grown several-fold.
    assert 0 < per_delta < 60.0
