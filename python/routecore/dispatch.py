"""From a routing decision to an answer, within the turn's deadline.

``Dispatcher`` is what ``Router.complete`` / ``Router.stream`` call into: it owns the pooled HTTP
clients, the hedge budget and the backoff; each call gets its own attempt loop (resilience/call.py).
Health goes to the Router's own health API, so the breakers that skip an attempt here are the ones
selection reads. One Dispatcher per event loop (the pooled connections belong to the loop that
opened them).
"""

from __future__ import annotations

import random
import time
import weakref
from collections.abc import AsyncGenerator, Mapping
from typing import Any, Protocol

from routecore._core import Decision
from routecore.completion import Accumulator, Attempt, Completion, Usage
from routecore.observe import hook
from routecore.provider_errors import AllProvidersFailed, ProviderError
from routecore.providers import ADAPTERS, ChatRequest, ClientPool, Provider
from routecore.resilience.backoff import Backoff
from routecore.resilience.call import Call, Live, Shared
from routecore.resilience.config import DispatchConfig
from routecore.resilience.health import HealthSink
from routecore.resilience.hedge import HedgeBudget
from routecore.resilience.timeouts import drain, follow

CONTINUE_PROMPT = "Continue exactly where your previous message stopped. Do not repeat anything."


class RouterLike(HealthSink, Protocol):
    """What the dispatcher needs of ``routecore.Router``: its config, budgets and health API."""

    @property
    def config(self) -> Mapping[str, Any]: ...
    def reconcile(self, decision: Decision, input_tokens: int, output_tokens: int, *,
                  model: str | None = None) -> float: ...
    def release(self, decision: Decision) -> None: ...
    @property
    def observers(self) -> tuple[hook.Observer, ...]: ...


class Dispatcher:
    def __init__(self, router: RouterLike, *, clients: ClientPool | None = None,
                 env: Mapping[str, str] | None = None,
                 rng: random.Random | None = None) -> None:
        self._router = router
        self.config = DispatchConfig.from_router_config(router.config, env)
        pol = self.config.resilience
        self._clients = clients or ClientPool()
        self._providers: dict[str, Provider] = {}
        self._shared = Shared(
            models=self.config.models, policy=pol, health=router,
            hedges=HedgeBudget(pol.max_hedge_share, pol.hedge_window_s),
            backoff=Backoff(pol.backoff_base_ms, pol.backoff_max_ms, rng or random.Random()),
            provider=self._provider,
        )

    @property
    def hedge_budget(self) -> HedgeBudget:
        return self._shared.hedges

    def _provider(self, model: str) -> Provider:
        p = self._providers.get(model)
        if p is None:
            dep = self.config.models[model]
            p = ADAPTERS[dep.provider](dep, self._clients.get(dep.api_base))
            self._providers[model] = p
        return p

    def _call(self, decision: Decision, deadline_ms: float | None, stream_upstream: bool,
              drains: bool = False) -> Call:
        tier = self.config.tier(decision.tier)
        budget = tier.total_timeout_ms if deadline_ms is None else min(deadline_ms, tier.total_timeout_ms)
        return Call(self._shared, decision, tier, budget / 1000.0, stream_upstream, drains)

    async def complete(self, decision: Decision, request: ChatRequest, *,
                       deadline_ms: float | None = None, stream_upstream: bool = True,
                       route_ms: float | None = None) -> Completion:
        """The whole answer. Upstream streams by default so first-token timeouts and hedging work;
        nothing reaches the caller before the end, so any failure fails over transparently.
        ``route_ms`` (the time routing took) only goes into the decision record."""
        call = self._call(decision, deadline_ms, stream_upstream, drains=True)
        ok = False
        try:
            while True:
                live = await call.open(request, input_tokens=decision.input_tokens)
                acc = Accumulator()
                for d in live.head:
                    acc.add(d)
                try:
                    # Under the head's timer when it was read inline (one timer for both).
                    await drain(live.gen, call.deadline_at, live.attempt.model, acc.add, live.timer)
                except ProviderError as exc:
                    call.failed_after_commit(live, exc)
                    call.abandoned(_out_tokens(acc))
                    continue
                call.succeeded(live)
                ok = True
                return self._settle(call, live, acc, truncated=False, route_ms=route_ms)
        except BaseException as exc:
            self._failed(call, exc, route_ms)
            raise
        finally:
            if not ok:
                self._router.release(decision)

    def stream(self, decision: Decision, request: ChatRequest, *,
               deadline_ms: float | None = None, route_ms: float | None = None) -> CompletionStream:
        return CompletionStream(self, decision, request, deadline_ms, route_ms)

    def _failed(self, call: Call, exc: BaseException | None, route_ms: float | None) -> None:
        observers = self._router.observers
        if observers:
            hook.failed(observers, call.decision, exc, call.attempts, call.t0, route_ms)

    def _settle(self, call: Call, live: Live, acc: Accumulator, truncated: bool,
                route_ms: float | None = None) -> Completion:
        usage = acc.usage or Usage(call.decision.input_tokens, _out_tokens(acc))
        total = Usage(usage.input_tokens + call.extra_input_tokens,
                      usage.output_tokens + call.extra_output_tokens)
        # Priced at the model that actually served (a fallback may cost more or less).
        cost = self._router.reconcile(call.decision, total.input_tokens, total.output_tokens,
                                      model=live.attempt.model)
        now = time.perf_counter()
        first = next((a.ttft_ms for a in call.attempts if a.ttft_ms is not None and a.outcome == "ok"),
                     live.attempt.ttft_ms)
        c = Completion(
            id=call.decision.request_id, model=live.attempt.model, content=acc.text or None,
            tool_calls=acc.tool_calls(), finish_reason=acc.finish_reason, usage=usage,
            decision=call.decision, attempts=call.attempts,
            ttft_ms=None if first is None else first + live.attempt.started_ms,
            latency_ms=(now - call.t0) * 1000.0, truncated=truncated,
        )
        observers = self._router.observers
        if observers:
            hook.completed(observers, c, cost, route_ms)
        return c

    async def aclose(self) -> None:
        for task in list(self._shared.background):
            task.cancel()
        await self._clients.aclose()


