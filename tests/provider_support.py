"""Helpers for the provider/resilience tests: a config pointing at the mock, the real Router over
it, decisions with a chosen primary and fallbacks, budget read-outs, and a runner."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, TypeVar

import uvloop

from routecore import Decision, Router
from routecore.dispatch import Dispatcher
from routecore.providers import ChatRequest

T = TypeVar("T")

USER = [{"role": "user", "content": "hello there"}]
REQ = ChatRequest(messages=USER)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return uvloop.run(coro)


def model_cfg(url: str, name: str, provider: str = "openai", **over: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "provider": provider, "api_base": url + "/v1", "api_key_env": "MOCK_KEY",
        "upstream_model": name, "input_cost_per_1k": 0.001, "output_cost_per_1k": 0.002,
        "context_window": 100_000, "max_output_tokens": 512, "ttft_ms": 20.0,
    }
    cfg.update(over)
    return cfg


def make_config(url: str, models: Mapping[str, Mapping[str, Any]] | list[str], *,
                tier: Mapping[str, Any] | None = None, **resilience: Any) -> dict[str, Any]:
    if isinstance(models, list):
        models = {m: {} for m in models}
    t = {"name": "T0", "latency_budget_ms": 300.0, "first_token_timeout_ms": 300.0,
         "total_timeout_ms": 2000.0, "success_target": 0.99, "models": list(models)}
    t.update(tier or {})
    res: dict[str, Any] = {"hedge": False, "max_attempts": 4, "backoff_base_ms": 5.0,
                           "backoff_max_ms": 50.0}
    res.update(resilience)
    return {
        "models": {name: model_cfg(url, name, **dict(over)) for name, over in models.items()},
        "tiers": [t],
        "resilience": res,
    }


BUDGET_USD = 1000.0  # per tenant, over a window so long that nothing refills during a test
KEY_ENV = {"MOCK_KEY": "sk-test-SECRET-1234"}


def router_for(cfg: dict[str, Any], chains: Mapping[str, Sequence[str]] | None = None) -> Router:
    """The real Router over ``cfg`` with one tier, whose model order is the fallback order. Each
    ``chains`` entry is a tenant allowed only those models: ``pin(router, m, chain=name)`` then
    has exactly those fallbacks. Every tenant has a USD budget, so ``spent_usd`` shows what
    reconcile charged and that release gave back."""
    cfg = {**cfg, "scoring": {"thresholds": []}}
    budget = {"usd_per_window": BUDGET_USD, "usd_window_s": 1e15}
    cfg["tenants"] = {"default": budget,
                      **{name: {**budget, "allowed_models": list(ms)} for name, ms in (chains or {}).items()}}
    return Router(cfg)


def pin(router: Router, model: str, *, chain: str | None = None, **route: Any) -> Decision:
    """A real decision for ``USER`` with ``model`` as primary (fallbacks: its tier or chain)."""
    return router.route(USER, model=model, tenant=chain, **route)


def dispatcher(router: Router) -> Dispatcher:
    return Dispatcher(router, env=KEY_ENV)


def spent_usd(router: Router, tenant: str = "default") -> float:
    levels = router.budget_levels(tenant)
    return 0.0 if levels is None or levels["usd"] is None else BUDGET_USD - levels["usd"]


def cost_usd(router: Router, model: str, input_tokens: int, output_tokens: int) -> float:
    m = router.config["models"][model]
    return (input_tokens * m["input_cost_per_1k"] + output_tokens * m["output_cost_per_1k"]) / 1000.0


async def collect(stream: Any) -> list[dict[str, Any]]:
    return [c async for c in stream]


def text_of(chunks: list[dict[str, Any]]) -> str:
    out = []
    for c in chunks:
        for ch in c.get("choices", []):
            out.append(ch["delta"].get("content") or "")
    return "".join(out)


async def sleep_ms(ms: float) -> None:
    await asyncio.sleep(ms / 1000.0)
