"""Shared pieces of the gateway tests: a routing config over the mock provider, keys for a few
tenants, and a running gateway (uvicorn on a loopback socket) in front of both."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import routecore
from routecore.server.app import Gateway
from routecore.server.auth import sha256_hex
from routecore.server.harness import ServerThread
from routecore.server.settings import ServerSettings, TenantKey
from routecore.testing.mock_provider import MockProvider

KEYS = {"acme": "rk-acme-CANARY-tenant-key-1111", "globex": "rk-globex-2222", "tiny": "rk-tiny-3333",
        "narrow": "rk-narrow-4444"}
ADMIN = "adm-CANARY-admin-token-9999"
PROVIDER_KEY = "sk-CANARY-provider-key-0000"


def model(url: str, name: str, provider: str = "openai", ttft_ms: float = 20.0) -> dict[str, Any]:
    return {"provider": provider, "api_base": url + "/v1", "api_key_env": "GW_TEST_PROVIDER_KEY",
            "upstream_model": name, "input_cost_per_1k": 0.001, "output_cost_per_1k": 0.002,
            "context_window": 100_000, "max_output_tokens": 512, "ttft_ms": ttft_ms}


def config(url: str) -> dict[str, Any]:
    tier = {"latency_budget_ms": 400.0, "first_token_timeout_ms": 400.0, "total_timeout_ms": 3000.0,
            "success_target": 0.99}
    return {
        "models": {"alpha": model(url, "alpha"), "beta": model(url, "beta"),
                   "claude-x": model(url, "claude-x", "anthropic"), "gamma": model(url, "gamma")},
        "tiers": [{**tier, "name": "T0", "models": ["alpha", "beta"]},
                  {**tier, "name": "T1", "models": ["gamma", "claude-x"]}],
        "scoring": {"thresholds": [95.0]},
        "resilience": {"hedge": False, "max_attempts": 4, "backoff_base_ms": 5.0, "backoff_max_ms": 20.0},
        "tenants": {"default": {"requests_per_min": 100_000, "tokens_per_min": 10_000_000},
                    "tiny": {"requests_per_min": 1, "tokens_per_min": 100_000},
                    "narrow": {"requests_per_min": 1000, "allowed_models": ["alpha"]}},
    }


def settings(**over: Any) -> ServerSettings:
    keys = {sha256_hex(k): TenantKey(t) for t, k in KEYS.items()}
    return ServerSettings(api_keys=keys, admin_token_sha256=sha256_hex(ADMIN)).with_(**over)


@dataclass
class Env:
    mock: MockProvider
    server: ServerThread

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def app(self) -> Gateway:
        return self.server.app


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProvider]:
    os.environ["GW_TEST_PROVIDER_KEY"] = PROVIDER_KEY
    with MockProvider().start() as m:
        yield m


def start(mock: MockProvider, **over: Any) -> ServerThread:
    return ServerThread(Gateway(settings(**over), routecore.Router(config(mock.url)), "test")).start()


@pytest.fixture()
def gw(mock: MockProvider) -> Iterator[Env]:
    mock.reset()
    srv = start(mock)
    try:
        yield Env(mock, srv)
    finally:
        srv.stop()
