"""`"package.module:function"` specs in config (custom checks, human escalation receivers),
resolved one way; the Rust config validator checks the same shape."""

from __future__ import annotations

import importlib
from typing import Any


def load_callable(spec: str) -> Any:
    mod, _, name = spec.partition(":")
    return getattr(importlib.import_module(mod), name)
