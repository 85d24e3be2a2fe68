"""Decision records: one JSON line per request — who, what was decided and why, every provider
attempt, latency, usage and cost — and never the message text.

Records carry features (counts, not content); any free text that could echo a prompt or a
credential (provider error details, metadata strings) passes through `routecore.redact` first.
The default sink appends JSON Lines from a background thread so a slow disk never stalls the
event loop; a full queue drops records (counted in `dropped`) rather than blocking requests.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .._core import redact

__all__ = ["DecisionRecord", "JsonlSink", "RecordSink", "find_record", "iter_records"]

RECORD_VERSION = 1


def _redacted(value: Any, depth: int = 0) -> Any:
    """Strings redacted, containers walked (bounded), everything else kept if JSON-able."""
    if isinstance(value, str):
        return redact(value)
    if depth > 8:
        return None
    if isinstance(value, Mapping):
        return {str(k): _redacted(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v, depth + 1) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(repr(value))


def _attempt(a: Any) -> dict[str, Any]:
    """An attempt as data. Only ``detail`` (a provider's error text) is free text that could echo
    a prompt or a key; the other fields are our own identifiers and numbers."""
    d: dict[str, Any] = a.to_dict()
    if d.get("detail"):
        d["detail"] = redact(d["detail"])
    return d


@dataclass
class DecisionRecord:
    request_id: str
    ts: float
    tenant: str
    decision: dict[str, Any]
    features: dict[str, Any]
    reasons: list[str]
    attempts: list[dict[str, Any]] = field(default_factory=list)
    served_by: str | None = None
    outcome: str = "routed"  # routed | ok | truncated | failed | cancelled | refused
    error: dict[str, Any] | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    route_ms: float | None = None  # time spent in route(), the router's own overhead
    usage: dict[str, int] | None = None
    cost_usd: float | None = None
    verification: dict[str, Any] | None = None
    metadata: Any = None
    version: int = RECORD_VERSION

    @classmethod
    def from_decision(cls, decision: Any) -> DecisionRecord:
        d = dict(decision.to_dict())
        features = d.pop("features", {})
        reasons = d.pop("reasons", [])
        metadata = d.pop("metadata", None)
        return cls(
            request_id=d["request_id"],
            ts=time.time(),
            tenant=d.get("tenant", ""),
            decision=d,
            features=features,
            reasons=list(reasons),
            metadata=_redacted(metadata),
        )

    @classmethod
    def from_completion(cls, completion: Any, *, cost_usd: float | None = None) -> DecisionRecord:
        rec = cls.from_decision(completion.decision)
        rec.attempts = [_attempt(a) for a in completion.attempts]
        rec.served_by = completion.model
        rec.outcome = "truncated" if completion.truncated else "ok"
        rec.latency_ms = completion.latency_ms
        rec.ttft_ms = completion.ttft_ms
        rec.usage = {
            "input_tokens": completion.usage.input_tokens,
            "output_tokens": completion.usage.output_tokens,
        }
        rec.cost_usd = cost_usd
        return rec

    @classmethod
    def from_failure(
        cls, decision: Any, error: BaseException, attempts: list[Any] | None = None
    ) -> DecisionRecord:
        rec = cls.from_decision(decision)
        rec.outcome = "failed"
        rec.attempts = [_attempt(a) for a in attempts or []]
        rec.error = {"type": type(error).__name__, "message": redact(str(error))}
        return rec

    @classmethod
    def from_refusal(cls, request_id: str, tenant: str | None, error: BaseException) -> DecisionRecord:
        """Routing itself refused (budget, no model, bad request): there is no decision to keep,
        only who was refused and why (a budget refusal names the limit that said no)."""
        err: dict[str, Any] = {"type": type(error).__name__, "message": redact(str(error))}
        limit = getattr(error, "limit", None)
        if isinstance(limit, str) and limit:
            err["limit"] = limit
        return cls(request_id=request_id, ts=time.time(), tenant=tenant or "default", decision={},
                   features={}, reasons=[], outcome="refused", error=err)

    def to_json(self) -> str:
        # Fields hold plain data already: no deep copy (asdict) needed, it cost ~5x the dump.
        return json.dumps(self.__dict__, ensure_ascii=False, separators=(",", ":"))


class RecordSink(Protocol):
    def write(self, record: DecisionRecord) -> None: ...
    def close(self) -> None: ...


class JsonlSink:
    """Appends records to a JSON Lines file from a background thread. Also an observer
    (`Router.add_observer`): `observe` is `write`."""

    def __init__(self, path: str | Path, *, max_queue: int = 10_000) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.dropped = 0
        self.written = 0
        self._q: queue.Queue[DecisionRecord | None] = queue.Queue(maxsize=max_queue)
        self._thread = threading.Thread(target=self._run, name="routecore-records", daemon=True)
        self._thread.start()

    def write(self, record: DecisionRecord) -> None:
        try:
            # Serialised on the writer thread: the caller (the event loop) only enqueues.
            self._q.put_nowait(record)
        except queue.Full:
            self.dropped += 1

    observe = write

    def _run(self) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            while True:
                rec = self._q.get()
                if rec is None:
                    break
                f.write(rec.to_json() + "\n")
                self.written += 1
                if self._q.empty():
                    f.flush()

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until everything queued so far is on disk."""
        deadline = time.monotonic() + timeout
        while not self._q.empty() and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(0.002)

    def close(self) -> None:
        self._q.put(None)
        self._thread.join(timeout=5.0)


def iter_records(path: str | Path) -> Iterator[dict[str, Any]]:
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def find_record(path: str | Path, request_id: str) -> dict[str, Any] | None:
    """The last record with this id (a request may be recorded at routing and at completion)."""
    found = None
    for r in iter_records(path):
        if r.get("request_id") == request_id:
            found = r
    return found
