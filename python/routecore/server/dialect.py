"""How a chat answer is written back: OpenAI's shapes, or Anthropic's (anthropic_compat.py).
The pipeline speaks OpenAI chunk dicts internally; a dialect turns them into wire events."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol

from routecore._json import dumps_no_floats
from routecore.completion import Completion, Usage
from routecore.server.errors import ApiError
from routecore.server.http import dumps
from routecore.server.params import ChatParams, openai_chat


class StreamWriter(Protocol):
    def start(self, rid: str, model: str, input_tokens: int) -> list[tuple[bytes | None, bytes]]: ...
    def chunk(self, chunk: Mapping[str, Any]) -> list[tuple[bytes | None, bytes]]: ...
    def finish(self, usage: Usage | None) -> list[tuple[bytes | None, bytes]]: ...
    def failed(self, err: ApiError) -> list[tuple[bytes | None, bytes]]: ...


class Dialect(Protocol):
    name: str

    def parse(self, body: Mapping[str, Any]) -> ChatParams: ...
    def whole(self, c: Completion) -> bytes: ...
    def writer(self, p: ChatParams) -> StreamWriter: ...
    def error_body(self, err: ApiError) -> bytes: ...


# Each event is (SSE event name or None, data bytes).
Events = list[tuple[bytes | None, bytes]]


class OpenAIStream:
    """Passes the dispatcher's chunks through; usage-only chunks only if the client asked."""

    def __init__(self, include_usage: bool) -> None:
        self.include_usage = include_usage
        self.usage_sent = False
        self.rid = ""
        self.model = ""

    def start(self, rid: str, model: str, input_tokens: int) -> Events:
        self.rid, self.model = rid, model
        return []

    def chunk(self, chunk: Mapping[str, Any]) -> Events:
        if not chunk.get("choices") and "error" not in chunk:
            if not self.include_usage:
                return []
            self.usage_sent = True
            return [(None, dumps(chunk))]
        if "usage" in chunk and not self.include_usage:
            chunk = {k: v for k, v in chunk.items() if k != "usage"}
        # `Delta.to_chunk` and the error path build chunks without floats (per delta: the walk
        # for NaN that dumps() makes on every "finish_reason": null is skipped).
        return [(None, dumps_no_floats(chunk))]

    def finish(self, usage: Usage | None) -> Events:
        out: Events = []
        if self.include_usage and not self.usage_sent and usage is not None:
            out.append((None, dumps({"id": self.rid, "object": "chat.completion.chunk",
                                     "created": int(time.time()), "model": self.model, "choices": [],
                                     "usage": usage.to_openai()})))
        out.append((None, b"[DONE]"))
        return out

    def failed(self, err: ApiError) -> Events:
        # The OpenAI SDKs raise on a data event carrying "error"; a stream never just stops.
        return [(None, err.openai_body())]


class OpenAIDialect:
    name = "openai"

    def parse(self, body: Mapping[str, Any]) -> ChatParams:
        return openai_chat(body)

    def whole(self, c: Completion) -> bytes:
        return dumps(c.to_openai())

    def writer(self, p: ChatParams) -> StreamWriter:
        return OpenAIStream(p.include_usage)

    def error_body(self, err: ApiError) -> bytes:
        return err.openai_body()
