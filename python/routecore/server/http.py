"""The little of ASGI the gateway needs: read a bounded body, send JSON, send SSE. Hand-rolled
because a framework's routing and middleware cost more per request than the routing decision
itself (benches/SERVER.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from typing import Any

from routecore._json import dumps as dumps
from routecore._json import loads
from routecore.server.errors import ApiError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

JSON = b"application/json"
class Request:
    __slots__ = ("headers", "method", "path", "receive", "send", "started")

    def __init__(self, scope: Scope, receive: Receive, send: Send, started: float) -> None:
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        # Header names arrive lower-cased; latin-1 is what HTTP/1.1 carries.
        self.headers: Mapping[str, str] = {k.decode("latin-1"): v.decode("latin-1")
                                           for k, v in scope["headers"]}
        self.receive = receive
        self.send = send
        self.started = started

    async def body(self, limit: int) -> bytes:
        declared = self.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            msg = await self.receive()
            if msg["type"] == "http.disconnect":
                raise ApiError(400, "client_disconnected", "The client went away while sending the body.")
            part = msg.get("body", b"")
            size += len(part)
            if size > limit:
                raise _too_large(limit)
            chunks.append(part)
            if not msg.get("more_body", False):
                return b"".join(chunks)

    async def json(self, limit: int) -> dict[str, Any]:
        raw = await self.body(limit)
        try:
            data = loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise ApiError(400, "invalid_json", f"The request body is not valid JSON ({e}).") from None
        if not isinstance(data, dict):
            raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
        return data


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "request_too_large",
                    f"The request body is larger than this gateway's limit of {limit} bytes: send less "
                    "context or ask the operator to raise max_body_bytes.")


async def send_bytes(send: Send, status: int, body: bytes, ctype: bytes = JSON,
                     headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})


async def start_sse(send: Send, headers: Sequence[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/event-stream; charset=utf-8"),
                            (b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no"), *headers]})


async def sse_event(send: Send, data: bytes, event: bytes | None = None) -> None:
    head = b"event: " + event + b"\n" if event is not None else b""
    await send({"type": "http.response.body", "body": head + b"data: " + data + b"\n\n", "more_body": True})


async def end_stream(send: Send) -> None:
    await send({"type": "http.response.body", "body": b"", "more_body": False})
