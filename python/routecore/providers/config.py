"""Typed views of the router's config that the provider layer needs (built once, then immutable)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ProviderKind = Literal["openai", "anthropic"]


class Secret:
    """An API key that cannot leak through repr/str/format (traces, exceptions, logs)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Deployment:
    """One configured model: where it lives and what it can take."""

    name: str
    provider: ProviderKind
    api_base: str
    upstream_model: str
    api_key: Secret | None = field(default=None, repr=False)
    context_window: int = 128_000
    max_output_tokens: int = 4096
    ttft_ms: float = 500.0
    input_cost_per_1k: float = 0.0
    output_cost_per_1k: float = 0.0

    @classmethod
    def from_config(cls, name: str, raw: Mapping[str, Any],
                    env: Mapping[str, str] | None = None) -> Deployment:
        env = os.environ if env is None else env
        provider = str(raw.get("provider", "openai"))
        if provider not in ("openai", "anthropic"):
            raise ValueError(f"model {name!r}: unknown provider {provider!r}")
        key_env = raw.get("api_key_env")
        key = env.get(str(key_env)) if key_env else None
        return cls(
            name=name,
            provider="openai" if provider == "openai" else "anthropic",
            api_base=str(raw["api_base"]).rstrip("/"),
            upstream_model=str(raw.get("upstream_model") or name),
            api_key=Secret(key) if key else None,
            context_window=int(raw.get("context_window", 128_000)),
            max_output_tokens=int(raw.get("max_output_tokens", 4096)),
            ttft_ms=float(raw.get("ttft_ms", 500.0)),
            input_cost_per_1k=float(raw.get("input_cost_per_1k", 0.0)),
            output_cost_per_1k=float(raw.get("output_cost_per_1k", 0.0)),
        )
