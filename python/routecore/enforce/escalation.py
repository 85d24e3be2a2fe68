"""Human escalation: when every allowed try failed output verification on a route marked
high-stakes (`[verification] high_stakes`, capabilities or tier names), a person gets the case
through `[verification] human_escalation` — a ``"package.module:function"`` callable or an
``http(s)://`` webhook receiving JSON — and through callables added with
`Router.on_human_escalation`.

The case is redacted (messages and answer pass through `routecore.redact`) and carries the
decision's reasons and the failed checks, so the person sees why without the secrets. Delivery
runs beside the request: it never delays or changes the caller's `VerificationFailedError`,
and a failing receiver is logged (by exception type only) and otherwise ignored.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import httpx

from .._core import redact
from .callables import load_callable

if TYPE_CHECKING:
    from .._core import Decision
    from ..completion import Completion

__all__ = ["HumanCase", "HumanEscalation"]

log = logging.getLogger("routecore.enforce")

WEBHOOK_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class HumanCase:
    """What a person needs to take over: who, which route, what failed and why — redacted."""

    request_id: str
    tenant: str
    tier: int
    capability: str
    model: str
    failures: tuple[str, ...]
    reasons: tuple[str, ...]
    messages: tuple[dict[str, str], ...]
    answer: str
    ts: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Receiver = Callable[[HumanCase], Any]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: the text ones
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return ""


class HumanEscalation:
    def __init__(self, policy: Mapping[str, Any]) -> None:
        self.capabilities = frozenset(policy.get("high_stakes_capabilities") or ())
        self.tiers = frozenset(policy.get("high_stakes_tiers") or ())
        target: str | None = policy.get("human_escalation")
        self.receivers: list[Receiver] = []
        self.webhook: str | None = None
        if target and target.startswith(("http://", "https://")):
            self.webhook = target
        elif target:
            self.receivers.append(load_callable(target))
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self, receiver: Receiver) -> None:
        self.receivers.append(receiver)

    def applies(self, d: Decision) -> bool:
        return bool(self.receivers or self.webhook) and (
            str(d.capability) in self.capabilities or int(d.tier) in self.tiers)

    def case(self, c: Completion, failures: Sequence[str],
             messages: Sequence[Mapping[str, Any]]) -> HumanCase:
        d = c.decision
        return HumanCase(
            request_id=str(d.request_id), tenant=str(d.tenant or ""), tier=int(d.tier),
            capability=str(d.capability), model=c.model, failures=tuple(failures),
            reasons=tuple(redact(r) for r in d.reasons),
            messages=tuple({"role": str(m.get("role", "")), "content": redact(_text(m.get("content")))}
                           for m in messages),
            answer=redact(c.content or ""), ts=time.time())

    def deliver(self, case: HumanCase) -> None:
        """Hand the case to every receiver in the background (the caller's error goes out now)."""
        task = asyncio.get_running_loop().create_task(self._deliver(case))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for deliveries in flight (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _deliver(self, case: HumanCase) -> None:
        for r in self.receivers:
            try:
                out = r(case)
                if inspect.isawaitable(out):
                    await out
            except Exception as exc:
                log.warning("human escalation receiver failed: %s", type(exc).__name__)
        if self.webhook is not None:
            try:
                async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_S) as client:
                    resp = await client.post(self.webhook, json=case.to_dict())
                if resp.status_code >= 300:
                    log.warning("human escalation webhook answered %d", resp.status_code)
            except httpx.HTTPError as exc:
                log.warning("human escalation webhook failed: %s", type(exc).__name__)
        log.info("human escalation: request %s (T%d %s) handed over", case.request_id, case.tier,
                 case.capability, extra={"event": "routecore.human_escalation"})
