"""Wire bodies the mock sends: OpenAI chat completions and Anthropic Messages, whole or as SSE."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

_dumps = json.JSONEncoder(separators=(",", ":")).encode


@dataclass(frozen=True, slots=True)
class Answer:
    """What the mock will say, independent of wire format."""

    model: str
    pieces: tuple[str, ...]  # content deltas (empty when answering with a tool call)
    tool_name: str | None
    tool_args: tuple[str, ...]  # argument JSON in fragments
    finish: str  # "stop" | "tool_calls" | "content_filter"
    input_tokens: int
    rid: str

    @property
    def output_tokens(self) -> int:
        return max(1, len(self.pieces) + len(self.tool_args))


def sse(data: str, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data}\n\n".encode()


# ---------------------------------------------------------------- OpenAI


def openai_body(a: Answer) -> bytes:
    msg: dict[str, Any] = {"role": "assistant", "content": "".join(a.pieces) or None}
    if a.tool_name is not None:
        msg["tool_calls"] = [_openai_tool(a, "".join(a.tool_args))]
    return _dumps(
        {
            "id": a.rid,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": a.model,
            "choices": [{"index": 0, "message": msg, "finish_reason": a.finish}],
            "usage": _openai_usage(a),
        }
    ).encode()


def _openai_tool(a: Answer, args: str) -> dict[str, Any]:
    return {
        "id": "call_" + a.rid[-8:],
        "type": "function",
        "function": {"name": a.tool_name, "arguments": args},
    }


def _openai_usage(a: Answer) -> dict[str, int]:
    return {
        "prompt_tokens": a.input_tokens,
        "completion_tokens": a.output_tokens,
        "total_tokens": a.input_tokens + a.output_tokens,
    }


def openai_chunk(a: Answer, delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": a.rid,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": a.model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return sse(_dumps(body))


def openai_role_chunk(a: Answer) -> bytes:
    return openai_chunk(a, {"role": "assistant", "content": ""})


def openai_piece(a: Answer, i: int) -> bytes:
    """The i-th useful delta: a content piece or a tool-call fragment."""
    if a.tool_name is None:
        return openai_chunk(a, {"content": a.pieces[i]})
    call: dict[str, Any] = {"index": 0, "function": {"arguments": a.tool_args[i]}}
    if i == 0:
        call = _openai_tool(a, a.tool_args[0]) | {"index": 0}
    return openai_chunk(a, {"tool_calls": [call]})


def openai_tail(a: Answer, include_usage: bool) -> bytes:
    out = openai_chunk(a, {}, a.finish)
    if include_usage:
        body = {
            "id": a.rid,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": a.model,
            "choices": [],
            "usage": _openai_usage(a),
        }
        out += sse(_dumps(body))
    return out + b"data: [DONE]\n\n"


def openai_error(status: int, code: str | None, message: str) -> bytes:
    etype = "invalid_request_error" if status < 500 else "server_error"
    if status == 429:
        etype = "rate_limit_exceeded"
    return _dumps({"error": {"message": message, "type": etype, "param": None, "code": code}}).encode()


# ---------------------------------------------------------------- Anthropic

_STOP = {"stop": "end_turn", "tool_calls": "tool_use", "content_filter": "refusal"}


def anthropic_body(a: Answer) -> bytes:
    content: list[dict[str, Any]] = []
    if a.pieces:
        content.append({"type": "text", "text": "".join(a.pieces)})
    if a.tool_name is not None:
        args = json.loads("".join(a.tool_args))
        content.append({"type": "tool_use", "id": "toolu_" + a.rid[-8:], "name": a.tool_name, "input": args})
    return _dumps(
        {
            "id": a.rid,
            "type": "message",
            "role": "assistant",
            "model": a.model,
            "content": content,
            "stop_reason": _STOP[a.finish],
            "stop_sequence": None,
            "usage": {"input_tokens": a.input_tokens, "output_tokens": a.output_tokens},
        }
    ).encode()


def anthropic_head(a: Answer) -> bytes:
    start = {
        "type": "message_start",
        "message": {
            "id": a.rid,
            "type": "message",
            "role": "assistant",
            "model": a.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": a.input_tokens, "output_tokens": 1},
        },
    }
    if a.tool_name is not None:
        block: dict[str, Any] = {
            "type": "tool_use", "id": "toolu_" + a.rid[-8:], "name": a.tool_name, "input": {}
        }
    else:
        block = {"type": "text", "text": ""}
    out = sse(_dumps(start), "message_start")
    if a.finish != "content_filter":
        cbs = {"type": "content_block_start", "index": 0, "content_block": block}
        out += sse(_dumps(cbs), "content_block_start")
    return out + sse('{"type":"ping"}', "ping")


def anthropic_piece(a: Answer, i: int) -> bytes:
    if a.tool_name is None:
        delta = {"type": "text_delta", "text": a.pieces[i]}
    else:
        delta = {"type": "input_json_delta", "partial_json": a.tool_args[i]}
    return sse(_dumps({"type": "content_block_delta", "index": 0, "delta": delta}), "content_block_delta")


def anthropic_tail(a: Answer) -> bytes:
    out = b""
    if a.finish != "content_filter":
        out += sse('{"type":"content_block_stop","index":0}', "content_block_stop")
    md = {
        "type": "message_delta",
        "delta": {"stop_reason": _STOP[a.finish], "stop_sequence": None},
        "usage": {"output_tokens": a.output_tokens},
    }
    return out + sse(_dumps(md), "message_delta") + sse('{"type":"message_stop"}', "message_stop")


def anthropic_error(status: int, code: str | None, message: str) -> bytes:
    known = {401: "authentication_error", 403: "permission_error", 404: "not_found_error",
             413: "request_too_large", 429: "rate_limit_error", 529: "overloaded_error"}
    etype = code or known.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return _dumps({"type": "error", "error": {"type": etype, "message": message}}).encode()
