"""OpenAI-compatible chat completions (``POST {api_base}/chat/completions``)."""

from __future__ import annotations

from typing import Any

from routecore._json import loads
from routecore.completion import Delta, ToolCallDelta, Usage
from routecore.provider_errors import (
    BadResponse,
    ContentPolicyRefusal,
    ContextWindowExceeded,
    ProviderError,
    QuotaExhausted,
)
from routecore.providers.base import (
    ChatRequest,
    Provider,
    StreamParser,
    error_for_status,
)
from routecore.providers.sse import SSEEvent

# Structured ``error.code`` values with a meaning beyond their HTTP status.
_CONTEXT_CODES = frozenset({"context_length_exceeded"})
_POLICY_CODES = frozenset({"content_policy_violation", "content_filter"})
_QUOTA_CODES = frozenset({"insufficient_quota"})


class OpenAIProvider(Provider):
    kind = "openai"

    def _path(self) -> str:
        return "/chat/completions"

    def _auth_headers(self) -> dict[str, str]:
        h = {"content-type": "application/json"}
        if self.dep.api_key is not None:
            h["authorization"] = "Bearer " + self.dep.api_key.reveal()
        return h

    def body(self, req: ChatRequest, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.dep.upstream_model, "messages": list(req.messages)}
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        if req.tools:
            body["tools"] = list(req.tools)
        if req.tool_choice is not None:
            body["tool_choice"] = req.tool_choice
        if req.response_format is not None:
            body["response_format"] = req.response_format
        if req.max_tokens is not None:
            body["max_tokens"] = req.max_tokens
        if req.temperature is not None:
            body["temperature"] = req.temperature
        if req.top_p is not None:
            body["top_p"] = req.top_p
        if req.stop:
            body["stop"] = list(req.stop)
        return body

    def classify(self, status: int, payload: Any, retry_after_s: float | None) -> ProviderError:
        err = payload.get("error") if isinstance(payload, dict) else None
        code = err.get("code") if isinstance(err, dict) else None
        code = code if isinstance(code, str) else None
        detail = err.get("message") if isinstance(err, dict) else None
        msg = f"openai {status} {code or ''}".rstrip()
        if isinstance(detail, str):
            msg += ": " + self.redact(detail)
        if code in _CONTEXT_CODES:
            return ContextWindowExceeded(msg, status=status, code=code)
        if code in _POLICY_CODES:
            return ContentPolicyRefusal(msg, status=status, code=code)
        if code in _QUOTA_CODES:
            return QuotaExhausted(msg, status=status, code=code)
        return error_for_status(status, msg, code=code, retry_after_s=retry_after_s)

    def parse_whole(self, data: Any) -> list[Delta]:
        try:
            choice = data["choices"][0]
            msg = choice["message"]
        except (KeyError, IndexError, TypeError):
            raise BadResponse("response has no choices[0].message", model=self.dep.name) from None
        calls = [
            ToolCallDelta(i, c.get("id"), c["function"].get("name"), c["function"].get("arguments") or "")
            for i, c in enumerate(msg.get("tool_calls") or ())
        ]
        return [
            Delta(content=msg.get("content"), tool_calls=calls or None, role="assistant"),
            Delta(finish_reason=choice.get("finish_reason"), usage=_usage(data.get("usage"))),
        ]

    def stream_parser(self) -> StreamParser:
        return _OpenAIStream(self)


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    return Usage(int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0))


class _OpenAIStream(StreamParser):
    def __init__(self, provider: OpenAIProvider) -> None:
        self._p = provider

    def feed(self, ev: SSEEvent) -> list[Delta]:
        if ev.data == "[DONE]":
            self.done = True
            return []
        obj = loads(ev.data)
        if "error" in obj:  # some servers report failures in-band after a 200
            err = self._p.classify(500, obj, None)
            err.model = self._p.dep.name
            raise err
        raw_usage = obj.get("usage")
        usage = None if raw_usage is None else _usage(raw_usage)  # most events carry none
        choices = obj.get("choices")
        if not choices:
            return [Delta(usage=usage)] if usage is not None else []
        choice = choices[0]
        raw = choice.get("delta") or {}
        calls = None
        if raw.get("tool_calls"):
            calls = [
                ToolCallDelta(
                    int(c.get("index", 0)), c.get("id"),
                    (c.get("function") or {}).get("name"),
                    (c.get("function") or {}).get("arguments") or "",
                )
                for c in raw["tool_calls"]
            ]
        return [Delta(raw.get("content"), calls, raw.get("role"), choice.get("finish_reason"), usage)]
