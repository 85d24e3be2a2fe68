"""A minimal HTTP/1.1 server on asyncio protocols: keep-alive, Content-Length bodies, chunked
streaming responses. Enough for the mock provider to run thousands of requests per second without a
framework; not a general web server (no pipelining concurrency, no chunked request bodies)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import cast

_MAX_HEAD = 64 * 1024


@dataclass(slots=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    tag: str = ""  # set by the handler (the model name) so aborts can be attributed


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class Responder:
    """Writes one response on a connection; knows whether the client went away."""

    __slots__ = ("_conn", "finished", "streaming")

    def __init__(self, conn: _Conn) -> None:
        self._conn = conn
        self.streaming = False
        self.finished = False

    @property
    def closed(self) -> bool:
        return self._conn.closed

    def send(self, status: int, body: bytes, content_type: str = "application/json",
             headers: tuple[tuple[str, str], ...] = ()) -> None:
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers)
        head = (
            f"HTTP/1.1 {status} {_reason(status)}\r\ncontent-type: {content_type}\r\n"
            f"content-length: {len(body)}\r\n{extra}\r\n"
        )
        self._conn.write(head.encode() + body)
        self.finished = True

    def start(self, status: int = 200, content_type: str = "text/event-stream") -> None:
        head = (
            f"HTTP/1.1 {status} {_reason(status)}\r\ncontent-type: {content_type}\r\n"
            "cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        self.streaming = True
        self._conn.write(head.encode())

    def chunk(self, data: bytes) -> None:
        if data:
            self._conn.write(b"%x\r\n%b\r\n" % (len(data), data))

    def end(self) -> None:
        self._conn.write(b"0\r\n\r\n")
        self.finished = True

    def raw(self, data: bytes) -> None:
        self._conn.write(data)

    def abort(self, reset: bool = True) -> None:
        self._conn.abort(reset)


Handler = Callable[[Request, Responder], Awaitable[None] | None]


class _Conn(asyncio.Protocol):
    def __init__(self, handler: Handler, on_client_abort: Callable[[Request], None]) -> None:
        self._handler = handler
        self._on_client_abort = on_client_abort
        self._buf = bytearray()
        self._busy = False
        self._task: asyncio.Task[None] | None = None
        self._current: tuple[Request, Responder] | None = None
        self._transport: asyncio.Transport | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, hence a cast, not a check
        self._transport = cast(asyncio.Transport, transport)
        sock = self._transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._current is not None and not self._current[1].finished:
            self._on_client_abort(self._current[0])
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def write(self, data: bytes) -> None:
        if not self.closed and self._transport is not None:
            self._transport.write(data)

    def abort(self, reset: bool) -> None:
        if self._transport is None or self.closed:
            return
        if reset:
            sock = self._transport.get_extra_info("socket")
            # SO_LINGER 0 makes close() send RST, i.e. a real "connection reset by peer".
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.closed = True  # our own abort is not a client abort
        self._current = None
        self._transport.abort()

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if not self._busy:
            self._pump()

    def _pump(self) -> None:
        while not self._busy and not self.closed:
            req = self._parse()
            if req is None:
                return
            responder = Responder(self)
            self._current = (req, responder)
            result = self._handler(req, responder)
            if result is not None:
                self._busy = True
                self._task = asyncio.ensure_future(result)
                self._task.add_done_callback(self._done)
            elif req.headers.get("connection") == "close":
                self.abort(reset=False)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._busy = False
        self._task = None
        if not task.cancelled() and task.exception() is not None and not self.closed:
            self.abort(reset=True)  # a handler bug must not leave the client waiting
            return
        self._pump()

    def _parse(self) -> Request | None:
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buf) > _MAX_HEAD:
                self.abort(reset=True)
            return None
        lines = bytes(self._buf[:end]).decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        total = end + 4 + length
        if len(self._buf) < total:
            return None
        body = bytes(self._buf[end + 4 : total])
        del self._buf[:total]
        return Request(method, path, headers, body)


async def serve(handler: Handler, on_client_abort: Callable[[Request], None], host: str,
                port: int) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: _Conn(handler, on_client_abort), host, port,
                                    reuse_address=True, backlog=1024)
