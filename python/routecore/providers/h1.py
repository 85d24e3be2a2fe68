"""A lean HTTP/1.1 client for provider calls: keep-alive connections pooled per origin, one
request per connection at a time, the response parsed by httptools (llhttp, in C).

Why not aiohttp, which carried these requests before: its client machinery (session request
setup, a body-writer task per request, stream-reader bookkeeping per received chunk) was half of
a provider call's CPU, ~100 us of ~210 (benches/SERVER.md). This keeps what a provider call uses:
a prepared POST written in one piece, status and headers, the body as it arrives (chunked or
sized, gzip/deflate decoded), TLS with the transport's SSL context, happy eyeballs on connect and
resolved addresses kept 10 s (as aiohttp's connector keeps them), a connection limit with FIFO
waiters and an idle keep-alive expiry. Failures are raised as the ``httpx.TransportError``
subclasses httpx-aiohttp raised for them, so adapters classify them exactly as before.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections import deque
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import urlsplit

import aiohappyeyeballs
import httptools
import httpx

from routecore.providers.h1_reply import H1Reply

_DNS_TTL_S = 10.0  # aiohttp's default ttl_dns_cache


class Origin:
    """``scheme://host:port`` of a URL, and the request target (path and query) on it."""

    __slots__ = ("host", "key", "port", "target", "tls")

    def __init__(self, url: str) -> None:
        u = urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.tls = u.scheme == "https"
        self.host = u.hostname
        self.port = u.port or (443 if self.tls else 80)
        self.key = (u.scheme, self.host, self.port)
        self.target = (u.path or "/") + (f"?{u.query}" if u.query else "")


