"""routecore: an in-process LLM router whose routing decision runs in compiled Rust.

>>> import routecore
>>> router = routecore.Router()                       # embedded default config
>>> d = router.route("write a haiku about the sea")
>>> d.model, d.tier, d.capability
"""

from __future__ import annotations

from ._core import Decision, __version__, check_config, default_config_toml, estimate_tokens
from .errors import (
    BudgetExceeded,
    ConfigError,
    InternalError,
    InvalidRequestError,
    ModelNotAllowedError,
    NoModelAvailableError,
    RequestTooLargeError,
    RouteError,
    UnknownModelError,
)
from .guards import Injection, PiiSpan, ScanResult, redact, scan
from .router import FEATURE_COLUMNS, Router

__all__ = [
    "FEATURE_COLUMNS",
    "BudgetExceeded",
    "ConfigError",
    "Decision",
    "Injection",
    "InternalError",
    "InvalidRequestError",
    "ModelNotAllowedError",
    "NoModelAvailableError",
    "PiiSpan",
    "RequestTooLargeError",
    "RouteError",
    "Router",
    "ScanResult",
    "UnknownModelError",
    "__version__",
    "check_config",
    "default_config_toml",
    "estimate_tokens",
    "redact",
    "scan",
]
