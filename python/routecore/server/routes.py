"""The route table and the small endpoints. Chat lives in chat.py, reload in admin.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from routecore.errors import InvalidRequestError
from routecore.server import admin, dashboard
from routecore.server.anthropic_compat import AnthropicDialect
from routecore.server.auth import authenticate, check_admin
from routecore.server.chat import handle_chat
from routecore.server.dialect import OpenAIDialect
from routecore.server.http import dumps, send_bytes
from routecore.server.params import openai_chat, overrides

if TYPE_CHECKING:
    from routecore.server.app import Ctx, Gateway, Handler

_OPENAI = OpenAIDialect()
_ANTHROPIC = AnthropicDialect()
TIER_ALIASES = ("auto", "routecore/t0", "routecore/t1", "routecore/t2", "routecore/t3")


async def chat_completions(app: Gateway, ctx: Ctx) -> None:
    await handle_chat(app, ctx, _OPENAI)


async def messages(app: Gateway, ctx: Ctx) -> None:
    await handle_chat(app, ctx, _ANTHROPIC)


async def models(app: Gateway, ctx: Ctx) -> None:
    grant = authenticate(app.settings, ctx.req.headers)
    ctx.tenant = grant.tenant
    router = app.current.gen.router
    tenants: dict[str, Any] = router.config.get("tenants") or {}
    allowed = (tenants.get(grant.tenant) or tenants.get("default") or {}).get("allowed_models")
    names = [*TIER_ALIASES, *(m for m in router.models if allowed is None or m in allowed)]
    data = [{"id": n, "object": "model", "created": 0, "owned_by": "routecore"} for n in names]
    await send_bytes(ctx.req.send, 200, dumps({"object": "list", "data": data}))


async def route(app: Gateway, ctx: Ctx) -> None:
    """The decision alone: no provider call, and the budget reservation is released at once."""
    grant = authenticate(app.settings, ctx.req.headers)
    ctx.tenant = grant.tenant
    ov = overrides(ctx.req.headers)
    p = openai_chat(await ctx.req.json(app.settings.max_body_bytes))
    router = app.current.gen.router
    d = router.route(
        p.messages,
        tenant=grant.tenant,
        user_tier=grant.user_tier,
        model=p.model,
        tools=p.tools,
        response_format=p.response_format,
        max_tokens=p.max_tokens,
        max_tier=ov.max_tier,
        deadline_ms=ov.deadline_ms,
        max_cost_usd=ov.max_cost_usd,
    )
    router.release(d)
    ctx.outcome(d.model, d.tier)
    await send_bytes(ctx.req.send, 200, dumps(d.to_dict()))


async def feedback(app: Gateway, ctx: Ctx) -> None:
    """How a request went (`{"request_id", "kind", "score", "latency_ms"}`); the bandit learns."""
    grant = authenticate(app.settings, ctx.req.headers)
    ctx.tenant = grant.tenant
    body = await ctx.req.json(app.settings.max_body_bytes)
    if not isinstance(body, dict) or not isinstance(body.get("request_id"), str):
        raise InvalidRequestError(
            'feedback needs a JSON object with a string "request_id"', path="request_id"
        )
    score = body.get("score")
    if score is not None and not isinstance(score, int | float):
        raise InvalidRequestError('"score" must be a number or a boolean', path="score")
    latency = body.get("latency_ms")
    if latency is not None and not isinstance(latency, int | float):
        raise InvalidRequestError('"latency_ms" must be a number', path="latency_ms")
    accepted = app.current.gen.router.feedback(
        body["request_id"], score=score, kind=str(body.get("kind", "thumbs")), latency_ms=latency
    )
    await send_bytes(ctx.req.send, 200, dumps({"accepted": accepted}))


async def health(app: Gateway, ctx: Ctx) -> None:
    await send_bytes(ctx.req.send, 200, b'{"status":"ok"}')


async def ready(app: Gateway, ctx: Ctx) -> None:
    a = app.admission
    gen = app.current.gen
    ok = not a.draining and not a.saturated
    body = {
        "status": "ready" if ok else ("draining" if a.draining else "saturated"),
        "config_generation": gen.number,
        "in_flight": a.in_flight,
        "waiting": a.waiting,
    }
    ctx.status = 200 if ok else 503
    await send_bytes(ctx.req.send, ctx.status, dumps(body))


async def metrics(app: Gateway, ctx: Ctx) -> None:
    # Per-tenant series are for operators only when an admin token exists.
    if app.settings.admin_token_sha256 is not None:
        check_admin(app.settings, ctx.req.headers)
    await send_bytes(ctx.req.send, 200, app.metrics.render(), app.metrics.content_type)


def table() -> dict[tuple[str, str], tuple[str, Handler]]:
    return {
        ("POST", "/v1/chat/completions"): ("chat_completions", chat_completions),
        ("POST", "/chat/completions"): ("chat_completions", chat_completions),
        ("POST", "/v1/messages"): ("messages", messages),
        ("GET", "/v1/models"): ("models", models),
        ("POST", "/v1/route"): ("route", route),
        ("POST", "/v1/feedback"): ("feedback", feedback),
        ("GET", "/health"): ("health", health),
        ("GET", "/ready"): ("ready", ready),
        ("GET", "/metrics"): ("metrics", metrics),
        ("POST", "/admin/reload"): ("admin_reload", admin.reload),
        ("GET", "/dashboard"): ("dashboard", dashboard.page),
        ("GET", "/dashboard/data"): ("dashboard_data", dashboard.data),
    }
