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
import zlib
from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import Any, cast
from urllib.parse import urlsplit

import aiohappyeyeballs
import httptools
import httpx

_HIGH_WATER = 256 * 1024  # buffered body bytes before the socket stops being read
_DNS_TTL_S = 10.0  # aiohttp's default ttl_dns_cache
# After the caller saw the stream's own end (SSE ``[DONE]``), what may still follow on the wire
# before the connection is reusable (the chunked terminator: 5 bytes), and how long it may take.
_DRAIN_MAX_BYTES = 16 * 1024
_DRAIN_S = 1.0


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


class H1Reply:
    """The response: ``status`` and ``headers`` once the head arrived, then the body."""

    __slots__ = ("_chunks", "_conn", "_decoder", "_drain_timer", "_eof_body", "_error", "_keep_alive",
                 "_paused", "_raw_headers", "_size", "_waiter", "complete", "headers", "status")

    def __init__(self, conn: _Conn) -> None:
        self._conn = conn
        self._raw_headers: list[tuple[bytes, bytes]] = []
        self.status = 0
        self.headers: Mapping[str, str] = {}
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._error: Exception | None = None
        self._decoder: zlib._Decompress | None = None
        self._eof_body = False
        self._keep_alive = False
        self._drain_timer: asyncio.TimerHandle | None = None  # set while draining (close(drain=True))
        self.complete = False

    # ------------------------------------------------------- fed by the connection

    def _head(self, status: int, keep_alive: bool) -> None:
        headers: dict[str, str] = {}
        for k, v in self._raw_headers:
            name = k.decode("latin-1").lower()
            if name not in headers:  # as a multidict's get(): the first value
                headers[name] = v.decode("latin-1")
        self.headers = headers
        self.status = status
        self._keep_alive = keep_alive
        enc = headers.get("content-encoding", "identity").strip().lower()
        if enc == "gzip" or enc == "x-gzip":
            self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._decoder = zlib.decompressobj(zlib.MAX_WBITS)
        elif enc not in ("identity", ""):
            self._error = httpx.ReadError(f"Can not decode content-encoding: {enc}")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        self._eof_body = ("content-length" not in headers and not chunked
                          and status not in (204, 304))
        self._wake()

    def _feed(self, body: bytes) -> None:
        if self._decoder is not None:
            try:
                body = self._decoder.decompress(body)
            except zlib.error as exc:
                if self._decoder.unused_data == b"" and self.headers.get("content-encoding") == "deflate":
                    self._decoder = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as sent by some
                    self._feed(body)
                    return
                self._fail(httpx.ReadError(f"Can not decode content-encoding: {exc}"))
                self._conn.close()
                return
            if not body:
                return
        if self._drain_timer is not None:  # nobody reads any more: count, don't keep
            self._size += len(body)
            if self._size > _DRAIN_MAX_BYTES:
                self._end_drain()
            return
        self._chunks.append(body)
        self._size += len(body)
        if self._size > _HIGH_WATER and not self._paused and self._conn.transport is not None:
            self._paused = True
            self._conn.transport.pause_reading()
        self._wake()

    def _finish(self) -> None:
        if self._decoder is not None:
            tail = self._decoder.flush()
            self._decoder = None
            if tail:
                self._chunks.append(tail)
        self.complete = True
        if self._drain_timer is not None:
            self._end_drain()
        self._wake()

    def _fail(self, exc: Exception) -> None:
        if self._error is None:
            self._error = exc
        if self._drain_timer is not None:
            self._end_drain()
        self._wake()

    def _wake(self) -> None:
        w = self._waiter
        if w is not None:
            self._waiter = None
            if not w.done():
                w.set_result(None)

    async def _wait(self) -> None:
        self._waiter = w = self._conn.loop.create_future()
        try:
            await w
        finally:
            self._waiter = None

    # ------------------------------------------------------- read by the adapter

    async def _head_ready(self) -> None:
        while not self.status and self._error is None:
            await self._wait()
        if not self.status and self._error is not None:
            raise self._error

    def _take(self) -> bytes | None:
        """Everything buffered (None when nothing is): one chunk per wake-up, not per segment."""
        if not self._chunks:
            return None
        data = self._chunks.popleft() if len(self._chunks) == 1 else b"".join(self._chunks)
        self._chunks.clear()
        self._size = 0
        if self._paused and self._conn.transport is not None and not self._conn.closed:
            self._paused = False
            self._conn.transport.resume_reading()
        return data

    def chunks(self) -> AsyncIterator[bytes]:
        # A plain iterator, not an async generator: a caller that stops early (at SSE [DONE])
        # leaves a generator to be finalized through the loop's asyncgen hook — on uvloop a
        # thread-safe call_soon (an eventfd write and read) and a task, per request.
        return _Chunks(self)

    async def read(self) -> bytes:
        parts = [c async for c in self.chunks()]
        return b"".join(parts)

    async def close(self, drain: bool = False) -> None:
        """Give the connection back if the response was read to its end, else close it.
        ``drain``: the caller saw the body's own end (an SSE stream's terminator event), so what
        is still on the wire is framing (the chunked terminator, usually in the next segment):
        the connection returns to the pool when it arrives, without anyone waiting for it."""
        if self._drain_timer is not None:  # closed again while draining: the drain decides
            return
        conn = self._conn
        reusable = self._keep_alive and self._error is None and not conn.closed
        if drain and reusable and not self.complete and not self._eof_body and conn.reply is self:
            self._chunks.clear()
            self._size = 0
            self._drain_timer = conn.loop.call_later(_DRAIN_S, self._end_drain)
            if self._paused and conn.transport is not None:
                self._paused = False
                conn.transport.resume_reading()
            return
        if conn.reply is self:
            conn.reply = None
        if self.complete and reusable:
            conn.pool._release(conn)
        else:
            conn.close()  # mid-body or not reusable: never hand a half-read connection on

    def _end_drain(self) -> None:
        """The drained response ended (pooled), failed, overran or timed out (closed)."""
        timer, self._drain_timer = self._drain_timer, None
        if timer is None:
            return
        timer.cancel()
        conn = self._conn
        if conn.reply is self:
            conn.reply = None
        if self.complete and self._keep_alive and self._error is None and not conn.closed:
            conn.pool._release(conn)
        else:
            conn.close()


class _Chunks:
    """``H1Reply.chunks()``: everything buffered at each step, until the body's end."""

    __slots__ = ("_r",)

    def __init__(self, reply: H1Reply) -> None:
        self._r = reply

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> bytes:
        r = self._r
        while True:
            data = r._take()
            if data is not None:
                return data
            if r._error is not None:
                raise r._error
            if r.complete:
                raise StopAsyncIteration
            await r._wait()


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
