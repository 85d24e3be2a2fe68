"""The public surface: `__all__` is pinned, and the `.pyi` stub matches the compiled module."""

from __future__ import annotations

import ast
from pathlib import Path

import routecore
from routecore import _core

STUB = Path(routecore.__file__).with_name("_core.pyi")


def test_all_is_pinned() -> None:
    assert routecore.__all__ == [
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
    for name in routecore.__all__:
        assert hasattr(routecore, name), name


def _stub_names() -> tuple[set[str], dict[str, set[str]]]:
    tree = ast.parse(STUB.read_text())
    top: set[str] = set()
    members: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            top.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            top.add(node.target.id)
        elif isinstance(node, ast.ClassDef):
            top.add(node.name)
            members[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
    return top, members


def test_stub_matches_compiled_module() -> None:
    top, members = _stub_names()
    runtime = {n for n in dir(_core) if not n.startswith("__") or n == "__version__"}
    runtime.discard("_core")
    assert top == runtime
    for cls, names in members.items():
        actual = {n for n in dir(getattr(_core, cls)) if not n.startswith("__") or n == "__new__"}
        assert names - {"__new__"} == actual - {"__new__"}, cls


def test_errors_form_one_hierarchy() -> None:
    for name in routecore.errors.__all__:
        cls = getattr(routecore.errors, name)
        assert issubclass(cls, routecore.RouteError)
        assert isinstance(cls.status_code, int)
    assert issubclass(routecore.ConfigError, ValueError)
    assert issubclass(routecore.UnknownModelError, LookupError)
    assert routecore.BudgetExceeded.retryable and not routecore.InvalidRequestError.retryable


def test_py_typed_ships() -> None:
    assert Path(routecore.__file__).with_name("py.typed").exists()
