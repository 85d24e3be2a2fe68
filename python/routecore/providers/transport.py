"""Pooled HTTP clients, one per api_base, on the transport chosen by measurement.

httpx stays the client API; the aiohttp-backed transport (httpx-aiohttp) moves the bytes. On this
machine it is ~4x httpx's default transport at concurrency 32 (benches/TRANSPORT.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
from httpx_aiohttp import AiohttpTransport


@dataclass(frozen=True, slots=True)
class PoolLimits:
    max_connections: int = 512
    keepalive_expiry_s: float = 30.0


def aiohttp_transport(limits: PoolLimits) -> httpx.AsyncBaseTransport:
    return AiohttpTransport(limits=httpx.Limits(max_connections=limits.max_connections,
                                                max_keepalive_connections=limits.max_connections,
                                                keepalive_expiry=limits.keepalive_expiry_s))


TransportFactory = Callable[[PoolLimits], httpx.AsyncBaseTransport]


class PooledClient(httpx.AsyncClient):
    """An AsyncClient that names its one transport, so adapters can hand it prepared requests
    directly: no auth, cookies, redirects or event hooks are configured here, and skipping the
    client's per-request handling of them saves ~15% of a proxied request's CPU (benches/SERVER.md).
    """

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        # Deadlines are enforced by the resilience layer; transport timeouts would only race it.
        super().__init__(transport=transport, timeout=None)
        self.direct_transport = transport


class ClientPool:
    """Lazily creates and owns one AsyncClient per api_base (connection reuse across models)."""

    def __init__(self, limits: PoolLimits | None = None,
                 transport_factory: TransportFactory = aiohttp_transport) -> None:
        self._limits = limits or PoolLimits()
        self._factory = transport_factory
        self._clients: dict[str, httpx.AsyncClient] = {}

    def get(self, api_base: str) -> httpx.AsyncClient:
        client = self._clients.get(api_base)
        if client is None:
            client = PooledClient(self._factory(self._limits))
            self._clients[api_base] = client
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for c in clients:
            await c.aclose()
