"""Helpers for the provider/resilience tests: a config pointing at the mock, a router stand-in
that records reconcile/release (until the real Router exposes complete/stream), and a runner."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import uvloop

from routecore.dispatch import Dispatcher
from routecore.providers import ChatRequest
from routecore.resilience.health import HealthSink

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


@dataclass
class FakeDecision:
    model: str
    fallbacks: list[str] = field(default_factory=list)
    tier: int = 0
    input_tokens: int = 10
    request_id: str = "req-1"
    capability: str = "chat"
    estimated_cost_usd: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class FakeRouter:
    """Stands in for routecore.Router's budget API; records what the dispatcher reports."""

    config: dict[str, Any]
    reconciled: list[tuple[str, int, int]] = field(default_factory=list)
    released: list[str] = field(default_factory=list)

    def reconcile(self, decision: Any, input_tokens: int, output_tokens: int, *,
                  model: str | None = None) -> float | None:
        self.reconciled.append((decision.request_id, input_tokens, output_tokens))
        return None

    def release(self, decision: Any) -> None:
        self.released.append(decision.request_id)


def dispatcher(config: dict[str, Any], health: HealthSink | None = None,
               env: Mapping[str, str] | None = None) -> tuple[Dispatcher, FakeRouter]:
    router = FakeRouter(config)
    return Dispatcher(router, health=health, env=env or {"MOCK_KEY": "sk-test-SECRET-1234"}), router


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
