"""Anthropic Messages API (``POST {api_base}/messages``), normalised to OpenAI shapes.

Requests arrive OpenAI-shaped: system messages move to ``system``, tool results become
``tool_result`` blocks, assistant tool calls become ``tool_use`` blocks. Responses come back as
OpenAI deltas (text → content, tool_use → tool_calls, stop_reason → finish_reason).

Anthropic reports an over-long prompt as a plain ``invalid_request_error``; telling it apart would
need message matching, so the dispatcher checks the context window before sending instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from routecore._json import loads
from routecore.completion import Delta, ToolCallDelta, Usage
from routecore.provider_errors import (
    BadResponse,
    ClientError,
    DeploymentMisconfigured,
    ProviderError,
    RateLimited,
    ServerError,
)
from routecore.providers.base import (
    ChatRequest,
    Provider,
    StreamParser,
    error_for_status,
)
from routecore.providers.sse import SSEEvent

API_VERSION = "2023-06-01"
_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_ERRORS: dict[str, type[ProviderError]] = {
    "overloaded_error": ServerError,
    "api_error": ServerError,
    "rate_limit_error": RateLimited,
    "authentication_error": DeploymentMisconfigured,
    "permission_error": DeploymentMisconfigured,
    "not_found_error": DeploymentMisconfigured,
    "invalid_request_error": ClientError,
    "request_too_large": ClientError,
}


class AnthropicProvider(Provider):
    kind = "anthropic"

    def _path(self) -> str:
        return "/messages"

    def _auth_headers(self) -> dict[str, str]:
        h = {"content-type": "application/json", "anthropic-version": API_VERSION}
        if self.dep.api_key is not None:
            h["x-api-key"] = self.dep.api_key.reveal()
        return h

    def body(self, req: ChatRequest, stream: bool) -> dict[str, Any]:
        system, messages = convert_messages(req.messages)
        body: dict[str, Any] = {
            "model": self.dep.upstream_model,
            "messages": messages,
            "max_tokens": req.max_tokens or self.dep.max_output_tokens,
        }
        if system:
            body["system"] = system
        if stream:
            body["stream"] = True
        if req.tools:
            body["tools"] = [convert_tool(t) for t in req.tools]
        if req.tool_choice is not None:
            choice = convert_tool_choice(req.tool_choice)
            if choice is not None:
                body["tool_choice"] = choice
        if req.temperature is not None:
            body["temperature"] = req.temperature
        if req.top_p is not None:
            body["top_p"] = req.top_p
        if req.stop:
            body["stop_sequences"] = list(req.stop)
        return body

    def classify(self, status: int, payload: Any, retry_after_s: float | None) -> ProviderError:
        err = payload.get("error") if isinstance(payload, dict) else None
        etype = err.get("type") if isinstance(err, dict) else None
        etype = etype if isinstance(etype, str) else None
        detail = err.get("message") if isinstance(err, dict) else None
        msg = f"anthropic {status} {etype or ''}".rstrip()
        if isinstance(detail, str):
            msg += ": " + self.redact(detail)
        cls = _ERRORS.get(etype or "")
        if cls is RateLimited:
            return RateLimited(msg, retry_after_s=retry_after_s, status=status, code=etype)
        if cls is not None and (status < 500 or cls is ServerError):
            return cls(msg, status=status, code=etype)
        return error_for_status(status, msg, code=etype, retry_after_s=retry_after_s)

    def parse_whole(self, data: Any) -> list[Delta]:
        if not isinstance(data, dict) or not isinstance(data.get("content"), list):
            raise BadResponse("response has no content list", model=self.dep.name)
        texts: list[str] = []
        calls: list[ToolCallDelta] = []
        for block in data["content"]:
            if block.get("type") == "text":
                texts.append(block.get("text", ""))
            elif block.get("type") == "tool_use":
                args = json.dumps(block.get("input") or {}, separators=(",", ":"))
                calls.append(ToolCallDelta(len(calls), block.get("id"), block.get("name"), args))
        return [
            Delta(content="".join(texts) or None, tool_calls=calls or None, role="assistant"),
            Delta(finish_reason=_FINISH.get(data.get("stop_reason") or "", "stop"),
                  usage=_usage(data.get("usage"), None)),
        ]

    def stream_parser(self) -> StreamParser:
        return _AnthropicStream(self)


def _usage(raw: Any, input_tokens: int | None) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    inp = raw.get("input_tokens")
    return Usage(int(inp if inp is not None else input_tokens or 0), int(raw.get("output_tokens") or 0))


class _AnthropicStream(StreamParser):
    def __init__(self, provider: AnthropicProvider) -> None:
        self._p = provider
        self._tool_index: dict[int, int] = {}  # content-block index -> OpenAI tool_calls index
        self._input_tokens = 0

    def feed(self, ev: SSEEvent) -> list[Delta]:
        obj = loads(ev.data)
        kind = obj.get("type")
        if kind == "content_block_delta":
            delta = obj["delta"]
            if delta.get("type") == "text_delta":
                return [Delta(content=delta.get("text", ""))]
            if delta.get("type") == "input_json_delta":
                ti = self._tool_index.get(obj.get("index", 0), 0)
                return [Delta(tool_calls=[ToolCallDelta(ti, arguments=delta.get("partial_json", ""))])]
            return []  # thinking/signature deltas are not part of the OpenAI shape
        if kind == "content_block_start":
            block = obj["content_block"]
            if block.get("type") == "tool_use":
                ti = len(self._tool_index)
                self._tool_index[obj.get("index", 0)] = ti
                return [Delta(tool_calls=[ToolCallDelta(ti, block.get("id"), block.get("name"), "")])]
            if block.get("type") == "text" and block.get("text"):
                return [Delta(content=block["text"])]
            return []
        if kind == "message_start":
            usage = obj.get("message", {}).get("usage") or {}
            self._input_tokens = int(usage.get("input_tokens") or 0)
            return [Delta(role="assistant")]
        if kind == "message_delta":
            stop = (obj.get("delta") or {}).get("stop_reason")
            return [Delta(finish_reason=_FINISH.get(stop or "", "stop"),
                          usage=_usage(obj.get("usage"), self._input_tokens))]
        if kind == "message_stop":
            self.done = True
        elif kind == "error":
            err = self._p.classify(500, obj, None)
            err.model = self._p.dep.name
            raise err
        return []


# ------------------------------------------------------------------ request conversion


def convert_messages(messages: Sequence[Mapping[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    system: list[str] = []
    out: list[dict[str, Any]] = []
    for m in messages:
        role = m.get("role")
        if role in ("system", "developer"):
            system.append(_text_of(m.get("content")))
            continue
        if role == "tool":
            block = {"type": "tool_result", "tool_use_id": m.get("tool_call_id"),
                     "content": _text_of(m.get("content"))}
            _append(out, "user", [block])
        elif role == "assistant":
            blocks = _blocks(m.get("content"))
            for call in m.get("tool_calls") or ():
                fn = call.get("function") or {}
                try:
                    args = json.loads(fn.get("arguments") or "{}")
                except ValueError:
                    args = {}
                blocks.append({"type": "tool_use", "id": call.get("id"), "name": fn.get("name"),
                               "input": args})
            _append(out, "assistant", blocks)
        else:
            _append(out, "user", _blocks(m.get("content")))
    if out and out[-1]["role"] == "assistant":
        # A trailing assistant turn is a prefill (used to continue a truncated answer); the API
        # rejects trailing whitespace in it.
        last = out[-1]["content"]
        if last and last[-1].get("type") == "text":
            last[-1]["text"] = last[-1]["text"].rstrip()
    return "\n\n".join(s for s in system if s), out


def _append(out: list[dict[str, Any]], role: str, blocks: list[dict[str, Any]]) -> None:
    if not blocks:
        return
    if out and out[-1]["role"] == role:  # the API wants alternating turns
        out[-1]["content"].extend(blocks)
    else:
        out.append({"role": role, "content": blocks})


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _blocks(content: Any) -> list[dict[str, Any]]:
    if content is None or content == "":
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    blocks: list[dict[str, Any]] = []
    for part in content:
        if part.get("type") == "text":
            blocks.append({"type": "text", "text": part.get("text", "")})
        elif part.get("type") == "image_url":
            url = (part.get("image_url") or {}).get("url", "")
            if url.startswith("data:") and ";base64," in url:
                media, data = url[5:].split(";base64,", 1)
                blocks.append({"type": "image", "source": {"type": "base64", "media_type": media,
                                                           "data": data}})
            else:
                blocks.append({"type": "image", "source": {"type": "url", "url": url}})
    return blocks


def convert_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    fn = tool.get("function") or tool
    out: dict[str, Any] = {"name": fn.get("name"),
                           "input_schema": fn.get("parameters") or {"type": "object", "properties": {}}}
    if fn.get("description"):
        out["description"] = fn["description"]
    return out


def convert_tool_choice(choice: str | Mapping[str, Any]) -> dict[str, Any] | None:
    if choice == "auto":
        return {"type": "auto"}
    if choice == "required":
        return {"type": "any"}
    if choice == "none":
        return {"type": "none"}
    if isinstance(choice, Mapping):
        name = (choice.get("function") or {}).get("name")
        if name:
            return {"type": "tool", "name": name}
    return None
