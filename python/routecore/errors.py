"""The exceptions routecore raises. Every one derives from `RouteError`.

Each class carries the HTTP status and error code the gateway answers with, and whether
trying again can help (`retryable`): callers branch on the type, never on message text.

    RouteError
    ├── ConfigError (ValueError)            invalid configuration; `.errors` lists (key path, message)
    ├── InvalidRequestError (ValueError)    malformed request; `.path` locates the field
    │   ├── RequestTooLargeError            text over `routing.max_input_bytes`
    │   └── UnknownModelError (LookupError) pinned model or tier alias not in the config
    ├── ModelNotAllowedError (PermissionError)
    ├── BudgetExceeded                      a tenant budget refused; `.retry_after_s` says when it refills
    ├── NoModelAvailableError               every candidate filtered out (window, cost cap, deadline)
    ├── StateUnavailableError               shared state (Redis) unreachable under `fail_closed`
    ├── ContentBlockedError                 an input guard's policy blocked the request; `.detector`
    ├── VerificationFailedError             every allowed retry failed output verification
    └── InternalError                       a bug in routecore (a Rust panic, caught)
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "BudgetExceeded",
    "ConfigError",
    "ContentBlockedError",
    "InternalError",
    "InvalidRequestError",
    "ModelNotAllowedError",
    "NoModelAvailableError",
    "RequestTooLargeError",
    "RouteError",
    "StateUnavailableError",
    "UnknownModelError",
    "VerificationFailedError",
]


class RouteError(Exception):
    """Base class of all routecore errors."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "routecore_error"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(RouteError, ValueError):
    """The configuration is invalid. `errors` holds every (key path, message) found."""

    status_code = 400
    code = "invalid_config"

    def __init__(self, message: str, *, errors: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.errors: list[tuple[str, str]] = list(errors or [])


class InvalidRequestError(RouteError, ValueError):
    """The request is malformed; `path` names the offending field (e.g. ``messages[2].content``)."""

    status_code = 400
    code = "invalid_request"

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class RequestTooLargeError(InvalidRequestError):
    """The request text is larger than the configured limit."""

    status_code = 413
    code = "request_too_large"

    def __init__(self, message: str, *, size: int = 0, limit: int = 0) -> None:
        super().__init__(message, path="messages")
        self.size = size
        self.limit = limit


class UnknownModelError(InvalidRequestError, LookupError):
    """A pinned model or tier alias that the configuration does not define."""

    status_code = 404
    code = "model_not_found"

    def __init__(self, message: str, *, model: str = "") -> None:
        super().__init__(message, path="model")
        self.model = model


class ModelNotAllowedError(RouteError, PermissionError):
    """The tenant may not use the model (or tier) it asked for."""

    status_code = 403
    code = "model_not_allowed"

    def __init__(self, message: str, *, model: str = "", tenant: str = "") -> None:
        super().__init__(message)
        self.model = model
        self.tenant = tenant


class BudgetExceeded(RouteError):
    """A tenant budget refused the request. Retry after `retry_after_s` seconds."""

    status_code = 429
    code = "budget_exceeded"
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        tenant: str = "",
        limit: str = "",
        limit_value: float = 0.0,
        window_s: float = 0.0,
        retry_after_s: float = 0.0,
    ) -> None:
        super().__init__(message)
        self.tenant = tenant
        self.limit = limit
        self.limit_value = limit_value
        self.window_s = window_s
        self.retry_after_s = retry_after_s


class NoModelAvailableError(RouteError):
    """No configured model can take the request (context window, cost cap, deadline, quotas)."""

    status_code = 503
    code = "no_model_available"


class StateUnavailableError(RouteError):
    """Budgets are shared across replicas (`[state] backend = "redis"`), the store is
    unreachable and `mode = "fail_closed"`: the request is refused rather than admitted
    unchecked. Retry shortly; the router reconnects by itself."""

    status_code = 503
    code = "state_unavailable"
    retryable = True


class ContentBlockedError(RouteError):
    """An input guard (`[guards]`) blocked the request before any answer was released.

    `detector` is ``"injection"`` or ``"pii"``; `signals` names what fired (injection signal
    names or PII types). Neither the message nor any attribute carries text from the prompt,
    so the error can be logged and returned as it is. Sending the same request again cannot
    help, hence not retryable."""

    status_code = 400
    code = "content_blocked"

    def __init__(self, message: str, *, detector: str = "", signals: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.detector = detector
        self.signals = tuple(signals)


class VerificationFailedError(RouteError):
    """The answers failed output verification (`[verification]`: JSON schema, refusal, custom
    checks) on every try the policy and the deadline allowed. `failures` names the failed
    checks of the last answer, `completion` is that answer (for callers that can use it anyway).
    Models are stochastic and rollback moves traffic away from failing ones: retryable."""

    status_code = 502
    code = "output_verification_failed"
    retryable = True

    def __init__(self, message: str, *, failures: tuple[str, ...] = (), completion: object = None) -> None:
        super().__init__(message)
        self.failures = tuple(failures)
        self.completion = completion


class InternalError(RouteError):
    """A bug inside routecore; the host process keeps running. Please report it."""

    status_code = 500
    code = "internal_error"
