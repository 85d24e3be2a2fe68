"""`Router`: the public router. Routing is the compiled core's method, called directly; this
class adds config loading, numpy features and (via the dispatcher) the async provider calls."""

from __future__ import annotations

import json
import logging
import os
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _core
from .errors import InvalidRequestError, RouteError
from .state import MemoryBackend, StateBackend, open_backend

if TYPE_CHECKING:
    import asyncio

    import numpy as np
    import numpy.typing as npt

    from .completion import Completion
    from .dispatch import CompletionStream, Dispatcher
    from .enforce.escalation import HumanCase
    from .observe.hook import Observer
    from .observe.records import JsonlSink
    from .providers import ChatRequest

__all__ = ["FEATURE_COLUMNS", "Router"]

#: Column names of `Router.features`.
FEATURE_COLUMNS: tuple[str, ...] = tuple(_core.FEATURE_COLUMNS)

ConfigSource = str | os.PathLike[str] | Mapping[str, Any] | None


def _read_config(config: ConfigSource) -> tuple[str | None, str]:
    if config is None:
        return None, "toml"
    if isinstance(config, Mapping):
        return json.dumps(config), "json"
    path = Path(config)
    fmt = "json" if path.suffix.lower() == ".json" else "toml"
    return path.read_text(encoding="utf-8"), fmt


