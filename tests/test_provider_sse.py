from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from routecore.providers.sse import SSEDecoder, SSEEvent

STREAM = (
    b": keep-alive\n\n"
    b"event: message_start\ndata: {\"a\": 1}\n\n"
    b"data: line1\ndata: line2\n\n"
    b": comment only\n\n"
    b"data: [DONE]\n\n"
)
EXPECTED = [SSEEvent("message_start", '{"a": 1}'), SSEEvent(None, "line1\nline2"), SSEEvent(None, "[DONE]")]


def decode(chunks: list[bytes]) -> list[SSEEvent]:
    d = SSEDecoder()
    out: list[SSEEvent] = []
    for c in chunks:
        out += d.feed(c)
    return out + d.flush()


def test_comments_are_not_events() -> None:
    assert decode([STREAM]) == EXPECTED
    assert decode([b": keep-alive\n\n" * 10]) == []


def test_crlf_line_endings() -> None:
    assert decode([STREAM.replace(b"\n", b"\r\n")]) == EXPECTED


@given(st.lists(st.integers(min_value=1, max_value=len(STREAM)), max_size=12), st.booleans())
def test_any_chunking_gives_the_same_events(cuts: list[int], crlf: bool) -> None:
    data = STREAM.replace(b"\n", b"\r\n") if crlf else STREAM
    points = sorted({min(c, len(data)) for c in cuts})
    chunks, prev = [], 0
    for p in [*points, len(data)]:
        chunks.append(data[prev:p])
        prev = p
    assert decode(chunks) == EXPECTED


def test_final_event_without_blank_line_is_flushed() -> None:
    assert decode([b"data: x"]) == [SSEEvent(None, "x")]
