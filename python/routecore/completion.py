"""Result types: the normalised delta every adapter yields, the per-attempt trace, and the final
Completion. Chunks handed to callers are OpenAI ``chat.completion.chunk`` dicts."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0

    def to_openai(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.input_tokens,
            "completion_tokens": self.output_tokens,
            "total_tokens": self.input_tokens + self.output_tokens,
        }


@dataclass(slots=True)
class ToolCallDelta:
    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""

    def to_openai(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index}
        fn: dict[str, Any] = {"arguments": self.arguments}
        if self.id is not None:
            out["id"] = self.id
            out["type"] = "function"
        if self.name is not None:
            fn["name"] = self.name
        out["function"] = fn
        return out


@dataclass(slots=True)
class Delta:
    """One normalised step of an answer, whatever the wire format."""

    content: str | None = None
    tool_calls: list[ToolCallDelta] | None = None
    role: str | None = None
    finish_reason: str | None = None
    usage: Usage | None = None

    @property
    def useful(self) -> bool:
        # Progress means text or a tool call; role-only and empty deltas only prove a live socket.
        return bool(self.content) or bool(self.tool_calls)

    def to_chunk(self, rid: str, model: str, created: int) -> dict[str, Any]:
        if self.usage is not None and not (self.content or self.tool_calls or self.role
                                           or self.finish_reason):
            # OpenAI's usage chunk (stream_options.include_usage) carries no choices.
            return {"id": rid, "object": "chat.completion.chunk", "created": created,
                    "model": model, "choices": [], "usage": self.usage.to_openai()}
        delta: dict[str, Any] = {}
        if self.role is not None:
            delta["role"] = self.role
        if self.content is not None:
            delta["content"] = self.content
        if self.tool_calls:
            delta["tool_calls"] = [t.to_openai() for t in self.tool_calls]
        chunk: dict[str, Any] = {
            "id": rid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": self.finish_reason}],
        }
        if self.usage is not None:
            chunk["usage"] = self.usage.to_openai()
        return chunk


@dataclass(slots=True)
class Attempt:
    """One try against one deployment; the trace of a call is the list of these, in start order."""

    model: str
    provider: str
    hedge: bool = False
    continuation: bool = False  # resumed a truncated stream from its partial output
    started_ms: float = 0.0  # since the call started
    outcome: str = "pending"  # ok | error | lost_race | skipped | cancelled | pending
    error_kind: str | None = None
    error_type: str | None = None
    status: int | None = None
    detail: str | None = None
    ttft_ms: float | None = None
    duration_ms: float | None = None
    billed: bool = False  # the deployment answered 2xx, so input tokens were spent

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(slots=True)
class Accumulator:
    """Folds deltas into a message (used for Completion and for continuing a truncated stream)."""

    content: list[str] = field(default_factory=list)
    tools: dict[int, ToolCallDelta] = field(default_factory=dict)
    finish_reason: str | None = None
    usage: Usage | None = None

    def add(self, d: Delta) -> None:
        if d.content:
            self.content.append(d.content)
        if d.tool_calls:
            for t in d.tool_calls:
                cur = self.tools.get(t.index)
                if cur is None:
                    self.tools[t.index] = ToolCallDelta(t.index, t.id, t.name, t.arguments)
                else:
                    cur.arguments += t.arguments
                    cur.id = cur.id or t.id
                    cur.name = cur.name or t.name
        if d.finish_reason is not None:
            self.finish_reason = d.finish_reason
        if d.usage is not None:
            self.usage = d.usage

    @property
    def text(self) -> str:
        return "".join(self.content)

    def tool_calls(self) -> list[dict[str, Any]]:
        return [
            {"id": t.id, "type": "function", "function": {"name": t.name, "arguments": t.arguments}}
            for _, t in sorted(self.tools.items())
        ]


@dataclass(slots=True)
class Completion:
    id: str
    model: str  # the configured model name that produced the answer
    content: str | None
    tool_calls: list[dict[str, Any]]
    finish_reason: str | None
    usage: Usage
    decision: Any
    attempts: list[Attempt]
    ttft_ms: float | None
    latency_ms: float
    truncated: bool = False
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def message(self) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            msg["tool_calls"] = self.tool_calls
        return msg

    def to_openai(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "message": self.message, "finish_reason": self.finish_reason}],
            "usage": self.usage.to_openai(),
        }
