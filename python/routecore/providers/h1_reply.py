"""A response read by `h1._Conn`: status and headers once the head arrived, then the body as
it arrives (chunked or sized, gzip/deflate decoded), with back-pressure on the socket and a short
drain after the caller saw the stream's own end so the connection can be reused.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from routecore.providers.h1 import _Conn

_HIGH_WATER = 256 * 1024  # buffered body bytes before the socket stops being read
# After the caller saw the stream's own end (SSE ``[DONE]``), what may still follow on the wire
# before the connection is reusable (the chunked terminator: 5 bytes), and how long it may take.
_DRAIN_MAX_BYTES = 16 * 1024
_DRAIN_S = 1.0


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
