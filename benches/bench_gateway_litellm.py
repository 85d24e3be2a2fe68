"""The same fixed-load benchmark as bench_gateway.py against LiteLLM's proxy, for the comparison
in benches/SERVER.md. LiteLLM is not a dependency: install it in its own virtualenv and point
``ROUTECORE_BENCH_LITELLM`` at its ``litellm`` executable, e.g.

    python3 -m venv /tmp/litellm-venv && /tmp/litellm-venv/bin/pip install 'litellm[proxy]'
    ROUTECORE_BENCH_LITELLM=/tmp/litellm-venv/bin/litellm pytest benches/bench_gateway_litellm.py -s

Identical conditions: the proxy (one worker, default settings, master key required by recent
versions) pinned to the server CPU, the same 0 ms mock and load generator on the other, the same
request body and levels. Unfinished requests 30 s after a level's last send count as errors.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tempfile
from collections.abc import Iterator

import pytest
import uvloop

from bench_gateway import (
    NICE_NOTE,
    RATES,
    SECONDS,
    SERVER_CPU,
    _load,
    measure,
    pinned_mock,
    server_priority,
    table,
    wait_listening,
)

LITELLM = os.environ.get("ROUTECORE_BENCH_LITELLM")

pytestmark = pytest.mark.skipif(not LITELLM, reason="set ROUTECORE_BENCH_LITELLM to a litellm executable")


@pytest.fixture(scope="module")
def litellm() -> Iterator[tuple[int, int, subprocess.Popen[bytes], bytes]]:
    assert LITELLM is not None
    mock, mock_port = pinned_mock()
    cfg = {"model_list": [{"model_name": "auto", "litellm_params": {
        "model": "openai/m0", "api_base": mock.url + "/v1", "api_key": "sk-mock"}}]}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cfg, f)  # JSON is YAML
    key = "sk-" + secrets.token_hex(24)
    port = 20000 + (os.getpid() + 7) % 20000
    proc = subprocess.Popen(
        ["taskset", "-c", str(min(SERVER_CPU)), LITELLM, "--config", f.name, "--port", str(port),
         "--num_workers", "1"],
        env={**os.environ, "LITELLM_MASTER_KEY": key}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_listening(port, proc, 180)
    server_priority(proc.pid)
    yield port, mock_port, proc, f"authorization: Bearer {key}\r\n".encode()
    proc.terminate()
    proc.wait(60)
    mock.close()
    os.unlink(f.name)


def test_litellm_fixed_loads(litellm: tuple[int, int, subprocess.Popen[bytes], bytes]) -> None:
    port, mock_port, proc, auth = litellm
    warm = uvloop.run(_load(port, "/v1/chat/completions", 20, 2.0, auth))
    assert warm.ok > 0, "LiteLLM answered nothing: check its config and key"
    load0 = os.getloadavg()[0]
    rows = [measure(port, mock_port, proc.pid, rate, SECONDS, auth) for rate in RATES]
    load1 = os.getloadavg()[0]
    print("\n" + table(rows, f"LiteLLM proxy (1 worker, pinned to CPU {min(SERVER_CPU)}{NICE_NOTE}) vs "
                             "direct-to-mock, "
                             f"{SECONDS:g} s per level, load average {load0:.1f} -> {load1:.1f}"))
    assert rows[0].via.ok > 0
