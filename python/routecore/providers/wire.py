"""One provider request on the wire: send a prepared POST, get a reply to read or stream.

Adapters (base.py) see only `Reply`: status, headers, body chunks, close. Transport failures are
raised as ``httpx.TransportError`` subclasses on every path, so the adapters classify them the
same way whichever path carried the bytes.

On a pooled client (transport.py) whose transport is httpx-aiohttp's, the request goes straight
to the aiohttp session that transport owns: httpx's request and response objects, its content
decoders and the adapter's translation cost ~10% of a proxied request's CPU and add nothing
here (benches/SERVER.md). The aiohttp call is made exactly as httpx-aiohttp makes it (no
redirects, no client-side timeouts, the same exception mapping), except that aiohttp decodes
the content-encoding itself. Any other client takes the httpx path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from functools import partial
from typing import Protocol

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from httpx_aiohttp.transport import map_aiohttp_exceptions

_CHUNK = 16 * 1024
# What aiohttp can always decode (zlib); httpx's own default list may name codecs it cannot.
_ACCEPT_ENCODING = "gzip, deflate"
_NO_TIMEOUT = aiohttp.ClientTimeout(sock_connect=None, sock_read=None, connect=None)


Headers = Mapping[str, str]  # case-insensitive in both httpx's and aiohttp's replies


class Reply(Protocol):
    status: int
    headers: Headers

    def chunks(self) -> AsyncIterator[bytes]: ...
    async def read(self) -> bytes: ...
    async def close(self) -> None: ...


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

    async def close(self) -> None:
        await self._resp.aclose()


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


class AiohttpReply:
    __slots__ = ("_resp", "headers", "status")

    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self._resp = resp
        self.status = resp.status
        self.headers: Headers = resp.headers

    async def chunks(self) -> AsyncIterator[bytes]:
        with map_aiohttp_exceptions():
            async for chunk in self._resp.content.iter_chunked(_CHUNK):
                yield chunk

    async def read(self) -> bytes:
        with map_aiohttp_exceptions():
            return await self._resp.read()

    async def close(self) -> None:
        with map_aiohttp_exceptions():
            await self._resp.__aexit__(None, None, None)


class AiohttpWire:
    def __init__(self, transport: AiohttpTransport, url: str, headers: Mapping[str, str]) -> None:
        self._transport = transport
        self._url = url
        self._headers = {**headers, "accept-encoding": _ACCEPT_ENCODING}

    async def send(self, content: bytes) -> Reply:
        t = self._transport
        if not isinstance(t.client, aiohttp.ClientSession):
            t.client = t.get_client()  # as the transport does: lazily, inside the running loop
        with map_aiohttp_exceptions():
            resp = await t.client.request("POST", self._url, data=content, headers=self._headers,
                                          allow_redirects=False, timeout=_NO_TIMEOUT)
        return AiohttpReply(resp)


def wire_for(client: httpx.AsyncClient, url: str, headers: Mapping[str, str]) -> Wire:
    """``headers``: the request's own; the client's defaults (accept, user-agent) go under them."""
    merged = {**client.headers, **headers}
    transport: httpx.AsyncBaseTransport | None = getattr(client, "direct_transport", None)
    if isinstance(transport, AiohttpTransport) and transport.proxy is None and transport.uds is None:
        return AiohttpWire(transport, url, merged)
    return HttpxWire(client, url, merged, transport)


__all__ = ["Reply", "Wire", "wire_for"]
