"""The gateway's own settings, kept apart from the routing config (whose Rust schema rejects
unknown keys). Sources, later winning: a TOML file's ``[server]`` table, ``ROUTECORE_*`` env vars,
CLI flags. Tenant keys and the admin token are stored as sha256 hex digests, never in clear.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class TenantKey:
    """What one API key grants: the tenant it spends for, and the user tier it routes as."""

    tenant: str
    user_tier: str | None = None


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    # sha256(key) hex → tenant. Empty and not allow_anonymous: every request is 401.
    api_keys: Mapping[str, TenantKey] = field(default_factory=dict)
    allow_anonymous: bool = False  # no key needed; requests spend as tenant "anonymous"
    admin_token_sha256: str | None = None  # None: /admin/* disabled, /metrics open
    max_body_bytes: int = 4 * 1024 * 1024
    max_in_flight: int = 512  # requests doing work (routing or waiting on a provider)
    max_queue: int = 256  # requests waiting for a slot; beyond this: 503 at once
    queue_timeout_ms: float = 250.0  # longest wait for a slot before 503
    retry_after_s: int = 1  # what a 503 for overload tells the client
    graceful_shutdown_s: float = 30.0  # how long shutdown waits for in-flight streams
    config_path: str | None = None  # routing config (TOML/JSON); None: the embedded default
    # Decision records (JSON Lines, redacted) appended here, one per chat request; None: none.
    # With workers > 1 each worker writes its own file: <stem>.<pid><suffix>.
    records_path: str | None = None
    # OpenTelemetry spans per request to the global tracer provider (needs routecore[otel]).
    otel_traces: bool = False
    log_level: str = "warning"

    def with_(self, **changes: Any) -> ServerSettings:
        return dataclasses.replace(self, **changes)


def _tenant_key(raw: Any, where: str) -> TenantKey:
    if isinstance(raw, str):
        return TenantKey(raw)
    if isinstance(raw, Mapping) and isinstance(raw.get("tenant"), str):
        tier = raw.get("user_tier")
        return TenantKey(raw["tenant"], tier if isinstance(tier, str) else None)
    raise ValueError(f"{where}: expected a tenant name or {{tenant, user_tier}}, got {type(raw).__name__}")


def parse_api_keys(raw: Mapping[str, Any], where: str) -> dict[str, TenantKey]:
    out: dict[str, TenantKey] = {}
    for digest, value in raw.items():
        d = digest.lower()
        if not _HEX64.match(d):
            raise ValueError(f"{where}: key {digest[:8]}… is not a sha256 hex digest (64 hex chars); "
                             "store sha256(api_key), never the key itself")
        out[d] = _tenant_key(value, f"{where}.{d[:8]}…")
    return out


_SCALARS: dict[str, type] = {
    "host": str, "port": int, "workers": int, "allow_anonymous": bool, "max_body_bytes": int,
    "max_in_flight": int, "max_queue": int, "queue_timeout_ms": float, "retry_after_s": int,
    "graceful_shutdown_s": float, "log_level": str, "admin_token_sha256": str, "config_path": str,
    "records_path": str, "otel_traces": bool,
}


def _coerce(name: str, value: Any, where: str) -> Any:
    kind = _SCALARS[name]
    if kind is bool and isinstance(value, str):
        if value.lower() not in ("1", "0", "true", "false", "yes", "no"):
            raise ValueError(f"{where}: expected true/false, got {value!r}")
        return value.lower() in ("1", "true", "yes")
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: expected {kind.__name__}, got {value!r}") from None


def _apply(base: ServerSettings, values: Mapping[str, Any], where: str) -> ServerSettings:
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if name == "api_keys":
            if not isinstance(value, Mapping):
                raise ValueError(f"{where}.api_keys: expected a table sha256 → tenant")
            changes["api_keys"] = parse_api_keys(value, f"{where}.api_keys")
        elif name in _SCALARS:
            changes[name] = _coerce(name, value, f"{where}.{name}")
        else:
            raise ValueError(f"{where}: unknown setting {name!r} (known: api_keys, {', '.join(_SCALARS)})")
    s = base.with_(**changes)
    validate(s)
    return s


def validate(s: ServerSettings) -> None:
    if s.admin_token_sha256 is not None and not _HEX64.match(s.admin_token_sha256.lower()):
        raise ValueError("admin_token_sha256: expected sha256 hex of the admin token (64 hex chars)")
    for name in ("max_body_bytes", "max_in_flight", "workers"):
        if getattr(s, name) < 1:
            raise ValueError(f"{name}: must be at least 1")
    if s.max_queue < 0 or s.queue_timeout_ms < 0:
        raise ValueError("max_queue and queue_timeout_ms must not be negative")


def from_file(path: str | os.PathLike[str], base: ServerSettings | None = None) -> ServerSettings:
    """A TOML file with a ``[server]`` table (the whole file if it has none)."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    table = data.get("server", data)
    return _apply(base or ServerSettings(), table, f"{path}:[server]")


def from_env(env: Mapping[str, str], base: ServerSettings | None = None) -> ServerSettings:
    """``ROUTECORE_API_KEYS`` (JSON object sha256 → tenant), ``ROUTECORE_ADMIN_TOKEN_SHA256``,
    and ``ROUTECORE_SERVER_<SETTING>`` for any scalar setting (e.g. ``..._MAX_BODY_BYTES``)."""
    values: dict[str, Any] = {}
    if "ROUTECORE_API_KEYS" in env:
        try:
            values["api_keys"] = json.loads(env["ROUTECORE_API_KEYS"])
        except ValueError:
            raise ValueError("ROUTECORE_API_KEYS: not a JSON object of sha256 hex → tenant") from None
    if "ROUTECORE_ADMIN_TOKEN_SHA256" in env:
        values["admin_token_sha256"] = env["ROUTECORE_ADMIN_TOKEN_SHA256"]
    for name in _SCALARS:
        key = "ROUTECORE_SERVER_" + name.upper()
        if key in env:
            values[name] = env[key]
    return _apply(base or ServerSettings(), values, "env") if values else (base or ServerSettings())


def load(server_config: str | None, env: Mapping[str, str], cli: Mapping[str, Any]) -> ServerSettings:
    s = ServerSettings()
    if server_config:
        s = from_file(server_config, s)
    s = from_env(env, s)
    given = {k: v for k, v in cli.items() if v is not None}
    return _apply(s, given, "command line") if given else s
