"""The ASGI application: a route table of small handlers, one error path, one metrics path.

`Gateway(settings)` is a plain ASGI callable; `create_app()` builds one from the environment for
server factories (``uvicorn --factory``) and multi-worker runs."""

from __future__ import annotations

import gc
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from routecore.observe.hook import Observer
from routecore.observe.metrics import RouterMetrics
from routecore.observe.records import JsonlSink
from routecore.router import Router
from routecore.server.deferred import AfterResponse
from routecore.server.errors import ApiError, from_exception
from routecore.server.http import Receive, Request, Scope, Send, send_bytes
from routecore.server.metrics import Metrics
from routecore.server.overload import Admission
from routecore.server.routes import table as route_table
from routecore.server.settings import ServerSettings
from routecore.server.settings import load as load_settings
from routecore.server.state import Current, Generation

log = logging.getLogger("routecore.server")

Handler = Callable[["Gateway", "Ctx"], Awaitable[None]]
GC_YOUNG_THRESHOLD = 10_000


@dataclass(slots=True)
class Ctx:
    """One request's context and outcome (what metrics record when it ends)."""

    req: Request
    endpoint: str
    tenant: str = "-"
    model: str = "-"
    tier: str = "-"
    status: int = 200

    def outcome(self, model: str, tier: int) -> None:
        self.model, self.tier = model, str(tier)


class Gateway:
    def __init__(self, settings: ServerSettings, router: Router | None = None,
                 source: str | None = None) -> None:
        self.settings = settings
        if router is None:
            router = Router(settings.config_path)
            source = settings.config_path or "embedded"
        self.metrics = Metrics()
        # The library's metrics in the same registry, so /metrics serves both.
        self.router_metrics = RouterMetrics(self.metrics.registry)
        observers: list[Observer] = [AfterResponse(self.router_metrics)]
        self.records: JsonlSink | None = None
        if settings.records_path:
            self.records = JsonlSink(_records_path(settings))
            observers.append(self.records)
        if settings.otel_traces:
            from routecore.observe.otel import OtelObserver  # only now: the otel extra is optional

            observers.append(OtelObserver())
        self.current = Current(Generation(router, 1, source or "given"), observers)
        self.router_metrics.track(lambda: self.current.gen.router)
        self.admission = Admission(settings.max_in_flight, settings.max_queue,
                                   settings.queue_timeout_ms, settings.retry_after_s)
        # Read at scrape time: the admission count is the in-flight count, kept anyway.
        self.metrics.in_flight.set_function(lambda: self.admission.in_flight)
        self.table: dict[tuple[str, str], tuple[str, Handler]] = route_table()
        self.paths = {path for _, path in self.table}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        req = Request(scope, receive, send, time.perf_counter())
        entry = self.table.get((req.method, req.path))
        ctx = Ctx(req, entry[0] if entry else "other")
        try:
            if entry is None:
                raise _not_routed(req, req.path in self.paths)
            await entry[1](self, ctx)
        except Exception as exc:
            err = from_exception(exc)
            if err.status >= 500 and not isinstance(exc, ApiError):
                # Type only: a message might quote request content or a provider's reply.
                log.error("request failed: %s", type(exc).__name__)
            ctx.status = err.status
            if err.status == 503 and err.code == "overloaded":
                self.metrics.rejected.inc()
            self.metrics.errors.labels(ctx.endpoint, ctx.tenant, str(err.status), err.code).inc()
            body = err.anthropic_body() if req.path.startswith("/v1/messages") else err.openai_body()
            await send_bytes(send, err.status, body, headers=err.headers())
        self.metrics.answered(ctx.endpoint, ctx.tenant, ctx.model, ctx.tier, ctx.status,
                              time.perf_counter() - req.started)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                # Everything alive now (modules, config, the router) lives as long as the server:
                # out of the cyclic collector's sight. Young collections every 10,000 allocations,
                # not 700: each one re-walks every in-flight request's objects (~4% of a proxied
                # request's CPU at 400 req/s; benches/SERVER.md). Memory stays bounded.
                gc.freeze()
                gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                self.admission.draining = True
                await self.current.gen.router.aclose()
                if self.records is not None:
                    self.records.close()  # flushes what the drained requests recorded
                await send({"type": "lifespan.shutdown.complete"})
                return


def _not_routed(req: Request, known_path: bool) -> ApiError:
    if known_path:
        return ApiError(405, "method_not_allowed", f"{req.method} is not allowed on {req.path}.")
    return ApiError(404, "not_found", f"No endpoint {req.path}: see /v1/chat/completions, /v1/messages, "
                    "/v1/models, /v1/route, /v1/feedback.")


def _records_path(s: ServerSettings) -> Path:
    p = Path(s.records_path or "records.jsonl")
    # Several workers appending to one file could interleave partial lines: one file each.
    return p if s.workers == 1 else p.with_name(f"{p.stem}.{os.getpid()}{p.suffix}")


def create_app() -> Gateway:
    """Factory for server runners: settings from ``ROUTECORE_SERVER_CONFIG`` (file) and env."""
    settings = load_settings(os.environ.get("ROUTECORE_SERVER_CONFIG"), os.environ, {})
    return Gateway(settings)
