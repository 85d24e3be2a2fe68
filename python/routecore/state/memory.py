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

    def load_blob(self, name: str) -> str | None:
        """Nothing is shared in-process (a file, `bandit.state_file`, persists instead)."""
        return None

    def save_blob(self, name: str, text: str) -> None:
        """See `load_blob`."""
