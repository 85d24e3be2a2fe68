"""Pooled HTTP clients, one per api_base, on the transport chosen by measurement.

httpx stays the client API; the aiohttp-backed transport (httpx-aiohttp) moves the bytes. On this
machine it is ~4x httpx's default transport at concurrency 32 (benches/TRANSPORT.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
from httpx_aiohttp import AiohttpTransport

from routecore.providers.h1 import H1Pool


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

    On the default transport (httpx-aiohttp, direct: no proxy, socket or local address) adapters
    send through ``h1`` instead, a lean HTTP/1.1 pool with the transport's TLS context and limits:
    half the CPU of a provider call through aiohttp (h1.py).
    """

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        # Deadlines are enforced by the resilience layer; transport timeouts would only race it.
        super().__init__(transport=transport, timeout=None)
        self.direct_transport = transport
        self.h1: H1Pool | None = None
        if (isinstance(transport, AiohttpTransport) and transport.proxy is None and transport.uds is None
                and transport.local_address is None and not transport.socket_options):
            self.h1 = H1Pool(transport.ssl_context, transport.limits.max_connections,
                             transport.limits.keepalive_expiry)

    async def aclose(self) -> None:
        if self.h1 is not None:
            await self.h1.aclose()
        await super().aclose()


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
