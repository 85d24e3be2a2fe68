"""Every failure becomes one `ApiError`, mapped once by exception type (routecore errors carry
their own status and code), then rendered in the caller's dialect: OpenAI or Anthropic."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from routecore.errors import BudgetExceeded, InvalidRequestError, ModelNotAllowedError, RouteError
from routecore.provider_errors import AllProvidersFailed, ClientError, ProviderError, RateLimited

# Status → OpenAI error.type and Anthropic error.type.
_OPENAI_TYPE = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                404: "not_found_error", 413: "invalid_request_error", 422: "invalid_request_error",
                429: "rate_limit_error", 503: "service_unavailable", 504: "timeout"}
_ANTHROPIC_TYPE = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                   404: "not_found_error", 413: "request_too_large", 422: "invalid_request_error",
                   429: "rate_limit_error", 503: "overloaded_error", 529: "overloaded_error"}


@dataclass(slots=True)
class ApiError(Exception):
    status: int
    code: str
    message: str
    param: str | None = None
    retry_after_s: float | None = None

    def headers(self) -> list[tuple[bytes, bytes]]:
        if self.retry_after_s is None:
            return []
        return [(b"retry-after", str(max(1, math.ceil(self.retry_after_s))).encode())]

    def openai_body(self) -> bytes:
        fallback = "server_error" if self.status >= 500 else "invalid_request_error"
        kind = _OPENAI_TYPE.get(self.status, fallback)
        return json.dumps({"error": {"message": self.message, "type": kind, "code": self.code,
                                     "param": self.param}}).encode()

    def anthropic_body(self) -> bytes:
        kind = _ANTHROPIC_TYPE.get(self.status, "api_error")
        return json.dumps({"type": "error", "error": {"type": kind, "message": self.message}}).encode()


def from_exception(exc: BaseException) -> ApiError:
    """The one place an exception becomes a status. Messages never include request content."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, AllProvidersFailed):
        return _providers_failed(exc)
    if isinstance(exc, ProviderError):
        return ApiError(exc.status_code, exc.code, f"The provider failed: {exc.message}")
    if isinstance(exc, BudgetExceeded):
        return ApiError(429, exc.code, f"{exc.message} — retry after {exc.retry_after_s:.1f} s or raise "
                        "the tenant's budget", retry_after_s=exc.retry_after_s)
    if isinstance(exc, ModelNotAllowedError):
        return ApiError(403, exc.code, f"{exc.message} — use model 'auto' or a model on the tenant's "
                        "allowed_models list", param="model")
    if isinstance(exc, InvalidRequestError):
        return ApiError(exc.status_code, exc.code, exc.message, param=exc.path or None)
    if isinstance(exc, RouteError):
        retry = 1.0 if exc.status_code == 503 else None
        return ApiError(exc.status_code, exc.code, exc.message, retry_after_s=retry)
    return ApiError(500, "internal_error", "Internal gateway error; the details are in the server log.")


def _providers_failed(exc: AllProvidersFailed) -> ApiError:
    tried = ", ".join(f"{a.model} ({a.error_kind or a.outcome})" for a in exc.attempts) or "none"
    if exc.deadline_exceeded:
        return ApiError(504, "deadline_exceeded", "No provider answered within the deadline; "
                        f"tried: {tried}. Raise x-routecore-deadline-ms or the tier's timeouts.")
    last = exc.last_error
    if isinstance(last, ClientError):
        # Every deployment would reject it the same way: the request itself is at fault.
        # Providers' validation errors often quote the request: their text reaches here already
        # redacted by the adapter (Provider.redact), as it does records and logs.
        return ApiError(400, "invalid_request", f"The provider rejected the request: {last.message}")
    if isinstance(last, RateLimited):
        return ApiError(503, "providers_rate_limited", f"Every provider is rate limiting; tried: {tried}.",
                        retry_after_s=last.retry_after_s or 1.0)
    return ApiError(502, exc.code, f"Every provider failed; tried: {tried}. Retry later.")
