"""What the mock provider should do for a request: latency shape plus an optional fault.

A scenario is plain data so it can be set in-process, over the control endpoint, or per request
in the ``x-mock-scenario`` header (JSON with the same field names).
"""

from __future__ import annotations

import dataclasses
import json
import random
from dataclasses import dataclass
from typing import Any, Literal

Fault = Literal[
    "http_error",  # status + structured error body (+ Retry-After when retry_after is set)
    "reset",  # abort the TCP connection before any response byte
    "cut",  # stream: cut_after content deltas, then abort; non-stream: half a body, then abort
    "keepalive",  # 200 + role-only/empty deltas + SSE comments, never a useful token
    "malformed",  # 200 with a body (or SSE data line) that is not JSON
    "wrong_content_type",  # 200 text/html
    "refusal",  # in-band refusal: finish_reason content_filter / stop_reason refusal
]
FAULTS: frozenset[str] = frozenset(Fault.__args__)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Scenario:
    latency_ms: float = 0.0  # before the response headers
    latency_jitter_ms: float = 0.0  # uniform extra on top of latency_ms
    ttft_ms: float = 0.0  # streams: after headers, before the first content delta
    inter_token_ms: float = 0.0
    tokens: int = 4  # content deltas (streams) / words (non-stream)
    text: str | None = None  # content to send; default: "tok0 tok1 ..."
    # The model's first `first_text_n` requests answer `first_text` instead (a model that
    # misbehaves, then recovers: re-ask and rollback tests).
    first_text: str | None = None
    first_text_n: int = 0
    tool_call: str | None = None  # emit a call to this tool instead of text ("*": first tool)
    # Long tail: with probability slow_rate the TTFT (or latency) becomes slow_ms.
    slow_rate: float = 0.0
    slow_ms: float = 0.0
    context_window: int | None = None  # reject prompts whose ~tokens exceed it (structured error)
    fault: Fault | None = None
    fault_rate: float = 1.0  # share of requests that get the fault
    fault_first_n: int = 0  # if > 0: only the model's first n requests get the fault
    status: int = 500
    error_code: str | None = None  # OpenAI error.code / Anthropic error.type override
    error_message: str | None = None  # http_error body's message (providers echo input there)
    retry_after_s: float | None = None
    cut_after: int = 2
    keepalive_ms: float = 20.0
    max_stream_s: float = 30.0  # hard cap so a forgotten keep-alive stream ends by itself

    def with_(self, **changes: Any) -> Scenario:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scenario:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown scenario fields: {sorted(unknown)}")
        if data.get("fault") is not None and data["fault"] not in FAULTS:
            raise ValueError(f"unknown fault {data['fault']!r}")
        return cls(**data)

    @classmethod
    def from_header(cls, raw: str) -> Scenario:
        return cls.from_json(json.loads(raw))

    def pick_fault(self, rng: random.Random, request_no: int) -> Fault | None:
        if self.fault is None or (self.fault_first_n > 0 and request_no > self.fault_first_n):
            return None
        if self.fault_rate >= 1.0 or rng.random() < self.fault_rate:
            return self.fault
        return None

    def pick_delay_s(self, rng: random.Random, base_ms: float) -> float:
        ms = base_ms
        if self.slow_rate > 0.0 and rng.random() < self.slow_rate:
            ms = self.slow_ms
        return ms / 1000.0

    def pick_latency_s(self, rng: random.Random) -> float:
        extra = rng.uniform(0.0, self.latency_jitter_ms) if self.latency_jitter_ms > 0 else 0.0
        return (self.latency_ms + extra) / 1000.0
