"""Answer checks shared by output verification and drift detection.

A check takes the answer text and says whether it passes and, if not, why. Built-ins: exact,
contains, regex, JSON, JSON schema, refusal; any callable ``(text) -> bool | CheckResult``
is a custom check.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Check", "CheckResult", "check_from_spec", "is_refusal"]


@dataclass(frozen=True, slots=True)
class CheckResult:
    ok: bool
    reason: str = ""


Check = Callable[[str], CheckResult]

_REFUSAL = re.compile(
    r"^\s*(?:i['’]m sorry|i am sorry|sorry,|i apologi[sz]e|as an ai\b|i can(?:no|')t (?:help|assist|comply|"
    r"provide|do that)|i(?: am|['’]m) (?:not able|unable) to|i won['’]t be able to)",
    re.IGNORECASE,
)


def is_refusal(text: str) -> bool:
    """A refusal opens the answer ("I'm sorry, but I can't…"); one mid-answer is not one."""
    return bool(_REFUSAL.search(text[:200]))


def exact(value: str, *, case: bool = False) -> Check:
    want = value.strip() if case else value.strip().lower()

    def run(text: str) -> CheckResult:
        got = text.strip() if case else text.strip().lower()
        return CheckResult(got == want, "" if got == want else f"expected exactly {value!r}")

    return run


def contains(value: str) -> Check:
    def run(text: str) -> CheckResult:
        ok = value.lower() in text.lower()
        return CheckResult(ok, "" if ok else f"answer does not contain {value!r}")

    return run


def regex(pattern: str) -> Check:
    rx = re.compile(pattern, re.IGNORECASE | re.DOTALL)

    def run(text: str) -> CheckResult:
        ok = rx.search(text) is not None
        return CheckResult(ok, "" if ok else f"answer does not match /{pattern}/")

    return run


def _parse_json(text: str) -> tuple[Any, str]:
    body = text.strip()
    if body.startswith("```"):
        # Models often fence JSON even when asked not to; the content is what counts.
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0]
    try:
        return json.loads(body), ""
    except json.JSONDecodeError as e:
        return None, f"answer is not valid JSON ({e.msg} at line {e.lineno} column {e.colno})"


def json_valid() -> Check:
    def run(text: str) -> CheckResult:
        _, err = _parse_json(text)
        return CheckResult(not err, err)

    return run


def json_schema(schema: Mapping[str, Any]) -> Check:
    import jsonschema

    validator = jsonschema.Draft202012Validator(dict(schema))

    def run(text: str) -> CheckResult:
        data, err = _parse_json(text)
        if err:
            return CheckResult(False, err)
        problems = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
        if not problems:
            return CheckResult(True)
        p = problems[0]
        where = "/".join(str(x) for x in p.path) or "(root)"
        return CheckResult(False, f"schema violation at {where}: {p.message}")

    return run


def not_refusal() -> Check:
    def run(text: str) -> CheckResult:
        ok = not is_refusal(text)
        return CheckResult(ok, "" if ok else "the model refused")

    return run


def custom(fn: Callable[[str], bool | CheckResult]) -> Check:
    def run(text: str) -> CheckResult:
        r = fn(text)
        return r if isinstance(r, CheckResult) else CheckResult(bool(r), "" if r else "custom check failed")

    return run


def check_from_spec(spec: Mapping[str, Any] | Callable[[str], bool | CheckResult]) -> Check:
    """A check from data (``{"type": "regex", "value": "^4$"}``) or from a callable."""
    if callable(spec):
        return custom(spec)
    kind = spec.get("type")
    value = spec.get("value")
    if kind == "exact" and isinstance(value, str):
        return exact(value, case=bool(spec.get("case", False)))
    if kind == "contains" and isinstance(value, str):
        return contains(value)
    if kind == "regex" and isinstance(value, str):
        return regex(value)
    if kind == "json":
        return json_valid()
    if kind == "json_schema" and isinstance(value, Mapping):
        return json_schema(value)
    if kind == "not_refusal":
        return not_refusal()
    raise ValueError(
        f"unknown or incomplete check {dict(spec)!r}; types: exact, contains, regex (with a string 'value'), "
        "json, json_schema (with a schema 'value'), not_refusal"
    )
