"""API key → tenant. Keys are compared as sha256 digests, so the settings never hold a usable key
and a lookup leaks nothing through timing about how much of a key matched."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from routecore.server.errors import ApiError
from routecore.server.settings import ServerSettings, TenantKey

ANONYMOUS = TenantKey("anonymous")


def sha256_hex(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def presented_key(headers: Mapping[str, str]) -> str | None:
    """OpenAI clients send ``Authorization: Bearer``, Anthropic clients ``x-api-key``."""
    auth = headers.get("authorization")
    if auth is not None:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    key = headers.get("x-api-key")
    return key.strip() if key else None


def authenticate(settings: ServerSettings, headers: Mapping[str, str]) -> TenantKey:
    key = presented_key(headers)
    if key is None:
        if settings.allow_anonymous:
            return ANONYMOUS
        raise ApiError(401, "missing_api_key",
                       "No API key: send it as 'Authorization: Bearer <key>' (or 'x-api-key').")
    grant = settings.api_keys.get(sha256_hex(key))
    if grant is not None:
        return grant
    if settings.allow_anonymous and not settings.api_keys:
        return ANONYMOUS
    raise ApiError(401, "invalid_api_key",
                   "The API key is not valid for this gateway: check the key you configured in your client.")


def check_admin(settings: ServerSettings, headers: Mapping[str, str]) -> None:
    if settings.admin_token_sha256 is None:
        raise ApiError(404, "not_found",
                       "Admin endpoints are disabled: set admin_token_sha256 to enable them.")
    token = presented_key(headers)
    if token is None or not hmac.compare_digest(sha256_hex(token), settings.admin_token_sha256.lower()):
        raise ApiError(401, "invalid_admin_token",
                       "This endpoint needs the admin token as 'Authorization: Bearer <token>'.")
