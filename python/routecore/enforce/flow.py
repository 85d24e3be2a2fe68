"""`Router.complete` / `Router.stream` with the guard and verification policies applied.

    route ─► rollback? ─► input guards (pre_call: before the call; parallel: beside it) ─►
    provider call ─► output verification ─► re-ask once / escalate a tier / give up

Every deviation from the plain path is written into the serving decision's `reasons` (as
`guard …`, `rollback: …`, `verification: …`) and emitted as an event (`enforce.events`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ContentBlockedError, VerificationFailedError
from .events import emit
from .inputs import GuardPolicy, Inspection, inspect
from .runtime import Enforcement, enforcement
from .stream import GuardedStream

if TYPE_CHECKING:
    from .._core import Decision
    from ..completion import Completion
    from ..dispatch import CompletionStream
    from ..providers import ChatRequest
    from ..router import Router

__all__ = ["REASK_PROMPT", "complete", "stream"]

REASK_PROMPT = ("Your previous answer did not pass validation: {failures}. Answer the same request again, "
                "and make sure the answer satisfies the required format.")


def _blocked(ins: Inspection) -> ContentBlockedError:
    what = "signals" if ins.detector == "injection" else "types"
    return ContentBlockedError(
        f"The request was blocked by the {ins.detector} guard ({what}: {', '.join(ins.signals) or 'model'}).",
        detector=ins.detector or "", signals=ins.signals)


def _judge(enf: Enforcement, d: Decision, request: ChatRequest, pol: GuardPolicy,
           route_kw: Mapping[str, Any], mode: str) -> tuple[Decision, ChatRequest, Inspection]:
    """Scan and act. Block raises; escalate returns a new decision (the old one released unless
    a parallel call still holds it); redact returns the request with redacted messages."""
    tenant = route_kw.get("tenant") or "default"
    ins = inspect(request.messages, pol, tenant=tenant, tier=int(d.tier), mode=mode)
    for e in ins.events:
        emit(e)
    if ins.messages is not None:
        request = dataclasses.replace(request, messages=ins.messages)
    if ins.action == "block":
        if mode == "pre_call":
            enf.router.release(d)
        raise _blocked(ins)
    new = d
    if ins.action == "escalate":
        release = mode == "pre_call"
        if pol.escalate_model is not None:
            new = enf.reroute(d, request.messages, route_kw, model=pol.escalate_model, release=release) or d
        elif int(d.tier) < enf.max_tier:
            new = enf.reroute(d, request.messages, route_kw, min_tier=int(d.tier) + 1, release=release) or d
        if new is d:
            # Nowhere stronger to go (top tier, or the tenant's bounds forbid it): serve where
            # routed, saying so, rather than refuse a request the policy meant to allow.
            ins.notes.append(f"guard {ins.detector}: escalate not possible from T{d.tier}; served as routed")
        else:
            ins.notes.append(f"guard {ins.detector}: escalated from T{d.tier} ({d.model}) to T{new.tier}")
    for n in ins.notes:
        new._note(n)
    return new, request, ins


async def complete(router: Router, decision: Decision, route_kw: Mapping[str, Any], request: ChatRequest,
                   deadline_ms: float | None, route_ms: float | None = None) -> Completion:
    enf = enforcement(router)
    t0 = time.perf_counter()
    d = enf.rollback(decision, request.messages, route_kw)
    pol = enf.guards(route_kw.get("tenant"), int(d.tier))
    disp = router._dispatcher()
    if pol.active and pol.pre_call:
        d, request, _ = _judge(enf, d, request, pol, route_kw, "pre_call")
        c = await disp.complete(d, request, deadline_ms=deadline_ms, route_ms=route_ms)
    elif pol.active:
        # Parallel: the call starts first (connect + send overlap the scan); its answer is only
        # taken after the verdict, and a block or escalation cancels it (the dispatcher then
        # releases its reservation).
        call = asyncio.ensure_future(disp.complete(d, request, deadline_ms=deadline_ms, route_ms=route_ms))
        await asyncio.sleep(0)
        try:
            nd, request, _ = _judge(enf, d, request, pol, route_kw, "parallel")
        except BaseException:
            call.cancel()
            await asyncio.gather(call, return_exceptions=True)
            raise
        if nd is not d:
            call.cancel()
            await asyncio.gather(call, return_exceptions=True)
            c = await disp.complete(nd, request, deadline_ms=_left(deadline_ms, t0), route_ms=route_ms)
        else:
            c = await call
    else:
        c = await disp.complete(d, request, deadline_ms=deadline_ms, route_ms=route_ms)
    return await _verified(enf, router, c, request, route_kw, deadline_ms, t0)


def _left(deadline_ms: float | None, t0: float) -> float | None:
    return None if deadline_ms is None else deadline_ms - (time.perf_counter() - t0) * 1000.0


async def _verified(enf: Enforcement, router: Router, c: Completion, request: ChatRequest,
                    route_kw: Mapping[str, Any], deadline_ms: float | None, t0: float) -> Completion:
    rf = request.response_format
    if not enf.applies(rf):
        return c
    attempts = list(c.attempts)
    reasked = False
    while True:
        verdict = enf.verify(c, rf)
        if verdict.ok:
            enf.record(c, verdict, "accept")
            return dataclasses.replace(c, attempts=attempts) if len(attempts) > len(c.attempts) else c
        d, names = c.decision, ", ".join(f.split(":", 1)[0] for f in verdict.failures)
        left = _left(deadline_ms, t0)
        step = "give_up"
        nd: Decision | None = None
        retry = request
        if enf.on_failure == "accept":
            step = "accept"
        elif left is not None and left <= 0:
            pass
        elif enf.on_failure == "reask" and not reasked:
            reasked, step = True, "reask"
            retry = dataclasses.replace(request, messages=[
                *request.messages, {"role": "assistant", "content": c.content or ""},
                {"role": "user", "content": REASK_PROMPT.format(failures="; ".join(verdict.failures))}])
            nd = enf.reroute(d, retry.messages, route_kw, model=c.model, release=False)
        elif int(d.tier) < enf.max_tier:
            step = "escalate"
            nd = enf.reroute(d, request.messages, {**route_kw, "model": None}, min_tier=int(d.tier) + 1,
                             release=False)
        if nd is None and step in ("reask", "escalate"):
            step = "give_up"
        enf.record(c, verdict, step)
        if step == "accept":
            d._note(f"verification: answer from {c.model} failed {names}; accepted (on_failure = accept)")
            return c
        if nd is None:
            d._note(f"verification: answer from {c.model} failed {names}; no retry left")
            if enf.human.applies(d):
                # A high-stakes route that every try failed: a person takes over.
                failed = [f.split(":", 1)[0] for f in verdict.failures]
                enf.human.deliver(enf.human.case(c, failed, request.messages))
                d._note("verification: handed to a person (human escalation)")
            raise VerificationFailedError(
                f"The answer failed output verification ({names}) on every try allowed.",
                failures=tuple(f.split(":", 1)[0] for f in verdict.failures), completion=c)
        nd._note(f"verification: answer from {c.model} (T{d.tier}) failed {names}; {step}"
                 + (f" to T{nd.tier}" if step == "escalate" else ""))
        c = await router._dispatcher().complete(nd, retry, deadline_ms=left)
        attempts += c.attempts


def stream(router: Router, decision: Decision, route_kw: Mapping[str, Any], request: ChatRequest,
           deadline_ms: float | None, route_ms: float | None = None) -> CompletionStream:
    enf = enforcement(router)
    d = enf.rollback(decision, request.messages, route_kw)
    pol = enf.guards(route_kw.get("tenant"), int(d.tier))
    if pol.active and pol.pre_call:
        d, request, _ = _judge(enf, d, request, pol, route_kw, "pre_call")
        gate = None
    elif pol.active:
        def gate(cur: Decision, req: ChatRequest) -> tuple[Decision, ChatRequest]:
            nd, req, _ = _judge(enf, cur, req, pol, route_kw, "parallel")
            return nd, req
    else:
        gate = None
    verify = enf if enf.applies(request.response_format) else None
    return GuardedStream(router._dispatcher(), d, request, deadline_ms, route_ms, gate=gate, verify=verify)
