"""Input guards applied by policy: one Rust scan of the messages, then each detector's action.

The effective policy for a (tenant, tier) comes compiled from the core (`Router.guard_policy`).
One scan covers both detectors, so it runs before the call whenever any active detector is
`pre_call`; only when every active detector is `parallel` does it run beside the call.

Nothing here logs or returns text from the messages: notes, events and errors name detectors,
injection signal names, PII types and counts only.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._core import scan
from .events import GuardVerdict

__all__ = ["GuardPolicy", "Inspection", "inspect"]

log = logging.getLogger("routecore.enforce")

# Strongest first: when detectors disagree, the strongest action wins (redaction still applies
# to what is sent if the request is escalated).
_RANK = {"block": 4, "escalate": 3, "redact": 2, "flag": 1, "off": 0}


@dataclass(frozen=True, slots=True)
class GuardPolicy:
    injection: str
    injection_mode: str
    min_verdict: str
    pii_types: Mapping[str, str]  # PII type -> action
    pii_mode: str
    escalate_model: str | None

    @classmethod
    def from_core(cls, d: Mapping[str, Any]) -> GuardPolicy:
        inj, pii = d["injection"], d["pii"]
        return cls(inj["action"], inj["mode"], inj["min_verdict"], dict(pii["types"]), pii["mode"],
                   d["escalate_model"])

    @property
    def pii_active(self) -> bool:
        return any(a != "off" for a in self.pii_types.values())

    @property
    def active(self) -> bool:
        return self.injection != "off" or self.pii_active

    @property
    def pre_call(self) -> bool:
        """Scan before the call: some active detector asks for it."""
        return (self.injection != "off" and self.injection_mode == "pre_call") or (
            self.pii_active and self.pii_mode == "pre_call")


@dataclass(slots=True)
class Inspection:
    action: str = "pass"  # pass | flag | redact | block | escalate
    detector: str | None = None  # the detector behind block / escalate
    signals: tuple[str, ...] = ()  # of that detector
    notes: list[str] = field(default_factory=list)  # for the decision's reasons
    messages: list[Mapping[str, Any]] | None = None  # redacted copy, when something was redacted
    events: list[GuardVerdict] = field(default_factory=list)

    def _raise_to(self, action: str, detector: str, signals: tuple[str, ...]) -> None:
        if _RANK[action] > _RANK.get(self.action, 0):
            self.action, self.detector, self.signals = action, detector, signals


def inspect(messages: Sequence[Mapping[str, Any]], pol: GuardPolicy, *, tenant: str, tier: int,
            mode: str) -> Inspection:
    out = Inspection()
    r = scan(list(messages))
    inj = r.injection
    fired = inj.verdict == "injection" or (pol.min_verdict == "suspicious" and inj.verdict == "suspicious")
    if pol.injection != "off" and fired:
        sig = tuple(inj.signals)
        out._raise_to(pol.injection, "injection", sig)
        out.notes.append(f"guard injection: {pol.injection} (verdict {inj.verdict}, score {inj.score:.2f}; "
                         f"signals: {', '.join(sig) or 'model'})")
        out.events.append(GuardVerdict("injection", pol.injection, mode, tenant, tier, sig))  # type: ignore[arg-type]
    by_action: dict[str, Counter[str]] = {}
    redact_spans = []
    for s in r.pii:
        act = pol.pii_types.get(s.type, "off")
        if act == "off":
            continue
        by_action.setdefault(act, Counter())[s.type] += 1
        if act == "redact":
            redact_spans.append(s)
    for act, types in sorted(by_action.items(), key=lambda kv: -_RANK[kv[0]]):
        names = tuple(sorted(types))
        out._raise_to(act, "pii", names)
        out.notes.append(f"guard pii: {act} ({', '.join(f'{t} x{n}' for t, n in sorted(types.items()))})")
        out.events.append(GuardVerdict("pii", act, mode, tenant, tier, names))  # type: ignore[arg-type]
    if redact_spans:
        out.messages = _redacted(messages, redact_spans)
    for e in out.events:
        log.info("guard %s: %s (%s, tenant %s, tier %d; %s)", e.detector, e.action, e.mode, e.tenant,
                 e.tier, ", ".join(e.signals) or "model",
                 extra={"event": "routecore.guard", "detector": e.detector, "action": e.action})
    return out


def _redacted(messages: Sequence[Mapping[str, Any]], spans: list[Any]) -> list[Mapping[str, Any]]:
    """A copy of the messages with each span replaced by ``[TYPE]``. A span's `part` counts the
    text parts of its message (a string content is part 0), as the core collected them."""
    by_text: dict[tuple[int, int], list[Any]] = {}
    for s in spans:
        by_text.setdefault((s.message, s.part), []).append(s)
    out: list[Mapping[str, Any]] = list(messages)
    for i in sorted({m for m, _ in by_text}):
        msg = dict(messages[i])
        content = msg.get("content")
        if isinstance(content, str):
            msg["content"] = _cut(content, by_text.get((i, 0), []))
        elif isinstance(content, list):
            parts: list[Any] = []
            j = 0
            for p in content:
                if isinstance(p, str):
                    parts.append(_cut(p, by_text.get((i, j), [])))
                    j += 1
                elif isinstance(p, Mapping) and p.get("type") in ("text", "input_text"):
                    parts.append({**p, "text": _cut(str(p.get("text", "")), by_text.get((i, j), []))})
                    j += 1
                else:
                    parts.append(p)
            msg["content"] = parts
        out[i] = msg
    return out


def _cut(text: str, spans: list[Any]) -> str:
    for s in sorted(spans, key=lambda s: s.start, reverse=True):
        text = f"{text[:s.start]}[{s.type}]{text[s.end:]}"
    return text
