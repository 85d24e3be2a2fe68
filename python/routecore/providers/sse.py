"""Incremental Server-Sent Events decoder. Comment lines (``: keep-alive``) produce no event, so a
stream of keep-alives can never look like progress to the timeout layer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SSEEvent:
    event: str | None
    data: str


class SSEDecoder:
    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        buf = self._buf + chunk
        if b"\r" in buf:
            # CRLF and lone CR are legal line ends; keep a trailing CR: it may be half of a CRLF.
            keep = buf.endswith(b"\r")
            body = buf[:-1] if keep else buf
            buf = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n") + (b"\r" if keep else b"")
        events: list[SSEEvent] = []
        start = 0
        while True:
            end = buf.find(b"\n\n", start)
            if end < 0:
                break
            ev = _parse_block(buf[start:end])
            if ev is not None:
                events.append(ev)
            start = end + 2
        self._buf = buf[start:]
        return events

    def flush(self) -> list[SSEEvent]:
        """At end of body: a final event without its blank line still counts (per spec it does not,
        but some servers omit it and the data is complete)."""
        rest, self._buf = self._buf.strip(b"\r\n"), b""
        ev = _parse_block(rest) if rest else None
        return [ev] if ev is not None else []


def _parse_block(block: bytes) -> SSEEvent | None:
    event: str | None = None
    data: list[str] = []
    for raw in block.split(b"\n"):
        if not raw or raw[0] == 0x3A:  # ":" starts a comment
            continue
        name, _, value = raw.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            data.append(value.decode("utf-8"))
        elif name == b"event":
            event = value.decode("utf-8")
    if not data:
        return None
    return SSEEvent(event, "\n".join(data))
