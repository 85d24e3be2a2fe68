"""A mock LLM provider that tells the truth: a real HTTP server on 127.0.0.1 speaking the OpenAI
chat-completions and Anthropic Messages wire formats (whole and SSE, tools included), programmable
per model name or per request (``x-mock-scenario`` header), with injectable faults.

In-process: ``with MockProvider().start() as mock: mock.program("m", Scenario(...))``.
Out of process: ``python -m routecore.testing.mock_provider --port 0`` (prints its URL), programmed
over ``POST /_mock/program``. Counters per model (``stats``) let tests check what reached the wire.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from routecore.testing.mock_http import Request, Responder, serve
from routecore.testing.mock_scenario import Scenario
from routecore.testing.mock_steps import Step, plan

OPENAI_PATH = "/v1/chat/completions"
ANTHROPIC_PATH = "/v1/messages"


@dataclass(slots=True)
class ModelStats:
    requests: int = 0
    completed: int = 0  # responses written to the end
    client_aborts: int = 0  # client closed the connection before the response ended
    faults: int = 0
    last_messages: list[Any] | None = None  # what the model last received (guard tests)


class MockProvider:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, seed: int = 0) -> None:
        self.host = host
        self.port = port
        self._rng = random.Random(seed)
        self._default = Scenario()
        self._scenarios: dict[str, Scenario] = {}
        self._stats: dict[str, ModelStats] = {}
        self._seq = 0
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ programming

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def program(self, model: str | None, scenario: Scenario) -> None:
        """Set the behaviour for a model name (None: the default for unknown names)."""
        if model is None:
            self._default = scenario
        else:
            self._scenarios[model] = scenario

    def reset(self) -> None:
        self._scenarios = {}
        self._default = Scenario()
        self._stats = {}

    def stats(self, model: str) -> ModelStats:
        return self._stats.setdefault(model, ModelStats())

    # ------------------------------------------------------------ lifecycle

    async def serve_async(self) -> asyncio.Server:
        self._server = await serve(self._handle, self._client_abort, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self._server

    def start(self) -> MockProvider:
        """Serve from a background thread with its own event loop; returns once listening."""
        ready = threading.Event()

        def run() -> None:
            loop = _new_loop()
            self._loop = loop
            loop.run_until_complete(self.serve_async())
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="mock-provider", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("mock provider did not start")
        return self

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is None or server is None:
            return

        def shutdown() -> None:
            server.close()
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.call_later(0.05, loop.stop)

        loop.call_soon_threadsafe(shutdown)
        if self._thread is not None:
            self._thread.join(5)
        self._loop = None

    def __enter__(self) -> MockProvider:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ serving

    def _client_abort(self, req: Request) -> None:
        self.stats(req.tag).client_aborts += 1

    def _handle(self, req: Request, resp: Responder) -> Any:
        if req.path.startswith("/_mock/"):
            return self._control(req, resp)
        if req.method != "POST" or req.path not in (OPENAI_PATH, ANTHROPIC_PATH):
            return resp.send(404, b'{"error":{"message":"not found","code":"not_found"}}')
        try:
            body = json.loads(req.body)
        except ValueError:
            return resp.send(400, b'{"error":{"message":"request body is not JSON","code":null}}')
        model = str(body.get("model", ""))
        req.tag = model
        stats = self.stats(model)
        stats.requests += 1
        stats.last_messages = body.get("messages")
        raw = req.headers.get("x-mock-scenario")
        scenario = Scenario.from_header(raw) if raw else self._scenarios.get(model, self._default)
        self._seq += 1
        steps, delayed = plan(
            scenario, req, body, anthropic=req.path == ANTHROPIC_PATH, rng=self._rng,
            rid=f"mock-{self._seq:08d}", request_no=stats.requests, stats_fault=lambda: _bump_fault(stats),
        )
        if not delayed:
            return _run_now(steps, resp, stats)
        return _run_later(steps, resp, stats)

    def _control(self, req: Request, resp: Responder) -> None:
        if req.path == "/_mock/program":
            data = json.loads(req.body)
            self.program(data.get("model"), Scenario.from_json(data.get("scenario", {})))
        elif req.path == "/_mock/reset":
            self.reset()
        elif req.path == "/_mock/stats":
            out = {k: asdict(v) for k, v in self._stats.items()}
            return resp.send(200, json.dumps(out).encode())
        elif req.path != "/_mock/health":
            return resp.send(404, b"{}")
        resp.send(200, b'{"ok":true}')


def _bump_fault(stats: ModelStats) -> None:
    stats.faults += 1


def _apply(step: Step, resp: Responder, stats: ModelStats) -> None:
    op, data = step.op, step.data
    if op == "chunk":
        resp.chunk(data)
    elif op == "start":
        resp.start(step.status, step.content_type)
    elif op == "end":
        resp.end()
        stats.completed += 1
    elif op == "whole":
        resp.send(step.status, data, step.content_type, step.headers)
        stats.completed += 1
    elif op == "raw":
        resp.raw(data)
    elif op == "abort":
        resp.abort(reset=True)


def _run_now(steps: Iterator[Step], resp: Responder, stats: ModelStats) -> None:
    for step in steps:
        _apply(step, resp, stats)


async def _run_later(steps: Iterator[Step], resp: Responder, stats: ModelStats) -> None:
    for step in steps:
        if step.delay_s > 0:
            await asyncio.sleep(step.delay_s)
        if resp.closed:
            return
        _apply(step, resp, stats)


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is optional for the mock
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class MockProcess:
    """A mock provider in a child process (no GIL shared with the client under test)."""

    def __init__(self, port: int = 0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "routecore.testing.mock_provider", "--port", str(port)],
            stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://"):
            self.close()
            raise RuntimeError(f"mock provider failed to start: {line!r}")
        self.url = line

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> MockProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def spawn(port: int = 0) -> MockProcess:
    return MockProcess(port)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scenario", default=None, help="default scenario as JSON")
    args = ap.parse_args(argv)
    mock = MockProvider(args.host, args.port, args.seed)
    if args.scenario:
        mock.program(None, Scenario.from_header(args.scenario))
    loop = _new_loop()
    server = loop.run_until_complete(mock.serve_async())
    print(mock.url, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        loop.run_until_complete(server.serve_forever())


if __name__ == "__main__":
    main()