class Router(_core.Router):
    """An immutable, compiled router.

    ``Router()`` uses the embedded default config (a voice-agent deployment); ``Router(path)``
    loads a TOML (or ``.json``) file; ``Router(dict)`` takes the same structure as data.
    Invalid config raises `routecore.ConfigError` listing every problem with its key path.
    """

    def __new__(cls, config: ConfigSource = None) -> Router:
        text, fmt = _read_config(config)
        # Relative paths in a config file (`routing.capability_model`) resolve beside it.
        base = None if config is None or isinstance(config, Mapping) else Path(config).resolve().parent
        return _start_state(super().__new__(cls, text, fmt, base_dir=base))

    @classmethod
    def from_toml(cls, text: str) -> Router:
        """Compile a router from TOML text."""
        return _start_state(_core.Router.__new__(cls, text, "toml"))

    @property
    def config(self) -> dict[str, Any]:
        """The validated config with every default filled in, as plain data."""
        result: dict[str, Any] = json.loads(self._config_json())
        return result

    @property
    def state(self) -> StateBackend:
        """Where budgets and health live (`[state]`): `.name`, `.stats()`."""
        backend: StateBackend = self.__dict__["_state"]
        return backend

    def feedback(
        self,
        request_id: str,
        *,
        score: float | bool | None = None,
        kind: str = "thumbs",
        latency_ms: float | None = None,
    ) -> bool:
        """Tell the router how a request went; the bandit (`[bandit]`) learns from it.

        ``kind``: ``thumbs`` (score True/False or 1/0; -1 counts as 0), ``task_success``
        (score 0..1 or bool), ``retry`` and ``abandon`` (the user had to ask again or gave up:
        quality 0, no score needed). Returns False when the request is unknown, too old, or
        already rated."""
        if kind in ("retry", "abandon"):
            quality = 0.0
        elif kind in ("thumbs", "task_success"):
            if score is None:
                raise InvalidRequestError(f"feedback of kind {kind!r} needs a score", path="score")
            quality = max(0.0, float(score))
        else:
            raise InvalidRequestError(
                f"unknown feedback kind {kind!r}; expected thumbs, task_success, retry or abandon",
                path="kind",
            )
        accepted = self._feedback(request_id, min(1.0, quality), latency_ms=latency_ms)
        if accepted:
            from .observe.hook import FeedbackObserver

            for o in self.observers:
                if isinstance(o, FeedbackObserver):
                    o.on_feedback(request_id, min(1.0, quality), kind)
        return accepted

    # ------------------------------------------------------------------ observers

    @property
    def observers(self) -> tuple[Observer, ...]:
        """Who gets one `DecisionRecord` at the end of every `complete()` / `stream()`."""
        found: tuple[Observer, ...] = self.__dict__.get("_observers", ())
        return found

    def add_observer(self, observer: Observer) -> None:
        """Deliver every request's `DecisionRecord` to ``observer.observe(record)`` (inline, on
        the event loop: keep it quick). `routecore.observe.RouterMetrics` counts them,
        `JsonlSink` writes them, `routecore.observe.otel.OtelObserver` traces them."""
        # A new tuple each time: a request iterating the old one is never disturbed.
        self.__dict__["_observers"] = (*self.observers, observer)

    def remove_observer(self, observer: Observer) -> None:
        self.__dict__["_observers"] = tuple(o for o in self.observers if o is not observer)

    def write_records(self, path: str | os.PathLike[str]) -> JsonlSink:
        """Append every request's decision record to a JSON Lines file (`routecore explain ID
        --records FILE` reads it). `close()` flushes and closes the file."""
        from .observe.records import JsonlSink

        sink = JsonlSink(Path(path))
        self.add_observer(sink)
        self.__dict__.setdefault("_sinks", []).append(sink)
        return sink

    def on_human_escalation(self, receiver: Callable[[HumanCase], object]) -> None:
        """Call `receiver(case)` (sync or async) when every allowed try failed output
        verification on a high-stakes route (`[verification] high_stakes`); the case is redacted.
        Adds to `[verification] human_escalation`, which must be set for high-stakes routes."""
        from .enforce.runtime import enforcement

        enforcement(self).human.add(receiver)

    def close(self) -> None:
        """Stop the state backend (a Redis backend hands its leases back) and save the bandit's
        state (`bandit.state_file`). Idempotent."""
        _save_bandit(self)
        for sink in self.__dict__.pop("_sinks", []):
            self.remove_observer(sink)
            sink.close()
        backend = self.__dict__.pop("_state", None)
        if backend is not None:
            backend.close()
            self.__dict__["_state"] = MemoryBackend()

    def features(
        self,
        batch: Sequence[Any],
        *,
        tools: list[dict[str, Any]] | None = None,
        response_format: Mapping[str, Any] | str | None = None,
        max_tokens: int | None = None,
    ) -> npt.NDArray[np.float32]:
        """Feature matrix, one row per request, columns as in `FEATURE_COLUMNS`.

        Computed in parallel with the GIL released; for training, replay and offline analysis.
        """
        import numpy as np

        raw, rows, cols = self._features_raw(
            list(batch), tools=tools, response_format=response_format, max_tokens=max_tokens
        )
        return np.frombuffer(raw, dtype=np.float32).reshape(rows, cols)

    # ------------------------------------------------------------------ provider calls

    async def complete(
        self,
        messages: str | Sequence[Mapping[str, Any]],
        *,
        tenant: str | None = None,
        user_tier: str | None = None,
        model: str | None = None,
        metadata: Any = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
        tool_choice: str | Mapping[str, Any] | None = None,
        response_format: Mapping[str, Any] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        stop: Sequence[str] | None = None,
        min_tier: int | None = None,
        max_tier: int | None = None,
        deadline_ms: float | None = None,
        max_cost_usd: float | None = None,
    ) -> Completion:
        """Route, then call the chosen model (with hedging, fallbacks, breakers) within the
        tier's timeouts and `deadline_ms`. Budgets are settled with the real usage.

        Raises the routing errors of `route()`, or `AllProvidersFailed` with every attempt."""
        # Lazy (the call path imports httpx: ~240 ms that route()-only users never pay), and in
        # the absolute `import a.b as m` form: 0.25 us a call against 0.7-1.7 us for
        # `from .pkg import m`, whose package/`__path__` checks run on every request.
        import routecore.enforce.flow as flow

        msgs = _as_messages(messages)
        route_kw: dict[str, Any] = dict(
            tenant=tenant,
            user_tier=user_tier,
            model=model,
            metadata=metadata,
            tools=tools,
            response_format=response_format,
            max_tokens=max_tokens,
            min_tier=min_tier,
            max_tier=max_tier,
            deadline_ms=deadline_ms,
            max_cost_usd=max_cost_usd,
        )
        decision, route_ms = self._observed_route(tenant, msgs, route_kw)
        request = _chat_request(
            msgs, tools, tool_choice, response_format, max_tokens, temperature, top_p, stop
        )
        # Guards (`[guards]`) and output verification (`[verification]`) wrap the call.
        return await flow.complete(self, decision, route_kw, request, deadline_ms, route_ms)

    def stream(
        self,
        messages: str | Sequence[Mapping[str, Any]],
        *,
        tenant: str | None = None,
        user_tier: str | None = None,
        model: str | None = None,
        metadata: Any = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
        tool_choice: str | Mapping[str, Any] | None = None,
        response_format: Mapping[str, Any] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        stop: Sequence[str] | None = None,
        min_tier: int | None = None,
        max_tier: int | None = None,
        deadline_ms: float | None = None,
        max_cost_usd: float | None = None,
    ) -> CompletionStream:
        """Route, then stream OpenAI ``chat.completion.chunk`` dicts: ``async for chunk in
        router.stream(...)``. Routing happens here, synchronously, so routing errors raise at
        once; the stream's ``decision``, ``attempts`` and (after the end) ``completion`` tell
        what happened. A stream cut after bytes reached you ends with ``finish_reason="error"``."""
        import routecore.enforce.flow as flow  # lazy and cheap: see complete()

        msgs = _as_messages(messages)
        route_kw: dict[str, Any] = dict(
            tenant=tenant,
            user_tier=user_tier,
            model=model,
            metadata=metadata,
            tools=tools,
            response_format=response_format,
            max_tokens=max_tokens,
            min_tier=min_tier,
            max_tier=max_tier,
            deadline_ms=deadline_ms,
            max_cost_usd=max_cost_usd,
        )
        decision, route_ms = self._observed_route(tenant, msgs, route_kw)
        request = _chat_request(
            msgs, tools, tool_choice, response_format, max_tokens, temperature, top_p, stop
        )
        return flow.stream(self, decision, route_kw, request, deadline_ms, route_ms)

    def _observed_route(self, tenant: str | None, msgs: list[Mapping[str, Any]],
                        route_kw: dict[str, Any]) -> tuple[_core.Decision, float]:
        """Route, timed (the router's overhead, for the record); a refusal is recorded too."""
        t0 = time.perf_counter()
        try:
            decision = self.route(msgs, **route_kw)
        except RouteError as exc:
            if self.observers:
                from .observe import hook

                hook.refused(self.observers, tenant, exc)
            raise
        return decision, (time.perf_counter() - t0) * 1000.0

    def _dispatcher(self) -> Dispatcher:
        """One dispatcher (pooled connections) per event loop: connections belong to their loop."""
        import asyncio  # here, not at import: `import routecore` stays light for route()-only users

        import routecore.dispatch as dispatch  # lazy and cheap: see complete()

        loop = asyncio.get_running_loop()
        pool: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Dispatcher] | None = self.__dict__.get(
            "_dispatchers"
        )
        if pool is None:
            pool = self.__dict__["_dispatchers"] = weakref.WeakKeyDictionary()
        d = pool.get(loop)
        if d is None:
            d = pool[loop] = dispatch.Dispatcher(self)
        return d

    async def aclose(self) -> None:
        """Close this event loop's pooled provider connections."""
        import asyncio

        pool = self.__dict__.get("_dispatchers")
        if pool is not None:
            d = pool.pop(asyncio.get_running_loop(), None)
            if d is not None:
                await d.aclose()


