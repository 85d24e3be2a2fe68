"""`Router`: the public router. Routing is the compiled core's method, called directly; this
class adds config loading, numpy features and (via the dispatcher) the async provider calls."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _core

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

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
        return super().__new__(cls, text, fmt)

    @classmethod
    def from_toml(cls, text: str) -> Router:
        """Compile a router from TOML text."""
        return _core.Router.__new__(cls, text, "toml")

    @property
    def config(self) -> dict[str, Any]:
        """The validated config with every default filled in, as plain data."""
        result: dict[str, Any] = json.loads(self._config_json())
        return result

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