class _Conn(asyncio.Protocol):
    """One connection and the response currently being read from it."""

    def __init__(self, pool: H1Pool, key: tuple[str, str, int]) -> None:
        self.pool = pool
        self.key = key
        # Made in its loop's protocol factory. Kept: on 3.11 every get_running_loop() is a
        # getpid syscall, and a request waits on its reply ~4 times.
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.idle_since = 0.0
        self.reply: H1Reply | None = None

    # -------------------------------------------------------------- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not its subclasses

    def data_received(self, data: bytes) -> None:
        if self.reply is None:  # bytes nobody asked for: the connection cannot be trusted
            self.close()
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.reply._fail(httpx.RemoteProtocolError(f"invalid HTTP response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool._forget(self)
        r = self.reply
        if r is not None and not r.complete:
            if r.status and r._eof_body:
                r._finish()  # a body without length or chunking ends where the connection does
            else:
                kind = httpx.ReadError if r.status else httpx.RemoteProtocolError
                r._fail(kind("Server disconnected" + (f": {exc}" if exc else "")))

    # -------------------------------------------------------------- httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self.reply is not None
        self.reply._raw_headers.append((name, value))

    def on_headers_complete(self) -> None:
        r = self.reply
        assert r is not None
        status = self.parser.get_status_code()
        if status < 200:  # 1xx: an interim response; the real one follows on this connection
            r._raw_headers = []
            return
        r._head(status, self.parser.should_keep_alive())

    def on_body(self, body: bytes) -> None:
        assert self.reply is not None
        self.reply._feed(body)

    def on_message_complete(self) -> None:
        r = self.reply
        if r is not None and r.status:
            r._keep_alive = r._keep_alive and self.parser.should_keep_alive()
            r._finish()

    # -------------------------------------------------------------- use

    def send(self, head: bytes, content: bytes) -> H1Reply:
        assert self.transport is not None
        self.parser = httptools.HttpResponseParser(self)
        self.reply = r = H1Reply(self)
        self.transport.write(head + content)
        return r

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                self.transport.close()
            self.pool._forget(self)


class H1Pool:
    """Connections per origin, at most ``max_connections`` in all; idle ones expire."""

    def __init__(self, ssl_context: ssl.SSLContext | None, max_connections: int | None,
                 keepalive_expiry_s: float | None) -> None:
        self._ssl = ssl_context
        self._max = max_connections
        self._expiry = keepalive_expiry_s
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self._open: set[_Conn] = set()
        self._connecting = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._sweeper: asyncio.TimerHandle | None = None
        self._closed = False
        self._dns: dict[tuple[str, int], tuple[float, list[Any]]] = {}

    async def send(self, origin: Origin, head: bytes, content: bytes) -> H1Reply:
        conn = await self._acquire(origin)
        try:
            r = conn.send(head, content)
            await r._head_ready()
        except BaseException:
            conn.reply = None
            conn.close()  # cancelled or failed before the head: the connection's state is unknown
            raise
        return r

    async def _acquire(self, origin: Origin) -> _Conn:
        if self._closed:
            raise httpx.ConnectError("the connection pool is closed")
        idle = self._idle.get(origin.key)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if conn.closed or conn.transport is None or conn.transport.is_closing():
                continue
            if self._expiry is not None and now - conn.idle_since > self._expiry:
                conn.close()
                continue
            return conn
        queued = False
        while self._max is not None and len(self._open) + self._connecting >= self._max:
            if self._close_one_idle():
                continue
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            # FIFO; a waiter woken but beaten to the slot waits again at the front, not the back.
            if queued:
                self._waiters.appendleft(fut)
            else:
                self._waiters.append(fut)
            queued = True
            try:
                await fut
            except BaseException:
                if fut in self._waiters:
                    self._waiters.remove(fut)
                elif fut.done() and not fut.cancelled():
                    self._wake_one()  # woken just as it was cancelled: the turn goes to the next
                raise
            if self._closed:
                raise httpx.ConnectError("the connection pool is closed")
            idle = self._idle.get(origin.key)
            while idle:  # a released connection to our origin is better than a new one
                conn = idle.pop()
                if not conn.closed and conn.transport is not None and not conn.transport.is_closing():
                    return conn
        return await self._connect(origin)

    async def _connect(self, origin: Origin) -> _Conn:
        loop = asyncio.get_running_loop()
        self._connecting += 1
        try:
            # As aiohttp connects: every resolved address, IPv6/IPv4 raced (RFC 8305).
            infos = await self._resolve(origin)
            sock = await aiohappyeyeballs.start_connection(infos, happy_eyeballs_delay=0.25, loop=loop)
            _, conn = await loop.create_connection(
                lambda: _Conn(self, origin.key), sock=sock,
                ssl=(self._ssl or True) if origin.tls else None,
                server_hostname=origin.host if origin.tls else None)
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        finally:
            self._connecting -= 1
        self._open.add(conn)
        return conn

    async def _resolve(self, origin: Origin) -> list[Any]:
        """Addresses of an origin, kept ``_DNS_TTL_S`` as aiohttp's connector keeps them: a new
        connection (after a cancelled read, an expiry) need not wait for the resolver thread."""
        key = (origin.host, origin.port)
        hit = self._dns.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        infos = await asyncio.get_running_loop().getaddrinfo(origin.host, origin.port,
                                                             type=socket.SOCK_STREAM)
        self._dns[key] = (now + _DNS_TTL_S, infos)
        return infos

    def _release(self, conn: _Conn) -> None:
        if self._closed:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        self._idle.setdefault(conn.key, []).append(conn)
        self._wake_one()
        if self._expiry is not None and self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().call_later(self._expiry, self._sweep)

    def _forget(self, conn: _Conn) -> None:
        if conn in self._open:
            self._open.discard(conn)
            idle = self._idle.get(conn.key)
            if idle and conn in idle:
                idle.remove(conn)
            self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return

    def _close_one_idle(self) -> bool:
        for idle in self._idle.values():
            if idle:
                idle.pop(0).close()
                return True
        # A connection still draining a finished stream's framing gives way to a waiting
        # request: at the limit, a late terminator must not hold up new calls.
        for conn in self._open:
            r = conn.reply
            if r is not None and r._drain_timer is not None:
                r._end_drain()  # not complete: closes it
                return True
        return False

    def _sweep(self) -> None:
        """Close connections idle past the expiry (one timer for the pool, not one per release)."""
        self._sweeper = None
        assert self._expiry is not None
        cutoff = time.monotonic() - self._expiry
        for idle in list(self._idle.values()):
            for conn in [c for c in idle if c.idle_since <= cutoff]:
                conn.close()
        if any(self._idle.values()):
            self._sweeper = asyncio.get_running_loop().call_later(self._expiry, self._sweep)

    async def aclose(self) -> None:
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for conn in list(self._open):
            conn.close()
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)


class H1Wire:
    """POSTs to one URL with fixed headers: the request head is built once, per body only its
    length changes."""

    def __init__(self, pool: H1Pool, url: str, headers: Mapping[str, str]) -> None:
        self._pool = pool
        self._origin = o = Origin(url)
        default_port = 443 if o.tls else 80
        host = o.host if o.port == default_port else f"{o.host}:{o.port}"
        if ":" in o.host:  # an IPv6 literal is bracketed in the Host header
            host = f"[{o.host}]" if o.port == default_port else f"[{o.host}]:{o.port}"
        lines = [f"POST {o.target} HTTP/1.1", f"Host: {host}"]
        lines += [f"{k}: {v}" for k, v in headers.items()
                  if k.lower() not in ("host", "content-length", "transfer-encoding")]
        self._head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")

    async def send(self, content: bytes) -> H1Reply:
        head = self._head + b"%d\r\n\r\n" % len(content)
        return await self._pool.send(self._origin, head, content)


def header_safe(headers: Mapping[str, str]) -> bool:
    """Headers this client may write verbatim (no line breaks, latin-1 encodable)."""
    try:
        for k, v in headers.items():
            k.encode("latin-1")
            v.encode("latin-1")
            if any(c in k or c in v for c in "\r\n\0") or not k or ":" in k:
                return False
    except UnicodeEncodeError:
        return False
    return True


__all__ = ["H1Pool", "H1Reply", "H1Wire", "Origin", "header_safe"]
