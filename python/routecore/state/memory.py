"""The in-process backend (the default): budgets and health live in this process's core."""

from __future__ import annotations

from typing import Any

__all__ = ["MemoryBackend"]


class MemoryBackend:
    name = "memory"

    def start(self) -> None:
        """Nothing to start: the core's own buckets and breakers are the state."""

    def close(self) -> None:
        """Nothing to release."""

    def stats(self) -> dict[str, Any]:
        return {"backend": self.name}