def _start_state(router: Router) -> Router:
    backend = router.__dict__["_state"] = open_backend(router, router.config.get("state", {}))
    bandit = router.config.get("bandit", {})
    path = bandit.get("state_file")
    if path and Path(path).exists():
        router.load_bandit_state(Path(path).read_text(encoding="utf-8"))
    elif bandit.get("enabled"):
        # With a Redis backend, what the fleet learned survives restarts and reaches new replicas.
        text = backend.load_blob("bandit")
        if text:
            try:
                router.load_bandit_state(text)
            except RouteError as e:  # another config's or a damaged state: learn afresh
                logging.getLogger("routecore").warning("shared bandit state not loaded: %s", e.code)
    return router


def _save_bandit(router: Router) -> None:
    bandit = router.config.get("bandit", {})
    path = bandit.get("state_file")
    if not (path or bandit.get("enabled")):
        return
    text = router.bandit_state()
    if path:
        tmp = Path(path).with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)  # atomic: a crash mid-write never leaves half a state
    if bandit.get("enabled"):
        router.state.save_blob("bandit", text)


def _as_messages(messages: str | Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if isinstance(messages, str):
        return [{"role": "user", "content": messages}]
    return list(messages)


def _chat_request(
    msgs: list[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None,
    tool_choice: str | Mapping[str, Any] | None,
    response_format: Mapping[str, Any] | None,
    max_tokens: int | None,
    temperature: float | None,
    top_p: float | None,
    stop: Sequence[str] | None,
) -> ChatRequest:
    import routecore.providers.base as base  # lazy and cheap: see Router.complete()

    return base.ChatRequest(msgs, tools, tool_choice, response_format, max_tokens, temperature, top_p, stop)