def _out_tokens(acc: Accumulator) -> int:
    # Used only when the provider reported no usage; ~4 characters per token.
    chars = len(acc.text) + sum(len(t.arguments) for t in acc.tools.values())
    return max(1, chars // 4)


class CompletionStream:
    """Async iterator of OpenAI ``chat.completion.chunk`` dicts.

    Failures before the first useful token are handled out of sight. After it, the stream either
    continues on a fallback from the partial output (``continue_after_truncation``) or ends with a
    chunk whose ``finish_reason`` is ``"error"`` and whose ``error`` says why: it never just stops.
    Afterwards ``completion`` (or ``error``) and ``attempts`` describe what happened.
    """

    def __init__(self, dispatcher: Dispatcher, decision: Decision, request: ChatRequest,
                 deadline_ms: float | None, route_ms: float | None = None) -> None:
        self._d = dispatcher
        self.decision = decision
        self._request = request
        self._deadline_ms = deadline_ms
        self._route_ms = route_ms
        self._call: Call | None = None
        self.completion: Completion | None = None
        self.error: ProviderError | None = None
        self._gen = self._run()
        # A stream closed, or dropped, before its first read never runs `_run` (whose `finally`
        # gives the reservation back): the budget must not leak, so release it here instead.
        self._unstarted = weakref.finalize(self, _release_unstarted, dispatcher._router, decision)

    @property
    def attempts(self) -> list[Attempt]:
        return self._call.attempts if self._call is not None else []

    def __aiter__(self) -> CompletionStream:
        return self

    async def __anext__(self) -> dict[str, Any]:
        return await self._gen.__anext__()

    async def aclose(self) -> None:
        self._unstarted()  # no-op once reading started
        await self._gen.aclose()

    async def __aenter__(self) -> CompletionStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _run(self) -> AsyncGenerator[dict[str, Any], None]:
        self._unstarted.detach()  # from here on, `finally` below settles or releases
        d = self._d
        call = self._call = d._call(self.decision, self._deadline_ms, True)
        rid, created = self.decision.request_id, int(time.time())
        acc = Accumulator()
        settled = False
        live: Live | None = None
        failure: BaseException | None = None
        try:
            live = await call.open(self._request, input_tokens=self.decision.input_tokens)
            head = live.head
            while True:
                try:
                    for delta in head:
                        acc.add(delta)
                        yield delta.to_chunk(rid, live.attempt.model, created)
                    async for delta in follow(live.gen, call.deadline_at, live.attempt.model):
                        acc.add(delta)
                        yield delta.to_chunk(rid, live.attempt.model, created)
                except ProviderError as exc:
                    call.failed_after_commit(live, exc)
                    partial = _out_tokens(acc)
                    nxt = await self._continue(call, acc)
                    if nxt is None:
                        self.error = exc
                        yield _error_chunk(rid, live.attempt.model, created, exc)
                        self.completion = d._settle(call, live, acc, truncated=True,
                                                    route_ms=self._route_ms)
                        settled = True
                        return
                    call.abandoned(partial)
                    live = nxt
                    head = [x for x in live.head if x.useful or x.finish_reason or x.usage]
                    continue
                call.succeeded(live)
                self.completion = d._settle(call, live, acc, truncated=False, route_ms=self._route_ms)
                settled = True
                return
        except AllProvidersFailed as exc:
            self.error = failure = exc
            raise
        except BaseException as exc:  # GeneratorExit: the caller closed the stream early
            failure = exc
            raise
        finally:
            if live is not None and not settled:
                await live.gen.aclose()  # the caller stopped early: close the upstream now
            if not settled:
                d._router.release(self.decision)
                d._failed(call, failure, self._route_ms)

    async def _continue(self, call: Call, acc: Accumulator) -> Live | None:
        """Resume on a fallback from the partial text (not possible inside a tool call)."""
        if not call.s.policy.continue_after_truncation or acc.tools:
            return None
        msgs = [*self._request.messages, {"role": "assistant", "content": acc.text},
                {"role": "user", "content": CONTINUE_PROMPT}]
        req = ChatRequest(msgs, self._request.tools, self._request.tool_choice,
                          self._request.response_format, self._request.max_tokens,
                          self._request.temperature, self._request.top_p, self._request.stop)
        try:
            return await call.open(req, input_tokens=self.decision.input_tokens + _out_tokens(acc),
                                   continuation=True)
        except AllProvidersFailed:
            return None


def _release_unstarted(router: RouterLike, decision: Decision) -> None:
    if decision.state == "open":
        router.release(decision)


def _error_chunk(rid: str, model: str, created: int, exc: ProviderError) -> dict[str, Any]:
    return {
        "id": rid, "object": "chat.completion.chunk", "created": created, "model": model,
        "choices": [{"index": 0, "delta": {}, "finish_reason": "error"}],
        "error": {"type": "stream_truncated", "kind": exc.kind, "error_type": type(exc).__name__,
                  "message": exc.message},
    }


__all__ = ["CompletionStream", "Dispatcher", "RouterLike"]
