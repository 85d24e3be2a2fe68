"""``GET /dashboard``: a self-contained live page (inline CSS/JS, no CDN), and
``GET /dashboard/data``: the KPIs it polls — p95/p99 latency per tier against the tier's latency
budget, cost per interaction, tier mix, guard and verification failures, breaker states.

Access follows ``/metrics``: the data is aggregate across tenants (no prompt content, but one
tenant's traffic and spend is visible), so with an admin token configured it needs that token;
without one the gateway is in its open, local mode and so is the data. The page itself holds no
data and is always served; it reads the token from its URL fragment (``/dashboard#token=…``),
which browsers never send to the server, so it stays out of access logs and proxies."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from routecore.server.auth import check_admin
from routecore.server.http import dumps, send_bytes

if TYPE_CHECKING:
    from routecore.server.app import Ctx, Gateway

_PAGE = Path(__file__).with_name("dashboard.html")
_HEADERS = [(b"cache-control", b"no-store"),
            (b"content-security-policy",
             b"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
             b"connect-src 'self'")]


async def page(app: Gateway, ctx: Ctx) -> None:
    await send_bytes(ctx.req.send, 200, _PAGE.read_bytes(), b"text/html; charset=utf-8", headers=_HEADERS)


def data_of(app: Gateway) -> dict[str, Any]:
    gen = app.current.gen
    router = gen.router
    tiers = router.config.get("tiers") or []
    targets = {str(i): float(t["latency_budget_ms"]) for i, t in enumerate(tiers) if "latency_budget_ms" in t}
    names = {str(i): str(t.get("name", i)) for i, t in enumerate(tiers)}
    return {
        "config_generation": gen.number,
        "in_flight": app.admission.in_flight,
        "kpis": app.router_metrics.kpis.snapshot(targets, names),
        "breakers": {m: str(router.health(m).get("state")) for m in router.models},
    }


async def data(app: Gateway, ctx: Ctx) -> None:
    if app.settings.admin_token_sha256 is not None:
        check_admin(app.settings, ctx.req.headers)
    await send_bytes(ctx.req.send, 200, dumps(data_of(app)), headers=[(b"cache-control", b"no-store")])
