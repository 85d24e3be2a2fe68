"""Where budgets, rate limits and health live: this process (`memory`, the default) or Redis
shared by every replica (`[state] backend = "redis"`). See `KEYS.md` for the Redis layout and
the admission bounds.

`routecore.Router` starts its backend when it is built and stops it in `Router.close()`."""

from __future__ import annotations

from typing import Any, Protocol

from .. import _core
from .memory import MemoryBackend

__all__ = ["MemoryBackend", "StateBackend", "open_backend"]


class StateBackend(Protocol):
    name: str

    def start(self) -> None: ...
    def close(self) -> None: ...
    def stats(self) -> dict[str, Any]: ...
    # Small shared documents (the bandit's learned state): None when absent or unreachable.
    def load_blob(self, name: str) -> str | None: ...
    def save_blob(self, name: str, text: str) -> None: ...


def open_backend(router: _core.Router, cfg: dict[str, Any]) -> StateBackend:
    """The backend `cfg` (the validated `[state]` section) asks for, started."""
    backend: StateBackend
    if cfg.get("backend", "memory") == "redis":
        from .leases import RedisBackend

        backend = RedisBackend(router, cfg)
    else:
        backend = MemoryBackend()
    backend.start()
    return backend
