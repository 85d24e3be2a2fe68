"""One chat request, either dialect: authenticate, parse, take a work slot, route and call
(whole or streamed), write the answer with the decision in response headers.

Streams send their headers only once the first chunk is in hand, so everything that fails before
the first token (routing refusals, every provider down) still gets a proper error status."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from routecore.server.auth import authenticate
from routecore.server.errors import ApiError, from_exception
from routecore.server.http import Request, end_stream, send_bytes, sse_event, start_sse
from routecore.server.params import ChatParams, Overrides, overrides

if TYPE_CHECKING:
    from routecore.dispatch import CompletionStream
    from routecore.router import Router
    from routecore.server.app import Ctx, Gateway
    from routecore.server.dialect import Dialect, Events


def decision_headers(d: Any, model: str, overhead_s: float,
                     request_id: str | None = None) -> list[tuple[bytes, bytes]]:
    """``request_id``: the decision's, when the caller has it already (``Decision.request_id``
    formats a new string in the core on every read, ~900 instructions)."""
    return [
        (b"x-routecore-model", model.encode()),
        (b"x-routecore-tier", str(d.tier).encode()),
        (b"x-routecore-capability", d.capability.encode()),
        (b"x-routecore-estimated-cost-usd", f"{d.estimated_cost_usd:.8f}".encode()),
        (b"x-routecore-overhead-us", str(round(overhead_s * 1e6)).encode()),
        (b"x-routecore-request-id", (request_id or d.request_id).encode()),
    ]


async def handle_chat(app: Gateway, ctx: Ctx, dialect: Dialect) -> None:
    req = ctx.req
    grant = authenticate(app.settings, req.headers)
    ctx.tenant = grant.tenant
    ov = overrides(req.headers)
    p = dialect.parse(await req.json(app.settings.max_body_bytes))
    gen = app.current.gen.enter()
    try:
        # Plain acquire/release, not the `slot()` context manager: ~3 us less per request.
        await app.admission.acquire(ov.deadline_ms)
        try:
            if p.stream:
                await _stream(app, ctx, dialect, gen.router, p, ov, grant.user_tier)
            else:
                await _whole(app, ctx, dialect, gen.router, p, ov, grant.user_tier)
        finally:
            app.admission.release()
    finally:
        gen.leave()


async def _whole(app: Gateway, ctx: Ctx, dialect: Dialect, router: Router, p: ChatParams,
                 ov: Overrides, user_tier: str | None) -> None:
    c = await router.complete(
        p.messages, tenant=ctx.tenant, user_tier=user_tier, model=p.model, tools=p.tools,
        tool_choice=p.tool_choice, response_format=p.response_format, max_tokens=p.max_tokens,
        temperature=p.temperature, top_p=p.top_p, stop=p.stop, max_tier=ov.max_tier,
        deadline_ms=ov.deadline_ms, max_cost_usd=ov.max_cost_usd,
    )
    body = dialect.whole(c)
    # Ours = wall time minus the dispatcher's time with providers (which includes its own loop).
    overhead = max(0.0, time.perf_counter() - ctx.req.started - c.latency_ms / 1000.0)
    d = c.decision
    ctx.outcome(c.model, d.tier)
    await send_bytes(ctx.req.send, 200, body, headers=decision_headers(d, c.model, overhead, c.id))
    # Counted once the answer is out: the client need not wait for bookkeeping.
    app.metrics.served(ctx.endpoint, ctx.tenant, c.model, overhead, c.usage.input_tokens,
                       c.usage.output_tokens, d.estimated_cost_usd)


async def _stream(app: Gateway, ctx: Ctx, dialect: Dialect, router: Router, p: ChatParams,
                  ov: Overrides, user_tier: str | None) -> None:
    s = router.stream(
        p.messages, tenant=ctx.tenant, user_tier=user_tier, model=p.model, tools=p.tools,
        tool_choice=p.tool_choice, response_format=p.response_format, max_tokens=p.max_tokens,
        temperature=p.temperature, top_p=p.top_p, stop=p.stop, max_tier=ov.max_tier,
        deadline_ms=ov.deadline_ms, max_cost_usd=ov.max_cost_usd,
    )
    # For a stream, ours is everything before the first provider byte was asked for.
    overhead = time.perf_counter() - ctx.req.started
    try:
        try:
            first = await s.__anext__()
        except StopAsyncIteration:
            first = None
        d = s.decision
        model = str(first["model"]) if first is not None else d.model
        ctx.outcome(model, d.tier)
        app.metrics.overhead.labels(ctx.endpoint).observe(overhead)
        app.metrics.cost.labels(ctx.tenant, d.model).inc(d.estimated_cost_usd)
        w = dialect.writer(p)
        send = ctx.req.send
        await start_sse(send, decision_headers(d, model, overhead))
        await _events(send, w.start(d.request_id, model, d.input_tokens))
        pump = asyncio.ensure_future(_pump(send, w, s, first))
        watch = asyncio.ensure_future(_disconnected(ctx.req))
        done, _ = await asyncio.wait({pump, watch}, return_when=asyncio.FIRST_COMPLETED)
        if pump not in done:
            pump.cancel()  # the client went away: stop paying for the upstream
            ctx.status = 499
        watch.cancel()
        await asyncio.gather(pump, watch, return_exceptions=True)
        if pump in done:
            pump.result()
    finally:
        await s.aclose()
    if s.completion is not None:
        u = s.completion.usage
        app.metrics.tokens.labels(ctx.tenant, s.completion.model, "input").inc(u.input_tokens)
        app.metrics.tokens.labels(ctx.tenant, s.completion.model, "output").inc(u.output_tokens)


async def _pump(send: Any, w: Any, s: CompletionStream, first: dict[str, Any] | None) -> None:
    try:
        if first is not None:
            await _events(send, w.chunk(first))
            async for chunk in s:
                await _events(send, w.chunk(chunk))
        await _events(send, w.finish(s.completion.usage if s.completion is not None else None))
    except Exception as exc:  # headers are out: report in-band, then end the stream
        await _events(send, w.failed(from_exception(exc)))
    await end_stream(send)


async def _events(send: Any, events: Events) -> None:
    for name, data in events:
        await sse_event(send, data, name)


async def _disconnected(req: Request) -> None:
    while True:
        msg = await req.receive()
        if msg["type"] == "http.disconnect":
            return


__all__ = ["ApiError", "decision_headers", "handle_chat"]
