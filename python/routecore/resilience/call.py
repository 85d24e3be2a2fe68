"""One call's attempt loop: timeout ⊂ hedge ⊂ fallback chain ⊂ deadline.

``Call.open`` starts attempts until one produces its first useful delta (the commit point: nothing
reaches the caller before it, so every earlier failure is handled transparently). Hedging runs
inside (race.py): if the primary is silent at the hedge delay, the fastest fresh candidate is
started too and the first useful token wins; the loser is cancelled, which closes its connection.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from routecore._core import Decision
from routecore.completion import Attempt, Delta
from routecore.provider_errors import (
    AllProvidersFailed,
    ContextWindowExceeded,
    ProviderError,
)
from routecore.providers.base import ChatRequest, Provider
from routecore.providers.config import Deployment
from routecore.resilience.attempt_timer import AttemptTimer
from routecore.resilience.backoff import Backoff
from routecore.resilience.config import ResiliencePolicy, TierPolicy
from routecore.resilience.fallback import Candidate, FallbackChain
from routecore.resilience.health import HealthSink
from routecore.resilience.hedge import HedgeBudget, hedge_delay_s
from routecore.resilience.race import Race
from routecore.resilience.timeouts import until_useful

_CLOCK_RESOLUTION_S = 0.001


@dataclass(slots=True)
class Shared:
    """What all calls of one Dispatcher share."""

    models: Mapping[str, Deployment]
    policy: ResiliencePolicy
    health: HealthSink
    hedges: HedgeBudget
    backoff: Backoff
    provider: Callable[[str], Provider]
    background: set[asyncio.Task[Any]] = field(default_factory=set)

    def expected_ttft_ms(self, model: str) -> float:
        # With the fleet's view (shared state), the core's blend of it with the own samples.
        expected = self.health.ttft_view(model)[0]
        return self.models[model].ttft_ms if expected is None else expected


@dataclass(slots=True)
class Live:
    """A started attempt; after ``open`` returns it, ``head`` holds its first useful delta."""

    cand: Candidate
    attempt: Attempt
    gen: AsyncGenerator[Delta, None]
    started: float  # perf_counter
    started_loop: float  # loop time, for deadlines
    head: list[Delta] = field(default_factory=list)
    task: asyncio.Task[list[Delta]] | None = None
    # The head's timer, still armed, for the caller to drain the rest under (Call(drains=True),
    # an attempt read inline); None otherwise.
    timer: AttemptTimer | None = None


class Call:
    def __init__(self, shared: Shared, decision: Decision, tier: TierPolicy, deadline_s: float,
                 stream_upstream: bool = True, drains: bool = False) -> None:
        self.s = shared
        self.decision = decision
        self.tier = tier
        self.loop = asyncio.get_running_loop()
        # Deadlines are on loop time (what timers use); measurements on perf_counter, because
        # uvloop's clock only advances once per loop iteration, in whole milliseconds.
        self.deadline_at = self.loop.time() + deadline_s
        self.t0 = time.perf_counter()
        self.stream_upstream = stream_upstream
        # The caller reads a committed attempt to its end in this task, right away (``drain``):
        # the head's timer is handed to it instead of arming a second one.
        self.drains = drains
        self.attempts: list[Attempt] = []
        self.chain = FallbackChain([decision.model, *decision.fallbacks], shared.models,
                                   shared.backoff, shared.policy.refusal_fallback)
        self.last_error: ProviderError | None = None
        self.extra_input_tokens = 0  # billed by attempts whose answer was not used
        self.extra_output_tokens = 0
        shared.hedges.note_request()

    # ------------------------------------------------------------------ open

    async def open(self, req: ChatRequest, *, input_tokens: int, continuation: bool = False) -> Live:
        while True:
            now = self.loop.time()
            started = sum(1 for a in self.attempts if a.outcome not in ("skipped",))
            if started >= self.s.policy.max_attempts:
                raise self.fail("attempt limit reached")
            nxt = self.chain.next(now, self.deadline_at)
            if nxt is None:
                raise self.fail("no candidate left within the deadline")
            cand, wait = nxt
            if wait > 0:
                await asyncio.sleep(wait)
            if not self._admissible(cand, req, input_tokens, continuation):
                continue
            live = await self._race(self._start(cand, req, hedge=False, continuation=continuation),
                                    req, input_tokens, continuation)
            if live is not None:
                return live

    def _admissible(self, cand: Candidate, req: ChatRequest, input_tokens: int,
                    continuation: bool) -> bool:
        dep = self.s.models[cand.model]
        now = self.loop.time()
        if input_tokens + (req.max_tokens or 0) > dep.context_window:
            err = ContextWindowExceeded("prompt exceeds the context window (checked before sending)",
                                        model=dep.name)
            self._skip(cand, "context_window", err.message, continuation)
            self.chain.failed(cand, err, now, self.deadline_at)
            self.last_error = err
            return False
        if now + self.s.expected_ttft_ms(dep.name) / 1000.0 > self.deadline_at:
            self._skip(cand, "timeout", "expected TTFT exceeds the remaining deadline", continuation)
            return False
        if not self.s.health.allow(dep.name):
            self._skip(cand, None, "circuit breaker open", continuation)
            return False
        return True

    def _skip(self, cand: Candidate, kind: str | None, detail: str, continuation: bool) -> None:
        dep = self.s.models[cand.model]
        self.attempts.append(Attempt(dep.name, dep.provider, continuation=continuation,
                                     started_ms=self._ms(time.perf_counter()), outcome="skipped",
                                     error_kind=kind, detail=detail))

    def _start(self, cand: Candidate, req: ChatRequest, *, hedge: bool, continuation: bool) -> Live:
        dep = self.s.models[cand.model]
        now = time.perf_counter()
        attempt = Attempt(dep.name, dep.provider, hedge=hedge, continuation=continuation,
                          started_ms=self._ms(now))
        self.attempts.append(attempt)
        gen = self.s.provider(dep.name).deltas(req, stream=self.stream_upstream)
        return Live(cand, attempt, gen, now, self.loop.time())

    def _first_token_at(self, live: Live) -> float:
        if not self.stream_upstream:  # a whole response's first token is its last
            return self.deadline_at
        return min(live.started_loop + self.tier.first_token_timeout_ms / 1000.0, self.deadline_at)

    async def _race(self, primary: Live, req: ChatRequest, input_tokens: int,
                    continuation: bool) -> Live | None:
        p = self.s.policy
        if not (p.hedge and self.stream_upstream and self.chain.has_fresh()):
            first_at = self._first_token_at(primary)
            head_timer = AttemptTimer(self.loop, first_at) if self.drains else None
            try:  # nothing to hedge with: no task, no wait set
                primary.head = await until_useful(primary.gen, first_at, primary.attempt.model,
                                                  head_timer)
            except ProviderError as exc:
                self._failed(primary, exc)
                return None
            primary.timer = head_timer
            self._committed(primary)
            return primary
        delay = hedge_delay_s(p.hedge_delay_ms, self.s.health.ttft_view(primary.attempt.model),
                              self.s.models[primary.attempt.model].ttft_ms,
                              self.tier.first_token_timeout_ms)
        race = Race(lambda: self._hedge(req, input_tokens, continuation))
        timer = self.loop.call_at(primary.started_loop + delay, race.fire)
        winner: Live | None = None
        try:
            try:
                primary.head = await until_useful(primary.gen, self._first_token_at(primary),
                                                  primary.attempt.model)
            finally:
                race.reading = False
                timer.cancel()
            winner = primary
        except asyncio.CancelledError:
            if not race.took_back():
                raise
            self._lost(primary, None)  # the hedge committed first
            assert race.hedge is not None and race.hedge.task is not None
            winner = race.hedge
            winner.head = race.hedge.task.result()
        except ProviderError as exc:
            self._failed(primary, exc)
            if race.hedge is not None:
                winner, race.hedge = race.hedge, None
                return await self._hedge_alone(winner)
            return None
        finally:
            if race.hedge is not None and race.hedge is not winner:
                self._drop(race.hedge)
        self._committed(winner)
        return winner

    def _drop(self, hedge: Live) -> None:
        """The race ended without the hedge: a hedge that had failed by then is reported as the
        failure it was (evidence against its deployment); otherwise it lost."""
        task = hedge.task
        if task is not None and task.done() and not task.cancelled():
            exc = task.exception()
            if isinstance(exc, ProviderError):
                self._failed(hedge, exc)
                return
        self._lost(hedge, task)

    async def _hedge_alone(self, live: Live) -> Live | None:
        """The primary failed after the hedge started: the hedge is now the only attempt."""
        assert live.task is not None
        try:
            live.head = await live.task
        except ProviderError as exc:
            self._failed(live, exc)
            return None
        except BaseException:
            self._lost(live, live.task)
            raise
        self._committed(live)
        return live

    def _hedge(self, req: ChatRequest, input_tokens: int, continuation: bool) -> Live | None:
        """Start the fresh candidate expected to answer first, if admissible and affordable."""
        while self.chain.has_fresh():
            cand = self.chain.take_fastest(self.s.expected_ttft_ms)
            if cand is None or not self._admissible(cand, req, input_tokens, continuation):
                continue
            if not self.s.hedges.try_acquire():
                self.chain.push_front(cand)  # no budget: keep it as a plain fallback
                return None
            live = self._start(cand, req, hedge=True, continuation=continuation)
            live.task = self.loop.create_task(
                until_useful(live.gen, self._first_token_at(live), live.attempt.model))
            return live
        return None

    # ------------------------------------------------------------------ outcomes

    def _committed(self, live: Live) -> None:
        a = live.attempt
        a.billed = True
        a.ttft_ms = (time.perf_counter() - live.started) * 1000.0

    def _failed(self, live: Live, exc: ProviderError) -> None:
        now = self.loop.time()
        a = live.attempt
        a.outcome = "error"
        a.error_kind, a.error_type, a.status = exc.kind, type(exc).__name__, exc.status
        a.detail = exc.message
        a.duration_ms = (time.perf_counter() - live.started) * 1000.0
        self.last_error = exc
        self.s.health.record_outcome(a.model, ok=False, ttft_ms=a.ttft_ms, total_ms=a.duration_ms,
                                     error=exc.kind, deadline_missed=self._missed(a))
        self.chain.failed(live.cand, exc, now, self.deadline_at)

    def _lost(self, live: Live, task: asyncio.Task[list[Delta]] | None) -> None:
        """``task`` None: the attempt was read inline and the cancellation closed it already."""
        a = live.attempt
        a.outcome = "lost_race"
        a.duration_ms = (time.perf_counter() - live.started) * 1000.0
        if task is not None:
            task.cancel()  # cancels the read inside the adapter: its connection is closed, not reused
            if task.done() and not task.cancelled() and task.exception() is None:
                self._background(live.gen.aclose())
            elif not task.done():
                self.s.background.add(task)
                task.add_done_callback(self._reaped)
        self.extra_input_tokens += self.decision.input_tokens  # the provider had started work
        self.s.health.record_outcome(a.model, ok=False, ttft_ms=None, total_ms=a.duration_ms,
                                     error="cancelled", deadline_missed=self._missed(a))

    def _reaped(self, task: asyncio.Task[Any]) -> None:
        self.s.background.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not warn about it

    def _background(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self.s.background.add(task)
        task.add_done_callback(self._reaped)

    def succeeded(self, live: Live) -> None:
        a = live.attempt
        a.outcome = "ok"
        a.duration_ms = (time.perf_counter() - live.started) * 1000.0
        self.s.health.record_outcome(a.model, ok=True, ttft_ms=a.ttft_ms, total_ms=a.duration_ms,
                                     error=None, deadline_missed=self._missed(a))

    def failed_after_commit(self, live: Live, exc: ProviderError) -> None:
        self._failed(live, exc)

    def abandoned(self, output_tokens: int) -> None:
        """A committed attempt broke and another takes over: what it consumed is billed on top
        of the answer's usage. (A broken stream that ends the call is the answer: billed once.)"""
        self.extra_input_tokens += self.decision.input_tokens
        self.extra_output_tokens += output_tokens

    def _missed(self, a: Attempt) -> bool:
        # The core counts a TTFT over budget as a miss itself; flagging it too would count it
        # twice. Only an attempt that never produced a first token needs the flag.
        if a.ttft_ms is not None:
            return False
        return a.duration_ms is not None and a.duration_ms > self.tier.latency_budget_ms

    def _ms(self, t: float) -> float:
        return (t - self.t0) * 1000.0

    def fail(self, why: str) -> AllProvidersFailed:
        # Within the loop clock's resolution (uvloop: 1 ms) of the deadline counts as past it: a
        # timer due at the deadline can run at a loop time a float rounding short of it.
        late = self.loop.time() >= self.deadline_at - _CLOCK_RESOLUTION_S
        return AllProvidersFailed(f"all providers failed: {why}", self.attempts,
                                  deadline_exceeded=late, last_error=self.last_error)
