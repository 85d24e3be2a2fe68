"""``POST /admin/reload``: validate a new routing config completely, then swap it in atomically.
Invalid config is refused with every error and the old one keeps serving. Requests already
running finish on the config they started with (state.py).

Body (optional JSON): ``{"config": "<TOML text>"}`` or ``{"config_json": {...}}``; without one
the config file the server was started with is read again. Note that budgets and health live in
the router, so a reload starts them afresh."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from routecore.errors import ConfigError
from routecore.router import Router
from routecore.server.auth import check_admin
from routecore.server.errors import ApiError
from routecore.server.http import dumps, send_bytes

if TYPE_CHECKING:
    from routecore.server.app import Ctx, Gateway


def _build(app: Gateway, body: dict[str, Any]) -> tuple[Router, str]:
    if isinstance(body.get("config"), str):
        return Router.from_toml(body["config"]), "admin:toml"
    if isinstance(body.get("config_json"), dict):
        return Router(body["config_json"]), "admin:json"
    if body:
        raise ApiError(400, "invalid_request", "Send {\"config\": \"<TOML>\"}, {\"config_json\": {...}} "
                       "or an empty body to re-read the config file.")
    path = app.settings.config_path
    if path is None:
        raise ApiError(400, "no_config_file", "The server runs on the embedded config; send the new "
                       "config in the body.")
    try:
        return Router(path), path
    except OSError as e:
        raise ApiError(400, "config_unreadable", f"Cannot read {path}: {e.strerror}.") from None


async def reload(app: Gateway, ctx: Ctx) -> None:
    check_admin(app.settings, ctx.req.headers)
    ctx.tenant = "admin"
    raw = await ctx.req.body(app.settings.max_body_bytes)
    body = _json_or_empty(raw)
    try:
        router, source = _build(app, body)
    except ConfigError as e:
        app.metrics.reloads.labels("rejected").inc()
        errors = [{"path": k, "message": m} for k, m in e.errors] or [{"path": "", "message": e.message}]
        ctx.status = 400
        payload = {"error": {"message": "The new config is invalid; the current config keeps serving.",
                             "type": "invalid_request_error", "code": "invalid_config", "param": None,
                             "errors": errors}}
        await send_bytes(ctx.req.send, 400, dumps(payload))
        return
    gen = app.current.swap(router, source)
    app.metrics.reloads.labels("ok").inc()
    await send_bytes(ctx.req.send, 200, dumps({"status": "reloaded", "config_generation": gen.number,
                                               "source": source, "models": router.models}))


def _json_or_empty(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(400, "invalid_json", "The reload body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The reload body must be a JSON object.")
    return data
