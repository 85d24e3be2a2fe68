"""The lean HTTP/1.1 client (providers/h1.py) against a raw loopback server that answers with
exactly the bytes each test scripts: framing, decoding, keep-alive, limits, failures, TLS."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from provider_support import run
from routecore.providers.h1 import H1Pool, H1Reply, H1Wire, header_safe
from routecore.providers.transport import ClientPool
from routecore.providers.wire import HttpxWire, wire_for

# Given the raw request bytes, the server writes these parts (None: close the connection there).
Script = Callable[[bytes], list[bytes | None]]


class RawServer:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[bytes] = []
        self.connections = 0
        self.port = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                size = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                req = head + await reader.readexactly(size)
                self.requests.append(req)
                for part in self.script(req):
                    if part is None:
                        writer.close()
                        return
                    writer.write(part)
                    await writer.drain()
                    await asyncio.sleep(0.005)  # separate segments, as a streaming server sends
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def start(self, tls: ssl.SSLContext | None = None) -> asyncio.base_events.Server:
        srv = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=tls)
        self.port = srv.sockets[0].getsockname()[1]
        return srv


def sized(body: bytes, *headers: str) -> list[bytes | None]:
    head = "".join(h + "\r\n" for h in headers)
    return [f"HTTP/1.1 200 OK\r\ncontent-length: {len(body)}\r\n{head}\r\n".encode() + body]


def chunked(parts: list[bytes], *headers: str) -> list[bytes | None]:
    head = "".join(h + "\r\n" for h in headers)
    out: list[bytes | None] = [f"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n{head}\r\n".encode()]
    out += [b"%x\r\n%s\r\n" % (len(p), p) for p in parts]
    out.append(b"0\r\n\r\n")
    return out


def serve(script: Script, body: Callable[[H1Pool, str], Any], *, tls: ssl.SSLContext | None = None,
          client_tls: ssl.SSLContext | None = None, max_connections: int | None = 8,
          expiry: float | None = 30.0) -> tuple[Any, RawServer]:
    server = RawServer(script)

    async def go() -> Any:
        srv = await server.start(tls)
        pool = H1Pool(client_tls, max_connections, expiry)
        scheme = "https" if tls else "http"
        try:
            return await body(pool, f"{scheme}://localhost:{server.port}/v1/chat/completions")
        finally:
            await pool.aclose()
            srv.close()

    return run(go()), server


async def fetch(pool: H1Pool, url: str, payload: bytes = b'{"x":1}') -> tuple[H1Reply, list[bytes]]:
    headers = {"content-type": "application/json", "authorization": "Bearer k"}
    r = await H1Wire(pool, url, headers).send(payload)
    try:
        return r, [c async for c in r.chunks()]
    finally:
        await r.close()


def test_request_is_one_post_with_the_fixed_headers_and_a_length() -> None:
    (r, parts), srv = serve(lambda req: sized(b'{"ok":true}', "content-type: application/json"), fetch)
    assert r.status == 200 and r.headers["content-type"] == "application/json"
    assert b"".join(parts) == b'{"ok":true}'
    [req] = srv.requests
    assert req.startswith(b"POST /v1/chat/completions HTTP/1.1\r\n")
    assert f"Host: localhost:{srv.port}\r\n".encode() in req
    assert b"authorization: Bearer k\r\n" in req and b"Content-Length: 7\r\n\r\n{\"x\":1}" in req


def test_chunked_body_arrives_as_it_is_sent_and_header_names_are_lower_cased() -> None:
    async def body(pool: H1Pool, url: str) -> tuple[int, list[bytes], str]:
        r, parts = await fetch(pool, url)
        return r.status, parts, r.headers["x-mixed-case"]

    events = [b"data: a\n\n", b"data: b\n\n"]
    (status, parts, mixed), _ = serve(lambda req: chunked(events, "X-Mixed-Case: v"), body)
    assert status == 200 and mixed == "v"
    assert parts == [b"data: a\n\n", b"data: b\n\n"]


@pytest.mark.parametrize("encoding, encode", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send it
])
def test_content_encoding_is_decoded(encoding: str, encode: Callable[[bytes], bytes]) -> None:
    text = b'{"answer":"' + b"x" * 5000 + b'"}'
    (_, parts), srv = serve(lambda req: chunked([encode(text)], f"content-encoding: {encoding}"), fetch)
    assert b"".join(parts) == text
    assert b"accept-encoding" not in srv.requests[0].lower()  # the wire's caller chooses that header


def test_unknown_content_encoding_is_a_read_error() -> None:
    async def body(pool: H1Pool, url: str) -> None:
        await fetch(pool, url)

    with pytest.raises(httpx.ReadError):
        serve(lambda req: sized(b"zzz", "content-encoding: br"), body)


def test_body_delimited_by_close_is_read_to_the_end_and_not_reused() -> None:
    async def body(pool: H1Pool, url: str) -> list[bytes]:
        _, a = await fetch(pool, url)
        _, b = await fetch(pool, url)
        return a + b

    parts, srv = serve(lambda req: [b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nhello ", b"world", None],
                       body)
    assert b"".join(parts) == b"hello worldhello world"
    assert srv.connections == 2


def test_keep_alive_connections_are_reused_and_interim_responses_skipped() -> None:
    async def body(pool: H1Pool, url: str) -> list[int]:
        return [(await fetch(pool, url))[0].status for _ in range(3)]

    statuses, srv = serve(lambda req: [b"HTTP/1.1 100 Continue\r\n\r\n", *sized(b"{}")], body)
    assert statuses == [200, 200, 200] and srv.connections == 1


def test_idle_connections_expire() -> None:
    async def body(pool: H1Pool, url: str) -> None:
        await fetch(pool, url)
        await asyncio.sleep(0.15)
        await fetch(pool, url)

    _, srv = serve(lambda req: sized(b"{}"), body, expiry=0.05)
    assert srv.connections == 2


def test_connection_limit_queues_requests_in_order() -> None:
    async def body(pool: H1Pool, url: str) -> list[bytes]:
        results = await asyncio.gather(*(fetch(pool, url, b'{"n":%d}' % i) for i in range(4)))
        return [b"".join(parts) for _, parts in results]

    answers, srv = serve(lambda req: sized(req[-7:]), body, max_connections=1)
    assert answers == [b'{"n":%d}' % i for i in range(4)] and srv.connections == 1


def test_failures_are_httpx_transport_errors_by_phase() -> None:
    async def mid_body(pool: H1Pool, url: str) -> None:
        await fetch(pool, url)

    with pytest.raises(httpx.ReadError):  # after the head: the body broke
        serve(lambda req: [b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial", None], mid_body)
    with pytest.raises(httpx.RemoteProtocolError):  # before the head: no answer
        serve(lambda req: [None], mid_body)
    with pytest.raises(httpx.RemoteProtocolError):
        serve(lambda req: [b"NOT HTTP AT ALL\r\n\r\n"], mid_body)

    async def refused() -> None:
        pool = H1Pool(None, 8, 30.0)
        with pytest.raises(httpx.ConnectError):
            await H1Wire(pool, "http://127.0.0.1:9/x", {}).send(b"{}")  # discard port: nobody listens
        await pool.aclose()

    run(refused())


def test_a_reply_closed_mid_body_never_returns_its_connection() -> None:
    async def body(pool: H1Pool, url: str) -> bytes:
        r = await H1Wire(pool, url, {}).send(b"{}")
        async for _ in r.chunks():
            break  # the caller stops early (a timeout, a lost hedge)
        await r.close()
        _, parts = await fetch(pool, url)
        return b"".join(parts)

    text, srv = serve(lambda req: chunked([b"one", b"two"]), body)
    assert text == b"onetwo" and srv.connections == 2


def test_tls_with_the_pools_context(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    (r, parts), _ = serve(lambda req: sized(b"secure"), fetch, tls=server_tls,
                          client_tls=ssl.create_default_context(cafile=str(cert)))
    assert r.status == 200 and parts == [b"secure"]

    async def untrusted(pool: H1Pool, url: str) -> None:  # the default trust store: no such CA
        await fetch(pool, url)

    with pytest.raises(httpx.ConnectError):
        serve(lambda req: sized(b"secure"), untrusted, tls=server_tls,
              client_tls=ssl.create_default_context())


def test_headers_it_would_not_write_verbatim_take_the_httpx_path() -> None:
    assert header_safe({"authorization": "Bearer k", "x-a": "b"})
    assert not header_safe({"authorization": "Bearer k\r\nx-injected: 1"})
    assert not header_safe({"x-a": "ünïcödé€"})

    async def go() -> tuple[type, type]:
        pool = ClientPool()
        client = pool.get("http://127.0.0.1:1")
        try:
            ok = wire_for(client, "http://127.0.0.1:1/v1/chat/completions", {"authorization": "Bearer k"})
            bad = wire_for(client, "http://127.0.0.1:1/v1/chat/completions", {"authorization": "k\nx: y"})
            return type(ok), type(bad)
        finally:
            await pool.aclose()

    assert run(go()) == (H1Wire, HttpxWire)


def test_a_waiter_cancelled_as_it_is_woken_passes_its_turn_on() -> None:
    async def body(pool: H1Pool, url: str) -> tuple[bytes, bool]:
        wire = H1Wire(pool, url, {})
        first = await wire.send(b"{}")  # holds the only connection
        b = asyncio.ensure_future(fetch(pool, url))
        c = asyncio.ensure_future(fetch(pool, url))
        await asyncio.sleep(0.01)  # both queued behind the limit
        _ = [p async for p in first.chunks()]
        await first.close()  # hands the connection on: wakes b ...
        b.cancel()  # ... which is cancelled before it runs
        _, parts = await asyncio.wait_for(c, 5)  # c must not wait forever
        await asyncio.gather(b, return_exceptions=True)
        return b"".join(parts), b.cancelled()

    (text, b_cancelled), srv = serve(lambda req: sized(b"ok"), body, max_connections=1)
    assert text == b"ok" and b_cancelled and srv.connections == 1


def test_waiters_fail_when_the_pool_closes() -> None:
    async def body(pool: H1Pool, url: str) -> None:
        held = await H1Wire(pool, url, {}).send(b"{}")
        waiting = asyncio.ensure_future(fetch(pool, url))
        await asyncio.sleep(0.01)
        await pool.aclose()
        with pytest.raises(httpx.ConnectError):
            await asyncio.wait_for(waiting, 5)
        await held.close()

    serve(lambda req: sized(b"ok"), body, max_connections=1)


async def read_to_done(pool: H1Pool, url: str, n: int = 2) -> list[bytes]:
    """``n`` streams, each read up to its ``[DONE]`` event and closed there with drain=True (as
    Provider.deltas does), the terminator still on its way (the server sends it 5 ms later)."""
    out: list[bytes] = []
    for _ in range(n):
        r = await H1Wire(pool, url, {}).send(b"{}")
        async for c in r.chunks():
            out.append(c)
            if c.endswith(b"data: [DONE]\n\n"):
                break
        await r.close(drain=True)
        await asyncio.sleep(0.05)
    return out


def test_a_stream_closed_at_its_end_event_is_drained_and_its_connection_reused() -> None:
    parts, srv = serve(lambda req: chunked([b"data: a\n\n", b"data: [DONE]\n\n"]), read_to_done)
    assert parts == [b"data: a\n\n", b"data: [DONE]\n\n"] * 2 and srv.connections == 1


def test_a_drain_that_overruns_or_never_ends_closes_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    # More than framing after the end event: not a connection to hand on.
    overrun = [b"data: [DONE]\n\n", b"x" * 20_000]
    _, srv = serve(lambda req: chunked(overrun), read_to_done)
    assert srv.connections == 2
    # No terminator within the drain time: closed, the next request connects anew.
    monkeypatch.setattr("routecore.providers.h1_reply._DRAIN_S", 0.01)
    _, srv = serve(lambda req: chunked([b"data: [DONE]\n\n"])[:-1], read_to_done)
    assert srv.connections == 2


def test_at_the_connection_limit_a_draining_connection_gives_way() -> None:
    async def body(pool: H1Pool, url: str) -> float:
        r = await H1Wire(pool, url, {}).send(b"{}")
        async for c in r.chunks():
            if c.endswith(b"data: [DONE]\n\n"):
                break
        await r.close(drain=True)  # the terminator never comes
        t = asyncio.get_running_loop().time()
        r = await H1Wire(pool, url, {}).send(b"{}")  # the pool's one slot is the draining one
        await r.close()
        return asyncio.get_running_loop().time() - t

    waited, srv = serve(lambda req: chunked([b"data: [DONE]\n\n"])[:-1], body, max_connections=1)
    assert waited < 0.5 and srv.connections == 2  # not the 1 s drain time
