"""``POST /v1/messages``: Anthropic's Messages API over the same pipeline. Requests are turned
into the internal OpenAI shapes (the inverse of providers/anthropic.py), answers and stream
chunks back into Anthropic content blocks and events."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from routecore.completion import Completion, Usage
from routecore.server.dialect import Events, StreamWriter
from routecore.server.errors import ApiError
from routecore.server.http import dumps
from routecore.server.params import ChatParams, bad, model_name, number, stop_list

_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use",
         "content_filter": "refusal", "error": "end_turn"}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


def _user_turn(blocks: list[Any], out: list[Mapping[str, Any]]) -> None:
    parts: list[dict[str, Any]] = []
    for b in blocks:
        kind = b.get("type")
        if kind == "tool_result":
            out.append({"role": "tool", "tool_call_id": b.get("tool_use_id"),
                        "content": _text(b.get("content"))})
        elif kind == "text":
            parts.append({"type": "text", "text": b.get("text", "")})
        elif kind == "image":
            src = b.get("source") or {}
            url = (f"data:{src.get('media_type')};base64,{src.get('data')}" if src.get("type") == "base64"
                   else src.get("url", ""))
            parts.append({"type": "image_url", "image_url": {"url": url}})
    if parts:
        out.append({"role": "user", "content": parts})


def _assistant_turn(blocks: list[Any], out: list[Mapping[str, Any]]) -> None:
    calls = [{"id": b.get("id"), "type": "function",
              "function": {"name": b.get("name"), "arguments": json.dumps(b.get("input") or {})}}
             for b in blocks if b.get("type") == "tool_use"]
    msg: dict[str, Any] = {"role": "assistant", "content": _text(blocks) or None}
    if calls:
        msg["tool_calls"] = calls
    out.append(msg)


def to_openai_messages(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs or not all(isinstance(m, dict) for m in msgs):
        raise bad("messages", "'messages' must be a non-empty list of message objects.")
    out: list[Mapping[str, Any]] = []
    system = _text(body.get("system"))
    if system:
        out.append({"role": "system", "content": system})
    for i, m in enumerate(msgs):
        role, content = m.get("role"), m.get("content")
        if role not in ("user", "assistant"):
            raise bad(f"messages[{i}].role", "Each message's 'role' must be 'user' or 'assistant'.")
        if isinstance(content, str):
            out.append({"role": role, "content": content})
            continue
        if not isinstance(content, list) or not all(isinstance(b, dict) for b in content):
            raise bad(f"messages[{i}].content", "'content' must be a string or a list of content blocks.")
        (_user_turn if role == "user" else _assistant_turn)(content, out)
    return out


def _tools(raw: Any) -> list[Mapping[str, Any]] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(t, dict) and isinstance(t.get("name"), str)
                                            for t in raw):
        raise bad("tools", "'tools' must be a list of {name, description, input_schema}.")
    return [{"type": "function", "function": {"name": t["name"], "description": t.get("description", ""),
                                              "parameters": t.get("input_schema") or {"type": "object"}}}
            for t in raw] or None


def _tool_choice(raw: Any) -> str | Mapping[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    kind = raw.get("type")
    if kind == "tool":
        return {"type": "function", "function": {"name": raw.get("name")}}
    return {"auto": "auto", "any": "required", "none": "none"}.get(str(kind))


class AnthropicDialect:
    name = "anthropic"

    def parse(self, body: Mapping[str, Any]) -> ChatParams:
        if body.get("max_tokens") is None:
            raise bad("max_tokens", "'max_tokens' is required by the Messages API.")
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise bad("stream", "'stream' must be true or false.")
        return ChatParams(
            messages=to_openai_messages(body), model=model_name(body), stream=stream,
            tools=_tools(body.get("tools")), tool_choice=_tool_choice(body.get("tool_choice")),
            max_tokens=number(body, "max_tokens", 1, 10_000_000, integer=True),
            temperature=number(body, "temperature", 0.0, 1.0), top_p=number(body, "top_p", 0.0, 1.0),
            stop=stop_list(body.get("stop_sequences"), "stop_sequences"),
        )

    def whole(self, c: Completion) -> bytes:
        content: list[dict[str, Any]] = []
        if c.content:
            content.append({"type": "text", "text": c.content})
        for call in c.tool_calls:
            fn = call["function"]
            content.append({"type": "tool_use", "id": call["id"], "name": fn["name"],
                            "input": _args(fn["arguments"])})
        return dumps({"id": "msg_" + c.id, "type": "message", "role": "assistant", "model": c.model,
                      "content": content, "stop_reason": _STOP.get(c.finish_reason or "stop", "end_turn"),
                      "stop_sequence": None, "usage": _usage(c.usage)})

    def writer(self, p: ChatParams) -> StreamWriter:
        return AnthropicStream()

    def error_body(self, err: ApiError) -> bytes:
        return err.anthropic_body()


def _args(raw: str) -> Any:
    try:
        return json.loads(raw or "{}")
    except ValueError:
        return {}


def _usage(u: Usage | None) -> dict[str, int]:
    return {"input_tokens": u.input_tokens if u else 0, "output_tokens": u.output_tokens if u else 0}


def _ev(name: str, data: dict[str, Any]) -> tuple[bytes, bytes]:
    return name.encode(), dumps({"type": name, **data})


class AnthropicStream:
    """OpenAI chunks → Anthropic events: one content block per text run or tool call."""

    def __init__(self) -> None:
        self.block = -1
        self.open: str | None = None  # "text" or "tool:<openai index>"
        self.stop = "end_turn"

    def start(self, rid: str, model: str, input_tokens: int) -> Events:
        msg: dict[str, Any] = {
            "id": "msg_" + rid, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": 0}}
        return [_ev("message_start", {"message": msg}), _ev("ping", {})]

    def _switch(self, key: str, block: dict[str, Any], out: Events) -> None:
        if self.open == key:
            return
        if self.open is not None:
            out.append(_ev("content_block_stop", {"index": self.block}))
        self.block += 1
        self.open = key
        out.append(_ev("content_block_start", {"index": self.block, "content_block": block}))

    def chunk(self, chunk: Mapping[str, Any]) -> Events:
        out: Events = []
        if "error" in chunk:  # the dispatcher's in-band truncation notice
            msg: str = str((chunk.get("error") or {}).get("message") or "the provider stream broke")
            return [(b"error", ApiError(502, "stream_truncated", msg).anthropic_body())]
        for ch in chunk.get("choices") or ():
            delta = ch.get("delta") or {}
            if delta.get("content"):
                self._switch("text", {"type": "text", "text": ""}, out)
                out.append(_ev("content_block_delta", {"index": self.block, "delta": {
                    "type": "text_delta", "text": delta["content"]}}))
            for t in delta.get("tool_calls") or ():
                fn = t.get("function") or {}
                self._switch(f"tool:{t.get('index', 0)}", {"type": "tool_use", "id": t.get("id"),
                                                          "name": fn.get("name"), "input": {}}, out)
                if fn.get("arguments"):
                    out.append(_ev("content_block_delta", {"index": self.block, "delta": {
                        "type": "input_json_delta", "partial_json": fn["arguments"]}}))
            if ch.get("finish_reason"):
                self.stop = _STOP.get(ch["finish_reason"], "end_turn")
        return out

    def finish(self, usage: Usage | None) -> Events:
        out: Events = []
        if self.open is not None:
            out.append(_ev("content_block_stop", {"index": self.block}))
            self.open = None
        out.append(_ev("message_delta", {"delta": {"stop_reason": self.stop, "stop_sequence": None},
                                         "usage": {"output_tokens": usage.output_tokens if usage else 0}}))
        out.append(_ev("message_stop", {}))
        return out

    def failed(self, err: ApiError) -> Events:
        return [(b"error", err.anthropic_body())]
