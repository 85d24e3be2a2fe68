"""What every adapter shares: the request type, the send/receive loop, and HTTP-error typing.

An adapter turns a ChatRequest into its wire body and its responses (whole or SSE) into Deltas.
Failures leave the adapter already typed (provider_errors), classified from the HTTP status plus
the structured error fields, so no later layer needs to look at text.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from routecore._core import redact as _redact
from routecore._json import dumps, loads
from routecore.completion import Delta
from routecore.provider_errors import (
    BadResponse,
    ClientError,
    ConnectFailed,
    DeploymentMisconfigured,
    ProviderError,
    ProviderTimeout,
    RateLimited,
    ServerError,
    StreamBroken,
)
from routecore.providers.config import Deployment
from routecore.providers.sse import SSEDecoder, SSEEvent
from routecore.providers.wire import Headers, Reply, wire_for


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """An OpenAI-shaped chat request; adapters translate it to their wire format."""

    messages: Sequence[Mapping[str, Any]]
    tools: Sequence[Mapping[str, Any]] | None = None
    tool_choice: str | Mapping[str, Any] | None = None
    response_format: Mapping[str, Any] | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: Sequence[str] | None = None


class StreamParser(ABC):
    """Per-response state machine from SSE events to Deltas."""

    done: bool = False

    @abstractmethod
    def feed(self, ev: SSEEvent) -> list[Delta]: ...


class Provider(ABC):
    kind: str = "openai"

    def __init__(self, dep: Deployment, client: httpx.AsyncClient) -> None:
        self.dep = dep
        self._client = client
        self._wire = wire_for(client, dep.api_base + self._path(), self._auth_headers())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.dep.name!r}, api_base={self.dep.api_base!r})"

    @abstractmethod
    def _path(self) -> str: ...

    @abstractmethod
    def _auth_headers(self) -> dict[str, str]: ...

    @abstractmethod
    def body(self, req: ChatRequest, stream: bool) -> dict[str, Any]: ...

    @abstractmethod
    def classify(self, status: int, payload: Any, retry_after_s: float | None) -> ProviderError: ...

    @abstractmethod
    def parse_whole(self, data: Any) -> list[Delta]: ...

    @abstractmethod
    def stream_parser(self) -> StreamParser: ...

    async def deltas(self, req: ChatRequest, *, stream: bool = True) -> AsyncGenerator[Delta, None]:
        """Send one request and yield its normalised deltas; raise typed ProviderErrors."""
        content = dumps(self.body(req, stream))
        try:
            resp = await self._wire.send(content)
        except httpx.TransportError as exc:
            # Before the status line every transport failure means "no answer" (httpx-aiohttp maps
            # some resets to ConnectTimeout, so the phase decides, not the exception name).
            raise ConnectFailed(f"{type(exc).__name__} before response", model=self.dep.name) from None
        ended = False  # the stream's own end event seen: the rest on the wire is framing
        try:
            if resp.status >= 300:
                raise await self._http_error(resp)
            ctype = resp.headers.get("content-type", "")
            if stream and ctype.startswith("text/event-stream"):
                # The SSE loop inline, not a generator of its own: every delta of every stream
                # would pass through one more generator frame.
                decoder = SSEDecoder()
                parser = self.stream_parser()
                try:
                    async for chunk in resp.chunks():
                        for ev in decoder.feed(chunk):
                            for d in parser.feed(ev):
                                yield d
                        if parser.done:
                            ended = True
                            break
                    else:
                        for ev in decoder.flush():
                            for d in parser.feed(ev):
                                yield d
                except (ValueError, KeyError, TypeError, IndexError, AttributeError):
                    raise BadResponse("malformed stream event", model=self.dep.name) from None
                if not parser.done:
                    raise StreamBroken("stream ended without its terminator", model=self.dep.name)
            elif ctype.startswith("application/json"):
                raw = await resp.read()
                try:
                    data = loads(raw)
                except ValueError:
                    raise BadResponse("malformed JSON body", model=self.dep.name,
                                      status=resp.status) from None
                try:
                    whole = self.parse_whole(data)
                except (KeyError, TypeError, IndexError, AttributeError, ValueError):
                    raise BadResponse("unexpected response shape", model=self.dep.name,
                                      status=resp.status) from None
                for d in whole:
                    yield d
            else:
                raise BadResponse(f"unexpected content-type {ctype[:60]!r}", model=self.dep.name,
                                  status=resp.status)
        except httpx.TransportError as exc:
            raise StreamBroken(f"{type(exc).__name__} mid-response", model=self.dep.name) from None
        finally:
            # Not waiting for the chunked terminator that follows [DONE] (often in the next
            # segment), but not dropping the connection for it either: drained, it is pooled.
            await resp.close(drain=ended)

    async def _http_error(self, resp: Reply) -> ProviderError:
        raw = await resp.read()
        try:
            payload = loads(raw)
        except ValueError:
            payload = None
        err = self.classify(resp.status, payload, retry_after(resp.headers))
        err.model = self.dep.name
        return err

    def redact(self, text: str) -> str:
        """Provider messages may echo credentials and the prompt's PII: ours are masked, the
        rest redacted — before truncating, which could cut a secret below what the redactor
        recognises and leave its prefix in the message."""
        key = self.dep.api_key.reveal() if self.dep.api_key else None
        if key:
            text = text.replace(key, "***")
        return _redact(text[:4096])[:200]


def retry_after(headers: Headers) -> float | None:
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def error_for_status(status: int, msg: str, *, code: str | None,
                     retry_after_s: float | None) -> ProviderError:
    """The status-level classification shared by adapters (they refine by structured code first)."""
    if status == 429:
        return RateLimited(msg, retry_after_s=retry_after_s, status=status, code=code)
    if status == 408:
        return ProviderTimeout(msg, status=status, code=code)
    if status >= 500:
        return ServerError(msg, status=status, code=code)
    if status in (401, 403, 404):
        return DeploymentMisconfigured(msg, status=status, code=code)
    if 300 <= status < 400:
        return BadResponse(msg, status=status, code=code)
    return ClientError(msg, status=status, code=code)

