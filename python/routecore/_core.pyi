# Type stubs for the compiled module `routecore._core` (rust/src/bindings/). Keep in sync:
# tests/test_api_surface.py checks every public name here exists at run time and vice versa.

from collections.abc import Mapping, Sequence
from typing import Any, final

from typing_extensions import Self

__version__: str
FEATURE_COLUMNS: list[str]

def estimate_tokens(text: str) -> int: ...
def default_config_toml() -> str: ...
def check_config(text: str, format: str = "toml") -> list[tuple[str, str]]: ...
def _text_counters(text: str) -> list[int]: ...

Messages = str | list[Mapping[str, Any]] | tuple[Mapping[str, Any], ...]

@final
class Decision:
    @property
    def request_id(self) -> str: ...
    @property
    def tier(self) -> int: ...
    @property
    def tier_name(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def fallbacks(self) -> list[str]: ...
    @property
    def capability(self) -> str: ...
    @property
    def capability_confidence(self) -> float: ...
    @property
    def complexity(self) -> float: ...
    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def estimated_cost_usd(self) -> float: ...
    @property
    def tenant(self) -> str: ...
    @property
    def budget(self) -> str: ...
    @property
    def reasons(self) -> list[str]: ...
    @property
    def metadata(self) -> Any: ...
    @property
    def state(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

class Router:
    def __new__(cls, source: str | None = None, format: str = "toml") -> Self: ...
    def route(
        self,
        messages: Messages,
        *,
        tenant: str | None = None,
        user_tier: str | None = None,
        model: str | None = None,
        metadata: Any = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
        response_format: Mapping[str, Any] | str | None = None,
        max_tokens: int | None = None,
        min_tier: int | None = None,
        max_tier: int | None = None,
        deadline_ms: float | None = None,
        max_cost_usd: float | None = None,
    ) -> Decision: ...
    def route_batch(
        self,
        batch: list[Messages],
        *,
        tenant: str | None = None,
        user_tier: str | None = None,
        model: str | None = None,
        metadata: Any = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
        response_format: Mapping[str, Any] | str | None = None,
        max_tokens: int | None = None,
        min_tier: int | None = None,
        max_tier: int | None = None,
        deadline_ms: float | None = None,
        max_cost_usd: float | None = None,
    ) -> list[Decision]: ...
    def _features_raw(
        self,
        batch: list[Any],
        *,
        tools: Sequence[Mapping[str, Any]] | None = None,
        response_format: Mapping[str, Any] | str | None = None,
        max_tokens: int | None = None,
    ) -> tuple[bytes, int, int]: ...
    def reconcile(
        self, decision: Decision, input_tokens: int, output_tokens: int, *, model: str | None = None
    ) -> float: ...
    def release(self, decision: Decision) -> None: ...
    def record_outcome(
        self,
        model: str,
        *,
        ok: bool,
        ttft_ms: float | None = None,
        total_ms: float | None = None,
        error: str | None = None,
        deadline_missed: bool = False,
    ) -> None: ...
    def allow(self, model: str) -> bool: ...
    def health(self, model: str) -> dict[str, Any]: ...
    def budget_levels(self, tenant: str) -> dict[str, float | None] | None: ...
    @property
    def tenants_tracked(self) -> int: ...
    @property
    def classifier(self) -> str: ...
    @property
    def models(self) -> list[str]: ...
    def _config_json(self) -> str: ...
