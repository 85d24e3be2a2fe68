"""Turn a scenario and a request into timed write steps (the mock's response script)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from routecore.testing import mock_wire as wire
from routecore.testing.mock_http import Request
from routecore.testing.mock_scenario import Scenario

Op = Literal["start", "chunk", "end", "whole", "raw", "abort"]
_TOOL_ARGS = ('{"city"', ': "Par', 'is"}')


@dataclass(frozen=True, slots=True)
class Step:
    delay_s: float
    op: Op
    data: bytes = b""
    status: int = 200
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def _answer(sc: Scenario, body: dict[str, Any], anthropic: bool, rid: str, refusal: bool,
            input_tokens: int, request_no: int = 0) -> wire.Answer:
    model = str(body.get("model", ""))
    tool = sc.tool_call
    choice = body.get("tool_choice")
    if tool is None and body.get("tools") and choice not in (None, "auto", "none", {"type": "auto"}):
        tool = "*"
    if tool == "*":
        first = body.get("tools", [{}])[0]
        tool = str(first.get("name") if anthropic else first.get("function", {}).get("name", "tool"))
    if refusal:
        return wire.Answer(model, (), None, (), "content_filter", input_tokens, rid)
    if tool is not None:
        return wire.Answer(model, (), tool, _TOOL_ARGS, "tool_calls", input_tokens, rid)
    text = sc.first_text if sc.first_text is not None and request_no <= sc.first_text_n else sc.text
    if text is not None:
        words = text.split(" ")
        pieces = (*tuple(w + " " for w in words[:-1]), words[-1])
    else:
        pieces = tuple(f"tok{i} " for i in range(sc.tokens))
    return wire.Answer(model, pieces, None, (), "stop", input_tokens, rid)


def _error(sc: Scenario, anthropic: bool, status: int, code: str | None, msg: str) -> Step:
    body = (wire.anthropic_error if anthropic else wire.openai_error)(status, code, msg)
    headers: tuple[tuple[str, str], ...] = ()
    if sc.retry_after_s is not None:
        headers = (("retry-after", str(math.ceil(sc.retry_after_s))),
                   ("retry-after-ms", str(int(sc.retry_after_s * 1000))))
    return Step(0.0, "whole", body, status, headers=headers)


def plan(sc: Scenario, req: Request, body: dict[str, Any], *, anthropic: bool, rng: random.Random,
         rid: str, request_no: int, stats_fault: Callable[[], None]) -> tuple[Iterator[Step], bool]:
    """Returns the steps and whether any of them waits (else the mock answers synchronously)."""
    fault = sc.pick_fault(rng, request_no)
    if fault is not None:
        stats_fault()
    stream = bool(body.get("stream"))
    latency = sc.pick_latency_s(rng)
    ttft = sc.pick_delay_s(rng, sc.ttft_ms)
    input_tokens = max(1, len(req.body) // 4)
    delayed = latency > 0 or ttft > 0 or (stream and sc.inter_token_ms > 0) or fault == "keepalive"
    if sc.context_window is not None and input_tokens > sc.context_window:
        code = "invalid_request_error" if anthropic else "context_length_exceeded"
        msg = f"prompt is too long: {input_tokens} tokens > {sc.context_window} maximum"
        return iter([Step(latency, "whole", _error(sc, anthropic, 400, code, msg).data, 400)]), delayed
    ans = _answer(sc, body, anthropic, rid, fault == "refusal", input_tokens, request_no)
    if stream:
        steps = _stream(sc, ans, anthropic, fault, latency, ttft, body)
    else:
        steps = _whole(sc, ans, anthropic, fault, latency + ttft)
    return steps, delayed


def _whole(sc: Scenario, ans: wire.Answer, anthropic: bool, fault: str | None,
           delay: float) -> Iterator[Step]:
    if fault == "http_error":
        err = _error(sc, anthropic, sc.status, sc.error_code,
                     sc.error_message or f"mock error {sc.status}")
        yield Step(delay, err.op, err.data, err.status, headers=err.headers)
    elif fault == "reset" or fault == "keepalive":
        yield Step(delay, "abort")
    elif fault == "malformed":
        yield Step(delay, "whole", b'{"id": "x", "choices": [', 200)
    elif fault == "wrong_content_type":
        yield Step(delay, "whole", b"<html><body>upstream gateway</body></html>", 200, "text/html")
    else:
        data = wire.anthropic_body(ans) if anthropic else wire.openai_body(ans)
        if fault == "cut":
            head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(data)}\r\n\r\n"
            yield Step(delay, "raw", head.encode() + data[: len(data) // 2])
            yield Step(0.0, "abort")
        else:
            yield Step(delay, "whole", data, 200)


def _stream(sc: Scenario, ans: wire.Answer, anthropic: bool, fault: str | None, latency: float,
            ttft: float, body: dict[str, Any]) -> Iterator[Step]:
    if fault in ("http_error", "reset", "wrong_content_type"):
        yield from _whole(sc, ans, anthropic, fault, latency)
        return
    yield Step(latency, "start", content_type="text/event-stream")
    head = wire.anthropic_head(ans) if anthropic else wire.openai_role_chunk(ans)
    yield Step(0.0, "chunk", head)
    if fault == "keepalive":
        # Role-only and empty deltas plus comments: bytes flow, but nothing useful ever does.
        empty = wire.sse('{"type":"ping"}', "ping") if anthropic else wire.openai_chunk(ans, {"content": ""})
        for i in range(int(sc.max_stream_s * 1000 / max(sc.keepalive_ms, 1.0))):
            yield Step(sc.keepalive_ms / 1000.0, "chunk", empty if i % 2 else b": keep-alive\n\n")
        yield Step(0.0, "abort")
        return
    if fault == "malformed":
        yield Step(ttft, "chunk", b"data: {\"choices\": [{\"delta\": {\"content\": \n\n")
        yield Step(0.0, "end")
        return
    n = len(ans.tool_args) if ans.tool_name is not None else len(ans.pieces)
    piece = wire.anthropic_piece if anthropic else wire.openai_piece
    for i in range(n):
        if fault == "cut" and i >= sc.cut_after:
            yield Step(0.0, "abort")
            return
        yield Step(ttft if i == 0 else sc.inter_token_ms / 1000.0, "chunk", piece(ans, i))
    usage = bool((body.get("stream_options") or {}).get("include_usage"))
    tail = wire.anthropic_tail(ans) if anthropic else wire.openai_tail(ans, usage)
    yield Step(ttft if n == 0 else 0.0, "chunk", tail)
    yield Step(0.0, "end")
