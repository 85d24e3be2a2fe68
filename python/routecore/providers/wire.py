"""One provider request on the wire: send a prepared POST, get a reply to read or stream.

Adapters (base.py) see only `Reply`: status, headers, body chunks, close. Transport failures are
raised as ``httpx.TransportError`` subclasses on every path, so the adapters classify them the
same way whichever path carried the bytes.

On a pooled client (transport.py) whose transport is httpx-aiohttp's, the request goes to the
client's lean HTTP/1.1 pool (h1.py) instead of through httpx and aiohttp: their request and
response machinery cost about as much CPU as the rest of a proxied request (benches/SERVER.md).
As on the aiohttp path it replaced: no redirects, no client-side timeouts, the content-encoding
decoded by the client, failures raised as the httpx errors httpx-aiohttp mapped them to. Any
other client, or headers h1 would not write verbatim, take the httpx path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from functools import partial
from typing import Protocol

import httpx

from routecore.providers.h1 import H1Pool, H1Wire, header_safe

# What h1.py decodes (zlib), as aiohttp did before it; httpx's default list may name codecs it cannot.
_ACCEPT_ENCODING = "gzip, deflate"


Headers = Mapping[str, str]  # httpx: case-insensitive; h1: names lower-cased (look up lower-case)


class Reply(Protocol):
    status: int
    headers: Headers

    def chunks(self) -> AsyncIterator[bytes]: ...
    async def read(self) -> bytes: ...
    async def close(self, drain: bool = False) -> None: ...


class Wire(Protocol):
    async def send(self, content: bytes) -> Reply: ...


class HttpxReply:
    __slots__ = ("_resp", "headers", "status")

    def __init__(self, resp: httpx.Response) -> None:
        self._resp = resp
        self.status = resp.status_code
        self.headers: Headers = resp.headers

    def chunks(self) -> AsyncIterator[bytes]:
        return self._resp.aiter_bytes()

    async def read(self) -> bytes:
        return await self._resp.aread()

    async def close(self, drain: bool = False) -> None:
        await self._resp.aclose()  # httpx decides about its connection itself


class HttpxWire:
    """Through httpx: straight to the transport for a pooled client, else the client's send."""

    def __init__(self, client: httpx.AsyncClient, url: str, headers: Mapping[str, str],
                 transport: httpx.AsyncBaseTransport | None) -> None:
        self._url = httpx.URL(url)  # parsed once, not per request
        self._headers = httpx.Headers(headers)
        self._send = (transport.handle_async_request if transport is not None
                      else partial(client.send, stream=True))

    async def send(self, content: bytes) -> Reply:
        resp = await self._send(httpx.Request("POST", self._url, content=content, headers=self._headers))
        return HttpxReply(resp)


def wire_for(client: httpx.AsyncClient, url: str, headers: Mapping[str, str]) -> Wire:
    """``headers``: the request's own; the client's defaults (accept, user-agent) go under them."""
    merged = {**client.headers, **headers}
    pool: H1Pool | None = getattr(client, "h1", None)
    if pool is not None and header_safe(merged):
        return H1Wire(pool, url, {**merged, "accept-encoding": _ACCEPT_ENCODING})
    transport: httpx.AsyncBaseTransport | None = getattr(client, "direct_transport", None)
    return HttpxWire(client, url, merged, transport)


__all__ = ["Reply", "Wire", "wire_for"]
